"""The portal's item of the admin index's work list (templates/admin/index.html): 网站纠错
reports from readers waiting to be handled."""

from django import template
from django.urls import reverse

from ..models import ErrorReport

register = template.Library()


@register.inclusion_tag("admin/worklist_items.html", takes_context=True)
def portal_worklist(context):
    if not context["request"].user.has_perm("portal.change_errorreport"):
        return {"items": []}
    item = {
        "name": "error_reports",
        "label": "网站纠错",
        "count": ErrorReport.objects.filter(status=ErrorReport.Status.OPEN).count(),
        "url": reverse("admin:portal_errorreport_changelist") + "?status__exact=open",
        "hint": "读者报告的页面错误，处理后写明处理说明",
    }
    return {"items": [item]}
