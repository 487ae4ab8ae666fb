import dataclasses

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connections, models
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from simple_history.template_utils import HistoricalRecordContextHelper

from . import audit
from .models import AuditEntry, ErrorReport, FriendlyLink, SiteSettings
from .richtext import RichTextField, html_to_text

admin.site.site_header = "党建网管理后台"
admin.site.site_title = "党建网管理后台"
admin.site.index_title = "内容管理"


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record of what happened: listed and viewed, never added, changed or deleted here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: an audit trail nobody can edit, not even a superuser from the admin."""

    list_display = ["at", "user", "action", "summary", "object_repr"]
    list_filter = [
        ("user", admin.RelatedOnlyFieldListFilter),
        "action",
        "content_type",
        ("at", admin.DateFieldListFilter),
    ]
    list_select_related = ["user", "content_type"]
    search_fields = ["summary", "object_repr", "user__username", "user__first_name"]
    date_hierarchy = "at"
    readonly_fields = [f.name for f in AuditEntry._meta.fields]


def _could_be_a_key(field, value, using):
    """Whether ``value`` is a possible value of the key ``field``, as the database can hold
    it: Django's admin widgets query with what was sent."""
    try:
        value = field.to_python(value)
    except ValidationError:
        return False
    kind = field.get_internal_type()
    if isinstance(value, int) and kind.endswith(("IntegerField", "AutoField")):
        low, high = connections[using].ops.integer_field_range(kind)
        return (low is None or value >= low) and (high is None or value <= high)
    return True


class _KnownValuesOnly:
    """An autocomplete widget that leaves out sent values no row can have ('abc', an id of
    thirty digits) instead of querying with them (a 500 in Django's widget)."""

    def optgroups(self, name, value, attr=None):
        key, using = self.field.target_field, self.db or "default"
        value = [v for v in value if _could_be_a_key(key, v, using)]
        return super().optgroups(name, value, attr)


class SafeAutocompleteSelect(_KnownValuesOnly, AutocompleteSelect):
    pass


class SafeAutocompleteSelectMultiple(_KnownValuesOnly, AutocompleteSelectMultiple):
    pass


class SafeModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Several choices, an impossible id refused as a choice instead of sent to the database."""

    def _check_values(self, value):
        opts = self.queryset.model._meta
        key = opts.get_field(self.to_field_name) if self.to_field_name else opts.pk
        for pk in value:
            if not isinstance(pk, str | int) or not _could_be_a_key(key, pk, self.queryset.db):
                raise ValidationError(
                    self.error_messages["invalid_choice"],
                    code="invalid_choice",
                    params={"value": pk},
                )
        return super()._check_values(value)


class SafeChoicesMixin:
    """For a ModelAdmin or an inline: junk sent in a choice of rows is a form error."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelect(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = SafeAutocompleteSelectMultiple(
                db_field, self.admin_site, using=kwargs.get("using")
            )
        kwargs.setdefault("form_class", SafeModelMultipleChoiceField)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


VERBS = {"add": "新增", "change": "修改", "delete": "删除"}


class AuditedModelAdmin(SafeChoicesMixin, admin.ModelAdmin):
    """Every add, change and delete made in this admin is written to the audit trail."""

    def _record(self, request, obj, verb, **data):
        opts = obj._meta
        what = getattr(request, "restoring", "") or VERBS[verb]
        audit.record(
            by=request.user,
            action=f"{opts.model_name}.{verb}",
            obj=obj,
            summary=f"{what}{opts.verbose_name}“{obj}”",
            **data,
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        self._record(request, obj, "change" if change else "add", fields=form.changed_data)

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        inlines = [fs.model._meta.verbose_name for fs in formsets if fs.has_changed()]
        if change and inlines:
            self._record(request, form.instance, "change", inlines=inlines)

    def delete_model(self, request, obj):
        self._record(request, obj, "delete")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self._record(request, obj, "delete")
        super().delete_queryset(request, queryset)


def local_time(value):
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}"


class ReadableHistory(HistoricalRecordContextHelper):
    """A change as the editor sees it in the form: the label of a choice (草稿, not draft),
    the name of a related record, 是 / 否, times in the site's time zone, text of rich text."""

    # The row already says who and when.
    HIDDEN = {"updated_at", "updated_by"}

    def context_for_delta_changes(self, delta):
        shown = [change for change in delta.changes if change.field not in self.HIDDEN]
        return super().context_for_delta_changes(dataclasses.replace(delta, changes=shown))

    def prepare_delta_change_value(self, change, value):
        field = self.model._meta.get_field(change.field)
        if value is None or value == "":
            return "（空）"
        if field.choices:
            return dict(field.flatchoices).get(value, value)
        if isinstance(field, models.BooleanField):
            return "是" if value else "否"
        if isinstance(field, models.DateTimeField):
            return local_time(value)
        if isinstance(field, RichTextField):
            return html_to_text(value)
        if field.is_relation and not isinstance(value, models.Model):
            return "（已删除）"
        return super().prepare_delta_change_value(change, value)


