"""Self-service from the workspace, tried as a secretary on a phone and as committee staff:
book a shared room and cancel it, file a unit's application to join, found an alliance;
readers see each room's week (time and alliance, nothing personal) and the lead secretary."""

from datetime import datetime, time, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliances import services
from alliances.models import Alliance, Booking, Facility, Membership
from alliances.selfservice_forms import monday_of, week_label
from portal.models import AuditEntry
from tests.factories import AllianceFactory, BranchFactory, UserFactory

PHONE = {"HTTP_USER_AGENT": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile"}


@pytest.fixture
def alliance(alliance_with_members):
    return alliance_with_members[0]


@pytest.fixture
def members(alliance_with_members):
    return alliance_with_members[1]


@pytest.fixture
def secretary(alliance):
    user = UserFactory(username="liaison", first_name="李联络")
    alliance.secretaries.add(user)
    return user


@pytest.fixture
def phone(secretary):
    """The secretary's phone, logged in (a client of its own: ``client`` is someone else)."""
    phone = Client(**PHONE)
    phone.force_login(secretary)
    return phone


@pytest.fixture
def room(alliance):
    return Facility.objects.create(
        building=alliance.building, name="党员活动室", kind="activity", capacity=40
    )


def next_monday():
    today = timezone.localdate()
    return monday_of(today) + timedelta(days=7)


def week_url(alliance, room, day):
    url = reverse("workspace:room_week", args=[alliance.slug, room.pk])
    return f"{url}?week={week_label(monday_of(day))}"


def book(client, alliance, room, branch, day, starts="09:00", ends="11:00", purpose="主题党日"):
    return client.post(
        reverse("workspace:room_week", args=[alliance.slug, room.pk]),
        {
            "day": day.isoformat(),
            "starts": starts,
            "ends": ends,
            "branch": branch.pk,
            "purpose": purpose,
        },
    )


def aware(day, hour):
    return timezone.make_aware(datetime.combine(day, time(hour)))


# Booking a room -----------------------------------------------------------------------------


def test_a_secretary_books_a_room_and_sees_it_in_that_week(phone, alliance, members, room):
    day = next_monday() + timedelta(days=2)
    response = book(phone, alliance, room, members[1].branch, day, purpose="审计局主题党日")
    assert response.status_code == 302
    assert response["Location"] == week_url(alliance, room, day)
    page = phone.get(response["Location"]).content.decode()
    assert "已预约党员活动室" in page
    assert "09:00—11:00" in page
    assert "审计局主题党日" in page  # the alliance's own booking, with its details
    booking = Booking.objects.get()
    assert (booking.alliance, booking.branch, booking.booked_by.username) == (
        alliance,
        members[1].branch,
        "liaison",
    )
    assert AuditEntry.objects.filter(action="booking.add").count() == 1


def test_an_overlapping_booking_is_refused_with_a_clear_message(
    phone, alliance, members, room, committee
):
    day = next_monday()
    book(phone, alliance, room, members[1].branch, day, "09:00", "11:00", "廉政谈话")
    response = book(phone, alliance, room, members[2].branch, day, "10:00", "12:00", "学习")
    assert response.status_code == 400
    page = response.content.decode()
    assert "没有预约成功" in page
    assert "该时段已被审计局预约" in page
    assert f"{day:%m月%d日} 09:00—11:00" in page  # local time, as booked
    assert "廉政谈话" not in page.split("没有预约成功")[1]  # not the other unit's purpose
    assert Booking.objects.count() == 1
    assert book(phone, alliance, room, members[2].branch, day, "11:00", "12:00").status_code == 302


def test_pressing_back_and_booking_again_keeps_one_booking(phone, alliance, members, room):
    day = next_monday()
    book(phone, alliance, room, members[1].branch, day)
    again = book(phone, alliance, room, members[1].branch, day)
    assert again.status_code == 302
    assert "已经保存过了" in phone.get(again["Location"]).content.decode()
    assert Booking.objects.count() == 1


@pytest.mark.parametrize(
    ("starts", "ends", "days", "message"),
    [
        ("11:00", "09:00", 7, "结束时间须晚于开始时间"),
        ("09:00", "10:00", -7, "不能预约已经过去的时间"),
        ("09:00", "10:00", 800, "最多只能预约一年以内"),
    ],
)
def test_impossible_times_are_refused_with_a_reason(
    phone, alliance, members, room, starts, ends, days, message
):
    day = timezone.localdate() + timedelta(days=days)
    response = book(phone, alliance, room, members[1].branch, day, starts, ends)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Booking.objects.exists()


def test_only_the_alliances_members_can_be_the_booking_unit(phone, alliance, room):
    stranger = BranchFactory(unit="外单位")
    response = book(phone, alliance, room, stranger, next_monday())
    assert response.status_code == 400
    assert not Booking.objects.exists()


def test_a_room_of_another_building_is_not_found(phone, alliance):
    elsewhere = Facility.objects.create(
        building=AllianceFactory().building, name="阅览室", kind="reading"
    )
    assert (
        phone.get(reverse("workspace:room_week", args=[alliance.slug, elsewhere.pk])).status_code
        == 404
    )


@pytest.mark.parametrize("week", ["2026-W60", "2026-13", "abc", "1999-W10", "2021-W53"])
def test_a_week_that_cannot_be_is_a_400_with_a_reason(phone, alliance, room, week):
    url = reverse("workspace:room_week", args=[alliance.slug, room.pk])
    response = phone.get(url, {"week": week})
    assert response.status_code == 400
    assert "周次" in response.content.decode()


def test_the_week_links_to_the_previous_and_next_week(phone, alliance, room):
    response = phone.get(week_url(alliance, room, next_monday()))
    page = response.content.decode()
    assert f"?week={week_label(monday_of(timezone.localdate()))}" in page  # 上一周
    assert f"?week={week_label(next_monday() + timedelta(days=7))}" in page  # 下一周
    assert page.count('class="room-week__day') == 7
    assert "星期一" in page and "星期日" in page


def test_a_secretary_cancels_their_own_booking(phone, alliance, members, room):
    book(phone, alliance, room, members[1].branch, next_monday())
    booking = Booking.objects.get()
    url = reverse("workspace:booking_cancel", args=[alliance.slug, booking.pk])
    assert "确认取消预约" in phone.get(url).content.decode()
    response = phone.post(url)
    assert response.status_code == 302
    assert "已取消" in phone.get(response["Location"]).content.decode()
    assert not Booking.objects.exists()
    assert AuditEntry.objects.get(action="booking.delete").data["deleted"]["purpose"] == "主题党日"


def test_a_secretary_cannot_cancel_someone_elses_booking(
    client, phone, alliance, members, room, committee
):
    day = next_monday()
    theirs = services.booking_save(
        booking=Booking(
            facility=room,
            alliance=alliance,
            branch=members[2].branch,
            starts_at=aware(day, 14),
            ends_at=aware(day, 16),
            purpose="总工会学习",
        ),
        by=committee,
    )
    week = phone.get(week_url(alliance, room, day)).content.decode()
    cancel = reverse("workspace:booking_cancel", args=[alliance.slug, theirs.pk])
    assert cancel not in week
    assert phone.post(cancel).status_code == 403
    assert Booking.objects.filter(pk=theirs.pk).exists()


def test_a_booking_of_another_alliance_is_not_found_through_ones_own(
    phone, alliance, members, room, committee
):
    other = AllianceFactory(building=alliance.building)
    day = next_monday()
    booking = services.booking_save(
        booking=Booking(
            facility=room,
            alliance=other,
            branch=BranchFactory(),
            starts_at=aware(day, 14),
            ends_at=aware(day, 16),
            purpose="另一个联盟的活动",
        ),
        by=committee,
    )
    url = reverse("workspace:booking_cancel", args=[alliance.slug, booking.pk])
    assert phone.post(url).status_code == 404
    week = phone.get(week_url(alliance, room, day)).content.decode()
    assert other.name in week and "另一个联盟的活动" not in week


def test_a_past_booking_cannot_be_cancelled_even_by_committee_staff(
    client, alliance, members, room, committee
):
    yesterday = timezone.localdate() - timedelta(days=1)
    booking = Booking.objects.create(
        facility=room,
        alliance=alliance,
        branch=members[1].branch,
        starts_at=aware(yesterday, 9),
        ends_at=aware(yesterday, 10),
        purpose="已经用过",
        booked_by=committee,
    )
    client.force_login(committee)
    response = client.post(reverse("workspace:booking_cancel", args=[alliance.slug, booking.pk]))
    assert response.status_code == 400
    assert "已经开始或已经结束，不能取消" in response.content.decode()
    assert Booking.objects.filter(pk=booking.pk).exists()


def test_committee_staff_cancel_a_secretarys_booking(
    client, phone, alliance, members, room, committee
):
    book(phone, alliance, room, members[1].branch, next_monday())
    booking = Booking.objects.get()
    client.force_login(committee)
    url = reverse("workspace:booking_cancel", args=[alliance.slug, booking.pk])
    assert client.post(url).status_code == 302
    assert not Booking.objects.exists()


def test_the_rooms_page_lists_the_buildings_rooms_and_the_bookings_to_come(
    phone, alliance, members, room
):
    book(phone, alliance, room, members[1].branch, next_monday())
    page = phone.get(reverse("workspace:rooms", args=[alliance.slug])).content.decode()
    assert reverse("workspace:room_week", args=[alliance.slug, room.pk]) in page
    assert "主题党日" in page and "取消预约" in page
    assert "李联络预约" in page


def test_a_booking_entered_in_the_admin_without_a_booker_shows_in_the_week(
    phone, alliance, members, room
):
    day = next_monday()
    Booking.objects.create(
        facility=room,
        alliance=alliance,
        branch=members[1].branch,
        starts_at=aware(day, 9),
        ends_at=aware(day, 10),
        purpose="后台录入",
    )
    page = phone.get(week_url(alliance, room, day)).content.decode()
    assert "后台录入" in page and "后台登记" in page
    assert "取消预约" not in page  # only committee staff may cancel what nobody here booked


# The public week ----------------------------------------------------------------------------


def test_readers_see_the_rooms_week_with_time_and_alliance_and_nothing_personal(
    client, phone, alliance, members, room
):
    members[1].branch.secretary_name = "王书记"
    members[1].branch.save()
    day = next_monday() + timedelta(days=1)
    book(phone, alliance, room, members[1].branch, day, "14:30", "16:30", "张三同志谈心谈话")
    client.logout()
    url = reverse("alliances:room", args=[room.pk])
    response = client.get(url, {"week": week_label(monday_of(day))})
    assert response.status_code == 200
    page = response.content.decode()
    assert "14:30—16:30" in page
    assert f"{alliance.name}使用" in page
    for private in ("张三", "谈心谈话", "审计局", "李联络", "liaison", "13800000000", "王书记"):
        assert private not in page, private


def test_the_public_week_changes_as_soon_as_a_booking_is_made(
    client, phone, alliance, members, room
):
    day = next_monday()
    url = reverse("alliances:room", args=[room.pk])
    query = {"week": week_label(day)}
    assert "09:00—11:00" not in client.get(url, query).content.decode()  # cached now
    book(phone, alliance, room, members[1].branch, day)
    assert "09:00—11:00" in client.get(url, query).content.decode()


def test_the_public_alliance_page_links_each_room_to_its_week(client, alliance, room):
    page = client.get(alliance.get_absolute_url()).content.decode()
    assert reverse("alliances:room", args=[room.pk]) in page


def test_a_room_whose_building_has_no_approved_alliance_is_not_public(client, db):
    proposed = AllianceFactory(status="proposed")
    hidden = Facility.objects.create(building=proposed.building, name="档案室", kind="archive")
    assert client.get(reverse("alliances:room", args=[hidden.pk])).status_code == 404


def test_a_public_week_out_of_range_is_a_400(client, room):
    response = client.get(reverse("alliances:room", args=[room.pk]), {"week": "2014-W10"})
    assert response.status_code == 400
    assert "只能查看" in response.content.decode()


# Applications to join -----------------------------------------------------------------------


def test_a_unit_applies_to_join_and_committee_staff_approve_it_in_the_workspace(
    client, phone, alliance, members, committee
):
    statistics = BranchFactory(unit="统计局", name="统计局党支部")
    applications = reverse("workspace:applications", args=[alliance.slug])
    form = phone.get(applications).content.decode()
    assert "统计局党支部" in form
    assert members[1].branch.name not in form.split("申请和审批记录")[0]  # already a member
    response = phone.post(applications, {"branch": statistics.pk, "reason": "同在行政中心办公"})
    assert response.status_code == 302
    filed = phone.get(applications).content.decode()
    assert "等待机关工委审批" in filed and "同在行政中心办公" in filed
    assert "等待审批" in phone.get(reverse("workspace:home")).content.decode()

    client.force_login(committee)
    home = client.get(reverse("workspace:home")).content.decode()
    assert "1 份等待审批" in home
    queue = client.get(reverse("workspace:application_queue")).content.decode()
    assert "统计局党支部 申请加入" in queue
    application = Membership.objects.get(branch=statistics)
    approved = client.post(
        reverse("workspace:application_approve", args=[application.pk]), {"note": "同意"}
    )
    assert approved.status_code == 302
    assert "已批准统计局加入" in client.get(approved["Location"]).content.decode()
    application.refresh_from_db()
    assert (application.status, application.decided_by) == ("active", committee)
    assert application.joined_on == timezone.localdate()
    assert "已批准" in phone.get(applications).content.decode()
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions[-2:] == ["membership.apply", "membership.approve"]


def test_refusing_an_application_needs_a_reason_which_the_secretary_sees(
    client, phone, alliance, committee
):
    phone.post(
        reverse("workspace:applications", args=[alliance.slug]),
        {"branch": BranchFactory(unit="气象局").pk, "reason": "希望加入"},
    )
    application = Membership.objects.get(status="applied")
    client.force_login(committee)
    refuse = reverse("workspace:application_refuse", args=[application.pk])
    without = client.post(refuse, {"note": "  "}, follow=True)
    assert "不予批准时请写明理由" in without.content.decode()
    application.refresh_from_db()
    assert application.status == "applied"
    client.post(refuse, {"note": "不在同一办公区"})
    application.refresh_from_db()
    assert (application.status, application.decision_note) == ("rejected", "不在同一办公区")
    home = phone.get(reverse("workspace:home")).content.decode()
    assert "未批准" in home and "不在同一办公区" in home


def test_an_application_without_a_reason_or_twice_is_refused(phone, alliance, members):
    url = reverse("workspace:applications", args=[alliance.slug])
    branch = BranchFactory()
    assert phone.post(url, {"branch": branch.pk, "reason": "   "}).status_code == 400
    assert phone.post(url, {"branch": members[1].branch.pk, "reason": "x"}).status_code == 400
    assert not Membership.objects.filter(status="applied").exists()


def test_secretaries_cannot_decide_applications(phone, alliance):
    phone.post(
        reverse("workspace:applications", args=[alliance.slug]),
        {"branch": BranchFactory().pk, "reason": "希望加入"},
    )
    application = Membership.objects.get(status="applied")
    assert phone.get(reverse("workspace:application_queue")).status_code == 403
    url = reverse("workspace:application_approve", args=[application.pk])
    assert phone.post(url).status_code == 403
    application.refresh_from_db()
    assert application.status == "applied"


# Founding an alliance -----------------------------------------------------------------------


def test_committee_staff_register_a_founding_and_decide_it_in_the_workspace(client, committee):
    lead, *others = [BranchFactory(unit=unit) for unit in ("编办", "水建中心", "供销联社")]
    client.force_login(committee)
    response = client.post(
        reverse("workspace:founding_new"),
        {
            "name": "机关党建第四联盟",
            "slug": "",
            "kind": "office",
            "rotation": "quarter",
            "lead": lead.pk,
            "members": [branch.pk for branch in others],
            "reason": "同在人防大楼办公，资源互补",
        },
    )
    assert response.status_code == 302
    alliance = Alliance.objects.get(name="机关党建第四联盟")
    assert alliance.status == "proposed" and alliance.slug.startswith("lianmeng-")
    assert client.get(alliance.get_absolute_url()).status_code == 404
    queue = client.get(reverse("workspace:application_queue")).content.decode()
    assert "申请成立：机关党建第四联盟" in queue and "同在人防大楼办公" in queue
    assert "1 份等待审批" in client.get(reverse("workspace:home")).content.decode()

    refuse = reverse("workspace:founding_refuse", args=[alliance.pk])
    assert "不予批准时请写明理由" in client.post(refuse, {"note": ""}, follow=True).content.decode()
    client.post(reverse("workspace:founding_approve", args=[alliance.pk]), {"note": ""})
    alliance.refresh_from_db()
    assert alliance.status == "active"
    assert alliance.memberships.get(is_lead=True).branch == lead
    assert set(alliance.memberships.values_list("status", flat=True)) == {"active"}
    assert client.get(alliance.get_absolute_url()).status_code == 200


def test_a_founding_without_another_member_is_refused_on_the_form(client, committee):
    lead = BranchFactory()
    client.force_login(committee)
    response = client.post(
        reverse("workspace:founding_new"),
        {
            "name": "单独一家",
            "kind": "office",
            "rotation": "quarter",
            "lead": lead.pk,
            "members": [lead.pk],
            "reason": "试试",
        },
    )
    assert response.status_code == 400
    assert "至少需要牵头单位和一个成员单位" in response.content.decode()
    assert not Alliance.objects.filter(name="单独一家").exists()


def test_a_member_of_a_proposed_alliance_is_decided_with_the_whole_founding(client, committee):
    lead, other = BranchFactory(), BranchFactory()
    alliance = services.alliance_found(
        alliance=Alliance(name="第五联盟", slug="fifth", kind="office"),
        lead=lead,
        members=[other],
        reason="同楼",
        by=committee,
    )
    client.force_login(committee)
    single = alliance.memberships.get(branch=other)
    page = client.post(
        reverse("workspace:application_approve", args=[single.pk]), follow=True
    ).content.decode()
    assert "请审批整个成立申请" in page
    single.refresh_from_db()
    assert single.status == "applied"


# The lead secretary on the public page ------------------------------------------------------


def test_the_public_alliance_page_names_the_lead_secretary(client, alliance):
    alliance.lead_secretary_name = "张立新"
    alliance.save()
    page = client.get(alliance.get_absolute_url()).content.decode()
    assert "联盟书记" in page and "张立新" in page


def test_a_federation_calls_its_lead_secretary_the_general_branch_secretary(client, db):
    federation = AllianceFactory(kind="federation", lead_secretary_name="王建华")
    page = client.get(federation.get_absolute_url()).content.decode()
    assert "党总支书记" in page and "王建华" in page


def test_committee_staff_keep_the_lead_secretary_in_the_admin_apart_from_private_contacts(
    client, alliance, committee
):
    client.force_login(committee)
    page = client.get(reverse("admin:alliances_alliance_change", args=[alliance.pk]))
    assert "党总支书记（公开）" in page.content.decode()
    assert 'name="lead_secretary_name"' in page.content.decode()
