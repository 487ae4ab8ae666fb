"""One-file backups of the whole site: every app's rows and every uploaded file.

``make backup`` and ``make restore FILE=…`` (the backup_site and restore_site commands). The
archive is a .tar.gz of

- ``data.json``: ``dumpdata`` of every app with natural keys, so content types, permissions
  and the role groups are matched by name in the new database;
- ``media/``: the uploaded files (MEDIA_ROOT; with S3 storage they stay in the bucket);
- ``manifest.json``, written last: the format, the row count of every model and the SHA-256
  of every file, which the restore checks before it keeps anything.

It restores into a freshly migrated, empty database and an empty media folder, on SQLite
and PostgreSQL alike; anything wrong leaves both as they were. Every problem a person can
cause (a wrong path, a corrupt or foreign file, a database that is not empty) is a
``BackupError`` with a Chinese message.
"""

import contextlib
import hashlib
import io
import json
import os
import tarfile
import tempfile
import zlib
from pathlib import Path, PurePosixPath

from django.apps import apps
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import FileSystemStorage, default_storage
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.serializers.base import DeserializationError
from django.db import DatabaseError, connection, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .pagecache import content_changed

FORMAT = "dangjian-site-backup"
VERSION = 1
MANIFEST, DATA, MEDIA = "manifest.json", "data.json", "media"
# Rebuilt by migrate (content types, permissions), by PostgreSQL's trigger as the articles
# are loaded (the search's title pairs), or of no use in another database (sessions, login
# failure records).
EXCLUDED = ["contenttypes", "auth.permission", "articles.titlepair", "sessions", "axes"]
# Rows the migrations themselves create: present in an "empty" database.
CREATED_BY_MIGRATE = {"auth.group", "portal.sitesettings"}
CHUNK = 1024 * 1024


class BackupError(CommandError):
    """A problem with the archive or the target, told in Chinese; never a traceback."""


def backed_up_models():
    """The models whose rows go into the archive, in a stable order."""
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or meta.app_label in EXCLUDED or meta.label_lower in EXCLUDED:
            continue
        yield model


def row_counts():
    return {model._meta.label_lower: model._base_manager.count() for model in backed_up_models()}


def _media_root():
    """MEDIA_ROOT when uploads are on this disk, else None (S3 keeps its own copies)."""
    return Path(settings.MEDIA_ROOT) if isinstance(default_storage, FileSystemStorage) else None


def _media_files(root):
    if root is None or not root.is_dir():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def _human(size):
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return ""


class _HashingReader:
    """Reads a file for tarfile and hashes what passes through, so each file is read once."""

    def __init__(self, file):
        self.file = file
        self.sha256 = hashlib.sha256()

    def read(self, size=-1):
        chunk = self.file.read(size)
        self.sha256.update(chunk)
        return chunk


def _add_bytes(tar, name, content):
    info = tarfile.TarInfo(name)
    info.size = len(content)
    info.mtime = int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(content))


@contextlib.contextmanager
def _snapshot():
    """One transaction for the whole dump; on PostgreSQL a snapshot that concurrent writes
    cannot change halfway (SQLite's transaction already is one)."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        yield


def _applied_migrations():
    recorder = MigrationRecorder(connection)
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


def create_backup(target, *, say=print):
    """Write the archive to ``target`` (a directory gets a dated name); return its path."""
    target = Path(target)
    if target.is_dir() or not target.suffix:
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M%S")
        target = target / f"dangjian-backup-{stamp}.tar.gz"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BackupError(f"无法创建备份目录 {target.parent}：{error.strerror}") from error
    partial = target.with_name(target.name + ".part")
    media_root = _media_root()
    try:
        with tempfile.TemporaryDirectory() as work, tarfile.open(partial, "w:gz") as tar:
            data = Path(work) / DATA
            say("正在导出数据库……")
            with _snapshot():
                call_command(
                    "dumpdata",
                    exclude=EXCLUDED,
                    use_natural_foreign_keys=True,
                    use_natural_primary_keys=True,
                    use_base_manager=True,
                    output=str(data),
                    verbosity=0,
                )
                counts = row_counts()
                migrations = _applied_migrations()
            say(f"  {sum(counts.values())} 条记录，{len(counts)} 种数据。")
            tar.add(data, arcname=DATA)
            checksums = _add_media(tar, media_root, say)
            manifest = {
                "format": FORMAT,
                "version": VERSION,
                "created_at": timezone.now().isoformat(),
                "database": connection.vendor,
                "counts": counts,
                "media": checksums,
                "media_included": media_root is not None,
                "migrations": migrations,
            }
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False).encode())
        os.replace(partial, target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise BackupError(f"无法写入备份文件 {target}：{error.strerror or error}") from error
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    say(f"备份完成：{target}（{_human(target.stat().st_size)}）")
    return target


def _add_media(tar, root, say):
    if root is None:
        say("上传文件保存在对象存储中，不在本备份内，请用存储服务自己的备份。")
        return {}
    files = _media_files(root)
    total = sum(path.stat().st_size for path in files)
    say(f"正在打包上传文件：{len(files)} 个，共 {_human(total)}……")
    checksums = {}
    for number, path in enumerate(files, start=1):
        name = path.relative_to(root).as_posix()
        info = tar.gettarinfo(path, arcname=f"{MEDIA}/{name}")
        with path.open("rb") as file:
            reader = _HashingReader(file)
            tar.addfile(info, reader)
        checksums[name] = reader.sha256.hexdigest()
        if number % 200 == 0:
            say(f"  已打包 {number}/{len(files)} 个文件")
    return checksums


def _open_archive(path):
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"找不到备份文件：{path}")
    try:
        return tarfile.open(path, "r:gz")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(
            f"{path} 不是有效的备份文件（应为 make backup 生成的 .tar.gz）。"
        ) from error


def _read_manifest(tar, path):
    try:
        manifest = json.load(tar.extractfile(MANIFEST))
    except KeyError as error:
        raise BackupError(f"{path} 中没有 {MANIFEST}，不是本站的备份文件或已经损坏。") from error
    except (ValueError, tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"备份文件 {path} 已损坏，无法读取其中的 {MANIFEST}。") from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} 不是本站的备份文件。")
    if manifest.get("version") != VERSION:
        raise BackupError(
            f"备份文件格式版本为 {manifest.get('version')}，本程序只能恢复版本 {VERSION}。"
        )
    return manifest


def _media_members(tar, manifest):
    """The archive's media members, renamed relative to MEDIA_ROOT; refuses anything else."""
    members = []
    for member in tar.getmembers():
        if member.name in (MANIFEST, DATA):
            continue
        parts = PurePosixPath(member.name).parts
        if parts[:1] != (MEDIA,) or not member.isfile() or ".." in parts:
            raise BackupError(f"备份文件中有不应出现的内容：{member.name}")
        members.append(member.replace(name="/".join(parts[1:]), deep=False))
    names = {member.name for member in members}
    if names != set(manifest.get("media", {})):
        raise BackupError("备份文件不完整：上传文件与清单不一致，可能已经损坏。")
    return members


