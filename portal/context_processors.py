from django.utils.functional import SimpleLazyObject

from . import preferences
from .models import SiteSettings


def site(request):
    """The footer record and the reader's preferences, for every template."""
    return {
        "site": SimpleLazyObject(lambda: SiteSettings.load(request)),
        "font_size": preferences.FONT_SIZE.read(request),
        "font_sizes": preferences.FONT_SIZE.choices,
        "care_mode": preferences.care_mode(request),
        "traditional": preferences.traditional(request),
    }
