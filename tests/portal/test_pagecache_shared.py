"""Two processes sharing one Redis: an edit made in one is seen at once through the other.

This is the situation of several gunicorn workers (or hosts): the worker that saves an
article is not the one that serves the next reader. The edit here happens in a separate
Python process with its own Django, its own database connection and its own cache client;
only the database and Redis are shared.

Needs REDIS_URL (CI's second pass); both processes keep to this test process's key prefix.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.db import connection

from portal.models import SiteSettings
from tests.factories import ArticleFactory

pytestmark = pytest.mark.django_db(transaction=True)

ROOT = Path(__file__).resolve().parents[2]

EDIT_IN_ANOTHER_PROCESS = textwrap.dedent(
    """
    import sys

    import django
    from django.conf import settings

    database, prefix, pk, title = sys.argv[1:5]
    settings.DATABASES["default"]["NAME"] = database
    settings.CACHES["default"]["KEY_PREFIX"] = prefix
    django.setup()

    from django.contrib.auth import get_user_model

    from articles import services
    from articles.models import Article

    article = Article.objects.get(pk=pk)
    article.title = title
    services.article_save(article=article, by=get_user_model().objects.get(username="shenhe"))
    """
)


@pytest.fixture
def shared_redis(settings):
    if not settings.REDIS_URL:
        pytest.skip("needs REDIS_URL")
    return settings.CACHES["default"]["KEY_PREFIX"]


def edit_in_another_process(prefix, article, title):
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            EDIT_IN_ANOTHER_PROCESS,
            str(connection.settings_dict["NAME"]),
            prefix,
            str(article.pk),
            title,
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_an_edit_in_another_process_is_visible_at_once(
    client, shared_redis, django_user_model, subsection
):
    # A superuser: a transactional test's flush may have removed the roles' groups.
    django_user_model.objects.create_superuser("shenhe", password="not-used-here")
    SiteSettings.load()  # created on first use, which is itself a change readers see
    article = ArticleFactory(category=subsection, title="原来的标题")
    pages = [article.get_absolute_url(), article.category.get_absolute_url(), "/"]
    for page in pages:
        client.get(page)
        response = client.get(page)
        assert response["X-Page-Cache"] == "hit"
        assert "原来的标题" in response.content.decode()

    edit_in_another_process(shared_redis, article, "另一进程改过的标题")

    for page in pages:
        response = client.get(page)
        assert response["X-Page-Cache"] == "miss", page
        body = response.content.decode()
        assert "另一进程改过的标题" in body and "原来的标题" not in body, page
