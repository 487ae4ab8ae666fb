"""The committee's side of the yearly cycle: feedback on plans and reports, their deadlines,
the reference list of activities (活动参考清单) and the showcase of good practice (经验推广).

Feedback: every save of an annual plan or phase report by a secretary is a submission
(``document_submitted``, called by services.document_save); committee staff mark it 已阅
(``document_read``) or send it back with a comment (``document_return``); the secretary
fixes it and saves again, which is a resubmission. Each step is a DocumentReview row, so the
history is kept and the document's state is its newest row.

Deadlines: the cycle of the seed plan (plan in April, carry out May–November, sum up in
December) lives in ``DEADLINES``; the workspace and the overview read it from here.
"""

import calendar
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import OuterRef, Q, Subquery
from django.urls import reverse

from portal import audit

from . import publishing, selectors
from .access import is_committee
from .models import (
    Activity,
    Alliance,
    AnnualPlan,
    DocumentReview,
    PhaseReport,
    ReferenceActivity,
    Showcase,
)

Decision = DocumentReview.Decision
Phase = PhaseReport.Phase


def _require_committee(user, what):
    if not is_committee(user):
        raise PermissionDenied(f"只有机关工委工作人员可以{what}。")


# Deadlines --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """When a yearly document may be filed (from the 1st of ``opens``) and must be (by the
    last day of ``due``)."""

    opens: int
    due: int

    def opens_on(self, year):
        return date(year, self.opens, 1)

    def due_on(self, year):
        return date(year, self.due, calendar.monthrange(year, self.due)[1])


# The seed plan: plan in April, carry out May–November, sum up in December.
PLAN_DEADLINE = Deadline(opens=4, due=4)
DEADLINES = {
    Phase.PLAN: Deadline(opens=4, due=4),
    Phase.CARRY_OUT: Deadline(opens=5, due=11),
    Phase.SUM_UP: Deadline(opens=12, due=12),
}


def report_open(phase, today):
    """Has the phase's report come due for filing this year (its month has begun)?"""
    return DEADLINES[phase].opens_on(today.year) <= today


STATE_CLASSES = {  # the workspace's state colours (site.css .state--*)
    "upcoming": "upcoming",
    "due": "due",
    "overdue": "missing",
    "waiting": "upcoming",
    "read": "held",
    "returned": "missing",
}
STATE_LABELS = {
    "upcoming": "未到报送时间",
    "due": "待报送",
    "overdue": "已逾期",
    "waiting": "已报送，待审阅",
    "read": "已阅",
    "returned": "退回修改",
}


@dataclass
class Slot:
    """One yearly document of one alliance: the plan or a phase report, filed or not."""

    alliance: object
    year: int
    phase: str | None  # None: the annual plan
    document: object  # AnnualPlan or PhaseReport, None while not filed
    today: date

    @property
    def deadline(self):
        return PLAN_DEADLINE if self.phase is None else DEADLINES[self.phase]

    @property
    def label(self):
        return "年度计划" if self.phase is None else f"{Phase(self.phase).label}阶段报告"

    @property
    def short_label(self):
        return "年度计划" if self.phase is None else Phase(self.phase).label.split("（")[0]

    @property
    def due_on(self):
        return self.deadline.due_on(self.year)

    @property
    def state(self):
        if self.document is None:
            if self.today < self.deadline.opens_on(self.year):
                return "upcoming"
            return "overdue" if self.today > self.due_on else "due"
        decision = getattr(self.document, "latest_decision", None)
        if decision == Decision.READ:
            return "read"
        if decision == Decision.RETURNED:
            return "returned"
        return "waiting"

    @property
    def state_label(self):
        if self.state == "due":
            return f"待报送（{self.due_on:%m月%d日}前）"
        if self.state == "overdue":
            return f"已逾期 {(self.today - self.due_on).days} 天"
        return STATE_LABELS[self.state]

    @property
    def state_class(self):
        return STATE_CLASSES[self.state]

    @property
    def needs_action(self):
        return self.state in ("due", "overdue", "returned")

    @property
    def url(self):
        """Where the secretary writes or fixes it."""
        if self.phase is None:
            return reverse("workspace:plan", args=[self.alliance.slug, self.year])
        return reverse("workspace:report", args=[self.alliance.slug, self.year, self.phase])

    @property
    def review_url(self):
        return review_url(self.document) if self.document else None


def _latest(field, name):
    return Subquery(
        DocumentReview.objects.filter(**{field: OuterRef("pk")}).order_by("-pk").values(name)[:1]
    )


