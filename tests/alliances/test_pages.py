"""Public alliance pages: what readers see, what they never see, and flat query counts."""

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from alliances import services
from alliances.models import FIRST_YEAR, Alliance, Attendance, Photo, quarter_of
from portal.models import SiteSettings
from tests.alliances.test_applications import apply
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    MeetingFactory,
    MembershipFactory,
    publish,
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


def test_alliance_page_shows_lead_members_and_rotation(client, alliance_with_members):
    alliance, _ = alliance_with_members
    body = text(client.get(alliance.get_absolute_url()))
    assert "“1+3”组织架构" in body
    assert "机关工委" in body and "审计局" in body and "妇联" in body
    year = timezone.localdate().year
    assert f"{year}年轮值安排" in body and "第4季度" in body
    assert f"{year}年工作数据" in body


def held_meeting_and_study(alliance, host):
    """A regular meeting and a central study session, this year, before today: internal."""
    day = timezone.localdate().replace(month=1, day=5)
    MeetingFactory(alliance=alliance, host=host, held_on=day, topics="内部议题")
    ActivityFactory(alliance=alliance, host=host, held_on=day, is_central_study=True)


def test_compliance_figures_are_not_public_by_default(client, alliance_with_members):
    alliance, members = alliance_with_members
    held_meeting_and_study(alliance, members[0].branch)
    body = text(client.get(alliance.get_absolute_url()))
    assert "已召开例会" not in body and "季度工作落实情况" not in body
    assert "已开展" not in body and "未开展" not in body


def test_compliance_figures_when_switched_on_are_counts_only(client, alliance_with_members):
    alliance, members = alliance_with_members
    held_meeting_and_study(alliance, members[0].branch)
    settings = SiteSettings.load()
    settings.public_alliance_compliance = True
    settings.save()
    body = text(client.get(alliance.get_absolute_url()))
    year = timezone.localdate().year
    assert f"{year}年已召开例会 <strong>1</strong> 次、集中学习 <strong>1</strong> 次" in body
    assert "内部议题" not in body and "已开展" not in body and "人次" not in body


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


def test_activity_page_shows_its_public_version_not_the_record(client, alliance_with_members):
    alliance, members = alliance_with_members
    activity = ActivityFactory(
        alliance=alliance,
        host=members[0].branch,
        title="内部活动名称",
        description="<p>内部活动内容</p>",
        venue="内部地点",
    )
    Attendance.objects.create(activity=activity, branch=members[1].branch, head_count=7)
    chosen = Photo.objects.create(activity=activity, image="alliances/a.jpg", caption="内部说明一")
    Photo.objects.create(activity=activity, image="alliances/b.jpg", caption="内部说明二")
    assert client.get(activity.get_absolute_url()).status_code == 404
    publish(
        activity,
        title="集中学习党章",
        text="第一段介绍\n\n第二段 <b>加粗</b>",
        photos=[(chosen, "党员一起学习党章")],
    )
    body = text(client.get(activity.get_absolute_url()))
    assert "集中学习党章" in body and "党员一起学习党章" in body and "alliances/a.jpg" in body
    assert "<p>第一段介绍</p>" in body and "<p>第二段 &lt;b&gt;加粗&lt;/b&gt;</p>" in body
    assert members[0].branch.unit in body and "政治理论联学" in body
    for internal in ["内部活动", "内部地点", "内部说明", "alliances/b.jpg", "<td>7</td>", "参加"]:
        assert internal not in body, internal


def test_meeting_page_shows_its_public_version_never_the_minutes(client, alliance_with_members):
    alliance, members = alliance_with_members
    meeting = MeetingFactory(
        alliance=alliance,
        host=members[0].branch,
        topics="内部议题",
        decisions="内部议定事项",
        minutes="<p>内部纪要</p>",
    )
    assert client.get(meeting.get_absolute_url()).status_code == 404
    publish(meeting, title="第一联盟召开二季度联席会议", text="会议研究了下季度工作。")
    body = text(client.get(meeting.get_absolute_url()))
    assert "第一联盟召开二季度联席会议" in body and "会议研究了下季度工作。" in body
    assert "内部" not in body and "会议纪要" not in body and "议定事项" not in body
    alliance_page = text(client.get(alliance.get_absolute_url(), {"year": 2025}))
    assert "第一联盟召开二季度联席会议" in alliance_page


