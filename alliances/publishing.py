"""先审后发 for alliance records: a secretary proposes a public version, committee staff decide.

Meetings and activities are internal. ``propose`` puts a version written for readers in the
committee's queue; ``approve`` makes it the one readers see (retiring the one before, which
stayed online meanwhile); ``send_back`` returns it with a reason the secretary sees;
``withdraw`` takes a record off the public site. Each step is one transaction with an audit
entry. Who may do what: secretaries of the record's alliance propose, committee staff decide.

An activity may also be sent to the news editors: ``propose(..., news_category=...)`` makes an
article in review (待审核) in that section from the public text and copies of the chosen
photos, so it goes through the articles' own review and outlives the photos.
"""

from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from articles.models import Article, Category
from articles.services import article_save
from portal import audit
from portal.uploads import RandomName

from .access import is_committee, kept_alliances
from .models import PublicPhoto, PublicVersion

Status = PublicVersion.Status


def _require_committee(user):
    if not is_committee(user):
        raise PermissionDenied("只有机关工委工作人员可以审核公开申请。")


def _record_field(record):
    return {"meeting" if record._meta.model_name == "jointmeeting" else "activity": record}


def versions_of(record):
    return PublicVersion.objects.filter(**_record_field(record))


def published_version(record):
    return versions_of(record).filter(status=Status.PUBLISHED).first()


def pending_version(record):
    return versions_of(record).filter(status=Status.PENDING).first()


@dataclass
class PublicState:
    """What the secretary's panel shows of a record: online, waiting, and the last decision."""

    published: PublicVersion | None
    pending: PublicVersion | None
    latest: PublicVersion | None  # the newest proposal, whatever became of it

    @property
    def returned(self):
        return self.latest if self.latest and self.latest.status == Status.RETURNED else None

    @property
    def withdrawn(self):
        return self.latest if self.latest and self.latest.status == Status.WITHDRAWN else None

    @property
    def draft_from(self):
        """The version the form starts from: the one waiting, else the newest, else none."""
        return self.pending or self.latest


def state_of(record):
    versions = list(
        versions_of(record)
        .exclude(status=Status.REPLACED)
        .select_related("reviewed_by")
        .prefetch_related("photos")
        .order_by("-pk")
    )
    return PublicState(
        published=next((v for v in versions if v.status == Status.PUBLISHED), None),
        pending=next((v for v in versions if v.status == Status.PENDING), None),
        latest=versions[0] if versions else None,
    )


def awaiting_fix(alliances):
    """Versions sent back whose record has had no newer proposal since: the secretary's to-do."""
    newer = PublicVersion.objects.filter(
        Q(meeting__isnull=False, meeting=OuterRef("meeting"))
        | Q(activity__isnull=False, activity=OuterRef("activity")),
        pk__gt=OuterRef("pk"),
    )
    return (
        PublicVersion.objects.filter(status=Status.RETURNED, alliance__in=alliances)
        .exclude(Exists(newer))
        .select_related("alliance", "reviewed_by")
        .order_by("-reviewed_at", "-pk")
    )


def news_sections():
    """Where an activity may be sent as news: the sections that carry news (动态要闻类)."""
    return (
        Category.objects.filter(column_type=Category.ColumnType.NEWS)
        .select_related("parent")
        .order_by("parent__position", "parent_id", "position", "pk")
    )


@transaction.atomic
def propose(*, record, title, held_on, text, photos=(), by, news_category=None):
    """Put a public version of ``record`` in the committee's queue.

    ``photos`` are (Photo of this record, alt text) pairs in display order. A proposal still
    waiting is replaced by this one; a published version stays online until this is approved.
    With ``news_category`` (activities only) an article in review is made from it as well.
    """
    if not kept_alliances(by).filter(pk=record.alliance_id).exists():
        raise PermissionDenied("只有本联盟的联络员可以申请公开。")
    # Two proposals of one record at once would both find no pending one: take turns.
    type(record).objects.select_for_update().filter(pk=record.pk).exists()
    own = set(record.photos.values_list("pk", flat=True))
    if any(photo.pk not in own for photo, _ in photos):
        raise ValidationError("只能选择这条记录自己的照片。")
    if any(not alt.strip() for _, alt in photos):
        raise ValidationError("每张公开的照片都要写一句说明，供读屏软件朗读。")
    if news_category is not None and "activity" not in _record_field(record):
        raise ValidationError("只有联办活动可以同时作为新闻报送。")
    # Kept, not deleted: the queue's history shows what was proposed and when.
    versions_of(record).filter(status=Status.PENDING).update(status=Status.REPLACED)
    version = PublicVersion(
        **_record_field(record), title=title, held_on=held_on, text=text, proposed_by=by
    )
    version.full_clean()
    version.save()
    PublicPhoto.objects.bulk_create(
        PublicPhoto(version=version, photo=photo, alt=alt.strip(), position=position)
        for position, (photo, alt) in enumerate(photos)
    )
    article = (
        _news_article(version, [(p, a.strip()) for p, a in photos], news_category, by)
        if news_category is not None
        else None
    )
    audit.record(
        by=by,
        action="public_version.propose",
        obj=record,
        summary=f"申请公开“{title}”" + ("，并作为新闻报送" if article else ""),
        alliance=record.alliance_id,
        version=version.pk,
        article=article.pk if article else None,
    )
    return version


