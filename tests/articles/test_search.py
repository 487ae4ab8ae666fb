"""站内搜索 finds Chinese words of two characters, as a substring search would."""

from datetime import timedelta

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from articles import views
from articles.models import Article, TitlePair
from articles.search import TitleFirst, query_pairs, search_articles, search_terms, search_tokens
from tests.factories import ArticleFactory, CategoryFactory


@pytest.fixture
def corpus(subsection):
    return {
        "title": ArticleFactory(
            category=subsection, title="机关党建工作推进会召开", body="<p>会议内容。</p>"
        ),
        "body": ArticleFactory(
            category=subsection, title="楼宇联创共建", body="<p>三个党建联盟签约。</p>"
        ),
        "summary": ArticleFactory(category=subsection, title="普通新闻", summary="推动联盟建设"),
        "none": ArticleFactory(category=subsection, title="牧区新闻", body="<p>草原上的故事。</p>"),
        "split": ArticleFactory(category=subsection, title="党的建设", body="<p>联合结盟。</p>"),
    }


def found(query):
    return set(search_articles(Article.objects.published(), query).values_list("title", flat=True))


def substring(query):
    """The titles of the articles that contain every word of ``query``, by plain Python."""
    terms = [term.lower() for term in search_terms(query)]
    return {
        a.title
        for a in Article.objects.published()
        if all(term in a.search_text.lower() for term in terms)
    }


@pytest.mark.parametrize(
    "query", ["党建", "联盟", "党建联盟", "新闻", "会议", "党", "草原上", "的建", "x"]
)
def test_search_finds_exactly_what_a_substring_match_finds(corpus, query):
    assert found(query) == substring(query)


def test_two_character_words_are_found_in_title_body_and_abstract(corpus):
    assert found("党建") == {"机关党建工作推进会召开", "楼宇联创共建"}
    assert found("联盟") == {"楼宇联创共建", "普通新闻"}


def test_title_hits_come_first(subsection):
    ArticleFactory(category=subsection, title="一篇新闻", body="<p>提到党建。</p>")
    ArticleFactory(
        category=subsection, title="党建标题", published_at=timezone.now() - timedelta(days=900)
    )
    results = list(search_articles(Article.objects.published(), "党建"))
    assert results[0].title == "党建标题"


def in_pages(query, limit=1000, size=3):
    """The ids the search page lists for ``query``, page after page (``size`` a page)."""
    results = TitleFirst(query, limit=limit)
    return [pk for start in range(0, results.count(), size) for pk in results[start : start + size]]


def ranked(query):
    return list(search_articles(Article.objects.published(), query).values_list("pk", flat=True))


@pytest.mark.parametrize("dense", [False, True], ids=["from the bitmap", "walked newest first"])
def test_pages_list_title_hits_first_then_the_rest_across_page_boundaries(
    subsection, monkeypatch, dense
):
    monkeypatch.setattr(TitleFirst, "DENSE", 2 if dense else 5000)
    now = timezone.now()
    for number in range(4):
        ArticleFactory(
            category=subsection, title=f"党建标题{number}", published_at=now - timedelta(days=9)
        )
        ArticleFactory(category=subsection, title=f"新闻{number}", body="<p>谈党建。</p>")
    ArticleFactory(category=subsection, title="无关", body="<p>别的事。</p>")
    listed = in_pages("党建")
    assert listed == ranked("党建")
    titles = Article.objects.in_bulk(listed)
    assert [titles[pk].title for pk in listed[:4]] == [f"党建标题{n}" for n in (3, 2, 1, 0)]
    assert len(listed) == 8


@pytest.mark.parametrize("query", ["党建 联盟", "建联", "党建联盟", "党建 Work"])
def test_words_of_one_pair_and_longer_words_list_as_the_single_query_orders(subsection, query):
    """A query whose words are each one pair of characters takes its title hits from a
    query compiled once (articles/search.py, _pair_title_hits); the others do not: both
    list what search_articles ranks."""
    now = timezone.now()
    for number, (title, body) in enumerate(
        [
            ("党建联盟成立", ""),
            ("联盟与党建", ""),
            ("党建 Work 会", ""),
            ("联盟动态", "<p>党建。</p>"),
            ("新闻", "<p>党建联盟 Work</p>"),
            ("党建", "<p>联盟</p>"),
        ]
    ):
        ArticleFactory(
            category=subsection, title=title, body=body, published_at=now - timedelta(hours=number)
        )
    listed = in_pages(query)
    assert listed == ranked(query) and listed


def title_pairs():
    """The (title, pair) rows the trigger of migration 0019 keeps, as titles and words."""
    return {
        (title, chr(int(pair[1:6], 16)) + chr(int(pair[6:], 16)))
        for title, pair in TitlePair.objects.values_list("article__title", "pair")
    }


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_title_pairs_follow_every_write_of_an_article(subsection):
    """Published articles only, however they are written: save, queryset update, delete."""
    article = ArticleFactory(category=subsection, title="党建联盟")
    draft = ArticleFactory(category=subsection, title="草稿标题", status=Article.Status.DRAFT)
    assert title_pairs() == {("党建联盟", "党建"), ("党建联盟", "建联"), ("党建联盟", "联盟")}
    article.title = "轮值会"
    article.save()
    assert title_pairs() == {("轮值会", "轮值"), ("轮值会", "值会")}
    later = timezone.now() + timedelta(days=3)
    Article.objects.filter(pk=article.pk).update(published_at=later)
    assert set(TitlePair.objects.values_list("published_at", flat=True)) == {later}
    Article.objects.filter(pk=article.pk).update(status=Article.Status.WITHDRAWN)
    assert title_pairs() == set()
    Article.objects.filter(pk=draft.pk).update(status=Article.Status.PUBLISHED)
    assert title_pairs() == {("草稿标题", "草稿"), ("草稿标题", "稿标"), ("草稿标题", "标题")}
    draft.delete()
    assert title_pairs() == set()