class HistoryAdmin(SimpleHistoryAdmin):
    """django-simple-history's pages, in the words of the form: see ReadableHistory and
    templates/simple_history/.

    Its page of an old version saves what is posted to it after checking only that the user
    may *view* the history. Restoring a version is a change: here it needs the right to
    change the record as it is now (an editor may view sections and published articles, not
    change them). A restore is named so in the history and the audit trail
    ("恢复到 2026-12-01 10:00 的版本"): ``restoring(request)``."""

    def get_historical_record_context_helper(self, request, historical_record):
        return ReadableHistory(self.model, historical_record)

    def history_view_title(self, request, obj):
        return f"修改记录：{obj}"

    def history_form_view_title(self, request, obj):
        verb = "查看旧版本" if self.revert_disabled(request, obj) else "查看或恢复旧版本"
        return f"{verb}：{obj}"

    def _check_keys(self, **keys):
        """A 404, not a 500, for an address with an id no row can have ('abc', 30 digits)."""
        history = self.model.history.model
        for name, value in keys.items():
            if not _could_be_a_key(history._meta.get_field(name), value, history.objects.db):
                raise Http404

    def history_view(self, request, object_id, extra_context=None):
        self._check_keys(**{self.model._meta.pk.attname: unquote(object_id)})
        return super().history_view(request, object_id, extra_context)

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        keys = {self.model._meta.pk.attname: unquote(object_id), "history_id": version_id}
        self._check_keys(**keys)
        version = get_object_or_404(self.model.history.model, **keys)
        if request.method == "POST":
            current = self.get_object(request, unquote(object_id))
            if current is None or not self.has_change_permission(request, current):
                raise PermissionDenied("没有修改这条记录的权限，不能恢复旧版本。")
            request.restoring = f"恢复到 {local_time(version.history_date)} 的版本"
        extra_context = {**(extra_context or {}), "version": version}
        return super().history_form_view(request, object_id, version_id, extra_context)

    def restoring(self, request):
        """The reason of a save that restores an old version, or ""."""
        return getattr(request, "restoring", "")


@admin.register(SiteSettings)
class SiteSettingsAdmin(AuditedModelAdmin, HistoryAdmin):
    """One record: the list page goes straight to it."""

    fieldsets = [
        (
            "网站",
            {
                "fields": [
                    "site_name",
                    "site_domain",
                    "site_id_code",
                    "description",
                    "default_source",
                ]
            },
        ),
        ("页脚", {"fields": ["host_organization", "organizer", "phone", "email", "address"]}),
        (
            "备案与标识",
            {"fields": ["icp_number", "police_number", "conac_id", "conac_image"]},
        ),
        ("网站纠错", {"fields": ["error_report_url"]}),
    ]

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        SiteSettings.load()
        return redirect(reverse("admin:portal_sitesettings_change", args=[1]))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(FriendlyLink)
class FriendlyLinkAdmin(AuditedModelAdmin):
    list_display = ["name", "url", "position", "is_active"]
    list_editable = ["position", "is_active"]
    search_fields = ["name", "url"]


@admin.register(ErrorReport)
class ErrorReportAdmin(AuditedModelAdmin):
    """The committee's queue of 网站纠错: what readers sent is read-only; staff set the status
    and write the reply, and who handled it and when are stamped."""

    list_display = ["created_at", "short_description", "page_link", "status", "handled_by"]
    list_filter = ["status", ("created_at", admin.DateFieldListFilter)]
    list_select_related = ["handled_by"]
    search_fields = ["description", "page_url", "contact", "reply"]
    date_hierarchy = "created_at"
    fields = [
        "page_link",
        "description",
        "contact",
        "created_at",
        "status",
        "reply",
        "handled_by",
        "handled_at",
    ]
    readonly_fields = [
        "page_link",
        "description",
        "contact",
        "created_at",
        "handled_by",
        "handled_at",
    ]

    @admin.display(description="问题描述")
    def short_description(self, obj):
        return str(obj)

    @admin.display(description="页面地址", ordering="page_url")
    def page_link(self, obj):
        if not obj.page_url:
            return "（未填写）"
        return format_html(
            '<a href="{}" target="_blank" rel="noopener">{}</a>', obj.page_url, obj.page_url
        )

    def has_add_permission(self, request):
        return False  # reports come from readers, through the form on the site

    def save_model(self, request, obj, form, change):
        if obj.status == ErrorReport.Status.HANDLED and "status" in form.changed_data:
            obj.handled_by, obj.handled_at = request.user, timezone.now()
        elif obj.status == ErrorReport.Status.OPEN:
            obj.handled_by = obj.handled_at = None
        super().save_model(request, obj, form, change)


# Who made whom a user, staff or a member of a role belongs in the trail too.
admin.site.unregister(get_user_model())
admin.site.unregister(Group)


@admin.register(get_user_model())
class AuditedUserAdmin(AuditedModelAdmin, UserAdmin):
    pass


@admin.register(Group)
class AuditedGroupAdmin(AuditedModelAdmin, GroupAdmin):
    pass
