"""Role × endpoint matrix of the workspace: every role gets exactly what it should, GET and POST.

Roles: anonymous, the secretary of A, the secretary of B, the secretary of A and B,
committee staff. Every URL below concerns alliance A or its records.
"""

from datetime import date

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from alliances.models import AnnualPlan, JointMeeting, Photo
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)

ROLES = ["anonymous", "secretary_a", "secretary_b", "secretary_ab", "committee"]
KEEPS_A = {"secretary_a", "secretary_ab", "committee"}


@pytest.fixture
def world(db, committee):
    a = AllianceFactory(name="甲联盟", slug="a")
    b = AllianceFactory(name="乙联盟", slug="b")
    lead_a = MembershipFactory(alliance=a, is_lead=True, branch=BranchFactory(unit="甲牵头")).branch
    member_a = MembershipFactory(alliance=a, branch=BranchFactory(unit="甲成员")).branch
    lead_b = MembershipFactory(alliance=b, is_lead=True, branch=BranchFactory(unit="乙牵头")).branch
    users = {
        "secretary_a": UserFactory(username="sec-a"),
        "secretary_b": UserFactory(username="sec-b"),
        "secretary_ab": UserFactory(username="sec-ab"),
        "committee": committee,
    }
    a.secretaries.add(users["secretary_a"], users["secretary_ab"])
    b.secretaries.add(users["secretary_b"], users["secretary_ab"])
    meeting = MeetingFactory(alliance=a, host=lead_a, held_on=date(2025, 4, 10))
    activity = ActivityFactory(alliance=a, host=lead_a, held_on=date(2025, 5, 10))
    photo = Photo.objects.create(activity=activity, image="alliances/x.jpg", caption="现场")
    return {
        "a": a,
        "b": b,
        "lead_a": lead_a,
        "member_a": member_a,
        "lead_b": lead_b,
        "users": users,
        "meeting": meeting,
        "activity": activity,
        "photo": photo,
        "meeting_b": MeetingFactory(alliance=b, host=lead_b, held_on=date(2025, 4, 11)),
    }


def login(client, world, role):
    if role != "anonymous":
        client.force_login(world["users"][role])


def alliance_urls(world):
    a, meeting, activity = world["a"].slug, world["meeting"].pk, world["activity"].pk
    return {
        "alliance home": reverse("workspace:alliance", args=[a]),
        "new meeting": reverse("workspace:meeting_new", args=[a]),
        "edit meeting": reverse("workspace:meeting_edit", args=[a, meeting]),
        "delete meeting": reverse("workspace:meeting_delete", args=[a, meeting]),
        "new activity": reverse("workspace:activity_new", args=[a]),
        "edit activity": reverse("workspace:activity_edit", args=[a, activity]),
        "delete activity": reverse("workspace:activity_delete", args=[a, activity]),
        "annual plan": reverse("workspace:plan", args=[a, 2025]),
        "phase report": reverse("workspace:report", args=[a, 2025, "plan"]),
        "ledger": reverse("workspace:ledger", args=[a, 2025]),
        "ledger excel": reverse("workspace:ledger_xlsx", args=[a, 2025]),
    }


GET_ENDPOINTS = [
    "alliance home",
    "new meeting",
    "edit meeting",
    "delete meeting",
    "new activity",
    "edit activity",
    "delete activity",
    "annual plan",
    "phase report",
    "ledger",
    "ledger excel",
]


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", GET_ENDPOINTS)
def test_get_alliance_endpoints(client, world, role, endpoint):
    login(client, world, role)
    response = client.get(alliance_urls(world)[endpoint])
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("workspace:login"))
    elif role in KEEPS_A:
        assert response.status_code == 200
    else:
        assert response.status_code == 404


@pytest.mark.parametrize("role", ROLES)
def test_workspace_home_lists_only_kept_alliances(client, world, role):
    login(client, world, role)
    response = client.get(reverse("workspace:home"))
    if role == "anonymous":
        assert response.status_code == 302
        return
    body = response.content.decode()
    assert ("甲联盟" in body) is (role in KEEPS_A)
    assert ("乙联盟" in body) is (role in {"secretary_b", "secretary_ab", "committee"})


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", ["workspace:overview", "workspace:overview_xlsx"])
def test_overview_is_for_committee_staff_only(client, world, role, endpoint):
    login(client, world, role)
    response = client.get(reverse(endpoint))
    expected = {"anonymous": 302, "committee": 200}.get(role, 403)
    assert response.status_code == expected


