"""make backup / make restore: one archive round-trips the whole site, bad input is refused."""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse
from PIL import Image

from articles.models import Article
from portal import audit
from portal.backup import EXCLUDED


@pytest.fixture(autouse=True)
def _forget_content_types():
    """The tests flush and refill the database inside their transaction: content types get
    new ids, which must not outlive the rollback in this process's cache."""
    yield
    ContentType.objects.clear_cache()


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.MEDIA_ROOT.mkdir()
    return settings.MEDIA_ROOT


def snapshot_rows():
    """{model label: row count} of every model the backup is meant to keep."""
    return {
        model._meta.label_lower: model._base_manager.count()
        for model in apps.get_models(include_auto_created=True)
        if model._meta.app_label not in EXCLUDED and model._meta.label_lower not in EXCLUDED
    }


def snapshot_media(root):
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(Path(root).rglob("*"))
        if path.is_file()
    }


def flush_database():
    if connection.vendor == "postgresql":
        # Inside the test's transaction the deferred foreign-key checks are still pending,
        # and PostgreSQL refuses to TRUNCATE a table with pending trigger events: run them now.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)


def empty_the_site(root):
    flush_database()
    for path in sorted(Path(root).rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()


def upload_image(client, editor):
    client.force_login(editor)
    image = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(image, "PNG")
    image.name = "photo.png"
    image.seek(0)
    response = client.post(reverse("portal:editor_upload"), {"upload": image})
    assert response.status_code == 200, response.content
    client.logout()


def test_backup_then_restore_into_an_empty_site_gives_back_every_row_and_file(
    client, db, media_root, tmp_path
):
    from tests.factories import StaffFactory

    call_command("load_demo", stdout=io.StringIO())
    uploader = StaffFactory(username="uploader", groups=["编辑"])
    upload_image(client, uploader)
    Article.objects.update(view_count=7)  # something load_demo would not recreate by itself
    audit.record(by=uploader, action="test", obj=Article.objects.first(), summary="一条记录")
    rows, files = snapshot_rows(), snapshot_media(media_root)
    assert rows["articles.article"] > 100 and rows["portal.auditentry"] > 0
    assert any(name.startswith("editor/") for name in files) and len(files) > 10

    out = io.StringIO()
    call_command("backup_site", output_dir=str(tmp_path / "backups"), stdout=out)
    archive = next((tmp_path / "backups").glob("dangjian-backup-*.tar.gz"))
    assert "正在导出数据库" in out.getvalue() and "备份完成" in out.getvalue()

    empty_the_site(media_root)
    assert Article.objects.count() == 0 and snapshot_media(media_root) == {}

    out = io.StringIO()
    call_command("restore_site", str(archive), stdout=out)
    assert "恢复完成" in out.getvalue()
    assert snapshot_rows() == rows
    assert snapshot_media(media_root) == files
    assert set(Article.objects.values_list("view_count", flat=True)) == {7}
    editor = StaffFactory._meta.model.objects.get(username="editor")
    assert editor.has_perm("articles.change_article")  # group permissions matched by name


@pytest.fixture
def small_backup(db, media_root, tmp_path):
    from tests.factories import ArticleFactory

    ArticleFactory(title="备份测试")
    (media_root / "a.txt").write_text("附件")
    return Path(call_command_quiet("backup_site", output_dir=str(tmp_path / "b.tar.gz")))


def call_command_quiet(name, *args, **options):
    call_command(name, *args, stdout=io.StringIO(), **options)
    return options.get("output_dir", "")


def test_restore_refuses_a_database_that_is_not_empty(small_backup):
    with pytest.raises(CommandError, match="数据库不是空的"):
        call_command_quiet("restore_site", str(small_backup))


def test_restore_refuses_a_media_folder_that_is_not_empty(small_backup, media_root):
    flush_database()
    with pytest.raises(CommandError, match=r"上传文件目录 .* 不是空的"):
        call_command_quiet("restore_site", str(small_backup))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "找不到备份文件"),
        (b"not an archive", "不是有效的备份文件"),
        ("truncated", "已损坏"),
        ("foreign", "不是本站的备份文件"),
    ],
)
def test_restore_explains_a_bad_archive_in_chinese(small_backup, tmp_path, content, message):
    path = tmp_path / "bad.tar.gz"
    if content == "truncated":
        path.write_bytes(small_backup.read_bytes()[:-200])
    elif content == "foreign":
        with tarfile.open(path, "w:gz") as tar:
            data = json.dumps({"format": "something-else"}).encode()
            info = tarfile.TarInfo("manifest.json")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    elif content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command_quiet("restore_site", str(path))


def test_a_tampered_file_is_caught_and_nothing_is_kept(small_backup, tmp_path, media_root):
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(small_backup) as source, tarfile.open(tampered, "w:gz") as target:
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if member.name == "media/a.txt":
                data = "被改过的附件".encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    flush_database()
    (media_root / "a.txt").unlink()

    with pytest.raises(CommandError, match=r"a\.txt 校验失败"):
        call_command_quiet("restore_site", str(tampered))
    assert Article.objects.count() == 0
    assert not (media_root / "a.txt").exists()


def test_restore_command_exits_non_zero_without_a_traceback(small_backup, tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "manage.py", "restore_site", str(tmp_path / "missing.tar.gz")],
        capture_output=True,
        text=True,
        env={"DJANGO_DEBUG": "1", "PATH": "", "DJANGO_LOG_LEVEL": "WARNING"},
        cwd=Path(__file__).resolve().parents[2],
        check=False,
    )
    assert result.returncode != 0
    assert "找不到备份文件" in result.stderr and "Traceback" not in result.stderr


def test_backup_to_a_place_it_cannot_write_says_so(db, media_root, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(CommandError, match="无法创建备份目录"):
        call_command_quiet("backup_site", output_dir=str(blocker / "sub" / "b.tar.gz"))
    assert not list(tmp_path.rglob("*.part"))
