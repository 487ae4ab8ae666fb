"""The admin writes through the same services as the workspace: the same checks, the same
messages, the same audit entries, whichever door an edit comes through."""

import io
from datetime import date

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from alliances import services
from alliances.models import (
    FIRST_YEAR,
    Activity,
    Alliance,
    Attendance,
    Booking,
    Facility,
    JointMeeting,
    Membership,
    Photo,
)
from portal.models import AuditEntry
from tests.alliances.test_rotation import hosts
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    MeetingFactory,
    MembershipFactory,
    StaffFactory,
)

TODAY = date(2025, 8, 20)


@pytest.fixture
def staff(client, committee):
    client.force_login(committee)
    with time_machine.travel(TODAY, tick=False):
        yield client


def jpeg(name):
    out = io.BytesIO()
    Image.new("RGB", (60, 40), "red").save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def inline(prefix, rows, initial=0):
    """The POST data of an admin inline: its management form and ``rows`` (dicts)."""
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(rows)),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for n, row in enumerate(rows):
        data.update({f"{prefix}-{n}-{name}": value for name, value in row.items()})
    return data


def meeting_post(alliance, host, attendance=(), photos=(), **fields):
    return {
        "alliance": alliance.pk,
        "held_on": "2025-08-12",
        "venue": "三楼活动室",
        "host": host.pk,
        "is_regular": "on",
        "topics": "研究第三季度工作",
        "decisions": "",
        "minutes": "",
        **inline(
            "attendance", [{"branch": b.pk, "head_count": n, "guests": 0} for b, n in attendance]
        ),
        **inline("photos", list(photos)),
        **fields,
    }


def errors(response):
    """The errors the admin page lists: its form's and its inlines'."""
    return " ".join(str(error) for error in response.context["errors"])


# Meetings and activities ------------------------------------------------------------------


def test_a_meeting_saved_in_the_admin_gets_the_workspace_audit_entry(
    staff, committee, alliance_with_members
):
    alliance, members = alliance_with_members
    lead, other = members[0].branch, members[1].branch
    response = staff.post(
        reverse("admin:alliances_jointmeeting_add"),
        meeting_post(
            alliance,
            lead,
            attendance=[(lead, 6), (other, 4)],
            photos=[{"image": jpeg("现场.jpg"), "caption": "会议现场", "position": 0}],
        ),
    )
    assert response.status_code == 302
    meeting = JointMeeting.objects.get()
    assert meeting.created_by == committee
    assert meeting.photos.get().caption == "会议现场"
    entry = AuditEntry.objects.get(action="jointmeeting.add")
    assert entry.user == committee and entry.data["alliance"] == alliance.pk
    assert entry.data["changes"]["attendance"] == [{}, {str(lead.pk): 6, str(other.pk): 4}]
    assert entry.data["changes"]["photos_added"] == 1
    assert AuditEntry.objects.count() == 1  # the service's entry, no second generic one


def test_a_second_regular_meeting_in_a_quarter_gets_the_workspace_message_in_the_admin(
    staff, alliance_with_members
):
    alliance, members = alliance_with_members
    MeetingFactory(alliance=alliance, host=members[0].branch, held_on=date(2025, 7, 1))
    response = staff.post(
        reverse("admin:alliances_jointmeeting_add"), meeting_post(alliance, members[0].branch)
    )
    assert response.status_code == 200
    assert "本季度的例会已经登记过了" in errors(response)
    assert JointMeeting.objects.count() == 1


def test_a_regular_meeting_saved_by_another_editor_meanwhile_sends_the_editor_back(
    staff, alliance_with_members, monkeypatch
):
    """The form found the quarter free; another editor's meeting was saved before the
    service wrote: the service refuses, nothing is saved, the page says why."""
    alliance, members = alliance_with_members
    record_save = services.record_save

    def after_another_editor(**kwargs):
        MeetingFactory(alliance=alliance, host=members[1].branch, held_on=date(2025, 7, 1))
        return record_save(**kwargs)

    monkeypatch.setattr(services, "record_save", after_another_editor)
    url = reverse("admin:alliances_jointmeeting_add")
    response = staff.post(url, meeting_post(alliance, members[0].branch), follow=True)
    assert response.redirect_chain == [(url, 302)]
    assert "本季度的例会已经登记过了" in response.content.decode()
    assert not JointMeeting.objects.exists() and not AuditEntry.objects.exists()


