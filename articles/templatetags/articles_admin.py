"""The admin index's work list (待办): what waits on the person looking, each a count and a
link to the list that shows it. Other apps add their items with a tag of their own that
renders the same ``admin/worklist_items.html``."""

from dataclasses import dataclass

from django import template
from django.urls import reverse

from ..selectors import article_worklist, freshness_counts

register = template.Library()


@dataclass
class Item:
    name: str  # for tests and styles
    label: str
    count: int
    url: str
    hint: str = ""


@register.inclusion_tag("admin/worklist_items.html", takes_context=True)
def articles_worklist(context):
    user = context["request"].user
    items = []
    if user.has_perm("articles.view_article"):
        items += _article_items(user)
    if user.has_perm("articles.view_category"):
        items += _section_items()
    return {"items": items}


def _article_items(user):
    counts = article_worklist(user)
    articles = reverse("admin:articles_article_changelist")
    wanted = []
    if user.has_perm("articles.publish_article"):
        wanted.append(("review", "待审核", "?status__exact=review", "等您审核的文章"))
    if user.has_perm("articles.final_review_article"):
        wanted.append(("final_review", "待终审", "?status__exact=final", "初审已通过，等终审发布"))
    if user.has_perm("articles.add_article"):
        wanted += [
            ("returned", "被退回", "?status__exact=returned&mine=1", "我的文章，按退回意见修改"),
            ("drafts", "我的草稿", "?status__exact=draft&mine=1", "还没有提交审核"),
        ]
    wanted.append(("scheduled", "定时发布", "?scheduled=week", "7天内将自动发布"))
    return [
        Item(name, label, counts[name], articles + query, hint)
        for name, label, query, hint in wanted
    ]


def _section_items():
    counts = freshness_counts()
    sections = reverse("admin:articles_category_changelist")
    return [
        Item("empty", "空白栏目", counts["empty"], f"{sections}?freshness=empty", "没有已发布内容"),
        Item("stale", "超期栏目", counts["stale"], f"{sections}?freshness=stale", "超过更新时限"),
    ]