def test_alliance_page_shows_its_rules_its_buildings_rooms_and_the_years_meetings(
    client, alliance_with_members
):
    alliance, members = alliance_with_members
    alliance.rules.create(kind="meeting", title="联席会议制度（试行）", body="<p>每季度一次。</p>")
    alliance.rules.create(kind="study", title="集中学习制度", body="<p>每月一次。</p>", position=1)
    alliance.building.facilities.create(name="三楼党员活动室", kind="activity", capacity=40)
    elsewhere = AllianceFactory(name="第二联盟")  # another building, another alliance
    elsewhere.building.facilities.create(name="别家的阅览室", kind="reading")
    elsewhere.rules.create(kind="other", title="别家的制度", body="<p>无</p>")
    host = members[0].branch
    for held_on, title in [
        (date(2025, 3, 2), "二〇二五年一季度例会"),
        (date(2024, 12, 9), "去年的例会"),
    ]:
        publish(MeetingFactory(alliance=alliance, host=host, held_on=held_on), title=title)
    body = text(client.get(alliance.get_absolute_url(), {"year": 2025}))
    assert body.index("联席会议制度（试行）") < body.index("集中学习制度")
    assert "三楼党员活动室" in body and "可容纳 40 人" in body
    assert "别家" not in body
    assert "二〇二五年一季度例会" in body and "去年的例会" not in body


def test_alliance_page_shows_a_frozen_periods_host_not_the_computed_turn(
    client, alliance_with_members
):
    alliance, members = alliance_with_members
    assert alliance.rotation == Alliance.Rotation.QUARTER
    year = timezone.localdate().year
    first_quarter = '<th scope="row">第1季度</th><td>妇联</td>'
    assert first_quarter not in text(client.get(alliance.get_absolute_url()))
    alliance.rotation_slots.create(starts_on=date(year, 1, 1), host=members[3].branch)
    assert first_quarter in text(client.get(alliance.get_absolute_url()))


def test_activity_list_filters(client, alliance_with_members):
    alliance, members = alliance_with_members
    other = AllianceFactory(name="第二联盟")
    publish(
        ActivityFactory(alliance=alliance, host=members[0].branch, line="study"), title="甲活动"
    )
    publish(ActivityFactory(alliance=other, line="core", held_on=date(2024, 2, 1)), title="乙活动")
    url = reverse("alliances:activities")
    both = text(client.get(url))
    assert "甲活动" in both and "乙活动" in both
    assert "乙活动" not in text(client.get(url, {"alliance": alliance.pk}))
    assert "甲活动" not in text(client.get(url, {"line": "core"}))
    assert "甲活动" not in text(client.get(url, {"year": 2024}))
    assert "乙活动" not in text(client.get(url, {"quarter": 2}))
    by_branch = text(client.get(url, {"branch": members[0].branch.pk}))
    assert "甲活动" in by_branch and "乙活动" not in by_branch


def test_activity_list_shows_published_activities_only(client, alliance_with_members):
    alliance, members = alliance_with_members
    publish(ActivityFactory(alliance=alliance, host=members[0].branch), title="已公开的活动")
    ActivityFactory(alliance=alliance, host=members[0].branch, title="未申请公开的活动")
    body = text(client.get(reverse("alliances:activities")))
    assert "已公开的活动" in body and "未申请公开的活动" not in body


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
    assert f"没有“{FIRST_YEAR - 1}”这个年度的记录" in text(response)
    # Only years with published records are offered (test_trusted_records.py), and this year.
    assert client.get(url, {"year": FIRST_YEAR}).status_code == 400
    assert client.get(url, {"year": timezone.localdate().year}).status_code == 200


def test_unknown_alliance_is_a_404(client, db):
    assert client.get("/alliances/no-such/").status_code == 404
    assert client.get("/alliances/activities/999999/").status_code == 404


def grow(alliance, lead, members, activities):
    branches = [MembershipFactory(alliance=alliance).branch for _ in range(members)]
    for n in range(activities):
        day = date(timezone.localdate().year, 1 + n % 12, 1 + n % 27)
        studied = alliance.activities.filter(year=day.year, quarter=quarter_of(day))
        activity = ActivityFactory(
            alliance=alliance,
            host=lead,
            held_on=day,
            line=["study", "core", "team"][n % 3],
            # one per quarter, as the constraint asks
            is_central_study=n % 5 == 0 and not studied.filter(is_central_study=True).exists(),
        )
        Attendance.objects.create(
            activity=activity, branch=branches[n % len(branches)], head_count=5
        )
        photo = Photo.objects.create(activity=activity, image="alliances/x.jpg", caption="现场")
        publish(activity, photos=[(photo, "活动现场")])


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


# The alliance page's 9th query: the years with its published records, for the year selector.
BUDGET = {"alliance": 9, "activities": 6, "directory": 5}


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


@pytest.mark.parametrize("page", ["alliances:activity", "alliances:meeting"])
def test_a_record_id_beyond_the_databases_range_is_a_404(client, db, page):
    assert client.get(reverse(page, args=[2**63])).status_code == 404