def with_state(queryset, field):
    """Plans (``field`` "plan") or reports ("report") with their newest round's decision,
    its comment and time, for the to-do lists and the queue."""
    return queryset.annotate(
        latest_decision=_latest(field, "decision"),
        latest_comment=_latest(field, "comment"),
        latest_at=_latest(field, "at"),
    )


def slots(alliances, year, today):
    """{alliance id: [Slot of the plan and each phase report of ``year``]} in two queries."""
    ids = [alliance.pk for alliance in alliances]
    plans = {
        plan.alliance_id: plan
        for plan in with_state(AnnualPlan.objects.filter(alliance__in=ids, year=year), "plan")
    }
    reports = {
        (report.alliance_id, report.phase): report
        for report in with_state(PhaseReport.objects.filter(alliance__in=ids, year=year), "report")
    }
    return {
        alliance.pk: [Slot(alliance, year, None, plans.get(alliance.pk), today)]
        + [
            Slot(alliance, year, phase, reports.get((alliance.pk, phase)), today)
            for phase in Phase.values
        ]
        for alliance in alliances
    }


def attach_slots(rows, year, today):
    """Give each overview row (selectors.OverviewRow) its plan and report slots that have
    come due (those not yet open are left out)."""
    found = slots([row.alliance for row in rows], year, today)
    for row in rows:
        row.slots = [slot for slot in found[row.alliance.pk] if slot.state != "upcoming"]


def home_context(user, today):
    """The workspace home's part of the cycle: for a secretary, the documents sent back to
    fix and each own alliance's plan and reports of the year; for committee staff, how many
    wait to be read."""
    alliances = list(Alliance.objects.filter(secretaries=user, status=Alliance.Status.ACTIVE))
    year_slots = slots(alliances, today.year, today)
    return {
        "documents_returned": returned_documents(alliances) if alliances else [],
        "document_slots": [(alliance, year_slots[alliance.pk]) for alliance in alliances],
        "documents_waiting": waiting_count() if is_committee(user) else None,
    }


def returned_documents(alliances):
    """The plans and reports of ``alliances`` sent back and not yet resubmitted: the
    secretary's to-do, oldest first, each with the committee's comment."""
    found = []
    for model, field in ((AnnualPlan, "plan"), (PhaseReport, "report")):
        documents = with_state(
            model.objects.filter(alliance__in=alliances).select_related("alliance"), field
        ).filter(latest_decision=Decision.RETURNED)
        found += list(documents)
    for document in found:
        document.fix_url = fix_url(document)
    return sorted(found, key=lambda document: (document.latest_at, document.pk))


def _waiting():
    """Plans and reports waiting for the committee's reading. A document with no round at all
    (entered before rounds were kept, or in the admin) is waiting too."""
    waiting = Q(latest_decision__in=DocumentReview.WAITING) | Q(latest_decision__isnull=True)
    return [
        with_state(model.objects.select_related("alliance"), field).filter(waiting)
        for model, field in ((AnnualPlan, "plan"), (PhaseReport, "report"))
    ]


def waiting_documents():
    """The committee's queue, longest waiting first."""
    found = [document for documents in _waiting() for document in documents]
    for document in found:
        document.review_url = review_url(document)
    return sorted(found, key=lambda d: (d.latest_at is not None, d.latest_at or 0, d.pk))


def waiting_count():
    return sum(documents.count() for documents in _waiting())


def kind_of(document):
    return "plan" if isinstance(document, AnnualPlan) else "report"


def review_url(document):
    return reverse("workspace:feedback_document", args=[kind_of(document), document.pk])


def fix_url(document):
    if isinstance(document, AnnualPlan):
        return reverse("workspace:plan", args=[document.alliance.slug, document.year])
    return reverse("workspace:report", args=[document.alliance.slug, document.year, document.phase])


def rounds_of(document):
    return DocumentReview.objects.filter(**{kind_of(document): document}).select_related("by")


def latest_round(document):
    return rounds_of(document).order_by("-pk").first()


def _round(document, decision, by, comment=""):
    return DocumentReview.objects.create(
        **{kind_of(document): document}, decision=decision, comment=comment, by=by
    )


# Writes -----------------------------------------------------------------------------------


@transaction.atomic
def document_submitted(*, document, by):
    """A plan or report was saved: its first save is a submission; a save after 已阅 or
    退回修改 is a resubmission. Saving again while it still waits adds no round."""
    type(document).objects.select_for_update().filter(pk=document.pk).exists()
    latest = latest_round(document)
    if latest is None:
        decision = Decision.SUBMITTED
    elif latest.decision in (Decision.READ, Decision.RETURNED):
        decision = Decision.RESUBMITTED
    else:
        return None
    return _round(document, decision, by)


