"""Is a meeting or activity plausible? The rules the ledger's figures rest on (台账可信).

The committee scores alliances from their ledgers (评先评优), so a figure must be one that
could be true: no branch sends more party members than it has, a plan lies ahead and an
activity held lies behind. services.record_save enforces these rules for the workspace and
the admin alike; the workspace's forms call the same functions to put the message beside
the field it is about. One centralised study per quarter is a database constraint
(Activity.Meta, ``one_central_study_per_quarter``).
"""

from django.core.exceptions import ValidationError
from django.utils import timezone

from .models import Activity


def chinese_date(day):
    return f"{day.year}年{day.month}月{day.day}日"


def activity_date_errors(day, status, today=None):
    """{"status": message} when an activity's status and date disagree, else {}."""
    today = today or timezone.localdate()
    if not day:
        return {}
    if status == Activity.Status.PLANNED and day < today:
        return {
            "status": f"活动日期{chinese_date(day)}已经过去，状态不能是“计划中”："
            "已经开展的请改为“已开展”，没有开展的请改为“已取消”。"
        }
    if status == Activity.Status.HELD and day > today:
        return {
            "status": f"活动日期{chinese_date(day)}在今天（{chinese_date(today)}）之后，"
            "还没有开展，状态应为“计划中”。"
        }
    return {}


def check_activity_dates(activity, today=None):
    errors = activity_date_errors(activity.held_on, activity.status, today)
    if errors:
        raise ValidationError(errors)


def over_members(branches, attendance):
    """[(branch, heads)] where a branch is said to have sent more than its party members.

    ``branches``: {branch id: Branch}; ``attendance``: {branch id: head count}. A branch whose
    member count is not known (0) is not checked: there is nothing to compare with.
    """
    return [
        (branches[branch_id], heads)
        for branch_id, heads in attendance.items()
        if heads and branch_id in branches and 0 < branches[branch_id].member_count < heads
    ]


def over_message(branch, heads):
    return (
        f"{branch.unit}填写了{heads}人，但该单位只有{branch.member_count}名党员。"
        f"多出的{heads - branch.member_count}人如是列席人员（群众、外单位人员等），"
        "请作为列席人员登记并说明情况。"
    )


def check_attendance(branches, attendance, guests):
    """Refuse head counts above a branch's members and guests without a reason.

    ``attendance``: {branch id: party members who came}, checked only for the branches given
    (the caller leaves out rows it does not change, so a branch that has since shrunk does
    not block the correction of an old record); ``guests``: {branch id: (count, reason)}.
    """
    errors = [over_message(branch, heads) for branch, heads in over_members(branches, attendance)]
    for branch_id, (count, reason) in guests.items():
        if count and not reason.strip():
            unit = branches[branch_id].unit if branch_id in branches else "列席人员"
            errors.append(f"{unit}有{count}名列席人员，请说明是哪些人员参加。")
    if errors:
        raise ValidationError(errors)
