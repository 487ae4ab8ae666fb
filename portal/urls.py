from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path

from articles import sitemaps
from articles.views import home

from . import views

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
    path("sitemap.xml", sitemaps.index, name="sitemap_index"),
    path("sitemap-<section>.xml", sitemaps.section, name="django.contrib.sitemaps.views.sitemap"),
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
