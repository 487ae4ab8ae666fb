"""sitemap.xml: the index and its sections, for crawlers; each app gives its sections
(portal/urls.py puts them together). The HTML 网站地图 for readers is ``views.site_map``."""

from django.contrib.sitemaps import Sitemap
from django.contrib.sitemaps import views as sitemap_views
from django.urls import reverse

from .pagecache import cached_page


class PagesSitemap(Sitemap):
    """Pages at fixed addresses (the home page, lists, the 网站地图), by URL name. No lastmod:
    they change with everything under them."""

    changefreq = "daily"

    def __init__(self, *names):
        self.names = names

    def items(self):
        return list(self.names)

    def location(self, item):
        return reverse(item)


# The index stays cheap with many articles and records: each section's lastmod is one
# aggregate (get_latest_lastmod), its number of pages one count.
@cached_page(prefs=())
def index(request, sitemaps):
    return sitemap_views.index(request, sitemaps)


@cached_page(query=["p"], prefs=())
def section(request, sitemaps, section):
    return sitemap_views.sitemap(request, sitemaps, section=section)
