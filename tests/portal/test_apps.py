"""What the apps' configurations connect, and what they leave out on purpose."""

from django_cleanup.cache import has_cache

from articles.models import Article
from tests.factories import ArticleFactory


def test_loading_a_record_with_files_runs_no_cleanup_code(subsection):
    """portal.apps.CleanupConfig removes django-cleanup's note taken as each record is loaded
    (a tenth of the home page); a save reads the stored names instead, and replaced files are
    still deleted (tests/security/test_files_follow_records.py)."""
    ArticleFactory(category=subsection, cover="covers/a.jpg", cover_alt="封面")
    loaded = Article.objects.get()
    assert loaded.cover.name == "covers/a.jpg"
    assert not has_cache(loaded)
