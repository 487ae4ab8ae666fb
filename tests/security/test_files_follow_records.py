"""Files go with their records (issue 14, item 4): deleting a photo, a meeting or activity, an
article or an attachment deletes its files, and replacing an upload deletes the old file —
once the transaction has committed, so a deletion that rolls back loses nothing. Loading
the demo again and restoring a backup lose nothing either.

These tests commit for real (``transaction=True``): the files are deleted on commit.
"""

import io

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import transaction
from PIL import Image

from alliances import demo as alliances_demo
from alliances import services
from alliances.models import Photo
from articles import demo as articles_demo
from articles.models import Article, Attachment
from portal.backup import create_backup, restore_backup
from tests.factories import (
    ActivityFactory,
    ArticleFactory,
    MeetingFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db(transaction=True)


def jpeg():
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "red").save(out, "JPEG")
    return ContentFile(out.getvalue())


def stored(*names):
    """The names among ``names`` that are still in the storage."""
    return [name for name in names if default_storage.exists(name)]


def photos_of(record, count):
    photos = []
    kind = "meeting" if record._meta.model_name == "jointmeeting" else "activity"
    for number in range(count):
        photo = Photo(caption=f"现场照片{number}", position=number, **{kind: record})
        photo.image.save(f"{number}.jpg", jpeg(), save=False)
        photo.save()
        photos.append(photo)
    return photos


@pytest.fixture
def secretary():
    return UserFactory(username="sec")


def test_deleting_workspace_photos_deletes_their_files(secretary):
    photos = photos_of(ActivityFactory(), 3)
    names = [photo.image.name for photo in photos]
    assert stored(*names) == names
    for photo in photos:
        services.photo_delete(photo=photo, by=secretary)
    assert stored(*names) == []


def test_a_deleted_photo_keeps_its_file_until_the_deletion_commits(secretary):
    photo = photos_of(ActivityFactory(), 1)[0]
    with transaction.atomic():
        services.photo_delete(photo=photo, by=secretary)
        assert stored(photo.image.name), "deleted before the commit"
    assert stored(photo.image.name) == []


def test_a_photo_deletion_that_rolls_back_keeps_the_file(secretary):
    photo = photos_of(ActivityFactory(), 1)[0]
    pk, name = photo.pk, photo.image.name
    with pytest.raises(RuntimeError), transaction.atomic():
        services.photo_delete(photo=photo, by=secretary)
        raise RuntimeError("a later step fails")
    assert Photo.objects.filter(pk=pk).exists()
    assert stored(name) == [name]


@pytest.mark.parametrize("factory", [MeetingFactory, ActivityFactory], ids=["meeting", "activity"])
def test_deleting_a_meeting_or_activity_deletes_the_files_of_its_photos(secretary, factory):
    names = [photo.image.name for photo in photos_of(factory(), 2)]
    record = factory._meta.model.objects.get()
    services.record_delete(record=record, by=secretary)
    assert stored(*names) == []


def test_photos_removed_in_the_record_form_lose_their_files(secretary):
    activity = ActivityFactory()
    kept, removed = photos_of(activity, 2)
    services.record_save(record=activity, attendance=None, by=secretary, removed_photos=[removed])
    assert stored(kept.image.name, removed.image.name) == [kept.image.name]


def video_article():
    article = ArticleFactory(kind=Article.Kind.VIDEO, cover_alt="封面")
    article.cover.save("c.jpg", jpeg(), save=False)
    article.video_poster.save("p.jpg", jpeg(), save=False)
    article.video_file.save("v.webm", ContentFile(b"\x1a\x45\xdf\xa3webm"), save=False)
    article.save()
    attachment = Attachment(article=article, title="附件1：申报表")
    attachment.file.save("a.pdf", ContentFile(b"%PDF-1.7\n"), save=False)
    attachment.save()
    return article, [
        article.cover.name,
        article.video_poster.name,
        article.video_file.name,
        attachment.file.name,
    ]


def test_deleting_an_article_deletes_its_cover_poster_video_and_attachments():
    article, names = video_article()
    assert stored(*names) == names
    article.delete()
    assert stored(*names) == []


def test_deleting_an_attachment_deletes_its_file():
    article, names = video_article()
    article.attachments.get().delete()
    assert stored(*names) == names[:3]


def test_replacing_a_cover_deletes_the_old_file_and_keeps_the_new():
    article, names = video_article()
    old = article.cover.name
    article = Article.objects.get(pk=article.pk)  # as the admin loads it
    article.cover.save("new.jpg", jpeg(), save=False)
    article.save()
    assert stored(old, article.cover.name) == [article.cover.name]
    assert stored(*names[1:]) == names[1:]  # the other fields were not touched


def media_files(root):
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def test_loading_the_demo_again_and_restoring_a_backup_delete_no_file(settings, tmp_path):
    """Both write rows whose files already exist (a rerun changes nothing, a restore loads
    raw rows): neither may look like a replaced upload, here where commits are real."""
    settings.MEDIA_ROOT = root = tmp_path / "media"
    root.mkdir()
    for _ in range(2):  # the demo's content (its accounts need the groups a flush removed)
        articles_demo.load_articles(io.StringIO())
        alliances_demo.load_alliances(io.StringIO())
    files = media_files(root)
    assert len(files) > 10 and any(name.startswith("attachments/") for name in files)
    archive = create_backup(tmp_path / "backups", say=lambda *args: None)
    call_command("flush", interactive=False, verbosity=0)
    for name in files:
        (root / name).unlink()
    ContentType.objects.clear_cache()
    restore_backup(archive, say=lambda *args: None)
    assert media_files(root) == files
