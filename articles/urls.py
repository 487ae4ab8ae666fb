from django.conf import settings
from django.urls import path

from portal.pagecache import cached_page

from . import downloads, feeds, views
from .models import Attachment

app_name = "articles"

urlpatterns = [
    path("section/<slug:slug>/", views.CategoryView.as_view(), name="category"),
    path(
        "section/<slug:slug>/rss.xml",
        cached_page(feeds.CategoryFeed(), prefs=()),
        name="category_feed",
    ),
    path("article/<int:pk>/", views.ArticleView.as_view(), name="detail"),
    path("article/<int:article>/attachment/<int:pk>/", downloads.attachment, name="attachment"),
    # Where attachments used to be linked, under MEDIA_URL (nginx sends these to the app).
    path(
        f"{settings.MEDIA_URL.strip('/')}/{Attachment.FOLDER}/<path:name>",
        downloads.old_address,
        name="attachment_old_address",
    ),
    path("search/", views.search, name="search"),
    path("rss.xml", cached_page(feeds.LatestArticlesFeed(), prefs=()), name="feed"),
]