def _copy(photo, folder):
    """A copy of the photo's file under ``folder``: the article keeps it if the photo goes."""
    with photo.image.open("rb") as source:
        data = source.read()
    return RandomName(folder)(None, PurePath(photo.image.name).name), ContentFile(data)


def _news_article(version, photos, category, by):
    if category.column_type != Category.ColumnType.NEWS:
        raise ValidationError(f"“{category}”不是新闻类栏目，请另选一个。")
    article = Article(
        title=version.title,
        category=category,
        kind=Article.Kind.NEWS,
        status=Article.Status.REVIEW,
        source=version.record.alliance.name,
        author=(by.get_full_name() or by.username)[:60],
    )
    paragraphs = format_html_join(
        "", "<p>{}</p>", ((line.strip(),) for line in version.text.splitlines() if line.strip())
    )
    figures = []
    if photos:
        name, content = _copy(photos[0][0], "covers")
        article.cover.save(name, content, save=False)
        article.cover_alt = photos[0][1]
    for photo, alt in photos[1:]:
        stored = default_storage.save(*_copy(photo, "editor"))
        figures.append(
            format_html(
                '<figure><img src="{}" alt="{}"><figcaption>{}</figcaption></figure>',
                default_storage.url(stored),
                alt,
                alt,
            )
        )
    article.body = paragraphs + "".join(figures)
    return article_save(article=article, by=by, reason="联盟报送，提交审核")


def _decide(version, by):
    _require_committee(by)
    version = PublicVersion.objects.select_for_update().filter(pk=version.pk).first()
    if version is None:
        raise ValidationError("这份申请已不存在（记录可能已被删除）。")
    if version.status == Status.REPLACED:
        raise ValidationError("联络员已重新提交了这份申请，请审核新的版本。")
    if version.status != Status.PENDING:
        raise ValidationError(
            f"这份申请已经审核过了（{version.get_status_display()}），不需要再次审核。"
        )
    version.reviewed_by, version.reviewed_at = by, timezone.now()
    return version


@transaction.atomic
def approve(*, version, by, note=""):
    """Publish ``version``; the version readers saw until now is retired."""
    version = _decide(version, by)
    versions_of(version.record).filter(status=Status.PUBLISHED).update(status=Status.REPLACED)
    version.status, version.review_note = Status.PUBLISHED, note
    version.save()
    audit.record(
        by=by,
        action="public_version.approve",
        obj=version.record,
        summary=f"同意公开“{version.title}”",
        alliance=version.alliance_id,
        version=version.pk,
    )
    return version


@transaction.atomic
def send_back(*, version, by, note):
    """Return ``version`` to the secretary with ``note`` (required: they must know what to fix)."""
    if not note.strip():
        raise ValidationError("退回时请写明理由，联络员会看到。")
    version = _decide(version, by)
    version.status, version.review_note = Status.RETURNED, note.strip()
    version.save()
    audit.record(
        by=by,
        action="public_version.return",
        obj=version.record,
        summary=f"退回公开申请“{version.title}”",
        alliance=version.alliance_id,
        version=version.pk,
        note=version.review_note,
    )
    return version


@transaction.atomic
def withdraw(*, record, by, note=""):
    """Take ``record`` off the public site (committee staff)."""
    _require_committee(by)
    version = versions_of(record).select_for_update().filter(status=Status.PUBLISHED).first()
    if version is None:
        raise ValidationError("这条记录目前没有公开，无需撤回。")
    version.status, version.review_note = Status.WITHDRAWN, note
    version.reviewed_by, version.reviewed_at = by, timezone.now()
    version.save()
    audit.record(
        by=by,
        action="public_version.withdraw",
        obj=record,
        summary=f"撤回公开的“{version.title}”",
        alliance=record.alliance_id,
        version=version.pk,
        note=note,
    )
    return version
