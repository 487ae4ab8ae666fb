"""Reads for the public pages (every read of articles starts from ``published()``), and
the counts of the admin's work list."""

import functools
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from portal import pagecache
from portal.precompiled import Precompiled

from .models import Article, Category


@dataclass
class SiteTree:
    """The two-level section tree with what readers may see, built from one query."""

    sections: list
    by_slug: dict = field(default_factory=dict)
    by_id: dict = field(default_factory=dict)

    @property
    def nav(self):
        return [section for section in self.sections if section.visible and section.show_in_nav]

    def get(self, slug):
        return self.by_slug.get(slug)

    def attach(self, articles):
        """Give articles their section from the tree instead of a join (a section newer than
        the tree is left to load itself)."""
        for article in articles:
            if (category := self.by_id.get(article.category_id)) is not None:
                article.category = category
        return articles


def site_tree():
    has_content = Exists(Article.objects.published().filter(category=OuterRef("pk")))
    categories = list(Category.objects.annotate(has_content=has_content))
    by_id = {category.pk: category for category in categories}
    sections = []
    for category in categories:
        category.subsections = []
    for category in categories:
        if category.parent_id:
            category.visible = category.has_content
            by_id[category.parent_id].subsections.append(category)
        else:
            sections.append(category)
    for section in sections:
        section.visible = section.has_content or any(sub.visible for sub in section.subsections)
        section.nav_subsections = [s for s in section.subsections if s.visible and s.show_in_nav]
        for sub in section.subsections:
            sub.parent = section  # breadcrumbs and titles need no further query
    return SiteTree(sections, {category.slug: category for category in categories}, by_id)


def site_tree_for(request):
    """The tree, from the shared cache, once per request however many templates ask for it."""
    if not hasattr(request, "_site_tree"):
        request._site_tree = pagecache.fragment("site-tree", site_tree, request=request)
    return request._site_tree


def site_map_sections(request):
    """[(section, [sub-sections])] readers can open, in the tree's order (网站地图)."""
    return [
        (section, [sub for sub in section.subsections if sub.visible])
        for section in site_tree_for(request).sections
        if section.visible
    ]


def published_in_section(category):
    return Article.objects.published().in_section(category).for_listing()


NEWEST = (F("published_at").desc(), F("pk").desc())


def front_page(sections, per_section, lists):
    """What the home page lists: the newest ``per_section`` articles of each of ``sections``,
    and each of ``lists`` (name → (condition on published articles, how many)), newest first.

    Returns ``[(section, articles)]`` for the sections that have any, and ``{name: articles}``.

    On PostgreSQL one query however many lists and articles there are: a UNION ALL of one
    short index walk per list and per section, compiled once per process (it changes only
    with the sections). Elsewhere (SQLite cannot limit the parts of a UNION) a query per
    list and a window function over the sections' articles."""
    ids = tuple(section.pk for section in sections)
    if connection.vendor == "postgresql":
        named = {name: [] for name in lists}
        blocks = {pk: [] for pk in ids}
        into = named | {str(pk): blocks[pk] for pk in ids}  # each row names its list
        for article in _front_page_query(ids, per_section, tuple(lists.items()))(
            now=timezone.now()
        ):
            into[article.front_list].append(article)
        for articles in into.values():  # a UNION's order is its own
            articles.sort(key=lambda article: (article.published_at, article.pk), reverse=True)
    else:
        published = Article.objects.published().for_listing()
        named = {
            name: list(published.filter(condition).order_by(*NEWEST)[:size])
            for name, (condition, size) in lists.items()
        }
        blocks = {pk: [] for pk in ids}
        for article in (
            published.filter(section_id__in=ids)
            .annotate(rank=Window(RowNumber(), partition_by=F("section_id"), order_by=NEWEST))
            .filter(rank__lte=per_section)
            .order_by("section_id", *NEWEST)
        ):
            blocks[article.section_id].append(article)
    return [(section, blocks[section.pk]) for section in sections if blocks[section.pk]], named


@functools.lru_cache(maxsize=16)
def _front_page_query(ids, per_section, lists):
    """The home page's UNION, per set of sections (they change rarely)."""

    def build(now):
        published = Article.objects.published(now).for_listing().order_by(*NEWEST)
        parts = [
            published.filter(condition).annotate(front_list=Value(name))[:size]
            for name, (condition, size) in lists
        ] + [
            published.filter(section_id=pk).annotate(front_list=Value(str(pk)))[:per_section]
            for pk in ids
        ]
        return parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]

    return Precompiled(build, now=Article._meta.get_field("published_at"))


def category_freshness(queryset):
    """Annotate categories with their published count and last publish time (own + sub-sections)."""
    in_category = (
        Article.objects.published()
        .filter(Q(section=OuterRef("pk")) | Q(category=OuterRef("pk")))
        .order_by()
    )
    return queryset.annotate(
        published_count=Coalesce(
            Subquery(in_category.values("status").annotate(n=Count("pk")).values("n")[:1]),
            Value(0),
        ),
        last_published_at=Subquery(
            in_category.order_by("-published_at").values("published_at")[:1]
        ),
    )


def stale_condition(now=None):
    """Q for categories whose last publication is older than their column type allows."""
    now = now or timezone.now()
    condition = Q(pk__in=[])
    for column_type, period in Category.UPDATE_PERIODS.items():
        condition |= Q(column_type=column_type, last_published_at__lt=now - period)
    return condition


def freshness_conditions(now=None):
    """Q for each state of a section in ``category_freshness()``: 空白, 超期未更新, 正常."""
    stale = stale_condition(now)
    return {
        "empty": Q(published_count=0),
        "stale": stale & Q(published_count__gt=0),
        "ok": ~stale & Q(published_count__gt=0),
    }


def freshness_counts(now=None):
    """How many sections are empty and how many overdue (one query)."""
    conditions = freshness_conditions(now)
    return category_freshness(Category.objects.order_by()).aggregate(
        empty=Count("pk", filter=conditions["empty"]),
        stale=Count("pk", filter=conditions["stale"]),
    )


SCHEDULED_SOON = timedelta(days=7)


def scheduled_condition(now=None, within=None):
    """Q for articles set to publish themselves later (within ``within`` if given)."""
    now = now or timezone.now()
    condition = Q(status=Article.Status.PUBLISHED, published_at__gt=now)
    return condition & Q(published_at__lte=now + within) if within else condition


def article_worklist(user, now=None):
    """What waits on whom, counted in one query: {name: count}.

    待审核 and 待终审 for everybody's articles; 被退回 and 草稿 of ``user``'s own;
    定时发布 within ``SCHEDULED_SOON``. The status index keeps it short however many
    articles are published."""
    Status = Article.Status
    mine = Q(created_by=user)
    conditions = {
        "review": Q(status=Status.REVIEW),
        "final_review": Q(status=Status.FINAL_REVIEW),
        "returned": Q(status=Status.RETURNED) & mine,
        "drafts": Q(status=Status.DRAFT) & mine,
        "scheduled": scheduled_condition(now, SCHEDULED_SOON),
    }
    either = functools.reduce(lambda left, right: left | right, conditions.values())
    return (
        Article.objects.order_by()
        .filter(either)
        .aggregate(
            **{name: Count("pk", filter=condition) for name, condition in conditions.items()}
        )
    )


def next_scheduled_publication():
    """When the next scheduled article appears by itself (portal/pagecache.py), or None."""
    return (
        Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )
