"""What the apps' configurations connect, and what they leave out on purpose."""

import subprocess
import sys

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


def test_a_worker_loads_pillow_only_when_it_handles_an_image():
    """Pillow (3 MB of a worker's memory) is imported by the upload checks and the renditions
    when they run, not when the site starts: most workers only serve readers."""
    code = (
        "import sys, django; django.setup();"
        "from django.core.wsgi import get_wsgi_application; get_wsgi_application();"
        "import portal.uploads, portal.renditions; print('PIL' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert out.stdout.strip().splitlines()[-1] == "False"
