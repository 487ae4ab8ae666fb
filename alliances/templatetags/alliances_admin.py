"""The alliances' item of the admin index's work list (templates/admin/index.html): public
versions proposed by secretaries, waiting for committee staff in the workspace."""

from django import template
from django.urls import reverse

from articles.templatetags.articles_admin import Item

from ..access import is_committee
from ..models import PublicVersion

register = template.Library()


@register.inclusion_tag("admin/worklist_items.html", takes_context=True)
def alliances_worklist(context):
    user = context["request"].user
    if not is_committee(user):
        return {"items": []}
    pending = PublicVersion.objects.filter(status=PublicVersion.Status.PENDING).count()
    return {
        "items": [
            Item(
                "proposals",
                "联盟公开申请",
                pending,
                reverse("workspace:review"),
                "联盟记录的公开版本，在工作台审核",
            )
        ]
    }
