"""Whole pages for anonymous readers, kept in the shared cache and dropped at once on change.

There is one content version in the shared cache. Every stored page and fragment carries
the version it was made under, and is used only while that is still the current one.
Saving or deleting anything a reader can see (an article, a section, the site settings,
an alliance record …) increments the version, so every worker on every host stops using
the old pages at the same moment; they are then overwritten or expire. The increment is
done at once and again when the transaction commits, so a page rendered from data read
just before the commit cannot outlive it. A scheduled article needs no save to appear:
the time of the next scheduled publication is kept beside the version, and the first
request after it bumps the version.

A cached page costs one cache round trip: the version, the next scheduled change and the
page are fetched together. A page rendered anew makes one more for what nearly every page
needs (the section tree, site settings, navigation and footer), not fetched with the page
because a cached page needs none of it.

Only GET requests without a session cookie are served from or stored in the cache, and
only 200 responses that set no cookie (a page with a CSRF token always sets one). So a
logged-in user, a staff preview and every form page go to the view, always.

The middleware comes first of all, so a cached page skips the rest of the stack: it is
stored with the headers the other middleware added (security headers, Content-Security-
Policy) and replayed with them. The key holds the scheme, and a fingerprint of the settings
behind those headers (``SECURE_*`` and the CSP), so a changed policy is not answered with
old headers and, once HTTPS is required, a plain-HTTP copy is not used.
"""

import contextlib
import functools
import hashlib
import time

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.dispatch import receiver
from django.http import HttpResponse
from django.utils import timezone

from . import preferences

VERSION_KEY = "pagecache:version"
NEXT_CHANGE_KEY = "pagecache:next-change"
SKIP_PREFIXES = ("/workspace/", "/editor/", "/prefs/", "/static/", "/media/", "/healthz")
# Only these query parameters change a page; others must not split (or flood) the cache.
QUERY_KEYS = ("q", "page", "category", "kind", "year", "quarter", "line", "alliance", "branch")
# The reader's preferences (字号, 关怀模式, 简/繁): each combination is a copy of its own.
COOKIE_KEYS = preferences.COOKIE_NAMES


def versioned(*keys):
    """(current version, {key: value} of ``keys``) in one round trip; version None when the
    cache is unavailable."""
    return _current(_get_many([VERSION_KEY, NEXT_CHANGE_KEY, *keys]), _now_ms())


def _get_many(keys):
    get_many = getattr(cache, "get_many_quickly", cache.get_many)  # the former with Redis
    return get_many(keys)


def _now_ms():
    return int(time.time() * 1000)


def _current(values, now_ms):
    version = values.get(VERSION_KEY)
    if version is None:
        version = now_ms  # a fresh cache must not meet stale entries
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY)  # another worker was first, or the cache is down
    next_change = values.get(NEXT_CHANGE_KEY)
    if version is not None and next_change is not None and now_ms >= next_change:
        content_changed()
        version = cache.get(VERSION_KEY)
    return version, values


# Pages this process has seen count a view (article pages), by key; a bounded memo.
_counting_pages = {}


def _remember_counting(key):
    if len(_counting_pages) >= 10_000:
        _counting_pages.clear()
    _counting_pages[key] = True


def _shares_redis_with_view_counts():
    return getattr(cache, "is_at", bool)(settings.REDIS_URL)


def _counting_lookup(key, now_ms):
    """For a page this process has seen count views: (what the view counter's lookup did,
    the page's keys), the view counted if the stored copy is current, in one round trip
    (articles/viewcounts.py). (None, None) for other pages, and unless the page cache and
    the view counts share one Redis."""
    if key not in _counting_pages or not _shares_redis_with_view_counts():
        return None, None
    from articles import viewcounts

    names = (VERSION_KEY, NEXT_CHANGE_KEY, key)
    lookup = viewcounts.counter.lookup([cache.make_key(name) for name in names], key, now_ms)
    if lookup is None:
        return None, None
    pairs = zip(names, lookup.values, strict=True)
    return lookup, {name: cache.decode(raw) for name, raw in pairs if raw is not None}


# What nearly every page shows, fetched with the content version (and, in the middleware,
# with the page itself): one cache round trip for all of it.
PREFETCHED = ("site-tree", "site-settings", "site-nav", "site-footer")


def _fragment_key(name):
    return f"fragment:{name}"


def _prefetch(request):
    """The content version and the common fragments, fetched once per request."""
    if not hasattr(request, "_fragments"):
        request._fragments = versioned(*map(_fragment_key, PREFETCHED))
    return request._fragments


