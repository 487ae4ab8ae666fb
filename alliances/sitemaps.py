"""sitemap.xml sections of the alliances: the public alliance pages and the published
meetings and activities (their approved public versions, as every public page reads them)."""

from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from portal.links import reverse_one

from . import selectors
from .models import Alliance


class AllianceSitemap(Sitemap):
    changefreq = "weekly"

    def items(self):
        return Alliance.objects.public().only("slug").order_by("pk")


class PublishedRecordSitemap(Sitemap):
    """Published meetings or activities; ``lastmod`` is the approval of the version shown."""

    kind = None  # "activity" or "meeting"
    limit = 5000

    def published(self):
        return selectors.published_versions().filter(**{f"{self.kind}__isnull": False})

    def items(self):
        return self.published().only(f"{self.kind}_id", "reviewed_at").order_by("-held_on", "-id")

    def location(self, item):
        return reverse_one(f"alliances:{self.kind}", getattr(item, f"{self.kind}_id"))

    def lastmod(self, item):
        return item.reviewed_at

    def get_latest_lastmod(self):
        """For the index: one aggregate, not every version loaded to find the newest."""
        return self.published().aggregate(latest=Max("reviewed_at"))["latest"]


class ActivitySitemap(PublishedRecordSitemap):
    kind = "activity"


class MeetingSitemap(PublishedRecordSitemap):
    kind = "meeting"


SITEMAPS = {"alliances": AllianceSitemap, "activities": ActivitySitemap, "meetings": MeetingSitemap}
