"""Whole pages for readers, kept in the shared cache and dropped at once when content changes.

What it guarantees:

- **A page is cached only if its view says what it depends on**, with ``@cached_page``: the
  query parameters and reader preferences (字号, 关怀模式, 简/繁) that make a different page.
  Before the view runs, every other query parameter is removed from the request, and the
  preferences are read through ``Preference.read`` (junk reads as the default). So nothing
  outside the key can reach a cached page, and junk cannot split the cache.
- **The key is a hash of every part, each kept apart** (scheme, host, path, the declared
  parameters and preferences, and the settings behind the security headers the page is
  stored with); no two different requests share a key.
- **A cached page is what an anonymous reader sees.** It is stored only from a 200 response
  rendered for an anonymous user that sets no cookie (a page with a form sets its CSRF
  cookie). Logged-in users may be served it — the public pages are the same for them — but
  what they are shown is never stored; a staff preview of an unpublished article has no
  cached copy, since readers get a 404 there.
- **A change is visible at once, in every worker.** Apps name their public models with
  ``watch()``; saving or deleting one increments the content version in the shared cache,
  at once and again when the transaction commits (so a page rendered from data read just
  before the commit cannot outlive it). Every page and fragment is stored with the version
  it was made under and used only while that is current. A scheduled change (an article
  with a publish time ahead) needs no save: the time of the next one is kept beside the
  version, and the first request after it bumps the version. Raw saves (fixtures, restore)
  do not bump; the restore bumps once when it is done.
- **Only with a cache every process shares** (``settings.PORTAL_SHARED_CACHE``: Redis, or
  the development server's single process). With one cache per worker, one worker would
  never hear of another's change, so nothing is cached at all.

The middleware comes first of all, so a cached page costs one cache round trip (the
version, the next scheduled change and the page are fetched together) and skips the rest
of the stack; it is stored whole, with the headers the other middleware added.
A view may name a function to run each time its page is served from the cache
(``on_hit``; the articles app counts a view there).
"""

import contextlib
import functools
import hashlib
import time
from dataclasses import dataclass

from django.conf import settings
from django.core import checks
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import QueryDict
from django.urls import Resolver404, resolve
from django.utils.http import urlencode

from . import preferences

VERSION_KEY = "pagecache:version"
NEXT_CHANGE_KEY = "pagecache:next-change"


@dataclass(frozen=True)
class Depends:
    """What a view's page depends on besides its path (see ``cached_page``)."""

    query: tuple = ()
    preferences: tuple = preferences.ALL
    on_hit: object = None


def cached_page(view=None, *, query=(), prefs=preferences.ALL, on_hit=None):
    """Declare a view's page cacheable: ``query`` names the parameters that make a different
    page, ``prefs`` the reader preferences it shows (all, for HTML pages). ``on_hit(request,
    **url_kwargs)`` runs for each copy served from the cache. For a function, a view class
    or a view instance (a feed)."""

    def declare(view):
        view.page_cache = Depends(tuple(query), tuple(prefs), on_hit)
        return view

    return declare if view is None else declare(view)


def _declared(request):
    """(``Depends``, URL kwargs) of the view at the request's path, or (None, None)."""
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return None, None
    view = getattr(match.func, "view_class", match.func)
    return getattr(view, "page_cache", None), match.kwargs


def _keep_only(request, names):
    """Remove every query parameter but ``names`` from the request, before the view runs."""
    if all(name in names for name in request.GET):
        return
    query = urlencode([(name, value) for name in names for value in request.GET.getlist(name)])
    request.META["QUERY_STRING"] = query
    request.GET = QueryDict(query)


def page_key(request, depends):
    parts = (
        request.scheme,
        request.get_host(),
        request.path,
        [(name, request.GET.getlist(name)) for name in depends.query],
        [preference.read(request) for preference in depends.preferences],
        _headers_fingerprint(),
    )
    return "page:" + hashlib.sha256(repr(parts).encode()).hexdigest()


@functools.cache
def _headers_fingerprint():
    """The settings behind the headers a cached page is stored with."""
    names = sorted(
        name
        for name in dir(settings)
        if name.startswith(("SECURE_", "CONTENT_SECURITY_POLICY", "X_FRAME_"))
    )
    return repr([(name, getattr(settings, name)) for name in names])


@receiver(setting_changed)
def _forget_fingerprint(**kwargs):
    _headers_fingerprint.cache_clear()


