"""Writes to alliances, each in one transaction with an audit entry.

The workspace and the admin call these same functions: there is one write path per action.
Membership changes first freeze the rotation of every period that has begun, so that no
later join, leave or reorder can change who hosted in the past.
"""

import uuid
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from portal import audit
from portal.richtext import RichTextField, sanitize_html

from . import feedback, plausibility, rotation
from .access import COMMITTEE_PERMISSION
from .models import (
    Activity,
    Alliance,
    Booking,
    Branch,
    Facility,
    JointMeeting,
    Membership,
    RotationSlot,
)
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


def _apply(membership, by):
    """A branch asks to join (``membership``: unsaved, its alliance, branch and reason set)."""
    membership.status, membership.is_lead = Membership.Status.APPLIED, False
    membership.joined_on = membership.left_on = None
    membership.validate_constraints()  # the constraints' own Chinese messages
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError as error:  # a simultaneous second application
        raise ValidationError("这个党组织已经加入或正在申请加入该联盟。") from error
    audit.record(
        by=by,
        action="membership.apply",
        obj=membership,
        summary=f"{membership.branch}申请加入{membership.alliance}",
    )


@transaction.atomic
def membership_apply(*, membership, by):
    """A unit's application to join (the workspace's form): ``membership`` unsaved, with its
    alliance, an existing branch and the reason; committee staff decide it later."""
    if membership.alliance.status != Alliance.Status.ACTIVE:
        raise ValidationError("这个联盟目前不接受入盟申请。")
    if not membership.reason.strip():
        raise ValidationError("请填写申请理由。")
    _apply(membership, by)
    return membership


def _decide(membership, by, status, note, summary):
    """Record a committee decision on an application, with its audit entry."""
    membership.status = status
    membership.decided_by, membership.decided_at = by, timezone.now()
    membership.decision_note = note
    membership.save()
    action = "membership.approve" if status == Membership.Status.ACTIVE else "membership.reject"
    audit.record(by=by, action=action, obj=membership, summary=summary, note=note)
    return membership


def _check_application(membership, by):
    _require_committee(by)
    if membership.status != Membership.Status.APPLIED:
        raise ValidationError("只能审批“申请中”的申请。")
    if membership.alliance.status == Alliance.Status.PROPOSED:
        raise ValidationError("这个联盟还在申请成立，请审批整个成立申请。")


def _require_reason(note):
    if not note.strip():
        raise ValidationError("请填写不予批准的理由。")


def _approve(membership, by, joined_on, note):
    _check_application(membership, by)
    alliance = membership.alliance
    last = alliance.memberships.aggregate(last=Max("rotation_order"))["last"] or 0
    membership.joined_on = joined_on or timezone.localdate()
    membership.rotation_order = last + 1
    summary = f"批准{membership.branch}加入{alliance}"
    return _decide(membership, by, Membership.Status.ACTIVE, note, summary)


@transaction.atomic
def membership_approve(*, membership, by, joined_on=None, note=""):
    rotation_freeze(alliance=membership.alliance)
    return _approve(membership, by, joined_on, note)


@transaction.atomic
def membership_reject(*, membership, by, note):
    _check_application(membership, by)
    _require_reason(note)
    summary = f"未批准{membership.branch}加入{membership.alliance}"
    return _decide(membership, by, Membership.Status.REJECTED, note, summary)


def _check_leave(membership, left_on):
    if membership.status != Membership.Status.ACTIVE:
        raise ValidationError("只有现有成员可以退出。")
    if membership.is_lead:
        raise ValidationError("牵头单位不能直接退出，请先指定新的牵头单位。")
    if (left_on or timezone.localdate()) < membership.joined_on:
        raise ValidationError("退出日期不能早于加入日期。")