def test_a_scheduled_article_is_not_found_before_its_time(subsection):
    now = timezone.now()
    ArticleFactory(category=subsection, title="党建预告", published_at=now + timedelta(hours=1))
    shown = ArticleFactory(category=subsection, title="党建新闻", published_at=now)
    assert in_pages("党建") == [shown.pk]
    assert TitleFirst("党建", limit=10, now=now + timedelta(hours=2)).count() == 2


def test_the_page_lists_at_most_the_limit_and_says_there_are_more(client, subsection, monkeypatch):
    for number in range(7):
        ArticleFactory(category=subsection, title=f"联盟动态{number}")
    monkeypatch.setattr(views, "SEARCH_LIMIT", 5)
    assert in_pages("联盟", limit=5) == ranked("联盟")[:5]
    body = client.get(reverse("articles:search"), {"q": "联盟"}).content.decode()
    assert "结果超过 5 条，这里列出前 5 条" in body
    last = client.get(reverse("articles:search"), {"q": "联盟", "page": 9}).content.decode()
    assert last.count('<h2><a href="/article/') == 5  # a page past the end shows the last


def test_markup_is_not_searched_as_text(subsection):
    ArticleFactory(category=subsection, title="无关", body='<p><a href="/dangjian/">链接</a></p>')
    assert found("dangjian") == set()


def test_tokens_are_pairs_and_words_and_ascii_only():
    tokens = search_tokens("党建Work 2026").split()
    assert len(tokens) == 3
    assert all(token.isascii() and token.isalnum() for token in tokens)
    assert query_pairs("党建") == [tokens[0]]


def test_search_page_highlights_hits_and_paginates(client, subsection):
    for number in range(23):
        ArticleFactory(category=subsection, title=f"党建动态第{number}期")
    response = client.get(reverse("articles:search"), {"q": "党建"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "找到 23 条" in body
    assert "<mark>党建</mark>动态" in body
    assert "第 1 页 / 共 2 页" in body
    page_two = client.get(reverse("articles:search"), {"q": "党建", "page": 2}).content.decode()
    assert page_two.count('<h2><a href="/article/') == 3


def test_search_escapes_the_query(client, article):
    body = client.get(reverse("articles:search"), {"q": "<script>x</script>"}).content.decode()
    assert "<script>x</script>" not in body
    assert "&lt;script&gt;" in body


@pytest.mark.parametrize("query", ["党" * 61, "党建\x00"])
def test_bad_queries_get_a_400_with_a_message(client, db, query):
    response = client.get(reverse("articles:search"), {"q": query})
    assert response.status_code == 400
    assert "关键词" in response.content.decode()


def test_empty_search_shows_a_prompt(client, db):
    response = client.get(reverse("articles:search"))
    assert response.status_code == 200
    assert "请输入要查找的关键词" in response.content.decode()


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the GIN index exists on PostgreSQL only"
)
def test_postgresql_search_uses_the_gin_index(corpus, subsection):
    Article.objects.bulk_create(
        Article(
            title=f"牧区新闻{n}",
            category=subsection,
            status="published",
            published_at=timezone.now(),
            search_text="草原",
            search_tokens=search_tokens("草原"),
        )
        for n in range(2000)
    )
    with connection.cursor() as cursor:
        # New rows wait in the index's pending list, which the planner prices high.
        cursor.execute("SELECT gin_clean_pending_list('article_search_vector')")
        cursor.execute("ANALYZE articles_article")
        # The table is still small: keep the planner from preferring a full scan anyway.
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = search_articles(Article.objects.published(), "党建").explain()
    assert "article_search_vector" in plan, plan


class TestSearchAgreesWithSubstringOnGeneratedText(HypothesisTestCase):
    """Generated articles and queries from a small alphabet, so that hits, near misses and
    pairs split across title and body are all common. On PostgreSQL this exercises the
    GIN-indexed path (including the one-pair shortcut); on SQLite the plain match."""

    ALPHABET = "党建联盟aB1 。\n"

    @classmethod
    def setUpTestData(cls):
        cls.section = CategoryFactory(slug="gen")
        cls.leaf = CategoryFactory(slug="gen-sub", parent=cls.section)

    @settings(max_examples=60, deadline=None)
    @given(
        texts=st.lists(
            st.tuples(
                st.text(ALPHABET, min_size=1, max_size=8),
                st.text(ALPHABET, max_size=8),
                st.text(ALPHABET, max_size=30),
            ),
            min_size=1,
            max_size=8,
        ),
        queries=st.lists(st.text(ALPHABET, min_size=1, max_size=5), min_size=1, max_size=8),
    )
    def test_results_equal_substring_matching(self, texts, queries):
        for title, summary, body in texts:
            ArticleFactory(
                category=self.leaf,
                title=title.strip() or "标题",
                summary=summary,
                body=f"<p>{escape(body)}</p>",
            )
        for query in queries:
            if not query.strip():
                continue
            assert found(query) == substring(query.strip()), query
            assert in_pages(query) == ranked(query), query
