from django.urls import path

from portal.pagecache import cached_page

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("section/<slug:slug>/", views.CategoryView.as_view(), name="category"),
    path(
        "section/<slug:slug>/rss.xml",
        cached_page(feeds.CategoryFeed(), prefs=()),
        name="category_feed",
    ),
    path("article/<int:pk>/", views.ArticleView.as_view(), name="detail"),
    path("search/", views.search, name="search"),
    path("rss.xml", cached_page(feeds.LatestArticlesFeed(), prefs=()), name="feed"),
]