def _leave(membership, by, left_on, note):
    _require_committee(by)
    _check_leave(membership, left_on)
    left_on = left_on or timezone.localdate()
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
def membership_leave(*, membership, by, left_on=None, note=""):
    """A member leaves; its record stays, so past rotations and ledgers still name it."""
    membership.refresh_from_db()  # the lead may have been handed on since it was loaded
    rotation_freeze(alliance=membership.alliance)
    return _leave(membership, by, left_on, note)


def _make_lead(membership, by):
    """Hand the lead to ``membership`` (an active member, see check_memberships)."""
    _require_committee(by)
    membership.alliance.memberships.filter(is_lead=True).update(is_lead=False)
    membership.is_lead = True
    membership.save(update_fields=["is_lead"])
    audit.record(
        by=by, action="membership.lead", obj=membership, summary=f"{membership.branch}任牵头单位"
    )


def _reorder(alliance, positions, by):
    """Number the active non-lead members 1, 2, … by ``positions`` ({id: wanted position});
    a member not named keeps its place."""
    members = alliance.memberships.filter(status=Membership.Status.ACTIVE, is_lead=False)
    members = sorted(members, key=lambda m: (positions.get(m.pk, m.rotation_order), m.pk))
    for position, membership in enumerate(members, start=1):
        membership.rotation_order = position
        membership.save(update_fields=["rotation_order"])
    audit.record(
        by=by,
        action="membership.reorder",
        obj=alliance,
        summary=f"调整{alliance}的轮值顺序",
        order=[membership.branch.unit for membership in members],
    )


def _edit(membership, changes, by):
    """Corrections that are no decision (reason, note, dates), saved as they are."""
    for name, (_, new) in changes.items():
        setattr(membership, name, new)
    membership.validate_constraints()
    membership.save()
    audit.record(
        by=by,
        action="membership.change",
        obj=membership,
        summary=f"修改{membership}",
        changes=changes,
    )


def _delete(membership, by):
    audit.record(
        by=by,
        action="membership.delete",
        obj=membership,
        summary=f"删除{membership}",
        status=membership.status,
        joined_on=membership.joined_on,
        left_on=membership.left_on,
    )
    membership.delete()


# The changes of status in the admin's form that are a decision; no other is allowed.
APPROVE = (Membership.Status.APPLIED, Membership.Status.ACTIVE)
REJECT = (Membership.Status.APPLIED, Membership.Status.REJECTED)
LEAVE = (Membership.Status.ACTIVE, Membership.Status.LEFT)


def check_memberships(alliance, memberships):
    """Refuse an edit of ``alliance``'s memberships (holding their form's values) that no
    action allows; return the rows as saved ({id: row}). The admin's forms call this to
    show a refusal as a form error; memberships_save calls it again in its transaction."""
    saved = Membership.objects.in_bulk([m.pk for m in memberships if m.pk])
    leads = sum(m.is_lead for m in memberships)
    if leads > 1:
        raise ValidationError("一个联盟只能有一个牵头单位。")
    for new in memberships:
        old = saved.get(new.pk)
        move = (old.status if old else None, new.status)
        if old is None:
            if new.status not in Membership.OPEN:
                raise ValidationError("新增的成员单位只能是“申请中”或“成员”。")
            if alliance.status != Alliance.Status.ACTIVE:
                raise ValidationError("这个联盟目前不接受入盟申请。")
        elif (old.alliance_id, old.branch_id) != (new.alliance_id, new.branch_id):
            raise ValidationError("不能更换成员单位的联盟或党组织；请让其退出后重新申请。")
        elif old.status != new.status and move not in (APPROVE, REJECT, LEAVE):
            raise ValidationError(
                f"{new.branch}的状态不能从“{Membership.Status(old.status).label}”"
                f"改为“{Membership.Status(new.status).label}”。"
            )
        if move == REJECT:
            _require_reason(new.decision_note)
        if move == LEAVE:
            _check_leave(old, new.left_on)
        if new.is_lead and new.status != Membership.Status.ACTIVE:
            raise ValidationError("只有现有成员可以担任牵头单位。")
        if old and old.is_lead and not leads:
            raise ValidationError("要更换牵头单位，请在新的牵头单位上勾选“牵头单位”。")
    return saved