def test_a_record_dated_before_the_first_year_is_refused_in_the_admin_too(
    staff, alliance_with_members
):
    alliance, members = alliance_with_members
    data = meeting_post(alliance, members[0].branch, held_on=f"{FIRST_YEAR - 1}-06-30")
    response = staff.post(reverse("admin:alliances_jointmeeting_add"), data)
    assert response.status_code == 200
    assert f"日期应在 {FIRST_YEAR} 年至" in errors(response)


def test_a_refusal_by_the_service_is_shown_on_the_admin_form_and_saves_nothing(
    staff, alliance_with_members
):
    alliance, members = alliance_with_members
    stranger = BranchFactory(unit="外单位")
    response = staff.post(
        reverse("admin:alliances_jointmeeting_add"),
        meeting_post(alliance, members[0].branch, attendance=[(stranger, 3)], topics="保留"),
    )
    assert response.status_code == 200
    assert "外单位不是第一联盟的成员单位" in errors(response)
    assert response.context["adminform"].form["topics"].value() == "保留"
    assert not JointMeeting.objects.exists() and not AuditEntry.objects.exists()


def test_a_meeting_moved_to_another_alliance_cannot_keep_a_host_from_the_old_one(
    staff, alliance_with_members
):
    alliance, members = alliance_with_members
    other = MembershipFactory(alliance=AllianceFactory(name="第二联盟"), is_lead=True).alliance
    meeting = MeetingFactory(alliance=alliance, host=members[0].branch, held_on=date(2025, 7, 5))
    data = meeting_post(other, members[0].branch, held_on="2025-07-05", topics=meeting.topics)
    response = staff.post(reverse("admin:alliances_jointmeeting_change", args=[meeting.pk]), data)
    assert response.status_code == 200
    assert "不是第二联盟的成员单位" in errors(response)
    meeting.refresh_from_db()
    assert meeting.alliance == alliance


def test_a_future_activity_cannot_be_marked_held_in_the_admin(staff, alliance_with_members):
    alliance, members = alliance_with_members
    data = {
        "alliance": alliance.pk,
        "title": "志愿服务",
        "line": "practice",
        "held_on": "2025-12-01",
        "status": "held",
        "venue": "社区",
        "host": members[0].branch.pk,
        "description": "",
        **inline("attendance", []),
        **inline("photos", []),
    }
    response = staff.post(reverse("admin:alliances_activity_add"), data)
    assert response.status_code == 200
    assert "状态应为“计划中”" in errors(response)
    assert not Activity.objects.exists()


def test_attendance_and_photos_edited_in_the_admin_are_audited_like_the_workspace(
    staff, committee, alliance_with_members
):
    alliance, members = alliance_with_members
    lead, other = members[0].branch, members[1].branch
    meeting = MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 7, 5))
    row = Attendance.objects.create(meeting=meeting, branch=lead, head_count=3)
    photo = Photo.objects.create(meeting=meeting, image="alliances/x.jpg", caption="旧照片")
    data = meeting_post(alliance, lead, held_on="2025-07-05", topics=meeting.topics)
    data.update(
        inline(
            "attendance",
            [
                {
                    "id": row.pk,
                    "meeting": meeting.pk,
                    "branch": lead.pk,
                    "head_count": 5,
                    "guests": 0,
                },
                {"branch": other.pk, "head_count": 2, "guests": 0},
            ],
            initial=1,
        )
    )
    data.update(
        inline(
            "photos",
            [{"id": photo.pk, "meeting": meeting.pk, "caption": "旧照片", "DELETE": "on"}],
            initial=1,
        )
    )
    response = staff.post(reverse("admin:alliances_jointmeeting_change", args=[meeting.pk]), data)
    assert response.status_code == 302
    assert dict(meeting.attendance.values_list("branch", "head_count")) == {lead.pk: 5, other.pk: 2}
    assert not meeting.photos.exists()
    changes = AuditEntry.objects.get(action="jointmeeting.change").data["changes"]
    assert changes["attendance"] == [{str(lead.pk): 3}, {str(lead.pk): 5, str(other.pk): 2}]
    assert changes["photos_removed"] == ["旧照片"]


