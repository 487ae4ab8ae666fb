"""A GIN index for search on PostgreSQL only; SQLite searches by substring and needs none.

Built from articles.search.TokenVector, the expression the search query uses, so the
planner matches the two.
"""

from django.db import migrations


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.contrib.postgres.indexes import GinIndex
    from django.db.models import F

    from articles.search import TokenVector

    article = apps.get_model("articles", "Article")
    schema_editor.add_index(
        article, GinIndex(TokenVector(F("search_tokens")), name="article_search_tokens")
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS article_search_tokens")


class Migration(migrations.Migration):
    dependencies = [("articles", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
