"""Query counts stay flat as content grows: 10 articles or 200, the same number of queries."""

import pytest
from django.urls import reverse

from articles.models import Article, Attachment
from tests.factories import ArticleFactory, CategoryFactory


def make_sections():
    sections = [CategoryFactory(name=f"栏目{i}", slug=f"s{i}") for i in range(4)]
    subs = [
        CategoryFactory(name=f"子栏目{i}", slug=f"sub{i}", parent=sections[i % 4]) for i in range(8)
    ]
    return sections, subs


def fill(count, tree=None):
    sections, subs = tree or make_sections()
    articles = [
        ArticleFactory(
            category=subs[i % 8],
            kind=[Article.Kind.NEWS, Article.Kind.NOTICE, Article.Kind.VIDEO][i % 3],
            pinned=i % 7 == 0,
            headline=i % 11 == 0,
            cover="covers/x.jpg" if i % 11 == 0 else "",
            cover_alt="图" if i % 11 == 0 else "",
        )
        for i in range(count)
    ]
    for article in articles[:3]:
        Attachment.objects.create(article=article, title="附件", file="attachments/a.pdf", size=10)
    return sections, subs, articles


def pages(sections, subs, articles):
    return {
        "home": reverse("portal:home"),
        "section": sections[0].get_absolute_url(),
        "sub-section": subs[0].get_absolute_url(),
        "section page 2": subs[0].get_absolute_url() + "?page=2",
        "filtered": sections[0].get_absolute_url() + "?kind=news",
        "article": articles[0].get_absolute_url(),
        "search": reverse("articles:search") + "?q=测试",
        "feed": reverse("articles:feed"),
    }


@pytest.mark.parametrize(
    "page", ["home", "section", "sub-section", "filtered", "article", "search", "feed"]
)
def test_public_pages_use_the_same_number_of_queries_for_10_and_200_articles(
    client, count_queries, page
):
    sections, subs, articles = fill(10)
    urls = pages(sections, subs, articles)
    counts_small = count_queries(client, urls[page])
    fill(190, (sections, subs))
    counts_big = count_queries(client, urls[page])
    assert counts_small == counts_big, (page, counts_small, counts_big)


# Search on PostgreSQL also sets and resets the planner's choice around its counts and its
# page (articles/search.py, _plan): two counts, the ids, the rows, and four SET/RESET; and
# its statement timeout, SET LOCAL in a transaction (here a savepoint and its release, three
# statements; in production BEGIN and COMMIT, which psycopg sends but Django does not log).
EXPECTED = {"home": 8, "section": 5, "article": 6, "search": 11}


@pytest.mark.parametrize(("page", "limit"), EXPECTED.items())
def test_public_pages_stay_within_their_query_budget(db, client, count_queries, page, limit):
    urls = pages(*fill(30))
    assert count_queries(client, urls[page]) <= limit


def test_admin_article_list_has_no_n_plus_one(client, reviewer, count_queries):
    fill(10)
    client.force_login(reviewer)
    url = reverse("admin:articles_article_changelist")
    small = count_queries(client, url)
    fill_more = [ArticleFactory(category=CategoryFactory()) for _ in range(40)]
    assert fill_more
    assert count_queries(client, url) == small


def test_admin_category_list_has_no_n_plus_one(client, reviewer, count_queries):
    fill(10)
    client.force_login(reviewer)
    url = reverse("admin:articles_category_changelist")
    small = count_queries(client, url)
    for i in range(20):
        ArticleFactory(category=CategoryFactory(slug=f"more{i}"))
        CategoryFactory(slug=f"empty{i}")
    assert count_queries(client, url) == small