def test_deleting_activities_from_the_admin_changelist_goes_through_the_service(
    staff, committee, alliance_with_members
):
    alliance, members = alliance_with_members
    doomed = [
        ActivityFactory(alliance=alliance, host=members[0].branch, title=title)
        for title in ("要删除的活动一", "要删除的活动二")
    ]
    Attendance.objects.create(activity=doomed[0], branch=members[1].branch, head_count=7)
    response = staff.post(
        reverse("admin:alliances_activity_changelist"),
        {"action": "delete_selected", "_selected_action": [a.pk for a in doomed], "post": "yes"},
    )
    assert response.status_code == 302
    assert not Activity.objects.exists()
    deleted = {
        entry.data["deleted"]["title"]: entry.data["deleted"]
        for entry in AuditEntry.objects.filter(action="activity.delete", user=committee)
    }
    assert set(deleted) == {"要删除的活动一", "要删除的活动二"}
    assert deleted["要删除的活动一"]["attendance"] == {str(members[1].branch.pk): 7}


def test_deleting_a_meeting_from_its_admin_page_keeps_it_in_the_audit_trail(
    staff, alliance_with_members
):
    alliance, members = alliance_with_members
    meeting = MeetingFactory(alliance=alliance, host=members[0].branch, topics="要删除的例会")
    url = reverse("admin:alliances_jointmeeting_delete", args=[meeting.pk])
    assert staff.post(url, {"post": "yes"}).status_code == 302
    entry = AuditEntry.objects.get(action="jointmeeting.delete")
    assert entry.data["deleted"]["topics"] == "要删除的例会"


# Bookings ---------------------------------------------------------------------------------


@pytest.fixture
def room(alliance_with_members):
    alliance, _ = alliance_with_members
    return Facility.objects.create(building=alliance.building, name="党员活动室", kind="activity")


def booking_post(room, branch, start, end, purpose="主题党日"):
    return {
        "facility": room.pk,
        "branch": branch.pk,
        "starts_at_0": "2025-09-01",
        "starts_at_1": start,
        "ends_at_0": "2025-09-01",
        "ends_at_1": end,
        "purpose": purpose,
    }


def test_a_booking_made_in_the_admin_is_recorded_by_the_booking_service(
    staff, committee, room, alliance_with_members
):
    _, members = alliance_with_members
    url = reverse("admin:alliances_booking_add")
    assert (
        staff.post(url, booking_post(room, members[1].branch, "09:00", "11:00")).status_code == 302
    )
    booking = Booking.objects.get()
    assert booking.booked_by == committee
    entry = AuditEntry.objects.get(action="booking.add")
    assert entry.summary == f"审计局预约{room}" and "starts_at" in entry.data["changes"]


def test_an_overlapping_booking_in_the_admin_gets_the_services_message(
    staff, committee, room, alliance_with_members
):
    _, members = alliance_with_members
    url = reverse("admin:alliances_booking_add")
    staff.post(url, booking_post(room, members[1].branch, "09:00", "11:00"))
    clash = Booking.objects.get()
    with pytest.raises(ValidationError) as refused:
        services.booking_save(
            booking=Booking(
                facility=room,
                branch=members[2].branch,
                starts_at=clash.starts_at,
                ends_at=clash.ends_at,
                purpose="学习",
            ),
            by=committee,
        )
    response = staff.post(url, booking_post(room, members[2].branch, "10:00", "12:00"))
    assert response.status_code == 200
    assert refused.value.messages[0].startswith("该时段已被审计局预约")
    assert "该时段已被审计局预约" in errors(response)
    assert Booking.objects.count() == 1


def test_deleting_bookings_from_the_admin_changelist_goes_through_the_service(
    staff, committee, room, alliance_with_members
):
    _, members = alliance_with_members
    staff.post(
        reverse("admin:alliances_booking_add"),
        booking_post(room, members[1].branch, "09:00", "11:00"),
    )
    booking = Booking.objects.get()
    staff.post(
        reverse("admin:alliances_booking_changelist"),
        {"action": "delete_selected", "_selected_action": [booking.pk], "post": "yes"},
    )
    assert not Booking.objects.exists()
    assert AuditEntry.objects.get(action="booking.delete").data["deleted"]["purpose"] == "主题党日"


