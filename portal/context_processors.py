from django.utils.functional import SimpleLazyObject

from articles.selectors import site_tree_for

from . import preferences
from .models import SiteSettings


def site(request):
    """The footer record, the navigation and the reader's preferences, for every template."""
    return {
        "site": SimpleLazyObject(lambda: SiteSettings.load(request)),
        "nav": SimpleLazyObject(lambda: site_tree_for(request).nav),
        "font_size": preferences.FONT_SIZE.read(request),
        "font_sizes": preferences.FONT_SIZE.choices,
        "care_mode": preferences.care_mode(request),
        "traditional": preferences.traditional(request),
    }
