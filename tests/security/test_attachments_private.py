"""Attachments are served only with their article (issue 14, item 4): a reader downloads the
attachment of a published article under its Chinese title, and gets a 404 for one of a draft,
an article waiting for review, a withdrawn or a scheduled one — at its address on the site
and at the old /media/ address that older pages and article bodies still link. Staff who may
preview drafts download them too. In production nginx sends the file (X-Accel-Redirect) from
a location no reader can ask for."""

import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from articles.models import Article, Attachment
from tests.factories import ArticleFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = ROOT / "deploy" / "nginx" / "dangjian.conf"
XLSX = b"PK\x03\x04 not really a workbook"
TITLE = "附件1：申报表"
UNPUBLISHED = {
    "draft": {"status": Article.Status.DRAFT},
    "review": {"status": Article.Status.REVIEW},
    "withdrawn": {"status": Article.Status.WITHDRAWN},
    "scheduled": {"published_at": timezone.now() + timedelta(days=1)},
}


@pytest.fixture
def attachment(article):
    attachment = Attachment(article=article, title=TITLE)
    attachment.file.save("form.xlsx", ContentFile(XLSX), save=False)
    attachment.save()
    return attachment


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def unpublish(attachment, state):
    changes = UNPUBLISHED[state]
    if "published_at" in changes:  # scheduled: not before the first publication
        changes = {**changes, "first_published_at": changes["published_at"]}
    Article.objects.filter(pk=attachment.article_id).update(**changes)


def test_a_published_articles_attachment_downloads_under_its_chinese_title(client, attachment):
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert body(response) == XLSX
    assert response["Content-Disposition"] == (
        f"attachment; filename*=utf-8''{quote(TITLE + '.xlsx')}"
    )
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "private" in response["Cache-Control"]  # no shared cache keeps it after a withdrawal


def test_a_title_that_already_names_the_extension_is_not_given_it_twice(client, attachment):
    Attachment.objects.filter(pk=attachment.pk).update(title="申报表.XLSX")
    response = client.get(attachment.get_absolute_url())
    assert response["Content-Disposition"].endswith(quote("申报表.XLSX"))


def test_a_title_with_slashes_and_quotes_makes_a_plain_file_name(client, attachment):
    Attachment.objects.filter(pk=attachment.pk).update(title='a/b\\c"d')
    response = client.get(attachment.get_absolute_url())
    assert response["Content-Disposition"] == 'attachment; filename="a_b_c_d.xlsx"'


@pytest.mark.parametrize("state", UNPUBLISHED)
@pytest.mark.parametrize("who", ["anonymous", "secretary"])
def test_readers_get_404_for_the_attachments_of_unpublished_articles(
    client, attachment, state, who
):
    if who == "secretary":  # logged in, but not staff: a reader like any other
        client.force_login(UserFactory(username="sec"))
    unpublish(attachment, state)
    for url in (attachment.get_absolute_url(), attachment.file.url):
        response = client.get(url)
        assert response.status_code == 404, (state, url)
        assert XLSX not in body(response)


def test_staff_who_may_preview_drafts_download_their_attachments(client, editor, attachment):
    unpublish(attachment, "draft")
    client.force_login(editor)
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200 and body(response) == XLSX


def test_an_attachment_is_found_only_under_its_own_article(client, attachment, subsection):
    other = ArticleFactory(category=subsection)
    url = attachment.get_absolute_url().replace(f"/{attachment.article_id}/", f"/{other.pk}/", 1)
    assert client.get(url).status_code == 404


def test_old_media_addresses_of_attachments_lead_to_the_checked_download(client, attachment):
    """Pages cached before, and links editors pasted into article bodies, keep working."""
    assert attachment.file.url.startswith("/media/attachments/")
    response = client.get(attachment.file.url)
    assert response.status_code == 301
    assert response["Location"] == attachment.get_absolute_url()
    assert client.get("/media/attachments/2020/01/no-such-file.pdf").status_code == 404


def test_the_article_page_links_attachments_through_the_checked_download(client, attachment):
    page = client.get(attachment.article.get_absolute_url()).content.decode()
    assert f'href="{attachment.get_absolute_url()}"' in page
    assert "/media/attachments/" not in page


def test_with_x_accel_redirect_the_app_sends_headers_and_nginx_the_file(
    client, attachment, settings
):
    settings.PORTAL_X_ACCEL_REDIRECT = "/protected-media/"
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/protected-media/{attachment.file.name}"
    assert response["Content-Disposition"].endswith(quote(TITLE + ".xlsx"))
    assert body(response) == b""
    unpublish(attachment, "withdrawn")
    response = client.get(attachment.get_absolute_url())
    assert response.status_code == 404 and not response.has_header("X-Accel-Redirect")


def test_a_download_refuses_post(client, attachment):
    assert client.post(attachment.get_absolute_url()).status_code == 405


def nginx_location(conf, prefix):
    match = re.search(rf"location (?:\^~ )?{re.escape(prefix)} \{{(.*?)\n    \}}", conf, re.S)
    assert match, f"no location {prefix}"
    return match.group(1)


def test_nginx_sends_old_attachment_addresses_to_the_app_and_files_only_internally():
    conf = NGINX_CONF.read_text()
    # /media/attachments/ is not served from the disk: the app checks the article first.
    legacy = nginx_location(conf, "/media/attachments/")
    assert "proxy_pass http://dangjian_app;" in legacy and "alias" not in legacy
    assert re.search(r"location \^~ /media/attachments/ \{", conf), "must beat /media/ regexes"
    # The files come from an internal location, the one the README's env names.
    internal = nginx_location(conf, "/protected-media/")
    assert re.search(r"^\s*internal;", internal, re.M)
    assert "alias /srv/dangjian/media/;" in internal
    readme = (ROOT / "README.md").read_text()
    assert "PORTAL_X_ACCEL_REDIRECT=/protected-media/" in readme


def test_an_old_address_with_a_nul_character_is_a_404_before_any_lookup(client, attachment):
    """PostgreSQL refuses a NUL in a query with an error: it must never get there."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/media/attachments/a%00b.pdf").status_code == 404
    assert not [query for query in queries if "articles_attachment" in query["sql"]]
