"""Keep titles in the row on PostgreSQL.

0006 made rows narrow (toast_tuple_target = 256), and to get there PostgreSQL also moved
many titles out to the TOAST table: every list and every "title contains" test of the
search page then fetched each title from there, 4 µs a row, 0.4 s over 100 000 articles.
STORAGE MAIN keeps a column in the row unless the row would not fit a page; the UPDATE
rewrites the titles stored aside before."""

from django.db import migrations

FORWARD = """
ALTER TABLE articles_article ALTER COLUMN title SET STORAGE MAIN;
UPDATE articles_article SET title = title || '';
"""
BACKWARD = "ALTER TABLE articles_article ALTER COLUMN title SET STORAGE EXTENDED;"


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("articles", "0009_title_tokens")]

    operations = [migrations.RunPython(forward, backward, elidable=False)]
