import functools
import html
import re

from django import template
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe

from portal import pagecache

from ..search import search_terms
from ..selectors import site_tree_for

register = template.Library()


@functools.lru_cache(maxsize=256)
def _terms_regex(query):
    """The words of ``query``, longest first, as one case-blind pattern in a group (for
    ``split``); None for no words. Kept per query: a results page uses it forty times."""
    terms = sorted(search_terms(query or ""), key=len, reverse=True)
    if not terms:
        return None
    return re.compile("(" + "|".join(map(re.escape, terms)) + ")", re.IGNORECASE)


@register.filter
def highlight(text, query):
    """Escape ``text`` and wrap each case-insensitive occurrence of a word of ``query`` in
    <mark>."""
    regex = _terms_regex(query)
    parts = regex.split(text or "") if regex else [text or ""]
    marked = "".join(
        f"<mark>{html.escape(part)}</mark>" if index % 2 else html.escape(part)
        for index, part in enumerate(parts)
    )
    return mark_safe(marked)  # noqa: S308 - every part is escaped above


@register.filter
def excerpt(text, query, width=70):
    """A window of ``text`` around the first occurrence of a word of ``query``."""
    text = re.sub(r"\s+", " ", text or "")
    regex = _terms_regex(query)
    found = regex.search(text) if regex else None
    if found is None:
        return text[: width * 2] + ("…" if len(text) > width * 2 else "")
    start = max(found.start() - width, 0)
    end = min(found.end() + width, len(text))
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")


PIN = mark_safe('<span class="tag tag-pin">置顶</span>')


@register.simple_tag
def article_list(articles, show_pinned=False):
    """The list of article links with their dates, as on the home and section pages.

    Written out here rather than in an included template: the home page prints some eighty
    of these, which through the template engine cost about 40 µs each; with
    ``format_html_join`` 9 µs, here with the standard library's escape 4 µs."""
    if not articles:
        return mark_safe('<ul class="article-list"><li class="empty">暂无内容。</li></ul>')
    items = "\n".join(
        f"<li>{PIN if show_pinned and article.pinned else ''}"
        f'<a href="{html.escape(article.get_absolute_url())}">{html.escape(article.title)}</a>'
        f' <time datetime="{(day := article.published_date)}">{day}</time></li>'
        for article in articles
    )
    # Every value is escaped above (html.escape, as django.utils.html.escape); the date is
    # an ISO date.
    return mark_safe(f'<ul class="article-list">\n{items}\n</ul>')  # noqa: S308


@register.simple_tag
def search_results(articles, query):
    """The search page's results, each with its title and an excerpt marked up with the
    words of ``query``. Written out here for the reason ``article_list`` is."""
    if not articles:
        return mark_safe(
            '<li class="empty">没有找到相关内容。请换一个关键词，或减少关键词的字数。</li>'
        )
    items = "\n".join(
        "<li>\n"
        f'  <h2><a href="{html.escape(article.get_absolute_url())}">'
        f"{highlight(article.title, query)}</a></h2>\n"
        f"  <p>{highlight(excerpt(article.plain_text, query), query)}</p>\n"
        f'  <p class="search-results__meta">{html.escape(article.category.name)}'
        f"　{article.published_date}</p>\n"
        "</li>"
        for article in articles
    )
    # Escaped above; highlight() escapes what it does not mark.
    return mark_safe(items)  # noqa: S308


@register.simple_tag(takes_context=True)
def site_nav(context):
    """The navigation: one HTML for every page, cached under the content version, with the
    link of the page's place marked ``aria-current``."""
    request = context["request"]
    nav = pagecache.fragment(
        "site-nav",
        lambda: render_to_string("includes/nav.html", {"nav": site_tree_for(request).nav}),
        request=request,
    )
    current = _current_place(request, context.get("section"))
    if current:
        link = f'href="{current}"'
        nav = nav.replace(link, f'{link} aria-current="page"', 1)
    return mark_safe(nav)  # noqa: S308 - rendered by the template engine, escaped there


def _current_place(request, section):
    if request.path == "/":
        return reverse("portal:home")
    if request.path.startswith("/alliances/"):
        return reverse("alliances:directory")
    return section.get_absolute_url() if getattr(section, "pk", None) else None
