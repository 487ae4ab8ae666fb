"""make backup / make restore lose nothing: every field of every row, not only the number of
rows (tests/portal/test_backup.py counts the rows and hashes the files)."""

import io
from datetime import datetime, time

import pytest
from django.core import serializers
from django.core.management import call_command

from articles.models import Article
from portal import audit
from portal.backup import backed_up_models
from tests.factories import StaffFactory
from tests.portal.test_backup import (  # noqa: F401 - _forget_content_types is an autouse fixture
    _forget_content_types,
    empty_the_site,
    snapshot_media,
    upload_image,
)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def _comparable(value):
    """The archive is JSON, which keeps times to the millisecond (DjangoJSONEncoder)."""
    if isinstance(value, datetime | time):
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    return value


def every_row():
    """{model: sorted rows}, each row every field and many-to-many link, related rows named
    by their natural keys where they have one (as the archive names them)."""
    rows = {}
    for model in backed_up_models():
        objects = serializers.serialize(
            "python",
            model._base_manager.all(),
            use_natural_foreign_keys=True,
            use_natural_primary_keys=True,
        )
        rows[model._meta.label_lower] = sorted(
            repr(
                (
                    row.get("pk"),
                    sorted((name, repr(_comparable(v))) for name, v in row["fields"].items()),
                )
            )
            for row in objects
        )
    return rows


def test_restore_gives_back_every_field_of_every_row_and_every_file(
    client, db, media_root, tmp_path
):
    call_command("load_demo", stdout=io.StringIO())
    uploader = StaffFactory(username="uploader", groups=["编辑"])
    upload_image(client, uploader)
    Article.objects.update(view_count=7)
    audit.record(by=uploader, action="test", obj=Article.objects.first(), summary="一条记录")
    rows, files = every_row(), snapshot_media(media_root)
    assert sum(map(len, rows.values())) > 500 and len(files) > 10

    call_command("backup_site", output_dir=str(tmp_path / "backups"), stdout=io.StringIO())
    archive = next((tmp_path / "backups").glob("dangjian-backup-*.tar.gz"))
    empty_the_site(media_root)
    assert Article.objects.count() == 0
    call_command("restore_site", str(archive), stdout=io.StringIO())

    restored = every_row()
    changed = {label: len(set(rows[label]) ^ set(restored[label])) for label in rows}
    assert {label: n for label, n in changed.items() if n} == {}
    assert restored == rows
    assert snapshot_media(media_root) == files
