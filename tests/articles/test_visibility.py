"""Who sees what: every status × every kind of visitor, on the article page and in lists."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from articles.models import Article
from tests.factories import ArticleFactory

Status = Article.Status


def make(status, subsection, scheduled=False):
    when = timezone.now() + (timedelta(days=1) if scheduled else -timedelta(hours=1))
    return ArticleFactory(
        category=subsection,
        title=f"可见性测试-{status}{'-定时' if scheduled else ''}",
        status=status,
        published_at=when if status == Status.PUBLISHED or scheduled else None,
        first_published_at=when if status == Status.PUBLISHED else None,
    )


CASES = [
    # (status, scheduled, public can read)
    (Status.DRAFT, False, False),
    (Status.REVIEW, False, False),
    (Status.PUBLISHED, False, True),
    (Status.PUBLISHED, True, False),
    (Status.WITHDRAWN, False, False),
]


@pytest.mark.parametrize(("status", "scheduled", "public"), CASES)
@pytest.mark.parametrize("visitor", ["anonymous", "reader", "editor", "reviewer"])
def test_article_page_is_public_only_when_published_and_due(
    client, request, subsection, status, scheduled, public, visitor
):
    article = make(status, subsection, scheduled)
    if visitor != "anonymous":
        client.force_login(request.getfixturevalue(visitor))
    response = client.get(article.get_absolute_url())
    staff = visitor in ("editor", "reviewer")
    if public:
        assert response.status_code == 200
        assert "预览" not in response.content.decode()
    elif staff:
        assert response.status_code == 200
        assert "预览：这篇文章目前" in response.content.decode()
    else:
        assert response.status_code == 404


@pytest.mark.parametrize(("status", "scheduled", "public"), CASES)
def test_lists_feeds_sitemap_and_search_show_only_public_articles(
    client, subsection, status, scheduled, public
):
    visible = ArticleFactory(category=subsection, title="党建可见文章")
    article = make(status, subsection, scheduled)
    article.title = "党建被测文章"
    article.save()
    urls = [
        reverse("portal:home"),
        subsection.get_absolute_url(),
        subsection.parent.get_absolute_url(),
        reverse("articles:feed"),
        reverse("articles:category_feed", args=[subsection.slug]),
        reverse("articles:search") + "?q=党建",
        reverse("django.contrib.sitemaps.views.sitemap", args=["articles"]),
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert visible.title in body or visible.get_absolute_url() in body, url
        shown = article.title in body or f"/article/{article.pk}/" in body
        assert shown is public, url


def test_staff_preview_is_not_counted_as_a_view(client, editor, subsection):
    draft = make(Status.DRAFT, subsection)
    client.force_login(editor)
    client.get(draft.get_absolute_url())
    draft.refresh_from_db()
    assert draft.view_count == 0


def test_a_section_without_published_content_is_hidden_from_readers(client, section, subsection):
    make(Status.DRAFT, subsection)
    home = client.get(reverse("portal:home")).content.decode()
    assert section.name not in home
    assert client.get(section.get_absolute_url()).status_code == 404
    assert client.get(subsection.get_absolute_url()).status_code == 404


def test_a_section_appears_once_it_has_published_content(client, section, subsection):
    ArticleFactory(category=subsection)
    home = client.get(reverse("portal:home")).content.decode()
    assert f'href="{section.get_absolute_url()}"' in home
    assert client.get(section.get_absolute_url()).status_code == 200
