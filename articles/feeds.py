from django.contrib.syndication.views import Feed
from django.http import Http404
from django.urls import reverse

from portal.models import SiteSettings

from .models import Article
from .selectors import site_tree

FEED_SIZE = 30


class LatestArticlesFeed(Feed):
    """The whole site's newest articles."""

    def title(self):
        return f"{SiteSettings.load().site_name} 最新文章"

    def link(self):
        return reverse("portal:home")

    def description(self):
        return SiteSettings.load().description or self.title()

    def items(self):
        return self.latest(Article.objects.published())

    @staticmethod
    def latest(articles):
        """The newest, with what an item shows (summary, author, section) and no body."""
        listing = articles.select_related("category").defer("body", *Article.SEARCH_FIELDS)
        return listing[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.author or None

    def item_categories(self, item):
        return [item.category.name]


class CategoryFeed(LatestArticlesFeed):
    """One section's newest articles (sub-sections included)."""

    def get_object(self, request, slug):
        category = site_tree().get(slug)
        if category is None or not category.visible:
            raise Http404("栏目不存在或暂无内容")
        return category

    def title(self, obj):
        return f"{SiteSettings.load().site_name} - {obj.name}"

    def link(self, obj):
        return obj.get_absolute_url()

    def description(self, obj):
        return obj.description or self.title(obj)

    def items(self, obj):
        return self.latest(Article.objects.published().in_section(obj))