# Memberships ------------------------------------------------------------------------------


def membership_post(alliance, branch, **fields):
    return {
        "alliance": alliance.pk,
        "branch": branch.pk,
        "status": "applied",
        "rotation_order": "0",
        "joined_on": "",
        "left_on": "",
        "reason": "同楼办公",
        "decision_note": "",
        **fields,
    }


def actions():
    return list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))


def test_adding_a_membership_in_the_admin_is_an_application(staff, alliance_with_members):
    alliance, _ = alliance_with_members
    branch = BranchFactory(unit="统计局")
    response = staff.post(
        reverse("admin:alliances_membership_add"), membership_post(alliance, branch)
    )
    assert response.status_code == 302
    assert alliance.memberships.get(branch=branch).status == Membership.Status.APPLIED
    assert actions() == ["membership.apply"]


def test_a_member_entered_by_committee_staff_is_approved_at_once(
    staff, committee, alliance_with_members
):
    alliance, members = alliance_with_members
    branch = BranchFactory(unit="统计局")
    data = membership_post(alliance, branch, status="active", joined_on="2025-08-01")
    assert staff.post(reverse("admin:alliances_membership_add"), data).status_code == 302
    member = alliance.memberships.get(branch=branch)
    assert (member.status, member.joined_on, member.decided_by) == (
        "active",
        date(2025, 8, 1),
        committee,
    )
    assert member.rotation_order == max(m.rotation_order for m in members) + 1
    assert actions() == ["membership.apply", "membership.approve"]


def test_a_status_changed_in_the_admin_form_is_the_decision_it_means(staff, alliance_with_members):
    alliance, _ = alliance_with_members
    branch = BranchFactory()
    staff.post(reverse("admin:alliances_membership_add"), membership_post(alliance, branch))
    application = alliance.memberships.get(branch=branch)
    url = reverse("admin:alliances_membership_change", args=[application.pk])

    refused = staff.post(url, membership_post(alliance, branch, status="rejected"))
    assert refused.status_code == 200 and "请填写不予批准的理由" in errors(refused)
    application.refresh_from_db()
    assert application.status == "applied"

    note = "不在同一办公区"
    data = membership_post(alliance, branch, status="rejected", decision_note=note)
    assert staff.post(url, data).status_code == 302
    application.refresh_from_db()
    assert (application.status, application.decision_note) == ("rejected", note)
    assert actions() == ["membership.apply", "membership.reject"]


def test_a_decision_by_staff_outside_the_committee_is_refused_and_saves_nothing(
    client, alliance_with_members
):
    alliance, _ = alliance_with_members
    secretary = StaffFactory(username="secretary")
    secretary.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_membership", "change_membership"])
    )
    alliance.secretaries.add(secretary)
    application = MembershipFactory(alliance=alliance, status="applied", joined_on=None)
    client.force_login(secretary)
    url = reverse("admin:alliances_membership_change", args=[application.pk])
    data = membership_post(alliance, application.branch, status="active", joined_on="2025-08-01")
    response = client.post(url, data)
    assert response.status_code == 403
    assert "只有机关工委工作人员可以审批入盟申请" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "applied" and not AuditEntry.objects.exists()


def member_rows(members, **changes):
    """The alliance page's member rows; ``changes`` maps a row number to changed fields."""
    rows = []
    for n, m in enumerate(members):
        row = {
            "id": m.pk,
            "alliance": m.alliance_id,
            "branch": m.branch_id,
            "status": m.status,
            "rotation_order": m.rotation_order,
            "joined_on": m.joined_on.isoformat() if m.joined_on else "",
            "left_on": "",
        }
        if m.is_lead:
            row["is_lead"] = "on"
        row.update(changes.get(f"row{n}", {}))
        rows.append({k: v for k, v in row.items() if v is not None})
    return rows


def alliance_post(alliance, rows, initial):
    return {
        "name": alliance.name,
        "slug": alliance.slug,
        "kind": alliance.kind,
        "status": alliance.status,
        "building": alliance.building_id or "",
        "rotation": alliance.rotation,
        "founded_on": alliance.founded_on.isoformat(),
        "elected_on": "",
        "term_years": alliance.term_years,
        "non_establishment": "on",
        "dissolved_on": "",
        "description": "",
        **inline("memberships", rows, initial=initial),
        **inline("rules", []),
    }


