from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.generic import DetailView, ListView
from django_ratelimit.decorators import ratelimit

from portal import pagecache
from portal.mixins import FilteredListMixin, PagedByIdMixin, in_order
from portal.models import FriendlyLink
from portal.pagecache import cached_page
from portal.precompiled import Many, Precompiled
from portal.security import client_ip
from portal.zh import to_simplified

from . import services, viewcounts
from .filters import ArticleFilter, SearchForm
from .models import Article, Attachment
from .search import SearchTimedOut, TitleFirst, time_limit
from .selectors import front_page, published_in_section, site_tree_for

PAGE_SIZE = 20
SEARCH_LIMIT = 1000  # results counted and listed (50 pages); see articles/search.py
HOME_SECTION_SIZE = 6
# The home page's lists of published articles: name → (which, how many).
HOME_LISTS = {
    "headlines": (Q(headline=True) & ~Q(cover=""), 5),
    "pinned": (Q(pinned=True), 8),
    "notices": (Q(kind__in=[Article.Kind.NOTICE, Article.Kind.POLICY]), 8),
    "videos": (Q(kind=Article.Kind.VIDEO), 4),
}


@cached_page
def home(request):
    tree = site_tree_for(request)
    blocks, lists = front_page(
        [section for section in tree.nav if not section.is_topic], HOME_SECTION_SIZE, HOME_LISTS
    )
    topic_sections = [section for section in tree.nav if section.is_topic]
    context = {
        **lists,
        "section_blocks": blocks,
        "topics": [topic for section in topic_sections for topic in section.nav_subsections],
        "links": pagecache.fragment(
            "friendly-links",
            lambda: list(FriendlyLink.objects.filter(is_active=True)),
            request=request,
        ),
    }
    return render(request, "portal/home.html", context)


def can_preview(user):
    """Staff who may read drafts in the admin may read them on the site too."""
    return user.is_active and user.is_staff and user.has_perm("articles.view_article")


@cached_page(query=["page", *ArticleFilter.base_filters])
class CategoryView(FilteredListMixin, PagedByIdMixin, ListView):
    """A section or sub-section: its articles, newest first, with sub-section tabs and filters."""

    template_name = "articles/category_detail.html"
    paginate_by = PAGE_SIZE
    context_object_name = "articles"
    filterset_class = ArticleFilter

    def get(self, request, *args, **kwargs):
        self.category = site_tree_for(request).get(kwargs["slug"])
        if self.category is None or not (self.category.visible or can_preview(request.user)):
            raise Http404("栏目不存在或暂无内容")
        self.section = self.category.section
        return super().get(request, *args, **kwargs)

    def get_base_queryset(self):
        return published_in_section(self.category).order_by("-pinned", "-published_at", "-pk")

    def get_filterset_kwargs(self):
        return {
            "subsections": self.section.subsections if self.category is self.section else [],
            # Finding the years reads every article of the section: once per content version.
            "years": pagecache.fragment(
                f"years:{self.category.pk}", self.publication_years, request=self.request
            ),
        }

    def publication_years(self):
        published = published_in_section(self.category).order_by()
        return [day.year for day in published.dates("published_at", "year", "DESC")]

    def get_page_queryset(self):
        return Article.objects.for_listing()

    def get_count_fragment(self):
        return f"count:{self.category.pk}" if self.unfiltered else None

    def get_blank_form_fragment(self):
        return f"blank-filters:{self.category.pk}"

    def get_context_data(self, **kwargs):
        return super().get_context_data(category=self.category, section=self.section, **kwargs)


def _count_cached_view(request, pk):
    viewcounts.record(request, pk)


@cached_page(on_hit=_count_cached_view)
class ArticleView(DetailView):
    """An article as DOMAIN.md describes it; staff see unpublished ones with a 预览 banner."""

    template_name = "articles/article_detail.html"
    context_object_name = "article"

    def get_object(self, queryset=None):
        pk = self.kwargs["pk"]
        found = published_article(pk=pk, now=timezone.now())
        if found:
            article = found[0]
            services.record_view(article, self.request)
        elif can_preview(self.request.user):
            article = get_object_or_404(Article.objects.defer(*Article.SEARCH_FIELDS), pk=pk)
        else:
            raise Http404("文章不存在或尚未发布")
        return site_tree_for(self.request).attach([article])[0]

    def get_context_data(self, **kwargs):
        article = self.object
        return super().get_context_data(
            category=article.category,
            section=article.category.section,
            attachments=(
                list(article.attachments.all()) if getattr(article, "has_attachments", True) else []
            ),
            previous_article=_neighbour(article, "newer"),
            next_article=_neighbour(article, "older"),
            **kwargs,
        )