def _lock_waiting(document, by, what):
    _require_committee(by, what)
    locked = type(document).objects.select_for_update().filter(pk=document.pk).first()
    if locked is None:
        raise ValidationError("这份计划或报告已不存在。")
    latest = latest_round(locked)
    if latest is not None and latest.decision not in DocumentReview.WAITING:
        raise ValidationError(
            f"这份{'计划' if kind_of(locked) == 'plan' else '报告'}已经审阅过了"
            f"（{latest.get_decision_display()}），联络员重新报送后才能再次审阅。"
        )
    return locked


def _decide(document, by, decision, comment, action, summary):
    """One round of the committee's decision on a waiting document, audited."""
    document = _lock_waiting(document, by, "审阅计划和报告")
    review = _round(document, decision, by, comment.strip())
    audit.record(
        by=by,
        action=f"{document._meta.model_name}.{action}",
        obj=document,
        summary=f"{summary}{document}",
        alliance=document.alliance_id,
        comment=review.comment,
    )
    return review


@transaction.atomic
def document_read(*, document, by, comment=""):
    """已阅: the committee has read the document; an optional comment goes with it."""
    return _decide(document, by, Decision.READ, comment, "read", "已阅")


@transaction.atomic
def document_return(*, document, by, comment):
    """退回修改 with the comment the secretary needs to fix it (required)."""
    if not comment.strip():
        raise ValidationError("退回修改时请写明意见，联络员会看到。")
    return _decide(document, by, Decision.RETURNED, comment, "return", "退回修改")


# The reference list of activities (活动参考清单) ------------------------------------------


def reference_items():
    """The items offered to secretaries: in use, by line and position."""
    return ReferenceActivity.objects.filter(is_active=True)


def reference_choices():
    """Grouped choices for a select: [(line label, [(pk, title), ...]), ...]."""
    items = list(reference_items())
    return [
        (label, [(item.pk, item.title) for item in items if item.line == line])
        for line, label in ReferenceActivity._meta.get_field("line").choices
        if any(item.line == line for item in items)
    ]


@transaction.atomic
def reference_save(*, item, by, changed=()):
    """Add or change an item of the reference list (committee staff)."""
    _require_committee(by, "维护活动参考清单")
    existed = item.pk is not None
    item.updated_by = by
    item.full_clean()
    item.save()
    audit.record(
        by=by,
        action=f"referenceactivity.{'change' if existed else 'add'}",
        obj=item,
        summary=f"{'修改' if existed else '添加'}活动参考清单条目“{item}”"
        + ("（停用）" if not item.is_active else ""),
        fields=list(changed),
    )
    return item


# The showcase (经验推广) ------------------------------------------------------------------


@transaction.atomic
def showcase_add(*, activity, by, reason=""):
    """Mark a published activity as a practice worth spreading."""
    _require_committee(by, "设置经验推广")
    Activity.objects.select_for_update().filter(pk=activity.pk).exists()
    if publishing.published_version(activity) is None:
        raise ValidationError("只有已公开的联办活动才能设为经验推广。")
    if Showcase.objects.filter(activity=activity).exists():
        raise ValidationError("这项活动已经是经验推广了。")
    showcase = Showcase(activity=activity, reason=reason.strip(), marked_by=by)
    showcase.full_clean()
    showcase.save()
    audit.record(
        by=by,
        action="showcase.add",
        obj=activity,
        summary=f"设为经验推广：“{activity}”",
        alliance=activity.alliance_id,
        reason=showcase.reason,
    )
    return showcase


@transaction.atomic
def showcase_remove(*, activity, by):
    _require_committee(by, "设置经验推广")
    showcase = Showcase.objects.select_for_update().filter(activity=activity).first()
    if showcase is None:
        raise ValidationError("这项活动不是经验推广，无需取消。")
    showcase.delete()
    audit.record(
        by=by,
        action="showcase.remove",
        obj=activity,
        summary=f"取消经验推广：“{activity}”",
        alliance=activity.alliance_id,
        marked_at=showcase.marked_at.isoformat(),
        reason=showcase.reason,
    )


SHOWCASE_SIZE = 6


def showcased_versions(limit=SHOWCASE_SIZE):
    """For the public alliances section: the published versions of showcased activities,
    newest mark first. Withdrawn or unpublished activities are not among them."""
    versions = selectors.published_activities().filter(activity__showcase__isnull=False)
    return selectors.with_record(versions, "activity").order_by(
        "-activity__showcase__marked_at", "-pk"
    )[:limit]
