"""Queries compiled once per process (portal/precompiled.py) give what the ORM gives."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count, F, Max, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase as HypothesisTestCase

from articles.models import Article, Attachment, Category
from articles.selectors import NEWEST, front_page
from articles.views import HOME_LISTS, published_article
from portal.precompiled import STAND_INS, Many, Precompiled
from tests.factories import ArticleFactory, CategoryFactory

PUBLISHED_AT = Article._meta.get_field("published_at")
PK = Article._meta.pk


def test_it_was_checked_against_this_django_and_psycopg():
    """precompiled.py reads the ORM compiler's select list, klass_info and converters, and
    Django's cursor wrappers: not public API. After an upgrade, run this file and
    `make bench`, then move these versions on."""
    import django
    import psycopg

    assert django.VERSION[:2] == (5, 2), "Django changed: re-check portal/precompiled.py"
    assert psycopg.__version__.split(".")[0] == "3", "psycopg changed: re-check PreparingCursor"


def newest_of(category):
    return Precompiled(
        lambda now: Article.objects.published(now).filter(category=category).order_by(*NEWEST),
        now=PUBLISHED_AT,
    )


def test_each_run_uses_the_time_it_is_given(subsection):
    now = timezone.now()
    early = ArticleFactory(category=subsection, published_at=now - timedelta(days=2))
    late = ArticleFactory(category=subsection, published_at=now + timedelta(days=2))
    newest = newest_of(subsection)
    assert newest(now=now) == [early]
    assert newest(now=now + timedelta(days=3)) == [late, early]
    assert newest(now=now - timedelta(days=3)) == []


def test_rows_are_model_instances_with_their_annotations_and_deferred_columns(article):
    (found,) = published_article(pk=article.pk, now=timezone.now())
    assert isinstance(found, Article) and found.pk == article.pk
    assert found.title == article.title and found.published_at == article.published_at
    assert found.has_attachments is False and found.newer_pk is None
    assert set(Article.SEARCH_FIELDS) <= found.get_deferred_fields()


def test_a_constant_equal_to_a_stand_in_is_left_alone(subsection):
    stand_in = STAND_INS["int"][0]
    article = ArticleFactory(category=subsection)
    query = Precompiled(lambda pk: Article.objects.filter(Q(pk=pk) | Q(pk=stand_in)), pk=PK)
    assert query(pk=article.pk) == [article]


def test_objects_of_select_related_come_filled_as_the_orm_fills_them(article):
    query = Precompiled(
        lambda pk: Article.objects.filter(pk=pk).select_related("category__parent"), pk=PK
    )
    with CaptureQueriesContext(connection) as captured:
        (found,) = query(pk=article.pk)
        assert found.category.name == article.category.name
        assert found.category.parent.slug == article.category.parent.slug
    assert len(captured.captured_queries) == 1


def test_two_values_of_one_kind_keep_their_places(subsection):
    """A range: its two ends have the same kind of stand-in, each its own value."""
    now = timezone.now()
    days = [
        ArticleFactory(category=subsection, published_at=now - timedelta(days=d)) for d in (1, 5, 9)
    ]
    between = Precompiled(
        lambda start, end: Article.objects.filter(published_at__gte=start, published_at__lt=end),
        start=PUBLISHED_AT,
        end=PUBLISHED_AT,
    )
    assert between(start=now - timedelta(days=6), end=now - timedelta(days=2)) == [days[1]]
    assert set(between(start=now - timedelta(days=10), end=now)) == set(days)


def test_a_text_value_is_matched_as_the_orm_matches_it(subsection):
    by_slug = Precompiled(
        lambda slug: Category.objects.filter(slug=slug), slug=Category._meta.get_field("slug")
    )
    assert by_slug(slug=subsection.slug) == [subsection]
    assert by_slug(slug="' OR 1=1 --") == []


def test_a_values_list_query_gives_the_orms_rows(subsection):
    ArticleFactory.create_batch(3, category=subsection)
    per_category = (
        Article.objects.values_list("category_id", "category__slug")
        .annotate(n=Count("pk"), last=Max("published_at"))
        .order_by("category_id")
    )
    assert Precompiled(lambda: per_category)() == list(per_category)


@pytest.mark.parametrize("count", [0, 1, 3, 25])
def test_a_list_of_ids_is_one_value_and_gives_what_in_gives(subsection, count):
    """A page's ids (``Many``): one parameter, the same rows as ``pk__in``, whatever the
    number of ids; ids of no row and ids no column can hold are left out."""
    ids = [article.pk for article in ArticleFactory.create_batch(count, category=subsection)]
    asked = [*ids, 10**9, 2**70]
    by_ids = Precompiled(
        lambda ids: Article.objects.filter(pk__any=ids).order_by("pk"), ids=Many(PK)
    )
    assert by_ids(ids=asked) == list(Article.objects.filter(pk__in=ids).order_by("pk"))
    assert by_ids(ids=ids[:1]) == list(Article.objects.filter(pk__in=ids[:1]))
    _, params = Article.objects.filter(pk__any=ids).query.sql_with_params()
    assert len(params) == 1


def test_a_query_whose_shape_depends_on_its_values_is_refused(db):
    query = Precompiled(
        lambda pk: Article.objects.filter(pk=pk, **({"title": "x"} if pk > 1_500_000_000 else {})),
        pk=PK,
    )
    with pytest.raises(ValueError, match="shape"):
        query(pk=1)


def test_a_value_the_query_does_not_use_is_refused(db):
    query = Precompiled(lambda now: Article.objects.all(), now=PUBLISHED_AT)
    with pytest.raises(ValueError, match="does not use"):
        query(now=timezone.now())


def test_a_query_that_can_match_nothing_runs_no_sql(db):
    query = Precompiled(lambda pk: Article.objects.filter(pk=pk, category__in=[]), pk=PK)
    with CaptureQueriesContext(connection) as captured:
        assert query(pk=1) == []
    assert captured.captured_queries == []


@pytest.mark.parametrize("pk", [2**63, -(2**63) - 1, 10**30])
def test_an_id_no_column_can_hold_matches_nothing(client, article, pk):
    assert published_article(pk=pk, now=timezone.now()) == []
    assert client.get(f"/article/{pk}/").status_code == 404


def test_the_article_page_reads_in_one_query_and_one_more_for_attachments(
    client, settings, subsection
):
    settings.PORTAL_PAGE_CACHE = False
    plain, with_files = ArticleFactory(category=subsection), ArticleFactory(category=subsection)
    Attachment.objects.create(article=with_files, title="附件一", file="a/x.pdf", size=1)

    def reads(article):
        client.get(article.get_absolute_url())  # the section tree and settings are cached
        with CaptureQueriesContext(connection) as captured:
            body = client.get(article.get_absolute_url()).content.decode()
        # Without Redis (SQLite runs) the view itself is counted by an UPDATE.
        return [q for q in captured.captured_queries if q["sql"].startswith("SELECT")], body

    selects, _ = reads(plain)
    assert len(selects) == 1 and f"= {plain.pk}" in selects[0]["sql"]  # logged with its values
    selects, body = reads(with_files)
    assert len(selects) == 2 and "附件一" in body


@pytest.mark.skipif(connection.vendor != "postgresql", reason="prepared statements: PostgreSQL")
def test_on_postgresql_only_precompiled_statements_are_prepared(article):
    def prepared():
        with connection.cursor() as cursor:
            cursor.execute("SELECT statement FROM pg_prepared_statements")
            return [row[0] for row in cursor.fetchall()]

    before = prepared()
    for _ in range(7):
        published_article(pk=article.pk, now=timezone.now())
        list(Article.objects.filter(pk=article.pk))
    added = [statement for statement in prepared() if statement not in before]
    assert len(added) == 1 and "has_attachments" in added[0]


class TestAgainstTheOrm(HypothesisTestCase):
    """Generated articles, with ties in time, drafts and scheduled ones: the home page's lists
    and each article's neighbours equal what plain ORM queries and sorting give."""

    @classmethod
    def setUpTestData(cls):
        cls.sections = [CategoryFactory(slug=f"gen{i}") for i in range(2)]
        cls.leaves = [
            CategoryFactory(slug=f"gen{i}-sub{j}", parent=section)
            for i, section in enumerate(cls.sections)
            for j in range(2)
        ]

    articles = st.lists(
        st.tuples(
            st.integers(0, 3),  # sub-section
            st.integers(-4, 2),  # hours from now: ties are common, some are scheduled
            st.sampled_from(Article.Status.values),
            st.sampled_from(Article.Kind.values),
            st.booleans(),  # pinned
            st.booleans(),  # headline with a cover
        ),
        max_size=25,
    )

    def make(self, rows):
        now = timezone.now().replace(microsecond=0)
        for leaf, hours, status, kind, pinned, headline in rows:
            ArticleFactory(
                category=self.leaves[leaf],
                published_at=now + timedelta(hours=hours),
                status=status,
                kind=kind,
                pinned=pinned,
                headline=headline,
                cover="covers/x.jpg" if headline else "",
                cover_alt="图" if headline else "",
                # 被退回 needs the reviewer's comment (a database constraint).
                review_comment="请修改。" if status == Article.Status.RETURNED else "",
            )
        return now

    @settings(max_examples=40, deadline=None)
    @given(rows=articles, per_section=st.integers(1, 4))
    def test_home_lists(self, rows, per_section):
        self.make(rows)
        blocks, named = front_page(self.sections, per_section, HOME_LISTS)
        published = Article.objects.published().order_by(*NEWEST)
        for name, (condition, size) in HOME_LISTS.items():
            assert named[name] == list(published.filter(condition)[:size]), name
        expected = [
            (section, list(published.filter(section=section)[:per_section]))
            for section in self.sections
        ]
        assert blocks == [(section, articles) for section, articles in expected if articles]

    @settings(max_examples=40, deadline=None)
    @given(rows=articles)
    def test_neighbours(self, rows):
        now = self.make(rows)
        public = Article.objects.published(now).order_by("category_id", "published_at", "pk")
        for article in Article.objects.all():
            found = published_article(pk=article.pk, now=now)
            if article not in public:
                assert found == [], article
                continue
            siblings = list(public.filter(category_id=article.category_id))
            at = siblings.index(article)
            newer = siblings[at + 1] if at + 1 < len(siblings) else None
            older = siblings[at - 1] if at > 0 else None
            (row,) = found
            assert (row.newer_pk, row.newer_title) == (
                (newer.pk, newer.title) if newer else (None, None)
            )
            assert (row.older_pk, row.older_title) == (
                (older.pk, older.title) if older else (None, None)
            )


def test_front_page_rows_are_sorted_newest_first_whatever_the_union_returns(subsection):
    now = timezone.now()
    for hours in (5, 1, 3, 2, 4):
        ArticleFactory(category=subsection, published_at=now - timedelta(hours=hours))
    blocks, _ = front_page([subsection.parent], 5, {})
    (_, articles) = blocks[0]
    assert articles == list(Article.objects.order_by(F("published_at").desc(), F("pk").desc()))
