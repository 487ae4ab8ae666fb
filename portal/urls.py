from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path

from alliances import selectors as alliance_selectors
from alliances import sitemaps as alliance_sitemaps
from articles import sitemaps as article_sitemaps
from articles.selectors import site_map_sections
from articles.views import home

from . import sitemaps, views

# sitemap.xml for crawlers: each app's sections, after the pages at fixed addresses.
SITEMAPS = {
    "pages": sitemaps.PagesSitemap(
        "portal:home", "alliances:directory", "alliances:activities", "portal:site_map"
    ),
    **article_sitemaps.SITEMAPS,
    **alliance_sitemaps.SITEMAPS,
}
# The HTML 网站地图 for readers: what each app shows there.
SITE_MAP_PARTS = {
    "sections": site_map_sections,
    "alliance_groups": lambda request: alliance_selectors.directory(),
}

portal_patterns = (
    [
        path("", home, name="home"),
        path(
            "prefs/font-size/<slug:value>/",
            views.set_preference,
            {"name": "font-size"},
            name="font_size",
        ),
        path("prefs/care/<slug:value>/", views.set_preference, {"name": "care"}, name="care"),
        path("prefs/script/<slug:value>/", views.set_preference, {"name": "script"}, name="script"),
        path("editor/upload-image/", views.editor_image_upload, name="editor_upload"),
        path("sitemap/", views.site_map, {"parts": SITE_MAP_PARTS}, name="site_map"),
        path("jiucuo/", views.error_report, name="error_report"),
        path("jiucuo/thanks/", views.error_report_thanks, name="error_report_thanks"),
    ],
    "portal",
)

urlpatterns = [
    path("", include(portal_patterns)),
    path("", include("articles.urls")),
    path("alliances/", include("alliances.urls")),
    path("workspace/", include("alliances.workspace_urls")),
    path("robots.txt", views.robots_txt, name="robots"),
    path("favicon.ico", views.favicon),
    path("healthz", views.healthz, name="healthz"),
    path("sitemap.xml", sitemaps.index, {"sitemaps": SITEMAPS}, name="sitemap_index"),
    path(
        "sitemap-<section>.xml",
        sitemaps.section,
        {"sitemaps": SITEMAPS},
        name="django.contrib.sitemaps.views.sitemap",
    ),
    path(settings.ADMIN_URL, admin.site.urls),
    # Renditions not yet made (portal/renditions.py); nginx serves the others itself.
    re_path(
        rf"^{settings.MEDIA_URL.strip('/')}/(?P<name>.+\.\d+w\.(?:webp|jpg))$",
        views.rendition,
        name="rendition",
    ),
]

handler400 = "portal.errors.bad_request"
handler403 = "portal.errors.permission_denied"
handler404 = "portal.errors.page_not_found"
handler500 = "portal.errors.server_error"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
