"""Public alliance pages: what readers see, what they never see, and flat query counts."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from alliances import services
from alliances.models import FIRST_YEAR, Alliance, Attendance, Photo
from tests.alliances.test_applications import apply
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    MeetingFactory,
    MembershipFactory,
)


def text(response):
    return response.content.decode()


def test_directory_groups_alliances_with_member_counts(client, alliance_with_members):
    _ = alliance_with_members
    federation = AllianceFactory(name="文体大厦党总支", kind="federation")
    MembershipFactory(alliance=federation, is_lead=True)
    body = text(client.get(reverse("alliances:directory")))
    assert "楼宇联创共建（1+N）" in body and "机关党建联盟" in body
    assert "第一联盟" in body and "成员单位 4 个" in body
    assert federation.building.name in body


def test_alliance_page_shows_lead_members_rotation_and_quarter_grid(client, alliance_with_members):
    alliance, _ = alliance_with_members
    body = text(client.get(alliance.get_absolute_url()))
    assert "“1+3”组织架构" in body
    assert "机关工委" in body and "审计局" in body and "妇联" in body
    year = timezone.localdate().year
    assert f"{year}年轮值安排" in body and "第4季度" in body
    assert f"{year}年季度工作落实情况" in body
    assert "联席会议（例会）" in body and "集中学习" in body


def test_public_pages_never_show_contacts_or_unapproved_applications(
    client, alliance_with_members, reader
):
    alliance, _ = alliance_with_members
    applicant = BranchFactory(unit="申请中的单位", contact="0400-1234567")
    apply(alliance, applicant, reader, reason="想加入")
    proposed = services.alliance_found(
        alliance=Alliance(name="待批准的联盟", slug="pending", kind="office"),
        lead=BranchFactory(),
        members=[BranchFactory()],
        reason="",
        by=reader,
    )
    pages = [
        reverse("alliances:directory"),
        alliance.get_absolute_url(),
        reverse("alliances:activities"),
    ]
    for url in pages:
        body = text(client.get(url))
        assert "13800000000" not in body and "0400-1234567" not in body, url
        assert "申请中的单位" not in body, url
        assert "待批准的联盟" not in body, url
    assert client.get(proposed.get_absolute_url()).status_code == 404


def test_activity_and_meeting_pages_show_attendance_and_photos(client, alliance_with_members):
    alliance, members = alliance_with_members
    activity = ActivityFactory(alliance=alliance, host=members[0].branch, title="集中学习党章")
    Attendance.objects.create(activity=activity, branch=members[1].branch, head_count=7)
    Photo.objects.create(activity=activity, image="alliances/x.jpg", caption="学习现场")
    body = text(client.get(activity.get_absolute_url()))
    assert "集中学习党章" in body and "学习现场" in body and "<td>7</td>" in body
    meeting = MeetingFactory(alliance=alliance, host=members[0].branch, topics="研究第二季度安排")
    assert "研究第二季度安排" in text(client.get(meeting.get_absolute_url()))


def test_activity_list_filters(client, alliance_with_members):
    alliance, members = alliance_with_members
    other = AllianceFactory(name="第二联盟")
    ActivityFactory(alliance=alliance, host=members[0].branch, title="甲活动", line="study")
    ActivityFactory(alliance=other, title="乙活动", line="core", held_on=date(2024, 2, 1))
    url = reverse("alliances:activities")
    assert "乙活动" not in text(client.get(url, {"alliance": alliance.pk}))
    assert "甲活动" not in text(client.get(url, {"line": "core"}))
    assert "甲活动" not in text(client.get(url, {"year": 2024}))
    assert "乙活动" not in text(client.get(url, {"quarter": 2}))
    by_branch = text(client.get(url, {"branch": members[0].branch.pk}))
    assert "甲活动" in by_branch and "乙活动" not in by_branch


@pytest.mark.parametrize(
    "query",
    [
        {"year": "abc"},
        {"year": "1e99"},
        {"quarter": "5"},
        {"line": "<svg onload=alert(1)>"},
        {"alliance": "-1"},
        {"branch": "x"},
        {"alliance": "9" * 30},
    ],
)
def test_bad_activity_filters_are_a_400_not_a_500(client, alliance_with_members, query):
    response = client.get(reverse("alliances:activities"), query)
    assert response.status_code == 400
    assert "筛选条件无效" in text(response)
    assert "<svg onload" not in text(response)


@pytest.mark.parametrize("year", ["abc", "1900", "99999999999999999999"])
def test_bad_year_on_alliance_pages_is_a_400(client, alliance_with_members, year):
    alliance, _ = alliance_with_members
    assert client.get(alliance.get_absolute_url(), {"year": year}).status_code == 400
    assert client.get(reverse("alliances:directory"), {"year": year}).status_code == 400


@pytest.mark.parametrize("page", ["alliances:activities", "alliances:directory"])
def test_a_year_before_the_first_is_refused_by_the_public_filter_with_a_clear_message(
    client, alliance_with_members, page
):
    url = reverse(page)
    response = client.get(url, {"year": FIRST_YEAR - 1})
    assert response.status_code == 400
    assert f"没有“{FIRST_YEAR - 1}”这个年度：年度从 {FIRST_YEAR} 年起" in text(response)
    assert client.get(url, {"year": FIRST_YEAR}).status_code == 200


def test_unknown_alliance_is_a_404(client, db):
    assert client.get("/alliances/no-such/").status_code == 404
    assert client.get("/alliances/activities/999999/").status_code == 404


def grow(alliance, lead, members, activities):
    branches = [MembershipFactory(alliance=alliance).branch for _ in range(members)]
    for n in range(activities):
        activity = ActivityFactory(
            alliance=alliance,
            host=lead,
            held_on=date(timezone.localdate().year, 1 + n % 12, 1 + n % 27),
            line=["study", "core", "team"][n % 3],
            is_central_study=n % 5 == 0,
        )
        Attendance.objects.create(
            activity=activity, branch=branches[n % len(branches)], head_count=5
        )
        Photo.objects.create(activity=activity, image="alliances/x.jpg", caption="现场")


def page_urls(alliance):
    return {
        "alliance": alliance.get_absolute_url(),
        "activities": reverse("alliances:activities"),
        "directory": reverse("alliances:directory"),
    }


@pytest.mark.parametrize("page", ["alliance", "activities", "directory"])
def test_query_counts_stay_flat_from_2_to_40_members_and_10_to_500_activities(
    client, count_queries, page
):
    alliance = AllianceFactory()
    lead = MembershipFactory(alliance=alliance, is_lead=True).branch
    grow(alliance, lead, 2, 10)
    urls = page_urls(alliance)
    small = count_queries(client, urls[page])
    grow(alliance, lead, 38, 490)
    assert count_queries(client, urls[page]) == small


BUDGET = {"alliance": 8, "activities": 6, "directory": 5}


@pytest.mark.parametrize(("page", "limit"), BUDGET.items())
def test_alliance_pages_stay_within_their_query_budget(client, count_queries, page, limit):
    alliance = AllianceFactory()
    lead = MembershipFactory(alliance=alliance, is_lead=True).branch
    grow(alliance, lead, 4, 20)
    assert count_queries(client, page_urls(alliance)[page]) <= limit


def test_branch_filter_offers_the_chosen_alliances_members_only(client, alliance_with_members):
    alliance, members = alliance_with_members
    stranger = MembershipFactory(alliance=AllianceFactory(name="第二联盟")).branch
    url = reverse("alliances:activities")

    def offered(query):
        page = client.get(url, query).content.decode()
        select = page[
            page.index('name="branch"') : page.index("</select>", page.index('name="branch"'))
        ]
        return {int(pk) for pk in re.findall(r'<option value="(\d+)"', select)}

    assert offered({}) == set()
    assert "先选择联盟" in client.get(url).content.decode()
    assert offered({"alliance": alliance.pk}) == {m.branch.pk for m in members}
    # A branch named by a link is offered (and applied) even without its alliance.
    assert offered({"branch": stranger.pk}) == {stranger.pk}
