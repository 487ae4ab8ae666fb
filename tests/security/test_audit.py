"""The audit trail: every change by editors, reviewers and secretaries, readable by committee
staff in the admin, by nobody else, and changeable by nobody."""

import uuid
from datetime import date

import pytest
import time_machine
from django.urls import reverse

from articles.models import Article
from portal.models import AuditEntry
from tests.factories import (
    AllianceFactory,
    ArticleFactory,
    BranchFactory,
    MembershipFactory,
    UserFactory,
)

AUDIT_LIST = reverse("admin:portal_auditentry_changelist")


def article_form(article, **changes):
    return {
        "title": article.title,
        "category": article.category_id,
        "kind": article.kind,
        "status": article.status,
        "published_at_0": "",
        "published_at_1": "",
        "summary": article.summary,
        "body": article.body,
        "source": "",
        "author": "",
        "submitting_unit": "",
        "cover_alt": "",
        "video_url": "",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        **changes,
    }


@pytest.fixture
def secretary(db):
    alliance = AllianceFactory(name="甲联盟", slug="a", founded_on=date(2025, 1, 1))
    lead = MembershipFactory(alliance=alliance, is_lead=True, branch=BranchFactory(unit="审计局"))
    user = UserFactory(username="sec-a", first_name="甲联盟联络员")
    alliance.secretaries.add(user)
    return user, lead.branch


@pytest.fixture
def three_changes(client, editor, reviewer, secretary, subsection):
    """An editor edits a draft, a reviewer publishes it, a secretary logs a meeting."""
    draft = ArticleFactory(
        category=subsection, title="草稿", status=Article.Status.DRAFT, published_at=None
    )
    client.force_login(editor)
    response = client.post(
        reverse("admin:articles_article_change", args=[draft.pk]),
        article_form(draft, title="编辑改过的标题"),
    )
    assert response.status_code == 302

    client.force_login(reviewer)
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    assert response.status_code == 302

    user, host = secretary
    client.force_login(user)
    with time_machine.travel(date(2025, 8, 20), tick=False):
        response = client.post(
            reverse("workspace:meeting_new", args=["a"]),
            {
                "held_on": "2025-08-12",
                "is_regular": "on",
                "venue": "三楼活动室",
                "host": host.pk,
                "topics": "研究第三季度工作",
                "decisions": "九月开展志愿服务",
                f"heads_{host.pk}": "6",
                "form_token": str(uuid.uuid4()),
            },
        )
    assert response.status_code == 302, response.content.decode()
    client.logout()
    return draft


def test_edit_publish_and_meeting_each_leave_an_entry_with_who_and_what(three_changes):
    entries = list(AuditEntry.objects.order_by("pk").values_list("user__username", "action"))
    assert entries == [
        ("editor", "article.change"),
        ("reviewer", "article.published"),
        ("sec-a", "jointmeeting.add"),
    ]
    edit = AuditEntry.objects.get(action="article.change")
    assert edit.object_id == str(three_changes.pk) and "编辑改过的标题" in edit.summary


def test_committee_staff_read_the_whole_trail_and_filter_it_by_user(
    client, committee, editor, three_changes
):
    client.force_login(committee)
    page = client.get(AUDIT_LIST)
    assert page.status_code == 200
    listed = [entry.action for entry in page.context["cl"].result_list]
    assert sorted(listed) == ["article.change", "article.published", "jointmeeting.add"]

    only_editor = client.get(AUDIT_LIST, {"user__id__exact": editor.pk})
    assert [e.user for e in only_editor.context["cl"].result_list] == [editor]
    searched = client.get(AUDIT_LIST, {"q": "sec-a"})
    assert [e.action for e in searched.context["cl"].result_list] == ["jointmeeting.add"]

    entry = AuditEntry.objects.get(action="article.published")
    detail = client.get(reverse("admin:portal_auditentry_change", args=[entry.pk]))
    assert detail.status_code == 200 and "reviewer" in detail.content.decode()


def test_nobody_can_change_or_delete_an_entry_from_the_admin(client, superuser, three_changes):
    client.force_login(superuser)
    entry = AuditEntry.objects.first()
    change_url = reverse("admin:portal_auditentry_change", args=[entry.pk])
    assert client.post(change_url, {"summary": "改写历史"}).status_code == 403
    delete_url = reverse("admin:portal_auditentry_delete", args=[entry.pk])
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    entry.refresh_from_db()
    assert entry.summary != "改写历史"


def test_a_secretary_cannot_see_the_audit_list(client, secretary, three_changes):
    client.force_login(secretary[0])
    response = client.get(AUDIT_LIST)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_an_editor_cannot_see_the_audit_list(client, editor):
    client.force_login(editor)
    assert client.get(AUDIT_LIST).status_code == 403


def test_deleting_an_article_in_the_admin_is_recorded(client, reviewer, article):
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:articles_article_delete", args=[article.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="article.delete")
    assert entry.user == reviewer and article.title in entry.summary


def test_renaming_a_section_in_the_admin_is_recorded_with_the_changed_field(
    client, reviewer, subsection
):
    client.force_login(reviewer)
    response = client.post(
        reverse("admin:articles_category_change", args=[subsection.pk]),
        {
            "name": "机关党建工作",
            "slug": subsection.slug,
            "parent": subsection.parent_id,
            "position": subsection.position,
            "column_type": subsection.column_type,
            "description": "",
            **({"show_in_nav": "on"} if subsection.show_in_nav else {}),
            **({"is_topic": "on"} if subsection.is_topic else {}),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action="category.change")
    assert entry.user == reviewer and entry.data["fields"] == ["name"]


def test_creating_a_user_and_a_role_in_the_admin_is_recorded(client, superuser):
    client.force_login(superuser)
    weak = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newstaff", "password1": "onlylowercase", "password2": "onlylowercase"},
    )
    assert weak.status_code == 200
    assert "至少 3 种" in weak.content.decode()  # the password rule, in the admin form

    response = client.post(
        reverse("admin:auth_user_add"),
        {"username": "newstaff", "password1": "Dangjian-2025x", "password2": "Dangjian-2025x"},
    )
    assert response.status_code == 302
    response = client.post(reverse("admin:auth_group_add"), {"name": "临时组"})
    assert response.status_code == 302
    entries = AuditEntry.objects.order_by("pk").values_list("user__username", "action")
    assert list(entries) == [("root", "user.add"), ("root", "group.add")]
