from django.utils.functional import SimpleLazyObject

from articles.selectors import site_tree_for

from . import preferences
from .models import SiteSettings


def site(request):
    """The footer record, the navigation and the reader's font size, for every template."""
    return {
        "site": SimpleLazyObject(SiteSettings.load),
        "nav": SimpleLazyObject(lambda: site_tree_for(request).nav),
        "font_size": preferences.font_size(request),
        "font_sizes": preferences.FONT_SIZES,
    }
