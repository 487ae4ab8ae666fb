from django.contrib.sitemaps import Sitemap
from django.db.models import Max

from .models import Article
from .selectors import site_tree


class ArticleSitemap(Sitemap):
    limit = 5000

    def items(self):
        return Article.objects.published().only("pk", "updated_at").order_by("-published_at", "-pk")

    def lastmod(self, item):
        return item.updated_at

    def get_latest_lastmod(self):
        """For the index: one aggregate, not every article loaded to find the newest."""
        return Article.objects.published().aggregate(latest=Max("updated_at"))["latest"]


class CategorySitemap(Sitemap):
    changefreq = "daily"

    def items(self):
        tree = site_tree()
        return [
            category
            for section in tree.sections
            for category in [section, *section.subsections]
            if category.visible
        ]


SITEMAPS = {"articles": ArticleSitemap, "sections": CategorySitemap}
