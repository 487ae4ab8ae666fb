from django.apps import AppConfig


class ArticlesConfig(AppConfig):
    name = "articles"
    verbose_name = "栏目与文章"

    def ready(self):
        from portal import pagecache

        from .models import Article, Attachment, Category
        from .selectors import next_scheduled_publication

        pagecache.watch(Article, Category, Attachment, next_change=next_scheduled_publication)
