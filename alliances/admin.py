"""The alliances admin. Every write of a membership, booking, meeting or activity goes
through the same service as in the workspace (see ServiceAdmin), audited there. The forms
call the services' checks (check_memberships, check_founding, check_members), so a refusal
is shown on the form before anything is saved."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponseRedirect
from django.utils import timezone

from portal.admin import AuditedModelAdmin, ReadOnlyAdmin, SafeChoicesMixin
from portal.mixins import IdsFirstPaginator

from . import plausibility, selectors, services
from .access import is_committee, kept_alliances
from .forms import ActivityAdminForm, MeetingAdminForm
from .models import (
    Activity,
    Alliance,
    AllianceRule,
    AnnualPlan,
    Attendance,
    Booking,
    Branch,
    Building,
    Facility,
    JointMeeting,
    Membership,
    PhaseReport,
    Photo,
    PublicPhoto,
    PublicVersion,
    RotationSlot,
)


class KeptOnlyMixin:
    """If a secretary is ever given admin access, they still see only their own alliances."""

    alliance_path = "alliance"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if is_committee(request.user):
            return queryset
        kept = kept_alliances(request.user)
        return (
            queryset.filter(**{f"{self.alliance_path}__in": kept})
            if self.alliance_path
            else queryset.filter(pk__in=kept)
        )

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "alliance" and not is_committee(request.user):
            kwargs["queryset"] = kept_alliances(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


def _reason(error):
    return " ".join(getattr(error, "messages", [str(error)]))


def _run(modeladmin, request, queryset, action, done_message):
    """Apply a service to each selected object; report what was done and what was refused."""
    done = 0
    for obj in queryset:
        try:
            action(obj)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            modeladmin.message_user(request, f"{obj}：{_reason(error)}", messages.WARNING)
    if done:
        modeladmin.message_user(request, done_message.format(n=done), messages.SUCCESS)


class RefusedSaveMixin:
    """What no form could see, such as another editor saving the same quarter's regular
    meeting a moment earlier, the service refuses in its transaction: the save is rolled
    back and the editor is sent back to the page with the reason, never a server error."""

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ValidationError as error:
            self.message_user(request, _reason(error), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ServiceAdmin(RefusedSaveMixin, AuditedModelAdmin):
    """An admin whose every save and delete is one call of a service, as in the workspace:
    save_model writes nothing, and save_related hands ``write`` the form and its inlines
    (``formset.save(commit=False)`` collects their new, changed and deleted rows). Deletes,
    one from the object's page or many from the changelist, each go through ``remove``."""

    def save_model(self, request, obj, form, change):
        pass

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            formset.save(commit=False)
        self.write(request, form, {formset.model: formset for formset in formsets})

    def delete_model(self, request, obj):
        self.remove(request, obj)

    @transaction.atomic
    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.remove(request, obj)


class FacilityInline(admin.TabularInline):
    model = Facility
    extra = 0