@checks.register(checks.Tags.caches, deploy=True)
def _check_shared_cache(app_configs, **kwargs):
    if settings.PORTAL_SHARED_CACHE:
        return []
    return [
        checks.Warning(
            "没有设置 REDIS_URL：各个 gunicorn 进程没有共享的缓存，整页缓存和页面片段缓存已关闭，"
            "网站能正常运行但较慢。",
            hint="生产环境请设置 REDIS_URL（见 README 的“部署”）。",
            id="portal.W001",
        )
    ]


# The content version -------------------------------------------------------------------------

_next_changes = []  # functions that say when an app's content next changes without a save


def watch(*models, next_change=None):
    """For an app's ``AppConfig.ready()``: saving or deleting any of ``models`` changes what
    readers see; ``next_change()`` returns when the app's content next changes by itself
    (a scheduled publication), or None."""
    for model in models:
        label = model._meta.label
        post_save.connect(_saved_or_deleted, sender=model, dispatch_uid=f"pagecache-s-{label}")
        post_delete.connect(_saved_or_deleted, sender=model, dispatch_uid=f"pagecache-d-{label}")
    if next_change is not None and next_change not in _next_changes:
        _next_changes.append(next_change)


def _saved_or_deleted(sender, raw=False, **kwargs):
    if not raw:
        content_changed()
        transaction.on_commit(content_changed)


def content_changed():
    """Readers' content changed: new pages from now on, in every worker."""
    with contextlib.suppress(ValueError):  # no version yet: the next request starts one
        cache.incr(VERSION_KEY)
    upcoming = [when for when in (change() for change in _next_changes) if when is not None]
    if upcoming:
        cache.set(NEXT_CHANGE_KEY, min(upcoming).timestamp(), None)
    else:
        cache.delete(NEXT_CHANGE_KEY)


def versioned(*keys):
    """(the current content version, {key: value} of ``keys``) in one round trip; the version
    is None when the cache is not shared or not available."""
    if not settings.PORTAL_SHARED_CACHE:
        return None, {}
    values = cache.get_many([VERSION_KEY, NEXT_CHANGE_KEY, *keys])
    version = values.get(VERSION_KEY)
    if version is None:
        version = time.time_ns()  # a new cache must not meet entries of an old one
        if not cache.add(VERSION_KEY, version, None):
            version = cache.get(VERSION_KEY)  # another worker was first, or the cache is down
    next_change = values.get(NEXT_CHANGE_KEY)
    if version is not None and next_change is not None and time.time() >= next_change:
        content_changed()
        version = cache.get(VERSION_KEY)
    return version, values


def _version(request):
    """The content version, looked up once per request."""
    if not hasattr(request, "content_version"):
        request.content_version = versioned()[0]
    return request.content_version


# Fragments: what many pages show, built once per content version -------------------------

_fragments = {}  # name: (version, value), in this process


def fragment(name, build, request=None):
    """A piece of pages (section tree, navigation, footer, a chart …) built once per content
    version and kept in this process: no cache round trip once the request knows the
    version. ``name`` must come from code or validated input (it is a key in memory)."""
    version = _version(request) if request is not None else versioned()[0]
    if version is None:
        return build()
    stored = _fragments.get(name)
    if stored is not None and stored[0] == version:
        return stored[1]
    value = build()
    _fragments[name] = (version, value)
    return value


# The middleware ------------------------------------------------------------------------------


def _storable(request, response):
    user = getattr(request, "user", None)
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and "private" not in response.get("Cache-Control", "")
        and not (user is not None and user.is_authenticated)
    )


class PageCacheMiddleware:
    """Serve and store declared pages; see the module docstring for the rules."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        depends, url_kwargs = _declared(request)
        if depends is None:
            return self.get_response(request)
        _keep_only(request, depends.query)
        if not (settings.PORTAL_PAGE_CACHE and request.method == "GET"):
            return self.get_response(request)
        key = page_key(request, depends)
        version, values = versioned(key)
        request.content_version = version
        stored = values.get(key)
        if version is not None and stored is not None and stored[0] == version:
            if depends.on_hit is not None:
                depends.on_hit(request, **url_kwargs)
            response = stored[1]
            response["X-Page-Cache"] = "hit"
            return response
        response = self.get_response(request)
        if version is not None and _storable(request, response):
            # Pickled whole, as Django's own cache middleware stores pages.
            cache.set(key, (version, response), settings.PORTAL_PAGE_CACHE_SECONDS)
            response["X-Page-Cache"] = "miss"
        return response
