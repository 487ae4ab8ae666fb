from django.urls import path

from . import feeds, views

app_name = "articles"

urlpatterns = [
    path("section/<slug:slug>/", views.CategoryView.as_view(), name="category"),
    path("section/<slug:slug>/rss.xml", feeds.CategoryFeed(), name="category_feed"),
    path("article/<int:pk>/", views.ArticleView.as_view(), name="detail"),
    path("search/", views.search, name="search"),
    path("rss.xml", feeds.LatestArticlesFeed(), name="feed"),
]
