"""The publishing rules: who may publish, scheduled publication, the unforgeable first date."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article
from tests.factories import ArticleFactory

Status = Article.Status


@pytest.fixture
def draft(subsection):
    return ArticleFactory(
        category=subsection, title="待发布的文章", status=Status.DRAFT, published_at=None
    )


def admin_change_url(article):
    return reverse("admin:articles_article_change", args=[article.pk])


def form_data(article, **changes):
    data = {
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
    }
    if article.published_at:
        local = timezone.localtime(article.published_at)
        data["published_at_0"] = f"{local:%Y-%m-%d}"
        data["published_at_1"] = f"{local:%H:%M:%S}"
    data.update(changes)
    return data


def test_reviewer_publishes_from_the_form_with_the_date_left_empty(client, draft, reviewer):
    client.force_login(reviewer)
    before = timezone.now().replace(microsecond=0)  # publish times are kept to the second
    response = client.post(admin_change_url(draft), form_data(draft, status=Status.PUBLISHED))
    assert response.status_code == 302, response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.published_at >= before and draft.first_published_at == draft.published_at


def test_editor_cannot_publish_through_the_service(draft, editor):
    with pytest.raises(PermissionDenied):
        services.article_move(article=draft, to=Status.PUBLISHED, by=editor)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_editor_can_submit_for_review_and_reviewer_can_publish(draft, editor, reviewer):
    services.article_move(article=draft, to=Status.REVIEW, by=editor)
    services.article_move(article=draft, to=Status.PUBLISHED, by=reviewer)
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED
    assert draft.is_public
    assert draft.first_published_at == draft.published_at
    assert [h.history_change_reason for h in draft.history.order_by("history_date")][-2:] == [
        "提交审核",
        "发布",
    ]
    assert draft.history.latest().history_user == reviewer


def test_editor_cannot_publish_with_the_admin_action(client, draft, editor):
    client.force_login(editor)
    response = client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    # Django refuses an action the user has no permission for: it is not even offered.
    assert response.status_code in (200, 302)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_editor_cannot_publish_with_a_forged_status_in_the_admin_form(client, draft, editor):
    client.force_login(editor)
    response = client.post(admin_change_url(draft), form_data(draft, status=Status.PUBLISHED))
    assert response.status_code == 200  # the form comes back with an error
    assert "status" in response.context["adminform"].form.errors
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_reviewer_publishes_with_the_admin_action(client, draft, reviewer):
    client.force_login(reviewer)
    client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [draft.pk]},
    )
    draft.refresh_from_db()
    assert draft.status == Status.PUBLISHED


def test_editor_cannot_change_a_published_article(client, article, editor):
    client.force_login(editor)
    page = client.get(admin_change_url(article))
    assert page.status_code == 200
    assert not page.context["has_change_permission"]  # view only
    response = client.post(admin_change_url(article), form_data(article, title="篡改"))
    assert response.status_code == 403
    article.refresh_from_db()
    assert article.title != "篡改"


def test_first_publication_cannot_be_backdated(draft, reviewer):
    draft.published_at = timezone.now() - timedelta(days=30)
    services.article_move(article=draft, to=Status.PUBLISHED, by=reviewer)
    draft.refresh_from_db()
    assert draft.published_at > timezone.now() - timedelta(minutes=1)
    assert draft.first_published_at == draft.published_at


def test_published_date_cannot_be_moved_before_first_publication(client, article, reviewer):
    first = article.first_published_at
    client.force_login(reviewer)
    earlier = form_data(article)
    earlier["published_at_0"] = f"{timezone.localtime(first) - timedelta(days=3):%Y-%m-%d}"
    response = client.post(admin_change_url(article), earlier)
    assert response.status_code == 200
    assert "published_at" in response.context["adminform"].form.errors
    article.refresh_from_db()
    assert article.published_at == first


def test_the_database_refuses_a_date_before_first_publication(article):
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(
            published_at=article.first_published_at - timedelta(seconds=1)
        )


def test_withdraw_and_republish_keeps_the_first_publication_time(article, reviewer):
    first = article.first_published_at
    services.article_move(article=article, to=Status.WITHDRAWN, by=reviewer)
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        services.article_move(article=article, to=Status.PUBLISHED, by=reviewer)
    article.refresh_from_db()
    assert article.first_published_at == first
    assert article.published_at == first


def test_scheduled_article_appears_at_its_time_without_cron(client, draft, reviewer):
    at = timezone.now() + timedelta(hours=3)
    draft.published_at = at
    services.article_move(article=draft, to=Status.PUBLISHED, by=reviewer)
    assert client.get(draft.get_absolute_url()).status_code == 404
    with time_machine.travel(at + timedelta(minutes=1)):
        assert client.get(draft.get_absolute_url()).status_code == 200
        assert draft.title in client.get(draft.category.get_absolute_url()).content.decode()


def test_rescheduling_before_going_live_moves_the_first_publication_too(draft, reviewer):
    draft.published_at = timezone.now() + timedelta(days=3)
    services.article_move(article=draft, to=Status.PUBLISHED, by=reviewer)
    draft.published_at = timezone.now() + timedelta(days=1)
    services.article_save(article=draft, by=reviewer)
    draft.refresh_from_db()
    assert draft.first_published_at == draft.published_at


def test_only_reviewers_pin(article, editor, reviewer):
    with pytest.raises(PermissionDenied):
        services.article_set_pinned(article=article, pinned=True, by=editor)
    services.article_set_pinned(article=article, pinned=True, by=reviewer)
    article.refresh_from_db()
    assert article.pinned


def test_admin_edit_is_recorded_in_history_and_can_be_rolled_back(client, article, reviewer):
    client.force_login(reviewer)
    original = article.title
    client.post(admin_change_url(article), form_data(article, title="改过的标题"))
    article.refresh_from_db()
    assert article.title == "改过的标题"
    record = article.history.latest()
    assert record.history_user == reviewer
    old = article.history.earliest()
    revert_url = reverse("admin:articles_article_simple_history", args=[article.pk, old.history_id])
    response = client.post(revert_url, form_data(article, title=original))
    assert response.status_code == 302
    article.refresh_from_db()
    assert article.title == original


def test_every_publishing_step_writes_an_audit_entry(draft, editor, reviewer):
    from portal.models import AuditEntry

    services.article_move(article=draft, to=Status.REVIEW, by=editor)
    services.article_move(article=draft, to=Status.PUBLISHED, by=reviewer)
    services.article_set_pinned(article=draft, pinned=True, by=reviewer)
    entries = list(AuditEntry.objects.order_by("pk").values_list("user__username", "action"))
    assert entries == [
        ("editor", "article.review"),
        ("reviewer", "article.published"),
        ("reviewer", "article.pin"),
    ]


def test_admin_article_form_loads_ckeditor_before_the_upload_hook(client, editor):
    client.force_login(editor)
    page = client.get(reverse("admin:articles_article_add")).content.decode()
    assert 'data-type="ckeditortype"' in page
    assert page.index("ckeditor/ckeditor/ckeditor.js") < page.index("js/editor.js")
    assert '"removePlugins": "exportpdf,scayt,forms,iframe,templates,sourcearea' in page.replace(
        "&quot;", '"'
    )
