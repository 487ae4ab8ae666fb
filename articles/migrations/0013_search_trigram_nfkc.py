"""Search (issue 14): words without Chinese pairs through a trigram index, and the stored
text NFKC-normalised like the queries.

pg_trgm indexes ``UPPER(search_text)``: Django's ``icontains`` compares exactly that, so
``party`` or ``1+N`` reads the index instead of every article. SQLite needs neither.
Articles whose text changes under NFKC (full-width letters, digits and signs) get their
search text and tokens rebuilt; the others are left alone.
"""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from articles.search import normalise, search_tokens

FORWARD = """
CREATE INDEX IF NOT EXISTS article_search_text_trgm ON articles_article
    USING gin (UPPER(search_text) gin_trgm_ops);
"""
BACKWARD = "DROP INDEX IF EXISTS article_search_text_trgm;"


def index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


def renormalise(apps, schema_editor):
    Article = apps.get_model("articles", "Article")
    rows = Article.objects.only("pk", "title", "search_text").iterator(chunk_size=2000)
    for article in rows:
        text = normalise(article.search_text)
        if text != article.search_text:
            Article.objects.filter(pk=article.pk).update(
                search_text=text, search_tokens=search_tokens(text, normalise(article.title))
            )


class Migration(migrations.Migration):
    dependencies = [("articles", "0012_remove_viewcount_doubt")]

    operations = [
        TrigramExtension(),  # PostgreSQL only; skipped elsewhere
        migrations.RunPython(index, drop_index, elidable=False),
        migrations.RunPython(renormalise, migrations.RunPython.noop, elidable=False),
    ]