def _check_empty_target(media_root):
    try:
        occupied = [
            f"{model._meta.verbose_name} {count} 条"
            for model in backed_up_models()
            if model._meta.label_lower not in CREATED_BY_MIGRATE
            and (count := model._base_manager.count())
        ]
    except DatabaseError as error:
        raise BackupError(f"数据库还没有建表，请先运行 manage.py migrate。（{error}）") from error
    if occupied:
        raise BackupError(
            "数据库不是空的（已有" + "、".join(occupied[:5]) + "……），恢复只能在新建并 migrate "
            "过的空数据库上进行，以免新旧数据混在一起。"
        )
    if _media_files(media_root):
        raise BackupError(f"上传文件目录 {media_root} 不是空的，请换一个空目录或先清空它。")


def _sha256(path):
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def restore_backup(path, *, say=print):
    """Load the archive at ``path`` into the empty database and media folder."""
    media_root = _media_root()
    with _open_archive(path) as tar:
        manifest = _read_manifest(tar, path)
        say(f"备份时间：{manifest.get('created_at', '未知')}（{manifest.get('database')} 数据库）")
        if manifest.get("migrations", []) != _applied_migrations():
            say("注意：备份时的数据库结构版本与现在不同，将按现在的结构载入。")
        _check_empty_target(media_root)
        try:
            members = _media_members(tar, manifest)
        except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
            raise BackupError(f"备份文件 {path} 已损坏，无法读完。") from error
        if members and media_root is None:
            raise BackupError("现在的上传文件保存在对象存储中，不能从本备份恢复上传文件。")
        written = [media_root / member.name for member in members] if media_root else []
        try:
            with transaction.atomic(), tempfile.TemporaryDirectory() as work:
                _load_rows(tar, manifest, Path(work), say)
                _extract_media(tar, members, manifest, media_root, say)
        except BaseException:
            for file in written:  # the folder was empty: nothing here was there before
                file.unlink(missing_ok=True)
            raise
    content_changed()
    say(f"恢复完成：{sum(manifest['counts'].values())} 条记录，{len(members)} 个上传文件。")


def _load_rows(tar, manifest, work, say):
    say("正在载入数据库……")
    try:
        tar.extract(DATA, work, filter="data")
    except KeyError as error:
        raise BackupError(f"备份文件中没有 {DATA}，无法恢复。") from error
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError("备份文件已损坏，无法读出数据库内容。") from error
    # The content types migrate just made may not be the ones this process cached.
    ContentType.objects.clear_cache()
    try:
        call_command("loaddata", str(work / DATA), verbosity=0)
    except (DeserializationError, DatabaseError, CommandError) as error:
        raise BackupError(f"数据库内容无法载入，未做任何改动：{error}") from error
    counts = row_counts()
    wrong = [
        f"{label}（备份 {expected}，载入 {counts.get(label)}）"
        for label, expected in manifest["counts"].items()
        if counts.get(label, expected) != expected
    ]
    if wrong:
        raise BackupError("载入的记录数与备份不符，未做任何改动：" + "；".join(wrong))
    say(f"  已载入 {sum(manifest['counts'].values())} 条记录。")


def _extract_media(tar, members, manifest, root, say):
    if not members:
        return
    say(f"正在恢复上传文件：{len(members)} 个……")
    try:
        tar.extractall(root, members=members, filter="data")
    except (tarfile.TarError, OSError, EOFError, zlib.error) as error:
        raise BackupError(f"上传文件无法解出，未做任何改动：{error}") from error
    for member in members:
        if _sha256(root / member.name) != manifest["media"][member.name]:
            raise BackupError(f"上传文件 {member.name} 校验失败，备份文件可能已经损坏。")