def _save(new, old, by):
    """Save one edited membership (``old``: as saved, None if new) through the action its
    change of status means, taken with the form's values."""
    if old is None:
        status, joined_on, note = new.status, new.joined_on, new.decision_note
        _apply(new, by)
        if status == Membership.Status.ACTIVE:  # entered as a member: approved at once
            _approve(new, by, joined_on, note)
        return
    move = (old.status, new.status)
    decided = move in (APPROVE, REJECT, LEAVE)
    plain = ["reason"] if decided else ["reason", "joined_on", "left_on", "decision_note"]
    changes = audit.changed_fields(old, new, plain)
    if changes:
        _edit(old, changes, by)
    if move == APPROVE:
        _approve(old, by, new.joined_on, new.decision_note)
    elif move == REJECT:
        membership_reject(membership=old, by=by, note=new.decision_note)
    elif move == LEAVE:
        _leave(old, by, new.left_on, new.decision_note)


@transaction.atomic
def memberships_save(*, alliance, memberships=(), removed=(), by):
    """Save an alliance's memberships as edited in the admin, each change through its action.

    ``memberships`` hold their form's values. A new one is an application (申请中), or,
    entered as 成员, one approved at once. A change of status is the decision it means
    (APPROVE, REJECT, LEAVE); ticking 牵头单位 hands the lead over; new rotation numbers
    reorder the other members; other edits are corrections. ``removed`` are deleted,
    audited as they were.

    The rotation is frozen once, before any of these changes, so that members entered
    together (say, a new alliance's roster with past join dates) share the past periods.
    """
    saved = check_memberships(alliance, memberships)
    lead = next((m for m in memberships if m.is_lead), None)
    positions = {
        m.pk: m.rotation_order
        for m in memberships
        if m.pk in saved and m.rotation_order != saved[m.pk].rotation_order
    }
    rotation_freeze(alliance=alliance)
    for membership in removed:
        _delete(membership, by)
    for membership in memberships:
        _save(membership, saved.get(membership.pk), by)
    lead = lead and saved.get(lead.pk, lead)  # after every join, so a new member can lead
    if lead and not lead.is_lead:
        _make_lead(lead, by)
    if positions:
        _reorder(alliance, positions, by)


def check_founding(lead, members):
    """A founding needs exactly one lead (None: not one ticked) and another member."""
    if lead is None:
        raise ValidationError("请勾选一个（且只勾选一个）牵头单位。")
    if not [m for m in members if m != lead]:
        raise ValidationError("成立联盟至少需要牵头单位和一个成员单位。")


@transaction.atomic
def alliance_found(*, alliance, lead, members, reason, by):
    """Branches apply together to found ``alliance`` (unsaved): it waits as 申请成立."""
    check_founding(lead, members)
    members = [m for m in members if m != lead]
    alliance.status = Alliance.Status.PROPOSED
    alliance.founded_on = timezone.localdate()
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
        summary=f"{lead.unit}等{len(members) + 1}个单位申请成立{alliance}",
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
        _require_reason(note)
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


BOOKING_FIELDS = ["facility_id", "branch_id", "alliance_id", "starts_at", "ends_at", "purpose"]


@transaction.atomic
def booking_save(*, booking, by):
    """Book a room or change a booking; refuses overlaps with a clear message on every database."""
    Facility.objects.select_for_update().filter(pk=booking.facility_id).first()
    before = Booking.objects.filter(pk=booking.pk).first() if booking.pk else None
    if before is None:
        booking.booked_by = by
    booking.full_clean()
    try:
        with transaction.atomic():
            booking.save()
    except IntegrityError as error:  # the PostgreSQL exclusion constraint, under a race
        raise ValidationError("该时段已被其他单位预约，请换一个时间。") from error
    audit.record(
        by=by,
        action=f"booking.{'change' if before else 'add'}",
        obj=booking,
        summary=f"{booking.branch.unit}{'修改' if before else ''}预约{booking.facility}",
        changes=audit.changed_fields(before or Booking(), booking, BOOKING_FIELDS),
    )
    return booking


