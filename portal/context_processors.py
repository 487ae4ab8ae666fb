from django.utils.functional import SimpleLazyObject

from articles.selectors import site_tree_for

from . import pagecache, preferences
from .models import SiteSettings


def site(request):
    """The footer record, the navigation and the reader's preferences, for every template.

    ``content_version`` and ``nav_place`` key the cached navigation and footer HTML
    (``{% cache %}`` in base.html): the same for every reader, new after every change."""
    path = request.path
    place = "home" if path == "/" else "alliances" if path.startswith("/alliances/") else ""
    return {
        "content_version": SimpleLazyObject(lambda: pagecache.request_version(request)),
        "nav_place": place,
        "site": SimpleLazyObject(SiteSettings.load),
        "nav": SimpleLazyObject(lambda: site_tree_for(request).nav),
        "font_size": preferences.FONT_SIZE.read(request),
        "font_sizes": preferences.FONT_SIZE.choices,
        "care_mode": preferences.care_mode(request),
        "traditional": preferences.traditional(request),
    }
