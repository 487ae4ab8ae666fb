"""Reads for the public pages. Every read of articles starts from ``published()``."""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Value
from django.db.models.expressions import Window
from django.db.models.functions import Coalesce, RowNumber
from django.utils import timezone

from portal import pagecache

from .models import Article, Category


@dataclass
class SiteTree:
    """The two-level section tree with what readers may see, built from one query."""

    sections: list
    by_slug: dict = field(default_factory=dict)

    @property
    def nav(self):
        return [section for section in self.sections if section.visible and section.show_in_nav]

    def get(self, slug):
        return self.by_slug.get(slug)


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
    return SiteTree(sections, {category.slug: category for category in categories})


def site_tree_for(request):
    """The tree, from the shared cache, once per request however many templates ask for it."""
    if not hasattr(request, "_site_tree"):
        request._site_tree = pagecache.fragment("site-tree", site_tree)
    return request._site_tree


def in_order(queryset, ids):
    """The rows of ``queryset`` with these primary keys, in the order of ``ids``."""
    ids = list(ids)
    rows = queryset.in_bulk(ids)
    return [rows[pk] for pk in ids if pk in rows]


def published_in_section(category):
    return Article.objects.published().in_section(category).for_listing()


def latest_by_section(sections, per_section):
    """The newest ``per_section`` articles of each section, in one query.

    On PostgreSQL a UNION ALL of one short index walk per section (article_section_date),
    which stays cheap however many articles there are; elsewhere (SQLite cannot limit
    the parts of a UNION) a window function over the sections' articles."""
    ids = [section.pk for section in sections]
    newest = [F("published_at").desc(), F("pk").desc()]
    published = Article.objects.published().for_listing()
    if not ids:
        rows = []
    elif connection.features.supports_slicing_ordering_in_compound:
        parts = [published.filter(section_id=pk).order_by(*newest)[:per_section] for pk in ids]
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
    else:
        rows = (
            published.filter(section_id__in=ids)
            .annotate(rank=Window(RowNumber(), partition_by=F("section_id"), order_by=newest))
            .filter(rank__lte=per_section)
        )
    grouped = {section_id: [] for section_id in ids}
    for article in rows:
        grouped[article.section_id].append(article)
    for articles in grouped.values():  # a UNION's parts come back in any order
        articles.sort(key=lambda article: (article.published_at, article.pk), reverse=True)
    return [(section, grouped[section.pk]) for section in sections if grouped[section.pk]]


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
