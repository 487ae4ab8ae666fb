"""Writes to alliances, each in one transaction with an audit entry.

Membership changes first freeze the rotation of every period that has begun, so that no
later join, leave or reorder can change who hosted in the past.
"""

import uuid

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from portal import audit

from . import rotation
from .access import COMMITTEE_PERMISSION
from .models import Alliance, Booking, Facility, JointMeeting, Membership, Photo, RotationSlot
from .selectors import rotation_data


def _require_committee(user):
    if not user.has_perm(COMMITTEE_PERMISSION):
        raise PermissionDenied("只有机关工委工作人员可以审批入盟申请。")


@transaction.atomic
def rotation_freeze(*, alliance, today=None):
    """Write the host of every period that has begun and is not yet written."""
    today = today or timezone.localdate()
    if alliance.rotation == Alliance.Rotation.ACTIVITY or alliance.founded_on > today:
        return []
    Alliance.objects.select_for_update().filter(pk=alliance.pk).first()
    memberships, slots = rotation_data(alliance)
    new = [
        RotationSlot(alliance=alliance, starts_on=period.starts_on, host_id=host)
        for period, host in rotation.schedule(alliance, memberships, slots, today)
        if period.starts_on not in slots and host is not None
    ]
    return RotationSlot.objects.bulk_create(new)


def default_host(alliance, day):
    """The rotation's host for a meeting or activity held on ``day`` (a branch id or None)."""
    memberships, slots = rotation_data(alliance)
    last = alliance.activities.filter(held_on__lte=day).exclude(status="cancelled").first()
    return rotation.host_on(alliance, memberships, slots, day, last.host_id if last else None)


@transaction.atomic
def membership_apply(*, alliance, branch, reason, by):
    """A branch asks to join; committee staff decide later."""
    if alliance.status != Alliance.Status.ACTIVE:
        raise ValidationError("这个联盟目前不接受入盟申请。")
    membership = Membership(
        alliance=alliance, branch=branch, reason=reason, status=Membership.Status.APPLIED
    )
    membership.validate_constraints()  # the constraints' own Chinese messages
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as error:  # a simultaneous second application
        raise ValidationError("这个党组织已经加入或正在申请加入该联盟。") from error
    audit.record(
        by=by, action="membership.apply", obj=membership, summary=f"{branch}申请加入{alliance}"
    )
    return membership


DECISION_ACTIONS = {Membership.Status.ACTIVE: "approve", Membership.Status.REJECTED: "reject"}


def _decide(membership, by, status, note, summary):
    """Record a committee decision on an application, with its audit entry."""
    membership.status = status
    membership.decided_by, membership.decided_at = by, timezone.now()
    membership.decision_note = note
    membership.save()
    action = f"membership.{DECISION_ACTIONS[status]}"
    audit.record(by=by, action=action, obj=membership, summary=summary, note=note)
    return membership


def _check_application(membership, by):
    _require_committee(by)
    if membership.status != Membership.Status.APPLIED:
        raise ValidationError("只能审批“申请中”的申请。")


@transaction.atomic
def membership_approve(*, membership, by, joined_on=None, note=""):
    _check_application(membership, by)
    alliance = membership.alliance
    rotation_freeze(alliance=alliance)
    last = alliance.memberships.aggregate(last=Max("rotation_order"))["last"] or 0
    membership.joined_on = joined_on or timezone.localdate()
    membership.rotation_order = last + 1
    summary = f"批准{membership.branch}加入{alliance}"
    return _decide(membership, by, Membership.Status.ACTIVE, note, summary)


@transaction.atomic
def membership_reject(*, membership, by, note):
    _check_application(membership, by)
    if not note.strip():
        raise ValidationError("请填写不予批准的理由。")
    summary = f"未批准{membership.branch}加入{membership.alliance}"
    return _decide(membership, by, Membership.Status.REJECTED, note, summary)


@transaction.atomic
def membership_leave(*, membership, by, left_on=None, note=""):
    """A member leaves; its record stays, so past rotations and ledgers still name it."""
    _require_committee(by)
    membership.refresh_from_db()  # the lead may have been handed on since it was loaded
    if membership.status != Membership.Status.ACTIVE:
        raise ValidationError("只有现有成员可以退出。")
    if membership.is_lead:
        raise ValidationError("牵头单位不能直接退出，请先指定新的牵头单位。")
    left_on = left_on or timezone.localdate()
    if left_on < membership.joined_on:
        raise ValidationError("退出日期不能早于加入日期。")
    rotation_freeze(alliance=membership.alliance)
    membership.status = Membership.Status.LEFT
    membership.left_on = left_on
    membership.decision_note = note or membership.decision_note
    membership.save()
    audit.record(
        by=by,
        action="membership.leave",
        obj=membership,
        summary=f"{membership.branch}退出{membership.alliance}",
        left_on=left_on,
    )
    return membership


