"""Quarterly compliance, checked against a case worked out by hand."""

from datetime import date

from alliances.models import Attendance
from alliances.selectors import compliance, figures
from tests.factories import ActivityFactory, MeetingFactory


def test_compliance_matches_a_hand_computed_year(alliance_with_members):
    alliance, members = alliance_with_members
    lead, audit_office, _, _ = (m.branch for m in members)
    MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 2, 10))  # Q1
    MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 8, 10))  # Q3
    MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 8, 20), is_regular=False)
    study = ActivityFactory(
        alliance=alliance, host=lead, held_on=date(2025, 2, 20), is_central_study=True
    )
    ActivityFactory(alliance=alliance, host=lead, held_on=date(2025, 3, 1), line="practice")
    ActivityFactory(alliance=alliance, host=lead, held_on=date(2025, 3, 2), line="practice")
    ActivityFactory(
        alliance=alliance, host=lead, held_on=date(2025, 5, 2), line="team", status="cancelled"
    )
    ActivityFactory(
        alliance=alliance, host=lead, held_on=date(2025, 9, 9), line="core", status="planned"
    )
    Attendance.objects.create(activity=study, branch=lead, head_count=12)
    Attendance.objects.create(activity=study, branch=audit_office, head_count=8)

    quarters = compliance([alliance], 2025, today=date(2025, 8, 31))[alliance.pk]

    assert [q.meeting for q in quarters] == ["held", "missing", "held", "upcoming"]
    assert [q.study for q in quarters] == ["held", "missing", "due", "upcoming"]
    assert [q.activities for q in quarters] == [3, 0, 0, 0]
    assert quarters[0].by_line == {"study": 1, "practice": 2}
    assert quarters[0].attendance_total == 20


def test_quarters_before_founding_are_not_missing(alliance_with_members):
    alliance, _ = alliance_with_members
    alliance.founded_on = date(2025, 7, 1)
    quarters = compliance([alliance], 2025, today=date(2026, 1, 5))[alliance.pk]
    assert [q.meeting for q in quarters] == ["none", "none", "missing", "missing"]


def test_figures_count_held_activities_and_regular_meetings(alliance_with_members):
    alliance, members = alliance_with_members
    host = members[0].branch
    ActivityFactory(alliance=alliance, host=host, held_on=date(2025, 2, 1), line="study")
    ActivityFactory(alliance=alliance, host=host, held_on=date(2025, 11, 1), line="core")
    ActivityFactory(
        alliance=alliance, host=host, held_on=date(2025, 11, 2), line="core", status="cancelled"
    )
    MeetingFactory(alliance=alliance, host=host, held_on=date(2025, 11, 3))
    data = figures(type(alliance).objects.filter(pk=alliance.pk), 2025)
    assert data["activities_per_quarter"] == [
        ("第1季度", 1),
        ("第2季度", 0),
        ("第3季度", 0),
        ("第4季度", 1),
    ]
    assert dict(data["activities_per_line"])["中心工作联促"] == 1
    assert data["meetings_per_quarter"][3] == ("第4季度", 1)