def content_changed():
    """Readers' content changed: new pages from now on, in every worker."""
    with contextlib.suppress(ValueError):  # no version yet: the next request starts one
        cache.incr(VERSION_KEY)
    upcoming = _next_scheduled_change()
    if upcoming is None:
        cache.delete(NEXT_CHANGE_KEY)
    else:  # whole milliseconds: the counting lookup's script compares them too
        cache.set(NEXT_CHANGE_KEY, int(upcoming.timestamp() * 1000), None)


def on_content_saved_or_deleted(sender, **kwargs):
    """Signal receiver for every model readers can see (connected in portal/apps.py)."""
    content_changed()
    transaction.on_commit(content_changed)


def _next_scheduled_change():
    from articles.models import Article

    return (
        Article.objects.filter(status=Article.Status.PUBLISHED, published_at__gt=timezone.now())
        .order_by("published_at")
        .values_list("published_at", flat=True)
        .first()
    )


def fragment(name, build, timeout=600, request=None):
    """A piece of pages (section tree, navigation, footer …) cached under the content
    version. With ``request``, the common ones come from the request's single look-up."""
    key = _fragment_key(name)
    if request is not None and name in PREFETCHED:
        version, values = _prefetch(request)
    else:
        version, values = versioned(key)
    if version is None:
        return build()
    stored = values.get(key)
    if stored is not None and stored[0] == version:
        return stored[1]
    value = build()
    cache.set(key, (version, value), timeout)
    return value


@functools.cache
def _headers_fingerprint():
    """The settings behind the headers a cached page is stored with."""
    names = sorted(
        name
        for name in dir(settings)
        if name.startswith(("SECURE_", "CONTENT_SECURITY_POLICY", "X_FRAME_"))
    )
    values = repr([(name, getattr(settings, name)) for name in names])
    return hashlib.sha256(values.encode()).hexdigest()[:16]


@receiver(setting_changed)
def _forget_fingerprint(**kwargs):
    _headers_fingerprint.cache_clear()


def page_key(request):
    query = "&".join(
        f"{name}={value}" for name in QUERY_KEYS for value in request.GET.getlist(name)
    )
    prefs = "&".join(request.COOKIES.get(name, "") for name in COOKIE_KEYS)
    raw = (
        f"{request.scheme}|{request.get_host()}|{request.path}|{query}|{prefs}"
        f"|{_headers_fingerprint()}"
    )
    return f"page:{hashlib.sha256(raw.encode()).hexdigest()}"


def _cacheable_request(request):
    return (
        settings.PORTAL_PAGE_CACHE
        and request.method == "GET"
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
        and not request.path.startswith((*SKIP_PREFIXES, "/" + settings.ADMIN_URL))
    )


def _cacheable_response(request, response):
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
        and not (user is not None and user.is_authenticated)
    )


class AnonymousPageCacheMiddleware:
    """Serve anonymous GETs from the shared cache; see the module docstring for the rules."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not _cacheable_request(request):
            return self.get_response(request)
        key = page_key(request)
        now_ms = _now_ms()
        lookup, values = _counting_lookup(key, now_ms)
        if lookup is None:
            values = _get_many([VERSION_KEY, NEXT_CHANGE_KEY, key])
        else:
            request.view_lookup = lookup  # what articles.viewcounts.record() reads
        try:
            return self._respond(request, key, *_current(values, now_ms))
        finally:
            if lookup is not None and lookup.in_doubt is not None:
                from articles import viewcounts

                viewcounts.counter.done(lookup)

    def _respond(self, request, key, version, values):
        if version is None:  # the cache is down: render, as without it
            return self.get_response(request)
        stored = values.get(key)
        if stored is not None and stored[0] == version:
            return self._replay(stored[1], key, request)
        response = self.get_response(request)
        if _cacheable_response(request, response):
            count_view_of = getattr(response, "count_view_of", None)
            entry = (
                response.status_code,
                [(k, v) for k, v in response.items() if k.lower() != "x-page-cache"],
                response.content,
                count_view_of,
            )
            cache.set(key, (version, entry), settings.PORTAL_PAGE_CACHE_SECONDS)
            if count_view_of is not None and _shares_redis_with_view_counts():
                from articles import viewcounts

                viewcounts.note_page(
                    key, version, count_view_of, settings.PORTAL_PAGE_CACHE_SECONDS
                )
                _remember_counting(key)
            response["X-Page-Cache"] = "miss"
        return response

    def _replay(self, entry, key, request):
        status, headers, content, count_view_of = entry
        response = HttpResponse(content, status=status)
        for name, value in headers:
            response[name] = value
        response["X-Page-Cache"] = "hit"
        if count_view_of is not None:
            from articles import viewcounts

            viewcounts.record(count_view_of, request)
            _remember_counting(key)
        return response