@transaction.atomic
def membership_make_lead(*, membership, by):
    """Hand the lead to another active member."""
    _require_committee(by)
    if membership.status != Membership.Status.ACTIVE:
        raise ValidationError("只有现有成员可以担任牵头单位。")
    alliance = membership.alliance
    rotation_freeze(alliance=alliance)
    alliance.memberships.filter(is_lead=True).update(is_lead=False)
    membership.is_lead = True
    membership.save(update_fields=["is_lead"])
    audit.record(
        by=by, action="membership.lead", obj=membership, summary=f"{membership.branch}任牵头单位"
    )
    return membership


@transaction.atomic
def membership_reorder(*, alliance, order, by):
    """Set the rotation order of the active non-lead members to the order of ``order`` (ids)."""
    members = {m.pk: m for m in alliance.memberships.filter(status=Membership.Status.ACTIVE)}
    movable = {pk for pk, m in members.items() if not m.is_lead}
    if set(order) != movable:
        raise ValidationError("轮值顺序须包含全部现有成员单位（牵头单位除外），且不能重复。")
    rotation_freeze(alliance=alliance)
    for position, pk in enumerate(order, start=1):
        members[pk].rotation_order = position
        members[pk].save(update_fields=["rotation_order"])
    audit.record(
        by=by,
        action="membership.reorder",
        obj=alliance,
        summary=f"调整{alliance}的轮值顺序",
        order=[members[pk].branch.unit for pk in order],
    )


@transaction.atomic
def alliance_found(*, name, slug, kind, lead, members, reason, by, building=None, rotation_mode):
    """Branches apply together to found a new alliance: it waits for approval as 申请成立."""
    if lead in members:
        members = [m for m in members if m != lead]
    if not members:
        raise ValidationError("成立联盟至少需要牵头单位和一个成员单位。")
    alliance = Alliance(
        name=name,
        slug=slug,
        kind=kind,
        building=building,
        rotation=rotation_mode,
        status=Alliance.Status.PROPOSED,
        founded_on=timezone.localdate(),
    )
    alliance.full_clean()
    alliance.save()
    Membership.objects.bulk_create(
        Membership(
            alliance=alliance,
            branch=branch,
            is_lead=branch == lead,
            rotation_order=order,
            reason=reason,
            status=Membership.Status.APPLIED,
        )
        for order, branch in enumerate([lead, *members])
    )
    audit.record(
        by=by,
        action="alliance.found",
        obj=alliance,
        summary=f"{lead.unit}等{len(members) + 1}个单位申请成立{name}",
        members=[branch.name for branch in [lead, *members]],
    )
    return alliance


@transaction.atomic
def alliance_found_decide(*, alliance, approve, by, note=""):
    """Approve (all applicants become members, the lead first) or reject a founding."""
    _require_committee(by)
    if alliance.status != Alliance.Status.PROPOSED:
        raise ValidationError("只能审批“申请成立”的联盟。")
    today = timezone.localdate()
    now = timezone.now()
    applied = alliance.memberships.filter(status=Membership.Status.APPLIED)
    if approve:
        alliance.status = Alliance.Status.ACTIVE
        alliance.founded_on = today
        applied.update(
            status=Membership.Status.ACTIVE,
            joined_on=today,
            decided_by=by,
            decided_at=now,
            decision_note=note,
        )
    else:
        if not note.strip():
            raise ValidationError("请填写不予批准的理由。")
        alliance.status = Alliance.Status.REJECTED
        applied.update(
            status=Membership.Status.REJECTED, decided_by=by, decided_at=now, decision_note=note
        )
    alliance.save()
    audit.record(
        by=by,
        action="alliance.approve" if approve else "alliance.reject",
        obj=alliance,
        summary=f"{'批准' if approve else '未批准'}成立{alliance}",
        note=note,
    )
    return alliance


@transaction.atomic
def booking_create(*, facility, branch, starts_at, ends_at, purpose, by):
    """Book a room; refuses overlaps with a clear message on every database."""
    Facility.objects.select_for_update().filter(pk=facility.pk).first()
    booking = Booking(
        facility=facility,
        branch=branch,
        starts_at=starts_at,
        ends_at=ends_at,
        purpose=purpose,
        booked_by=by,
    )
    booking.full_clean()
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as error:  # the PostgreSQL exclusion constraint, under a race
        raise ValidationError("该时段已被其他单位预约，请换一个时间。") from error
    audit.record(
        by=by,
        action="booking.create",
        obj=booking,
        summary=f"{branch.unit}预约{facility}",
        starts_at=starts_at,
        ends_at=ends_at,
    )
    return booking