def test_ticking_another_lead_on_the_alliance_page_hands_the_lead_over(
    staff, alliance_with_members
):
    alliance, members = alliance_with_members
    rows = member_rows(members, row0={"is_lead": None}, row1={"is_lead": "on"})
    url = reverse("admin:alliances_alliance_change", args=[alliance.pk])
    response = staff.post(url, alliance_post(alliance, rows, initial=4))
    assert response.status_code == 302, errors(response)
    assert alliance.memberships.get(is_lead=True) == members[1]
    assert "membership.lead" in actions()


def test_reordering_on_the_alliance_page_keeps_past_hosts(staff, alliance_with_members):
    alliance, members = alliance_with_members
    with time_machine.travel(date(2025, 8, 15), tick=False):
        before = hosts(alliance, 2025)
        rows = member_rows(
            members,
            row1={"rotation_order": 3},
            row2={"rotation_order": 2},
            row3={"rotation_order": 1},
        )
        url = reverse("admin:alliances_alliance_change", args=[alliance.pk])
        assert staff.post(url, alliance_post(alliance, rows, initial=4)).status_code == 302
        after = hosts(alliance, 2025)
    assert after[:3] == before[:3]  # begun before the change: fixed
    assert after[3] == ("第4季度", "审计局")  # after 总工会 in the new order
    entry = AuditEntry.objects.get(action="membership.reorder")
    assert entry.data["order"] == ["妇联", "总工会", "审计局"]


def test_a_new_alliance_entered_with_its_members_shares_the_past_periods_among_them(staff):
    lead, audit_office, union = (BranchFactory(unit=u) for u in ("机关工委", "审计局", "总工会"))
    new = Alliance(name="第二联盟", slug="second", kind="office", founded_on=date(2025, 1, 1))
    rows = [
        {"branch": b.pk, "status": "active", "rotation_order": n, "joined_on": "2025-01-01"}
        for n, b in enumerate([lead, audit_office, union])
    ]
    rows[0]["is_lead"] = "on"
    response = staff.post(reverse("admin:alliances_alliance_add"), alliance_post(new, rows, 0))
    assert response.status_code == 302, errors(response)
    alliance = Alliance.objects.get(slug="second")
    assert [unit for _, unit in hosts(alliance, 2025)][:3] == ["机关工委", "审计局", "总工会"]


def test_an_alliance_entered_as_proposed_is_a_founding_application(staff):
    lead, other = BranchFactory(unit="编办"), BranchFactory(unit="水建中心")
    new = Alliance(name="第四联盟", slug="fourth", kind="office", status="proposed")
    new.founded_on = TODAY
    rows = [
        {"branch": lead.pk, "status": "applied", "rotation_order": 0, "is_lead": "on"},
        {"branch": other.pk, "status": "applied", "rotation_order": 1},
    ]
    response = staff.post(reverse("admin:alliances_alliance_add"), alliance_post(new, rows, 0))
    assert response.status_code == 302, errors(response)
    alliance = Alliance.objects.get(slug="fourth")
    assert alliance.status == "proposed"
    assert alliance.memberships.get(is_lead=True).branch == lead
    assert actions() == ["alliance.found"]


def test_a_proposed_alliance_without_a_lead_is_refused_on_the_form(staff):
    new = Alliance(name="第五联盟", slug="fifth", kind="office", status="proposed")
    new.founded_on = TODAY
    rows = [{"branch": BranchFactory().pk, "status": "applied", "rotation_order": 0}]
    response = staff.post(reverse("admin:alliances_alliance_add"), alliance_post(new, rows, 0))
    assert response.status_code == 200
    assert "牵头单位" in errors(response)
    assert not Alliance.objects.filter(slug="fifth").exists()


def test_deleting_a_membership_in_the_admin_is_audited(staff, alliance_with_members):
    alliance, members = alliance_with_members
    url = reverse("admin:alliances_membership_delete", args=[members[3].pk])
    assert staff.post(url, {"post": "yes"}).status_code == 302
    assert alliance.memberships.count() == 3
    assert AuditEntry.objects.get(action="membership.delete").data["status"] == "active"
