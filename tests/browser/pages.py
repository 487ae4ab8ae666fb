"""Every page type of the site, as addresses into the demo content (tests/browser/conftest.py);
also the pages of the HTML check (tests/portal/test_html_valid.py)."""

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from alliances import selectors
from alliances.models import Alliance
from articles.models import Article, Category

# These need a logged-in secretary.
WORKSPACE = {
    "workspace home",
    "workspace alliance",
    "record form",
    "activity form",
    "annual plan",
    "ledger",
}
# The pages the README's screenshots show.
KEY_PAGES = [
    "home",
    "section",
    "article",
    "alliance page",
    "activity list",
    "workspace home",
    "ledger",
]


def public_pages():
    published = Article.objects.published()
    section = Category.objects.filter(parent=None, children__isnull=False).first()
    alliance = Alliance.objects.filter(status="active").first()
    return {
        "home": reverse("portal:home"),
        "section": section.get_absolute_url(),
        "subsection": Category.objects.filter(parent=section).first().get_absolute_url(),
        "article": published.filter(kind=Article.Kind.NEWS).first().get_absolute_url(),
        "report": published.filter(kind=Article.Kind.REPORT).first().get_absolute_url(),
        "video": published.filter(kind=Article.Kind.VIDEO).first().get_absolute_url(),
        "search results": reverse("articles:search") + "?q=党建",
        "404": "/no-such-page/",
        "alliance directory": reverse("alliances:directory"),
        "alliance page": alliance.get_absolute_url(),
        "activity list": reverse("alliances:activities"),
        # Records are public through their approved public versions (先审后发).
        "activity page": selectors.published_activities()
        .exclude(photos=None)
        .first()
        .get_absolute_url(),
        "meeting page": selectors.published_meetings().first().get_absolute_url(),
        "site map": reverse("portal:site_map"),
        "error report": reverse("portal:error_report"),
        "workspace login": reverse("workspace:login"),
        "admin login": f"/{settings.ADMIN_URL}login/",
    }


def workspace_pages(slug):
    year = timezone.localdate().year
    return {
        "workspace home": reverse("workspace:home"),
        "workspace alliance": reverse("workspace:alliance", args=[slug]),
        "record form": reverse("workspace:meeting_new", args=[slug]),
        "activity form": reverse("workspace:activity_new", args=[slug]),
        "annual plan": reverse("workspace:plan", args=[slug, year]),
        "ledger": reverse("workspace:ledger", args=[slug, year]),
    }


def all_pages(slug):
    return {**public_pages(), **workspace_pages(slug)}