@admin.register(Building)
class BuildingAdmin(AuditedModelAdmin):
    # Meta.ordering is not applied to the GROUP BY query of get_queryset(): the autocomplete
    # would page through buildings in no fixed order.
    ordering = Building._meta.ordering
    list_display = ["name", "address", "facility_count"]
    search_fields = ["name", "address"]
    inlines = [FacilityInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(facility_total=Count("facilities"))

    @admin.display(description="功能室", ordering="facility_total")
    def facility_count(self, obj):
        return obj.facility_total


@admin.register(Branch)
class BranchAdmin(AuditedModelAdmin):
    list_display = ["name", "unit", "kind", "building", "member_count", "secretary_name", "contact"]
    list_filter = ["kind", "building"]
    list_select_related = ["building"]
    search_fields = ["name", "unit", "secretary_name"]
    autocomplete_fields = ["building"]


class MembershipFormSet(forms.BaseInlineFormSet):
    """The alliance page's member rows, checked and saved by the membership services; the
    rows of a new alliance entered as 申请成立 are its founders."""

    def edited(self):
        return [f for f in self.forms if f.has_changed() and not f.cleaned_data.get("DELETE")]

    def founders(self):
        rows = [form.instance for form in self.edited()]
        leads = [row.branch for row in rows if row.is_lead]
        return {"lead": leads[0] if len(leads) == 1 else None, "members": [r.branch for r in rows]}

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if self.instance.pk is None and self.instance.status == Alliance.Status.PROPOSED:
            services.check_founding(**self.founders())
        else:
            services.check_memberships(self.instance, [form.instance for form in self.edited()])

    def write(self, by):
        self.save(commit=False)
        alliance, edited = self.instance, self.edited()
        if alliance.pk is None:
            services.alliance_found(alliance=alliance, **self.founders(), reason="", by=by)
        elif edited or self.deleted_objects:
            services.memberships_save(
                alliance=alliance,
                memberships=[form.instance for form in edited],
                removed=self.deleted_objects,
                by=by,
            )


class MembershipInline(SafeChoicesMixin, admin.TabularInline):
    model = Membership
    formset = MembershipFormSet
    extra = 0
    fields = ["branch", "status", "is_lead", "rotation_order", "joined_on", "left_on"]
    autocomplete_fields = ["branch"]


class RuleInline(admin.StackedInline):
    model = AllianceRule
    extra = 0


@admin.register(Alliance)
class AllianceAdmin(KeptOnlyMixin, RefusedSaveMixin, AuditedModelAdmin):
    """The alliance as usual; its members through services.memberships_save, and a new
    alliance entered as 申请成立 through services.alliance_found with the rows as applicants."""

    alliance_path = None
    ordering = Alliance._meta.ordering  # as BuildingAdmin: kept in the GROUP BY query
    list_display = [
        "name",
        "position",
        "kind",
        "status",
        "building",
        "rotation",
        "member_total",
        "founded_on",
    ]
    list_filter = ["kind", "status", "rotation", "building"]
    list_select_related = ["building"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["building"]
    filter_horizontal = ["secretaries"]
    inlines = [MembershipInline, RuleInline]
    actions = ["approve_founding", "reject_founding"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "position", "kind", "status", "building", "rotation"]}),
        (
            "组织",
            {
                "fields": [
                    "founded_on",
                    "elected_on",
                    "term_years",
                    "non_establishment",
                    "dissolved_on",
                    "lead_secretary_name",
                    "description",
                ]
            },
        ),
        ("台账维护", {"fields": ["secretaries"]}),
    ]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(members=Count("memberships", filter=Q(memberships__status="active")))
        )

    @admin.display(description="成员单位", ordering="members")
    def member_total(self, obj):
        return obj.members

    def save_model(self, request, obj, form, change):
        if not change and obj.status == Alliance.Status.PROPOSED:
            return  # founded together with its applicants in save_related
        if change:
            # Fix the hosts of past periods under the old settings before anything changes.
            services.rotation_freeze(alliance=Alliance.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        for formset in formsets:
            if formset.model is Membership:
                formset.write(request.user)
        if form.instance.pk is None:  # 申请成立 without the members' inline: refused
            services.alliance_found(
                alliance=form.instance, lead=None, members=[], reason="", by=request.user
            )
        others = [formset for formset in formsets if formset.model is not Membership]
        super().save_related(request, form, others, change)

    def has_decide_permission(self, request):
        return is_committee(request.user)

    @admin.action(description="批准成立所选联盟", permissions=["decide"])
    def approve_founding(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda a: services.alliance_found_decide(alliance=a, approve=True, by=request.user),
            "已批准成立 {n} 个联盟。",
        )

    @admin.action(description="不批准成立所选联盟", permissions=["decide"])
    def reject_founding(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            lambda a: services.alliance_found_decide(
                alliance=a, approve=False, by=request.user, note="经审核，暂不予批准成立。"
            ),
            "已处理 {n} 个成立申请。",
        )


class MembershipForm(forms.ModelForm):
    def _post_clean(self):
        super()._post_clean()  # the form's values are on the instance from here
        if not self.errors:
            try:
                services.check_memberships(self.instance.alliance, [self.instance])
            except ValidationError as error:
                self.add_error(None, error)


@admin.register(Membership)
class MembershipAdmin(KeptOnlyMixin, ServiceAdmin):
    """Applications to join and the record of members. Adding one is an application (or,
    entered as 成员, one approved at once); a change of status is the decision it means;
    all through services.memberships_save, like the rows of the alliance's page."""

    form = MembershipForm
    list_display = ["branch", "alliance", "status", "is_lead", "joined_on", "left_on", "decided_by"]
    list_filter = ["status", "is_lead", "alliance"]
    list_select_related = ["branch", "alliance", "decided_by"]
    search_fields = ["branch__name", "branch__unit", "alliance__name"]
    autocomplete_fields = ["alliance", "branch"]
    readonly_fields = ["decided_by", "decided_at"]
    actions = ["approve", "reject", "leave"]

    def write(self, request, form, formsets):
        membership = form.instance
        services.memberships_save(
            alliance=membership.alliance, memberships=[membership], by=request.user
        )

    def remove(self, request, obj):
        services.memberships_save(alliance=obj.alliance, removed=[obj], by=request.user)

    def has_decide_permission(self, request):
        return is_committee(request.user)

    @admin.action(description="批准所选入盟申请", permissions=["decide"])
    def approve(self, request, queryset):
        _run(
            self,
            request,
            queryset.select_related("alliance", "branch"),
            lambda m: services.membership_approve(membership=m, by=request.user),
            "已批准 {n} 个入盟申请。",
        )

    @admin.action(description="不批准所选申请（理由取自“审批意见”）", permissions=["decide"])
    def reject(self, request, queryset):
        _run(
            self,
            request,
            queryset.select_related("alliance", "branch"),
            lambda m: services.membership_reject(
                membership=m, by=request.user, note=m.decision_note
            ),
            "已处理 {n} 个申请。",
        )

    @admin.action(description="所选成员单位今日退出联盟", permissions=["decide"])
    def leave(self, request, queryset):
        _run(
            self,
            request,
            queryset.select_related("alliance", "branch"),
            lambda m: services.membership_leave(membership=m, by=request.user),
            "{n} 个成员单位已退出。",
        )


class AttendanceFormSet(forms.BaseInlineFormSet):
    def attendance(self):
        """{branch id: head count} as this table leaves the record."""
        return {
            form.instance.branch_id: form.instance.head_count
            for form in self.forms
            if form.instance.branch_id and not form.cleaned_data.get("DELETE")
        }

    def guests(self):
        """{branch id: (guests, reason)}: the people beyond the branch's party members."""
        return {
            form.instance.branch_id: (form.instance.guests, form.instance.guests_reason)
            for form in self.forms
            if form.instance.branch_id and not form.cleaned_data.get("DELETE")
        }

    def clean(self):
        super().clean()
        if self.instance.alliance_id:  # else the record's own form says what is missing
            services.check_members(self.instance, self.attendance())
        # The rows changed here, as services.record_save checks them: shown on this page.
        changed = [
            form.instance
            for form in self.forms
            if form.has_changed()
            and form.instance.branch_id
            and not form.cleaned_data.get("DELETE")
        ]
        plausibility.check_attendance(
            {row.branch_id: row.branch for row in changed},
            {row.branch_id: row.head_count for row in changed},
            {row.branch_id: (row.guests, row.guests_reason) for row in changed},
        )


class AttendanceInline(SafeChoicesMixin, admin.TabularInline):
    model = Attendance
    formset = AttendanceFormSet
    extra = 0
    fields = ["branch", "head_count", "guests", "guests_reason"]
    autocomplete_fields = ["branch"]


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    fields = ["image", "caption", "position"]


class MeetingAttendanceInline(AttendanceInline):
    fk_name = "meeting"


class MeetingPhotoInline(PhotoInline):
    fk_name = "meeting"


class ActivityAttendanceInline(AttendanceInline):
    fk_name = "activity"


class ActivityPhotoInline(PhotoInline):
    fk_name = "activity"


class RecordAdmin(KeptOnlyMixin, ServiceAdmin):
    """Shared by meetings and activities: filters, no N+1, the rotation's host preselected.
    Saved with their attendance and photos by services.record_save, as in the workspace."""

    list_select_related = ["alliance", "host"]
    autocomplete_fields = ["alliance", "host"]
    date_hierarchy = "held_on"
    paginator = IdsFirstPaginator  # fifty thousand activities: deep pages as cheap as page 1
    search_fields = ["alliance__name", "venue"]

    def get_queryset(self, request):
        heads = selectors.head_count(self.attendance_field)
        return super().get_queryset(request).annotate(heads=heads)

    @admin.display(description="参加人数", ordering="heads")
    def head_count(self, obj):
        return obj.heads or 0

    def write(self, request, form, formsets):
        attendance, photos = formsets.get(Attendance), formsets.get(Photo)
        services.record_save(
            record=form.instance,
            attendance=attendance.attendance() if attendance else None,
            guests=attendance.guests() if attendance else None,
            photos=[*photos.new_objects, *(p for p, _ in photos.changed_objects)] if photos else [],
            removed_photos=photos.deleted_objects if photos else [],
            by=request.user,
        )

    def remove(self, request, obj):
        services.record_delete(record=obj, by=request.user)

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        alliance = Alliance.objects.filter(pk=initial.get("alliance") or None).first()
        if alliance:
            initial.setdefault("host", services.default_host(alliance, timezone.localdate()))
        return initial


@admin.register(JointMeeting)
class JointMeetingAdmin(RecordAdmin):
    form = MeetingAdminForm
    attendance_field = "meeting"
    list_display = ["held_on", "alliance", "year", "quarter", "is_regular", "host", "head_count"]
    list_filter = ["is_regular", "year", "quarter", "alliance"]
    inlines = [MeetingAttendanceInline, MeetingPhotoInline]


@admin.register(Activity)
class ActivityAdmin(RecordAdmin):
    form = ActivityAdminForm
    attendance_field = "activity"
    list_display = [
        "held_on",
        "title",
        "alliance",
        "line",
        "status",
        "is_central_study",
        "head_count",
    ]
    list_filter = ["line", "status", "is_central_study", "year", "quarter", "alliance"]
    search_fields = ["title", "alliance__name", "venue"]
    inlines = [ActivityAttendanceInline, ActivityPhotoInline]


@admin.register(Facility)
class FacilityAdmin(AuditedModelAdmin):
    list_display = ["name", "building", "kind", "capacity", "location"]
    list_filter = ["kind", "building"]
    list_select_related = ["building"]
    search_fields = ["name", "building__name"]


@admin.register(Booking)
class BookingAdmin(ServiceAdmin):
    list_display = ["facility", "branch", "alliance", "starts_at", "ends_at", "purpose"]
    list_filter = ["facility__building", "facility"]
    list_select_related = ["facility", "facility__building", "branch", "alliance"]
    autocomplete_fields = ["facility", "branch", "alliance"]
    date_hierarchy = "starts_at"

    def write(self, request, form, formsets):
        services.booking_save(booking=form.instance, by=request.user)

    def remove(self, request, obj):
        services.booking_delete(booking=obj, by=request.user)


@admin.register(AnnualPlan)
class AnnualPlanAdmin(KeptOnlyMixin, AuditedModelAdmin):
    list_display = ["alliance", "year", "liaison"]
    list_filter = ["year", "alliance"]
    list_select_related = ["alliance"]
    autocomplete_fields = ["alliance"]


@admin.register(PhaseReport)
class PhaseReportAdmin(KeptOnlyMixin, AuditedModelAdmin):
    list_display = ["alliance", "year", "phase", "activities_held", "participants", "submitted_at"]
    list_filter = ["phase", "year", "alliance"]
    list_select_related = ["alliance"]
    autocomplete_fields = ["alliance"]


@admin.register(RotationSlot)
class RotationSlotAdmin(ReadOnlyAdmin):
    """The fixed history of who hosted which period."""

    list_display = ["alliance", "starts_on", "host"]
    list_filter = ["alliance"]
    list_select_related = ["alliance", "host"]


class PublicPhotoInline(admin.TabularInline):
    model = PublicPhoto
    fields = ["photo", "alt", "position"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(PublicVersion)
class PublicVersionAdmin(KeptOnlyMixin, ReadOnlyAdmin):
    """The audit of 先审后发: who proposed what and who decided. Decisions are taken in the
    workspace's review queue (/workspace/review/), through alliances.publishing only."""

    list_display = [
        "title",
        "alliance",
        "record_label",
        "held_on",
        "status",
        "proposed_by",
        "proposed_at",
        "reviewed_by",
        "reviewed_at",
    ]
    list_filter = ["status", "alliance"]
    list_select_related = [
        "alliance",
        "meeting__alliance",
        "activity",
        "proposed_by",
        "reviewed_by",
    ]
    search_fields = ["title", "text", "review_note"]
    date_hierarchy = "proposed_at"
    fields = [
        "alliance",
        "meeting",
        "activity",
        "title",
        "held_on",
        "text",
        "status",
        "proposed_by",
        "proposed_at",
        "reviewed_by",
        "reviewed_at",
        "review_note",
    ]
    readonly_fields = fields
    inlines = [PublicPhotoInline]

    @admin.display(description="记录")
    def record_label(self, obj):
        return f"{obj.record._meta.verbose_name}：{obj.record}"