RECORD_FIELDS = {
    "jointmeeting": ["held_on", "venue", "host_id", "is_regular", "topics", "decisions", "minutes"],
    "activity": [
        "title",
        "line",
        "held_on",
        "venue",
        "host_id",
        "status",
        "is_central_study",
        "description",
    ],
}


def _attendance_of(record):
    return {row.branch_id: row.head_count for row in record.attendance.all()}


def _record_link(record):
    return {"meeting": record} if isinstance(record, JointMeeting) else {"activity": record}


class DuplicateSubmission(Exception):
    """The same form was sent twice; ``record`` is what the first submission saved."""

    def __init__(self, record):
        super().__init__("重复提交")
        self.record = record


def earlier_submission(model, alliance, token):
    """The record an earlier submission of the same form created, if any."""
    try:
        token = uuid.UUID(str(token))
    except ValueError:
        return None
    return model.objects.filter(alliance=alliance, submission_token=token).first()


@transaction.atomic
def record_save(*, record, attendance, by, photos=(), caption="", token=None):
    """Create or change a meeting or activity with its attendance and new photos, audited.

    ``attendance`` maps branch ids to head counts (0 or missing: did not attend). A second
    submission of the same form (same ``token``) saves nothing and raises DuplicateSubmission.
    """
    model = type(record)
    if token and record.pk is None:
        earlier = model.objects.filter(submission_token=token).first()
        if earlier:
            raise DuplicateSubmission(earlier)
        record.submission_token = token
    before = model.objects.filter(pk=record.pk).first() if record.pk else None
    before_attendance = _attendance_of(before) if before else {}
    if record.pk is None:
        record.created_by = by
    try:
        with transaction.atomic():
            record.save()
    except IntegrityError as error:  # a race with the other click, or with another secretary
        earlier = model.objects.filter(submission_token=token).first() if token else None
        if earlier:
            raise DuplicateSubmission(earlier) from error
        raise ValidationError(
            "保存失败：与刚刚登记的记录冲突（例如本季度例会已登记），请刷新后再试。"
        ) from error
    wanted = {branch: heads for branch, heads in attendance.items() if heads}
    record.attendance.exclude(branch_id__in=wanted).delete()
    for branch_id, heads in wanted.items():
        record.attendance.update_or_create(branch_id=branch_id, defaults={"head_count": heads})
    start = record.photos.count()
    for number, image in enumerate(photos):
        Photo.objects.create(
            **_record_link(record),
            image=image,
            caption=caption or f"{record}现场照片",
            position=start + number,
        )
    name = model._meta.model_name
    fields = RECORD_FIELDS[name]
    changes = {
        f: [getattr(before, f) if before else None, getattr(record, f)]
        for f in fields
        if before is None or getattr(before, f) != getattr(record, f)
    }
    if before_attendance != wanted:
        changes["attendance"] = [before_attendance, wanted]
    if photos:
        changes["photos_added"] = len(photos)
    audit.record(
        by=by,
        action=f"{name}.{'change' if before else 'add'}",
        obj=record,
        summary=f"{'修改' if before else '登记'}{model._meta.verbose_name}“{record}”",
        alliance=record.alliance_id,
        changes=changes,
    )
    return record


@transaction.atomic
def record_delete(*, record, by):
    """Delete a meeting or activity; the audit entry keeps what it was."""
    model = type(record)
    snapshot = {f: getattr(record, f) for f in RECORD_FIELDS[model._meta.model_name]}
    snapshot["attendance"] = _attendance_of(record)
    audit.record(
        by=by,
        action=f"{model._meta.model_name}.delete",
        obj=record,
        summary=f"删除{model._meta.verbose_name}“{record}”",
        alliance=record.alliance_id,
        deleted=snapshot,
    )
    record.delete()


@transaction.atomic
def photo_delete(*, photo, by):
    record = photo.meeting or photo.activity
    audit.record(
        by=by,
        action="photo.delete",
        obj=record,
        summary=f"删除“{record}”的一张照片",
        alliance=record.alliance_id,
        caption=photo.caption,
    )
    photo.delete()


@transaction.atomic
def document_save(*, form, by):
    """Save an annual plan or phase report form, with what changed in the audit trail."""
    instance = form.instance
    existed = instance.pk is not None
    before = type(instance).objects.filter(pk=instance.pk).first() if existed else None
    document = form.save()
    audit.record(
        by=by,
        action=f"{document._meta.model_name}.{'change' if existed else 'add'}",
        obj=document,
        summary=f"{'修改' if existed else '填写'}{document}",
        alliance=document.alliance_id,
        changes={
            f: [getattr(before, f) if before else None, getattr(document, f)]
            for f in form.changed_data
        },
    )
    return document
