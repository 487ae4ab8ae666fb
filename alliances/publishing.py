"""先审后发 for alliance records: a secretary proposes a public version, committee staff decide.

Meetings and activities are internal. ``propose`` puts a version written for readers in the
committee's queue; ``approve`` makes it the one readers see (retiring the one before, which
stayed online meanwhile); ``send_back`` returns it with a reason the secretary sees;
``withdraw`` takes a record off the public site. Each step is one transaction with an audit
entry. Who may do what: secretaries of the record's alliance propose, committee staff decide.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal import audit

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


@transaction.atomic
def propose(*, record, title, held_on, text, photos=(), by):
    """Put a public version of ``record`` in the committee's queue.

    ``photos`` are (Photo of this record, alt text) pairs in display order. A proposal still
    waiting is replaced by this one; a published version stays online until this is approved.
    """
    if not kept_alliances(by).filter(pk=record.alliance_id).exists():
        raise PermissionDenied("只有本联盟的联络员可以申请公开。")
    own = set(record.photos.values_list("pk", flat=True))
    if any(photo.pk not in own for photo, _ in photos):
        raise ValidationError("只能选择这条记录自己的照片。")
    if any(not alt.strip() for _, alt in photos):
        raise ValidationError("每张公开的照片都要写一句说明，供读屏软件朗读。")
    versions_of(record).filter(status=Status.PENDING).delete()
    version = PublicVersion(
        **_record_field(record), title=title, held_on=held_on, text=text, proposed_by=by
    )
    version.full_clean()
    version.save()
    PublicPhoto.objects.bulk_create(
        PublicPhoto(version=version, photo=photo, alt=alt.strip(), position=position)
        for position, (photo, alt) in enumerate(photos)
    )
    audit.record(
        by=by,
        action="public_version.propose",
        obj=record,
        summary=f"申请公开“{title}”",
        alliance=record.alliance_id,
        version=version.pk,
    )
    return version


def _decide(version, by):
    _require_committee(by)
    version = PublicVersion.objects.select_for_update().get(pk=version.pk)
    if version.status != Status.PENDING:
        raise ValidationError(f"这份申请已经{version.get_status_display()}，不能再审核。")
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
        raise ValidationError("这条记录没有公开。")
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
