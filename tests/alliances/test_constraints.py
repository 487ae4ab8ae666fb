"""The invariants are the database's: no second lead, no duplicate membership, no double booking."""

from datetime import date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from alliances import services
from alliances.models import Attendance, Booking, Facility, JointMeeting, Membership
from tests.factories import AllianceFactory, BranchFactory, MeetingFactory, MembershipFactory


def test_a_second_lead_is_refused_by_the_database(alliance_with_members):
    _, members = alliance_with_members
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.filter(pk=members[1].pk).update(is_lead=True)


def test_a_branch_cannot_hold_two_open_memberships_of_one_alliance(alliance_with_members):
    alliance, members = alliance_with_members
    with pytest.raises(IntegrityError), transaction.atomic():
        Membership.objects.create(alliance=alliance, branch=members[1].branch, status="applied")


def test_a_branch_may_rejoin_after_leaving(alliance_with_members, committee):
    alliance, members = alliance_with_members
    services.membership_leave(membership=members[2], by=committee, left_on=date(2025, 6, 1))
    again = Membership.objects.create(alliance=alliance, branch=members[2].branch, status="applied")
    assert again.pk


def test_one_regular_meeting_per_alliance_and_quarter_extra_meetings_allowed(db):
    meeting = MeetingFactory(held_on=date(2025, 4, 10))
    with pytest.raises(IntegrityError), transaction.atomic():
        MeetingFactory(alliance=meeting.alliance, held_on=date(2025, 6, 20), host=meeting.host)
    extra = MeetingFactory(
        alliance=meeting.alliance, held_on=date(2025, 6, 20), host=meeting.host, is_regular=False
    )
    assert (extra.year, extra.quarter) == (2025, 2)
    assert JointMeeting.objects.filter(alliance=meeting.alliance).count() == 2


def test_attendance_belongs_to_exactly_one_record(db):
    meeting = MeetingFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        Attendance.objects.create(branch=meeting.host, head_count=3)


@pytest.fixture
def room(db):
    alliance = AllianceFactory()
    return Facility.objects.create(building=alliance.building, name="党员活动室", kind="activity")


def book(room, branch, starts_at, ends_at, purpose, by):
    booking = Booking(
        facility=room, branch=branch, starts_at=starts_at, ends_at=ends_at, purpose=purpose
    )
    return services.booking_save(booking=booking, by=by)


def at(hour, day=1):
    return timezone.make_aware(datetime(2026, 3, day, hour, 0))


def test_overlapping_bookings_are_refused_with_a_clear_message(room, committee):
    first, second = BranchFactory(unit="审计局"), BranchFactory(unit="妇联")
    book(room, first, at(9), at(11), "主题党日", committee)
    with pytest.raises(ValidationError) as refused:
        book(room, second, at(10), at(12), "学习", committee)
    assert "已被审计局预约" in " ".join(refused.value.messages)
    book(room, second, at(11), at(12), "学习", committee)
    assert Booking.objects.count() == 2


def test_the_database_itself_refuses_an_overlap(room):
    """On PostgreSQL by the exclusion constraint; SQLite relies on clean() and the service."""
    from django.db import connection

    branch = BranchFactory()
    Booking.objects.create(
        facility=room, branch=branch, starts_at=at(9), ends_at=at(11), purpose="a"
    )
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints exist on PostgreSQL only")
    with pytest.raises(IntegrityError), transaction.atomic():
        Booking.objects.create(
            facility=room, branch=branch, starts_at=at(10), ends_at=at(12), purpose="b"
        )


def test_a_booking_must_end_after_it_starts(room, committee):
    with pytest.raises(ValidationError):
        book(room, BranchFactory(), at(11), at(11) - timedelta(minutes=1), "x", committee)


def test_a_federation_needs_a_building(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        AllianceFactory(kind="federation", building=None)


def test_a_member_cannot_leave_before_joining(db):
    with pytest.raises(IntegrityError), transaction.atomic():
        MembershipFactory(joined_on=date(2025, 5, 1), left_on=date(2025, 4, 1), status="left")


@pytest.mark.parametrize("slug", ["login", "overview", "activities"])
def test_workspace_and_section_page_names_cannot_be_alliance_slugs(db, slug):
    alliance = AllianceFactory.build(slug=slug, building=None, kind="office")
    with pytest.raises(ValidationError) as refused:
        alliance.full_clean()
    assert "系统保留" in str(refused.value)


def test_every_constraint_a_form_can_break_says_why_in_chinese():
    """Django's own message names the constraint ("约束 “booking_ends_after_start” 被违反"):
    each constraint of our models carries a message of its own."""
    from django.apps import apps

    missing = [
        f"{model._meta.label}.{constraint.name}"
        for app in ("alliances", "articles", "portal")
        for model in apps.get_app_config(app).get_models()
        for constraint in model._meta.constraints
        if constraint.name != "site_settings_singleton"  # (a save sets pk=1 itself)
        and constraint.violation_error_message == constraint.default_violation_error_message
    ]
    assert missing == []
