"""The editorial workflow as an editor and a reviewer live it in the admin: send back with a
comment (退回修改), what waits on whom on the admin index, 二审 in chosen sections, and a
history that reads as the form does."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from articles import services
from articles.models import Article, Category
from portal.models import AuditEntry
from tests.articles.test_publishing import admin_change_url, form_data
from tests.factories import ArticleFactory, CategoryFactory, StaffFactory

Status = Article.Status
INDEX = reverse("admin:index")
ARTICLES = reverse("admin:articles_article_changelist")
COMMENT = "请补充活动时间和参加人数，标题不要用简称。"


def worklist(client):
    """{item: count} as the admin index shows them."""
    page = client.get(INDEX)
    assert page.status_code == 200
    found = re.findall(
        r'data-worklist="(\w+)">\s*<a href="[^"]*">\s*<span class="worklist-count">(\d+)<',
        page.content.decode(),
    )
    return {name: int(count) for name, count in found}


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def desk(editor, reviewer):
    """The editor's and the reviewer's browsers."""
    return logged_in(editor), logged_in(reviewer)


@pytest.fixture
def final_reviewer(db):
    return StaffFactory(username="final", groups=["终审"])


@pytest.fixture
def speeches(db):
    """领导讲话: a section that needs 二审."""
    return CategoryFactory(name="领导讲话", slug="ldjh", needs_final_review=True)


def new_article_form(category, **changes):
    draft = Article(title="机关党建观摩会召开", category=category, summary="观摩交流。")
    draft.body = "<p>各单位交流了做法。</p>"
    return form_data(draft, status=Status.DRAFT, **changes)


def save(client, article, **changes):
    article.refresh_from_db()
    return client.post(admin_change_url(article), form_data(article, **changes))


def test_editor_and_reviewer_pass_an_article_back_and_forth_and_the_index_counts_along(
    desk, subsection
):
    editor, reviewer = desk
    assert worklist(editor).items() >= {"returned": 0, "drafts": 0, "scheduled": 0}.items()
    assert "review" not in worklist(editor)
    assert worklist(reviewer)["review"] == 0

    response = editor.post(reverse("admin:articles_article_add"), new_article_form(subsection))
    assert response.status_code == 302
    article = Article.objects.get(title="机关党建观摩会召开")
    assert worklist(editor)["drafts"] == 1

    assert save(editor, article, status=Status.REVIEW).status_code == 302
    assert worklist(editor)["drafts"] == 0
    assert worklist(reviewer)["review"] == 1

    response = save(reviewer, article, status=Status.RETURNED, review_comment=COMMENT)
    assert response.status_code == 302
    assert worklist(reviewer)["review"] == 0
    assert worklist(editor)["returned"] == 1

    # The editor finds it from the index, and reads the comment in the list and on the form.
    listed = editor.get(ARTICLES + "?status__exact=returned&mine=1").content.decode()
    assert "机关党建观摩会召开" in listed and COMMENT in listed
    form = editor.get(admin_change_url(article)).content.decode()
    assert COMMENT in form and "退回意见" in form

    response = save(editor, article, title="机关党建观摩交流会召开", status=Status.REVIEW)
    assert response.status_code == 302
    assert worklist(editor)["returned"] == 0
    assert worklist(reviewer)["review"] == 1
    article.refresh_from_db()
    assert article.review_comment == ""  # answered; the history keeps it
    assert article.history.filter(review_comment=COMMENT).exists()

    assert save(reviewer, article, status=Status.PUBLISHED).status_code == 302
    assert worklist(reviewer)["review"] == 0
    assert worklist(editor).items() >= {"returned": 0, "drafts": 0, "scheduled": 0}.items()
    article.refresh_from_db()
    assert article.is_public


def test_sending_back_without_a_comment_is_a_form_error_and_changes_nothing(desk, subsection):
    _, reviewer = desk
    article = ArticleFactory(category=subsection, status=Status.REVIEW, published_at=None)
    history = article.history.count()
    response = save(reviewer, article, status=Status.RETURNED, review_comment="  ")
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["review_comment"] == [
        services.COMMENT_REQUIRED
    ]
    article.refresh_from_db()
    assert article.status == Status.REVIEW
    assert article.history.count() == history


def test_the_service_and_the_database_refuse_a_send_back_without_a_comment(subsection, reviewer):
    article = ArticleFactory(category=subsection, status=Status.REVIEW, published_at=None)
    with pytest.raises(ValidationError, match="退回意见"):
        services.article_send_back(article=article, by=reviewer, comment="")
    assert Article.objects.get(pk=article.pk).status == Status.REVIEW
    with pytest.raises(IntegrityError), transaction.atomic():
        Article.objects.filter(pk=article.pk).update(status=Status.RETURNED)


def test_an_editor_cannot_send_back_or_write_the_comment(desk, subsection):
    editor, _ = desk
    article = ArticleFactory(category=subsection, status=Status.REVIEW, published_at=None)
    response = save(editor, article, status=Status.RETURNED, review_comment="自己退回")
    assert response.status_code == 200
    assert "status" in response.context["adminform"].form.errors
    assert Article.objects.get(pk=article.pk).status == Status.REVIEW


def test_new_drafts_are_on_the_first_page_of_the_list(desk, subsection):
    editor, _ = desk
    ArticleFactory.create_batch(60, category=subsection)  # more than a page, all dated
    draft = ArticleFactory(category=subsection, status=Status.DRAFT, published_at=None)
    page = editor.get(ARTICLES)
    assert draft in page.context["cl"].result_list
    assert page.context["cl"].result_list[0] == draft


def test_the_index_counts_scheduled_articles_and_overdue_sections_with_their_links(
    desk, section, subsection
):
    _, reviewer = desk
    soon = timezone.now() + timedelta(days=2)
    ArticleFactory(category=subsection, published_at=soon, first_published_at=soon)
    later = timezone.now() + timedelta(days=20)
    ArticleFactory(category=subsection, published_at=later, first_published_at=later)
    old = timezone.now() - timedelta(days=40)
    ArticleFactory(category=subsection, published_at=old, first_published_at=old)
    CategoryFactory(name="党代表工作", slug="ddbgz")  # nothing published: 空白
    counts = worklist(reviewer)
    # 基层党建 and 机关党建 are news columns last fed 40 days ago (the future ones do not count).
    assert (counts["scheduled"], counts["empty"], counts["stale"]) == (1, 1, 2)
    page = reviewer.get(INDEX).content.decode()
    assert f'href="{ARTICLES}?scheduled=week"' in page
    scheduled = reviewer.get(ARTICLES + "?scheduled=week").context["cl"].result_list
    assert [a.published_at for a in scheduled] == [soon.replace(microsecond=0)]
    sections = reverse("admin:articles_category_changelist")
    assert f'href="{sections}?freshness=stale"' in page
    stale = reviewer.get(sections + "?freshness=stale").context["cl"].result_list
    assert {c.slug for c in stale} == {"jcdj", "jgdj"}


def test_committee_staff_see_the_alliances_proposals_and_editors_do_not(desk, committee, superuser):
    editor, _ = desk
    assert "proposals" not in worklist(editor)
    counts = worklist(logged_in(superuser))
    assert counts["proposals"] == 0
    assert (
        f'href="{reverse("workspace:review")}"' in logged_in(superuser).get(INDEX).content.decode()
    )


def test_the_admin_index_costs_the_same_few_queries_however_much_waits(
    reviewer, subsection, settings
):
    client = logged_in(reviewer)

    def queries():
        client.get(INDEX)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(INDEX).status_code == 200
        return len(captured.captured_queries)

    few = queries()
    for status in (Status.DRAFT, Status.REVIEW, Status.WITHDRAWN):
        ArticleFactory.create_batch(5, category=subsection, status=status, published_at=None)
    for n in range(5):
        CategoryFactory(parent=subsection.parent if n % 2 else None)
    assert queries() == few
    assert few <= 11  # 11 since the 网站纠错 item (issue 17)


class TestSecondReview:
    def test_a_reviewer_alone_cannot_publish_in_a_section_that_needs_it(
        self, desk, speeches, reviewer
    ):
        _, as_reviewer = desk
        article = ArticleFactory(category=speeches, status=Status.REVIEW, published_at=None)
        form = as_reviewer.get(admin_change_url(article)).context["adminform"].form
        choices = [value for value, _ in form.fields["status"].choices]
        assert Status.FINAL_REVIEW in choices and Status.PUBLISHED not in choices
        response = save(as_reviewer, article, status=Status.PUBLISHED)  # forged
        assert response.status_code == 200
        assert "status" in response.context["adminform"].form.errors
        with pytest.raises(PermissionDenied):
            services.article_move(article=article, to=Status.PUBLISHED, by=reviewer)
        article.refresh_from_db()
        assert article.status == Status.REVIEW

    def test_the_reviewer_approves_and_a_final_reviewer_publishes(
        self, desk, speeches, final_reviewer
    ):
        _, reviewer = desk
        final = logged_in(final_reviewer)
        article = ArticleFactory(category=speeches, status=Status.REVIEW, published_at=None)
        assert save(reviewer, article, status=Status.FINAL_REVIEW).status_code == 302
        assert worklist(final)["final_review"] == 1
        # Approved is locked for the first reviewer: the 终审 decides now.
        assert not reviewer.get(admin_change_url(article)).context["has_change_permission"]
        assert save(final, article, status=Status.PUBLISHED).status_code == 302
        article.refresh_from_db()
        assert article.is_public
        assert [h.history_change_reason for h in article.history.order_by("history_date")][-2:] == [
            "初审通过，提交终审",
            "发布",
        ]

    def test_the_final_reviewer_can_send_back_too(self, speeches, final_reviewer):
        article = ArticleFactory(category=speeches, status=Status.FINAL_REVIEW, published_at=None)
        services.article_send_back(article=article, by=final_reviewer, comment="数据需核实。")
        assert Article.objects.get(pk=article.pk).status == Status.RETURNED

    def test_sub_sections_follow_their_section_and_other_sections_publish_in_one_step(
        self, reviewer, speeches, subsection
    ):
        sub = CategoryFactory(name="讲话摘编", parent=speeches)
        held = ArticleFactory(category=sub, status=Status.REVIEW, published_at=None)
        with pytest.raises(PermissionDenied):
            services.article_move(article=held, to=Status.PUBLISHED, by=reviewer)
        plain = ArticleFactory(category=subsection, status=Status.REVIEW, published_at=None)
        services.article_move(article=plain, to=Status.PUBLISHED, by=reviewer)
        assert Article.objects.get(pk=plain.pk).is_public

    def test_the_publish_action_leaves_articles_of_such_sections_waiting(self, desk, speeches):
        _, reviewer = desk
        article = ArticleFactory(category=speeches, status=Status.REVIEW, published_at=None)
        response = reviewer.post(
            ARTICLES, {"action": "publish", "_selected_action": [article.pk]}, follow=True
        )
        assert "二审" in response.content.decode()
        assert Article.objects.get(pk=article.pk).status == Status.REVIEW

    def test_the_final_review_group_is_made_by_a_migration(self, db):
        codes = set(Group.objects.get(name="终审").permissions.values_list("codename", flat=True))
        assert {"final_review_article", "publish_article", "change_article"} <= codes
        assert Category._meta.get_field("needs_final_review").verbose_name == "需要二审"


class TestHistory:
    @pytest.fixture
    def reworked(self, editor, reviewer, subsection):
        """A draft written, submitted and sent back, at known times (UTC)."""

        def at(hour, user, step):
            # Logged in at that time: a session of today would look to it as not yet begun.
            with time_machine.travel(datetime(2026, 12, 1, hour, 0, tzinfo=UTC), tick=False):
                step(logged_in(user))

        at(
            2,
            editor,
            lambda c: c.post(reverse("admin:articles_article_add"), new_article_form(subsection)),
        )
        article = Article.objects.get(title="机关党建观摩会召开")
        at(3, editor, lambda c: save(c, article, status=Status.REVIEW))
        at(4, reviewer, lambda c: save(c, article, status=Status.RETURNED, review_comment=COMMENT))
        return article

    def test_the_history_page_reads_as_the_form_does(self, desk, reworked):
        editor, _ = desk
        page = editor.get(reverse("admin:articles_article_history", args=[reworked.pk]))
        html = page.content.decode()
        table = html[html.index('id="change-history"') :]
        changes = re.findall(r"<li><strong>(.+?)：</strong>(.*?) → (.*?)</li>", table)
        raw = {*Status.values, "None", "True", "False", "UTC", "+00:00"}
        assert changes and not [c for c in changes if {c[1], c[2]} & raw or "+00:00" in c[2]]
        for english in ("Changes", "Object", "Date/time", "Comment", "Changed by", "entries"):
            assert english not in html, english
        assert "状态：</strong>草稿 → 待审核" in table
        assert "状态：</strong>待审核 → 被退回" in table
        assert f"退回意见：</strong>（空） → {COMMENT}" in table
        # Asia/Shanghai: 02:00 UTC is 10:00 in the office.
        assert "2026-12-01 10:00" in table and "2026-12-01 12:00" in table
        assert "修改时间" not in table  # the row's own time, not a change

    def test_the_history_page_names_people_without_links_that_would_be_refused(
        self, desk, reworked
    ):
        editor, _ = desk
        html = editor.get(reverse("admin:articles_article_history", args=[reworked.pk])).content
        links = re.findall(r'href="([^"]+)"', html.decode())
        assert not [link for link in links if "/auth/user/" in link]
        for link in links:
            if link.startswith(f"{INDEX}articles/"):
                assert editor.get(link).status_code == 200, link

    def test_the_history_and_the_audit_trail_name_each_step(self, reworked):
        reasons = list(
            reworked.history.order_by("history_date").values_list(
                "history_change_reason", flat=True
            )
        )
        assert reasons == ["新建草稿", "提交审核", "退回修改"]
        summaries = list(AuditEntry.objects.order_by("pk").values_list("summary", flat=True))
        assert summaries[0].startswith("新建草稿《")
        assert any(s.startswith("退回修改《") for s in summaries)

    def test_a_restore_is_named_by_the_version_it_goes_back_to(self, desk, reworked):
        editor, _ = desk
        first = reworked.history.earliest()
        url = reverse("admin:articles_article_simple_history", args=[reworked.pk, first.pk])
        page = editor.get(url).content.decode()
        assert "2026-12-01 10:00" in page and "恢复到这个版本" in page
        response = editor.post(url, form_data(first.instance, status=Status.DRAFT))
        assert response.status_code == 302
        expected = "恢复到 2026-12-01 10:00 的版本"
        assert reworked.history.latest().history_change_reason == expected
        assert AuditEntry.objects.latest("pk").summary.startswith(expected)

    @pytest.mark.parametrize("version", ["abc", "9" * 30])
    def test_an_impossible_version_in_the_address_is_not_found(self, desk, reworked, version):
        editor, _ = desk
        url = f"{admin_change_url(reworked).removesuffix('change/')}history/{version}/"
        assert editor.get(url).status_code == 404
        assert editor.get(f"{INDEX}articles/article/{version}/history/").status_code == 404


def test_a_section_s_history_shows_its_second_review_setting_in_words(reviewer, superuser):
    section = CategoryFactory(name="通知公告", slug="tzgg")
    client = logged_in(superuser)
    data = {
        "name": "通知公告",
        "slug": "tzgg",
        "position": section.position,
        "column_type": "notice",
        "show_in_nav": "on",
        "needs_final_review": "on",
        "description": "",
    }
    change = reverse("admin:articles_category_change", args=[section.pk])
    assert client.post(change, data).status_code == 302
    html = logged_in(reviewer).get(change.removesuffix("change/") + "history/").content.decode()
    assert "需要二审：</strong>否 → 是" in html
    assert "栏目类型：</strong>动态要闻类（2周内须更新） → 通知公告、政策文件类" in html