def _neighbours(now, pk):
    """A published article with the ids and titles of the next newer and next older article
    of its category, and whether it has attachments: one query, each part an index walk
    (article_category_date for the neighbours)."""
    published = Article.objects.published(now)
    siblings = published.filter(category_id=OuterRef("category_id"))
    when, this = OuterRef("published_at"), OuterRef("pk")
    newer = (
        # published_at__gte first: a range the index walks; then the tie on the date.
        siblings.filter(published_at__gte=when)
        .filter(Q(published_at__gt=when) | Q(pk__gt=this))
        .order_by("published_at", "pk")
    )
    older = (
        siblings.filter(published_at__lte=when)
        .filter(Q(published_at__lt=when) | Q(pk__lt=this))
        .order_by("-published_at", "-pk")
    )
    return (
        published.filter(pk=pk)
        # The search columns are large and the page shows neither.
        .defer(*Article.SEARCH_FIELDS)
        .annotate(
            has_attachments=Exists(Attachment.objects.filter(article=OuterRef("pk"))),
            **{
                f"{name}_{column}": Subquery(walk.values(column)[:1])
                for name, walk in (("newer", newer), ("older", older))
                for column in ("pk", "title")
            },
        )
    )


published_article = Precompiled(
    _neighbours, now=Article._meta.get_field("published_at"), pk=Article._meta.pk
)


# A search page's rows by their ids; the excerpts come from search_text.
search_rows = Precompiled(
    lambda ids: (
        Article.objects.only(*Article.LISTING_FIELDS, "search_text").filter(pk__any=ids).order_by()
    ),
    ids=Many(Article._meta.pk),
)


def _neighbour(article, name):
    pk = getattr(article, f"{name}_pk", None)
    if pk is None:
        return None
    return Article.from_db(None, ["id", "title"], [pk, getattr(article, f"{name}_title")])


def _search_notice(request, form, notice, status, retry_after):
    context = {"form": form, "notice": notice}
    response = render(request, "articles/search.html", context, status=status)
    response["Retry-After"] = str(retry_after)
    return response


@cached_page(query=["q", "page"])
@ratelimit(
    key=lambda group, request: client_ip(request),
    rate=lambda group, request: settings.PORTAL_SEARCH_RATE,
    block=False,
)
def search(request):
    """站内搜索: title, abstract and body; two-character Chinese words included. Each reader
    has a number of searches a minute (a copy from the page cache does not count), and each
    search a time limit on PostgreSQL."""
    form = SearchForm(request.GET)
    if request.limited:
        return _search_notice(request, form, "搜索太频繁了，请一分钟后再试。", 429, 60)
    if not form.is_valid():
        return render(request, "articles/search.html", {"form": form}, status=400)
    # Articles are written in simplified characters; 黨建 finds 党建 (readers of the 繁 pages).
    query = to_simplified(form.cleaned_data["q"])
    results = page = None
    if query:
        try:
            with time_limit(settings.PORTAL_SEARCH_TIMEOUT_MS):
                # Paged by id, title hits first; then the twenty rows of the page are loaded.
                results = TitleFirst(query, limit=SEARCH_LIMIT)
                page = Paginator(results, PAGE_SIZE).get_page(request.GET.get("page"))
                page.object_list = in_order(search_rows, page.object_list)
        except SearchTimedOut:
            notice = "这次搜索用时太长，没有完成。请稍后再试，或换一个更具体的词。"
            return _search_notice(request, form, notice, 503, 10)
        site_tree_for(request).attach(page.object_list)
    context = {"form": form, "query": query, "page_obj": page, "results": results}
    return render(request, "articles/search.html", context)
