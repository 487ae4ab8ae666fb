"""Rotation (轮值): which member branch hosts which period.

Members take turns in rotation order, the lead first. A branch that had not joined yet, or
had already left, at the start of a period is skipped. Each period's host is the next
eligible member after the previous period's host, so the turn passes on even when members
come and go. Periods that have begun are written to RotationSlot before any membership
change (services.rotation_freeze); everything here is a pure function of memberships and
those slots, so a past period's host can never change.
"""

from dataclasses import dataclass
from datetime import date

from .models import Alliance, quarter_of


@dataclass(frozen=True)
class Period:
    starts_on: date
    ends_on: date  # exclusive
    label: str

    def contains(self, day):
        return self.starts_on <= day < self.ends_on


def _add_months(day, months):
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _period_starting(mode, starts_on):
    if mode == Alliance.Rotation.MONTH:
        return Period(starts_on, _add_months(starts_on, 1), f"{starts_on.month}月")
    return Period(starts_on, _add_months(starts_on, 3), f"第{quarter_of(starts_on)}季度")


def period_containing(mode, day):
    if mode == Alliance.Rotation.MONTH:
        return _period_starting(mode, date(day.year, day.month, 1))
    return _period_starting(mode, date(day.year, 3 * quarter_of(day) - 2, 1))


def next_period(mode, period):
    return _period_starting(mode, period.ends_on)


def _turn_key(membership):
    return (not membership.is_lead, membership.rotation_order, membership.pk)


def next_host(memberships, previous_host_id, day):
    """The branch id whose turn follows ``previous_host_id`` among members serving on ``day``."""
    serving = sorted((m for m in memberships if m.served_on(day)), key=_turn_key)
    if not serving:
        return None
    previous = [m for m in memberships if m.branch_id == previous_host_id]
    if not previous:
        return serving[0].branch_id
    # The previous host's latest membership places it in the order, even if it has left.
    after = _turn_key(max(previous, key=lambda m: m.joined_on or date.min))
    for membership in serving:
        if _turn_key(membership) > after:
            return membership.branch_id
    return serving[0].branch_id


def schedule(alliance, memberships, slots, until, since=None):
    """[(period, host branch id or None)] from the founding (or ``since``) up to ``until``.

    ``slots`` maps a frozen period's start date to its host; computation restarts from the
    latest frozen slot at or before ``since``, so long histories cost little.
    """
    mode = alliance.rotation
    if mode == Alliance.Rotation.ACTIVITY:
        return []
    period = period_containing(mode, alliance.founded_on)
    host = None
    limit = since or until
    anchors = [start for start in slots if period.starts_on <= start <= limit]
    if anchors:
        period = _period_starting(mode, max(anchors))
    result = []
    while period.starts_on <= until:
        if period.starts_on in slots:
            host = slots[period.starts_on]
        else:
            host = next_host(memberships, host, period.starts_on)
        result.append((period, host))
        period = next_period(mode, period)
    return result


def year_schedule(alliance, memberships, slots, year):
    """This year's periods and their hosts (computed from the latest anchor before the year)."""
    entries = schedule(alliance, memberships, slots, date(year, 12, 31), since=date(year, 1, 1))
    return [(period, host) for period, host in entries if period.starts_on.year == year]


def host_on(alliance, memberships, slots, day, last_activity_host_id=None):
    """Who hosts on ``day``: the period's host, or for per-activity rotation the next in turn."""
    if alliance.rotation == Alliance.Rotation.ACTIVITY:
        return next_host(memberships, last_activity_host_id, day)
    entries = schedule(alliance, memberships, slots, day, since=day)
    return entries[-1][1] if entries else None
