"""The title's character pairs are stored again in ``search_tokens``, marked "t", so the
search page finds title hits by the index (articles/search.py). Rewrites the tokens of
every article once, in batches."""

from django.db import migrations

BATCH = 500


def retokenize(apps, schema_editor):
    from articles.search import search_tokens

    Article = apps.get_model("articles", "Article")
    rows = Article.objects.order_by("pk").values_list("pk", "title", "search_text")
    batch = []
    for pk, title, text in rows.iterator(chunk_size=BATCH):
        batch.append(Article(pk=pk, search_tokens=search_tokens(text, title)))
        if len(batch) == BATCH:
            Article.objects.bulk_update(batch, ["search_tokens"])
            batch = []
    Article.objects.bulk_update(batch, ["search_tokens"])


class Migration(migrations.Migration):
    dependencies = [("articles", "0008_pinned_index")]

    operations = [migrations.RunPython(retokenize, migrations.RunPython.noop, elidable=True)]