def meeting_post(world, **overrides):
    data = {
        "held_on": "2025-08-12",
        "is_regular": "on",
        "venue": "活动室",
        "host": world["lead_a"].pk,
        "topics": "季度例会",
        "decisions": "",
        "minutes": "<p>纪要</p>",
        f"heads_{world['lead_a'].pk}": "6",
        f"heads_{world['member_a'].pk}": "4",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", ROLES)
def test_post_new_meeting(client, world, role):
    login(client, world, role)
    before = JointMeeting.objects.count()
    response = client.post(reverse("workspace:meeting_new", args=["a"]), meeting_post(world))
    created = JointMeeting.objects.count() - before
    if role in KEEPS_A:
        assert response.status_code == 302 and created == 1
        assert JointMeeting.objects.filter(alliance=world["a"], topics="季度例会").exists()
    else:
        assert response.status_code == (302 if role == "anonymous" else 404)
        assert created == 0


@pytest.mark.parametrize("role", ROLES)
def test_post_edit_activity(client, world, role):
    login(client, world, role)
    activity = world["activity"]
    data = {
        "title": "改过的活动",
        "line": "study",
        "held_on": "2025-05-10",
        "status": "held",
        "venue": "活动室",
        "host": world["lead_a"].pk,
        "description": "",
    }
    response = client.post(reverse("workspace:activity_edit", args=["a", activity.pk]), data)
    activity.refresh_from_db()
    if role in KEEPS_A:
        assert response.status_code == 302 and activity.title == "改过的活动"
    else:
        assert response.status_code in (302, 404) and activity.title != "改过的活动"


@pytest.mark.parametrize("role", ROLES)
def test_post_delete_meeting(client, world, role):
    login(client, world, role)
    meeting = world["meeting"]
    response = client.post(reverse("workspace:meeting_delete", args=["a", meeting.pk]))
    exists = JointMeeting.objects.filter(pk=meeting.pk).exists()
    assert exists is (role not in KEEPS_A)
    assert response.status_code == (302 if role in KEEPS_A or role == "anonymous" else 404)


@pytest.mark.parametrize("role", ROLES)
def test_post_delete_photo(client, world, role):
    login(client, world, role)
    photo = world["photo"]
    response = client.post(reverse("workspace:photo_delete", args=["a", photo.pk]))
    assert Photo.objects.filter(pk=photo.pk).exists() is (role not in KEEPS_A)
    assert response.status_code == (302 if role in KEEPS_A or role == "anonymous" else 404)


@pytest.mark.parametrize("role", ROLES)
def test_post_annual_plan(client, world, role):
    login(client, world, role)
    response = client.post(
        reverse("workspace:plan", args=["a", 2025]),
        {"themes": "联学联建", "rotation_method": "", "liaison": "", "planned_activities": ""},
    )
    saved = AnnualPlan.objects.filter(alliance=world["a"], year=2025).exists()
    assert saved is (role in KEEPS_A)
    assert response.status_code == (302 if role in KEEPS_A or role == "anonymous" else 404)


def test_a_record_of_b_is_not_reachable_through_a(client, world):
    client.force_login(world["users"]["secretary_a"])
    other = world["meeting_b"]
    assert client.get(reverse("workspace:meeting_edit", args=["a", other.pk])).status_code == 404
    assert client.post(reverse("workspace:meeting_delete", args=["a", other.pk])).status_code == 404
    assert JointMeeting.objects.filter(pk=other.pk).exists()


def test_a_forged_host_from_another_alliance_is_refused(client, world):
    client.force_login(world["users"]["secretary_a"])
    response = client.post(
        reverse("workspace:meeting_new", args=["a"]), meeting_post(world, host=world["lead_b"].pk)
    )
    assert response.status_code == 400
    assert "host" in response.context["form"].errors
    assert not JointMeeting.objects.filter(topics="季度例会").exists()


def test_a_forged_alliance_or_attendance_field_cannot_reach_another_alliance(client, world):
    client.force_login(world["users"]["secretary_a"])
    data = meeting_post(world, alliance=world["b"].pk, **{f"heads_{world['lead_b'].pk}": "50"})
    client.post(reverse("workspace:meeting_new", args=["a"]), data)
    meeting = JointMeeting.objects.get(topics="季度例会")
    assert meeting.alliance == world["a"]
    assert world["lead_b"].pk not in set(meeting.attendance.values_list("branch", flat=True))
    assert not JointMeeting.objects.filter(alliance=world["b"], topics="季度例会").exists()


def test_login_and_logout_use_the_workspace_pages(client, world):
    user = world["users"]["secretary_a"]
    page = client.get(reverse("workspace:login"))
    assert page.status_code == 200 and "登录台账工作台" in page.content.decode()
    wrong = client.post(reverse("workspace:login"), {"username": user.username, "password": "x"})
    assert wrong.status_code == 200 and "用户名或密码不对，请重新输入" in wrong.content.decode()
    response = client.post(
        reverse("workspace:login"), {"username": user.username, "password": "correct-horse-battery"}
    )
    assert response.status_code == 302 and response["Location"] == reverse("workspace:home")
    assert client.get(reverse("workspace:home")).status_code == 200
    assert client.get(reverse("workspace:logout")).status_code == 405
    client.post(reverse("workspace:logout"))
    assert client.get(reverse("workspace:home")).status_code == 302


def test_secretaries_cannot_use_the_admin(client, world):
    client.force_login(world["users"]["secretary_a"])
    response = client.get(reverse("admin:alliances_jointmeeting_changelist"))
    assert response.status_code == 302  # to the admin login: not staff


def admin_secretary(client, world, *codenames):
    """Secretary A, wrongly given admin access with the named permissions."""
    secretary = world["users"]["secretary_a"]
    secretary.is_staff = True
    secretary.save()
    secretary.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client.force_login(secretary)


def test_a_secretary_given_admin_access_still_sees_only_their_alliance(client, world):
    admin_secretary(client, world, "view_jointmeeting", "change_jointmeeting")
    changelist = client.get(reverse("admin:alliances_jointmeeting_changelist"))
    assert changelist.status_code == 200
    shown = {row.pk for row in changelist.context["cl"].result_list}
    assert world["meeting"].pk in shown and world["meeting_b"].pk not in shown
    other = reverse("admin:alliances_jointmeeting_change", args=[world["meeting_b"].pk])
    assert client.get(other).status_code == 302  # "does not exist" redirect, not the record


def test_admin_bulk_actions_touch_only_own_records(client, world):
    admin_secretary(client, world, "view_jointmeeting", "delete_jointmeeting")
    client.post(
        reverse("admin:alliances_jointmeeting_changelist"),
        {
            "action": "delete_selected",
            "_selected_action": [world["meeting"].pk, world["meeting_b"].pk],
            "post": "yes",
        },
    )
    assert not JointMeeting.objects.filter(pk=world["meeting"].pk).exists()
    assert JointMeeting.objects.filter(pk=world["meeting_b"].pk).exists()