@transaction.atomic
def booking_delete(*, booking, by):
    audit.record(
        by=by,
        action="booking.delete",
        obj=booking,
        summary=f"删除{booking.branch.unit}对{booking.facility}的预约",
        deleted={name: getattr(booking, name) for name in BOOKING_FIELDS},
    )
    booking.delete()


def check_cancel(booking, by, now=None):
    """Only the person who booked, or committee staff, may cancel; and only what has not begun."""
    if booking.booked_by_id != by.pk and not by.has_perm(COMMITTEE_PERMISSION):
        raise PermissionDenied("只能取消自己登记的预约。")
    if booking.starts_at <= (now or timezone.now()):
        raise ValidationError("这次预约已经开始或已经结束，不能取消。")


@transaction.atomic
def booking_cancel(*, booking, by):
    """取消预约 in the workspace: the checks above, then the same delete as the admin's."""
    check_cancel(booking, by)
    booking_delete(booking=booking, by=by)


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


def _guests_of(record):
    """{branch id: (guests, reason)} of the rows with guests (列席人员)."""
    return {
        row.branch_id: (row.guests, row.guests_reason)
        for row in record.attendance.all()
        if row.guests
    }


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


# How long a record counts as "just saved" for identical_record: the browser's Back, then
# 保存, happens within minutes; two identical records an hour apart were meant.
DUPLICATE_WINDOW = timedelta(hours=1)


def identical_record(record, attendance, by):
    """A record of the same alliance that ``by`` saved within DUPLICATE_WINDOW with the same
    fields and attendance as ``record`` (unsaved): the same form sent again with a new token,
    as after the browser's Back button (which reloads the form) and 保存."""
    model = type(record)
    values = {}
    for name in RECORD_FIELDS[model._meta.model_name]:
        value = getattr(record, name)
        if isinstance(model._meta.get_field(name.removesuffix("_id")), RichTextField):
            value = sanitize_html(value)  # as saved
        values[name] = value
    wanted = {branch: heads for branch, heads in attendance.items() if heads}
    candidates = model.objects.filter(
        alliance=record.alliance_id,
        created_by=by,
        created_at__gte=timezone.now() - DUPLICATE_WINDOW,
        **values,
    ).prefetch_related("attendance")
    return next((c for c in candidates if _attendance_of(c) == wanted), None)


def duplicate_of(record, attendance, token, by):
    """What an earlier submission of this new record's form saved, if any: by the form's
    one-time token, or by identical content (identical_record)."""
    earlier = earlier_submission(type(record), record.alliance, token)
    return earlier or identical_record(record, attendance, by)


def check_members(record, attendance):
    """Refuse a host or attending branch ({branch id: head count}) that is not (or was not)
    a member of the record's alliance; a record keeps those it names unless it moves."""
    same = type(record).objects.filter(pk=record.pk, alliance=record.alliance_id)
    kept = same.first() if record.pk else None
    known = {kept.host_id, *_attendance_of(kept)} if kept else set()
    named = {record.host_id, *(branch for branch, heads in attendance.items() if heads)}
    members = record.alliance.memberships.exclude(
        status__in=[Membership.Status.APPLIED, Membership.Status.REJECTED]
    ).values_list("branch_id", flat=True)
    strangers = named - known - set(members) - {None}
    if strangers:
        names = "、".join(Branch.objects.filter(pk__in=strangers).values_list("unit", flat=True))
        raise ValidationError(f"{names}不是{record.alliance}的成员单位，不能作为主办或参加单位。")


