"""Rotation in every mode: lead first, members skipped outside their membership, history fixed."""

from datetime import date

import pytest
import time_machine

from alliances import rotation, services
from alliances.models import Alliance
from alliances.selectors import rotation_data
from tests.factories import BranchFactory, MembershipFactory


def hosts(alliance, year):
    memberships, slots = rotation_data(alliance)
    return [
        (period.label, next((m.branch.unit for m in memberships if m.branch_id == host), None))
        for period, host in rotation.year_schedule(alliance, memberships, slots, year)
    ]


def test_quarterly_rotation_starts_with_the_lead_and_goes_round(alliance_with_members):
    alliance, _ = alliance_with_members
    assert hosts(alliance, 2025) == [
        ("第1季度", "机关工委"),
        ("第2季度", "审计局"),
        ("第3季度", "总工会"),
        ("第4季度", "妇联"),
    ]
    assert [unit for _, unit in hosts(alliance, 2026)] == ["机关工委", "审计局", "总工会", "妇联"]


def test_monthly_rotation_gives_one_host_per_month(alliance_with_members):
    alliance, _ = alliance_with_members
    alliance.rotation = Alliance.Rotation.MONTH
    schedule = hosts(alliance, 2025)
    assert len(schedule) == 12
    assert [unit for _, unit in schedule[:5]] == [
        "机关工委",
        "审计局",
        "总工会",
        "妇联",
        "机关工委",
    ]
    assert schedule[0][0] == "1月"


def test_a_member_that_joins_mid_year_is_skipped_until_it_has_joined(alliance_with_members):
    alliance, _ = alliance_with_members
    MembershipFactory(
        alliance=alliance,
        branch=BranchFactory(unit="科协"),
        joined_on=date(2025, 5, 1),
        rotation_order=0,
    )
    # 科协 comes right after the lead in the order, but had not joined on 1 April (Q2).
    assert [unit for _, unit in hosts(alliance, 2025)] == ["机关工委", "审计局", "总工会", "妇联"]
    assert [unit for _, unit in hosts(alliance, 2026)][:2] == ["机关工委", "科协"]


def test_a_member_that_left_is_skipped_from_the_next_period(alliance_with_members, committee):
    alliance, members = alliance_with_members
    with time_machine.travel(date(2025, 5, 20)):
        services.membership_leave(membership=members[2], by=committee, left_on=date(2025, 5, 20))
    assert [unit for _, unit in hosts(alliance, 2025)] == ["机关工委", "审计局", "妇联", "机关工委"]


def test_past_hosts_never_change_whatever_happens_to_membership(alliance_with_members, committee):
    alliance, members = alliance_with_members
    _, audit_office, union, women = members
    with time_machine.travel(date(2025, 8, 15)):
        before = hosts(alliance, 2025)
        women.rotation_order, union.rotation_order, audit_office.rotation_order = 1, 2, 3
        services.memberships_save(
            alliance=alliance, memberships=[women, union, audit_office], by=committee
        )
        services.membership_leave(membership=union, by=committee, left_on=date(2025, 8, 15))
        after = hosts(alliance, 2025)
    assert before == [
        ("第1季度", "机关工委"),
        ("第2季度", "审计局"),
        ("第3季度", "总工会"),
        ("第4季度", "妇联"),
    ]
    assert after[:3] == before[:3]  # begun before the changes: fixed for good
    assert after[3] == ("第4季度", "审计局")  # after 总工会 (left) in the new order comes 审计局
    # Without the frozen slots the new order would have rewritten history:
    memberships, _ = rotation_data(alliance)
    unfrozen = rotation.year_schedule(alliance, memberships, {}, 2025)
    assert unfrozen[1][1] == women.branch_id


def test_per_activity_rotation_proposes_the_member_after_the_last_host(alliance_with_members):
    alliance, members = alliance_with_members
    alliance.rotation = Alliance.Rotation.ACTIVITY
    alliance.save()
    assert services.default_host(alliance, date(2025, 3, 1)) == members[0].branch_id
    alliance.activities.create(
        held_on=date(2025, 3, 2), venue="x", host=members[0].branch, line="study", title="a"
    )
    assert services.default_host(alliance, date(2025, 3, 5)) == members[1].branch_id
    alliance.activities.create(
        held_on=date(2025, 3, 6), venue="x", host=members[3].branch, line="study", title="b"
    )
    assert services.default_host(alliance, date(2025, 3, 9)) == members[0].branch_id


def test_meeting_host_defaults_to_the_period_host(alliance_with_members):
    alliance, members = alliance_with_members
    assert services.default_host(alliance, date(2025, 8, 1)) == members[2].branch_id


@pytest.mark.parametrize(
    ("day", "label", "start"),
    [
        (date(2025, 2, 28), "第1季度", date(2025, 1, 1)),
        (date(2025, 12, 31), "第4季度", date(2025, 10, 1)),
    ],
)
def test_quarter_periods(day, label, start):
    period = rotation.period_containing(Alliance.Rotation.QUARTER, day)
    assert (period.label, period.starts_on) == (label, start)
    assert period.contains(day)


def test_freezing_twice_writes_each_period_once(alliance_with_members):
    alliance, _ = alliance_with_members
    with time_machine.travel(date(2025, 11, 1)):
        first = services.rotation_freeze(alliance=alliance)
        second = services.rotation_freeze(alliance=alliance)
    assert len(first) == 4 and second == []
