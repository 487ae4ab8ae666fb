from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, Sum
from django.utils import timezone

from portal.admin import AuditedModelAdmin, ReadOnlyAdmin

from . import services
from .access import is_committee, kept_alliances
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


def _run(modeladmin, request, queryset, action, done_message):
    """Apply a service to each selected object; report what was done and what was refused."""
    done = 0
    for obj in queryset:
        try:
            action(obj)
            done += 1
        except (ValidationError, PermissionDenied) as error:
            text = " ".join(getattr(error, "messages", [str(error)]))
            modeladmin.message_user(request, f"{obj}：{text}", messages.WARNING)
    if done:
        modeladmin.message_user(request, done_message.format(n=done), messages.SUCCESS)


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


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    fields = ["branch", "status", "is_lead", "rotation_order", "joined_on", "left_on"]
    autocomplete_fields = ["branch"]


class RuleInline(admin.StackedInline):
    model = AllianceRule
    extra = 0


@admin.register(Alliance)
class AllianceAdmin(KeptOnlyMixin, AuditedModelAdmin):
    alliance_path = None
    ordering = Alliance._meta.ordering  # as BuildingAdmin: kept in the GROUP BY query
    list_display = ["name", "kind", "status", "building", "rotation", "member_total", "founded_on"]
    list_filter = ["kind", "status", "rotation", "building"]
    list_select_related = ["building"]
    search_fields = ["name", "slug"]
    autocomplete_fields = ["building"]
    filter_horizontal = ["secretaries"]
    inlines = [MembershipInline, RuleInline]
    actions = ["approve_founding", "reject_founding"]
    fieldsets = [
        (None, {"fields": ["name", "slug", "kind", "status", "building", "rotation"]}),
        (
            "组织",
            {
                "fields": [
                    "founded_on",
                    "elected_on",
                    "term_years",
                    "non_establishment",
                    "dissolved_on",
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
        if change:
            # Fix the hosts of past periods under the old settings before anything changes.
            services.rotation_freeze(alliance=Alliance.objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)

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


@admin.register(Membership)
class MembershipAdmin(KeptOnlyMixin, AuditedModelAdmin):
    """Applications to join and the record of members; decisions go through the services."""

    list_display = ["branch", "alliance", "status", "is_lead", "joined_on", "left_on", "decided_by"]
    list_filter = ["status", "is_lead", "alliance"]
    list_select_related = ["branch", "alliance", "decided_by"]
    search_fields = ["branch__name", "branch__unit", "alliance__name"]
    autocomplete_fields = ["alliance", "branch"]
    readonly_fields = ["decided_by", "decided_at"]
    actions = ["approve", "reject", "leave"]

    def save_model(self, request, obj, form, change):
        services.rotation_freeze(alliance=obj.alliance)
        super().save_model(request, obj, form, change)

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


class AttendanceInline(admin.TabularInline):
    model = Attendance
    extra = 0
    fields = ["branch", "head_count"]
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


class RecordAdmin(KeptOnlyMixin, AuditedModelAdmin):
    """Shared by meetings and activities: filters, no N+1, the rotation's host preselected."""

    list_select_related = ["alliance", "host"]
    autocomplete_fields = ["alliance", "host"]
    date_hierarchy = "held_on"
    search_fields = ["alliance__name", "venue"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(heads=Sum("attendance__head_count"))

    @admin.display(description="参加人数", ordering="heads")
    def head_count(self, obj):
        return obj.heads or 0

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        alliance = Alliance.objects.filter(pk=initial.get("alliance") or None).first()
        if alliance:
            initial.setdefault("host", services.default_host(alliance, timezone.localdate()))
        return initial


@admin.register(JointMeeting)
class JointMeetingAdmin(RecordAdmin):
    list_display = ["held_on", "alliance", "year", "quarter", "is_regular", "host", "head_count"]
    list_filter = ["is_regular", "year", "quarter", "alliance"]
    inlines = [MeetingAttendanceInline, MeetingPhotoInline]


@admin.register(Activity)
class ActivityAdmin(RecordAdmin):
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
class BookingAdmin(AuditedModelAdmin):
    list_display = ["facility", "branch", "starts_at", "ends_at", "purpose"]
    list_filter = ["facility__building", "facility"]
    list_select_related = ["facility", "facility__building", "branch"]
    autocomplete_fields = ["facility", "branch"]
    date_hierarchy = "starts_at"


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