def _save_photos(record, photos, removed):
    """Add the new photos (numbered after the others unless placed), change and remove."""
    for photo in removed:
        photo.delete()
    start = record.photos.count()
    for photo in photos:
        if photo.pk is None:
            setattr(photo, "meeting" if isinstance(record, JointMeeting) else "activity", record)
            photo.caption = photo.caption or f"{record}现场照片"
            if photo.position is None:
                photo.position, start = start, start + 1
        photo.save()


def _check_plausible(record, wanted, guests, before_attendance, before_guests):
    """The rules of alliances.plausibility and the model's constraints, as ValidationErrors.

    Head counts are checked where they change: a branch that has shrunk since does not block
    the correction of an old record's topic."""
    changed = {b: heads for b, heads in wanted.items() if before_attendance.get(b) != heads}
    new_guests = {b: g for b, g in guests.items() if before_guests.get(b) != g}
    branches = Branch.objects.in_bulk(changed.keys() | new_guests.keys())
    plausibility.check_attendance(branches, changed, new_guests)
    if isinstance(record, Activity):
        plausibility.check_activity_dates(record)
    record.clean()  # the year and quarter the constraints are about
    record.validate_constraints()  # one regular meeting / one central study per quarter


@transaction.atomic
def record_save(*, record, attendance, by, photos=(), removed_photos=(), token=None, guests=None):
    """Create or change a meeting or activity with its attendance and photos, audited.

    ``attendance`` maps branch ids to the party members who came (0 or missing: did not
    attend; None: as it was, guests too); ``guests`` maps branch ids to (count, reason) of
    the people beyond them (列席人员). Implausible figures (alliances.plausibility) and a
    second regular meeting or central study in a quarter are refused (ValidationError).

    ``photos`` are Photo rows to add (a new one without a caption is called after the
    record, without a position goes last) or change; ``removed_photos`` are deleted. A second
    submission of the same form (same ``token``, or the same content: duplicate_of) saves
    nothing and raises DuplicateSubmission.
    """
    model = type(record)
    if token and record.pk is None:
        earlier = duplicate_of(record, attendance or {}, token, by)
        if earlier:
            raise DuplicateSubmission(earlier)
        record.submission_token = token
    before = model.objects.filter(pk=record.pk).first() if record.pk else None
    before_attendance = _attendance_of(before) if before else {}
    before_guests = _guests_of(before) if before else {}
    if attendance is None:
        attendance, guests = before_attendance, before_guests
    guests = {b: (n, reason.strip()) for b, (n, reason) in (guests or {}).items() if n}
    wanted = {branch: heads for branch, heads in attendance.items() if heads}
    check_members(record, {**wanted, **dict.fromkeys(guests, 1)})
    _check_plausible(record, wanted, guests, before_attendance, before_guests)
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
    present = wanted.keys() | guests.keys()
    record.attendance.exclude(branch_id__in=present).delete()
    for branch_id in present:
        count, reason = guests.get(branch_id, (0, ""))
        record.attendance.update_or_create(
            branch_id=branch_id,
            defaults={
                "head_count": wanted.get(branch_id, 0),
                "guests": count,
                "guests_reason": reason,
            },
        )
    added = sum(photo.pk is None for photo in photos)
    _save_photos(record, photos, removed_photos)
    name = model._meta.model_name
    fields = RECORD_FIELDS[name]
    changes = {
        f: [getattr(before, f) if before else None, getattr(record, f)]
        for f in fields
        if before is None or getattr(before, f) != getattr(record, f)
    }
    if before_attendance != wanted:
        changes["attendance"] = [before_attendance, wanted]
    if before_guests != guests:
        changes["guests"] = [before_guests, guests]
    if added:
        changes["photos_added"] = added
    if len(photos) > added:
        changes["photos_changed"] = len(photos) - added
    if removed_photos:
        changes["photos_removed"] = [photo.caption for photo in removed_photos]
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
    feedback.document_submitted(document=document, by=by)
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
