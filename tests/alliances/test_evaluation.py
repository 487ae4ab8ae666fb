"""评先评优: the year's scores, checked against a case worked out by hand, the committee's
adjustment with its reason, the ranking page, its Excel file and the 公示 draft."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from alliances import evaluation
from alliances.models import Attendance, Criterion, PhaseReport, Photo, ScoreAdjustment
from articles.models import Article
from portal.models import AuditEntry
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    CategoryFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)

YEAR = 2025
END_OF_YEAR = date(2026, 1, 5)


def members(alliance, *units_and_counts):
    """Active members since the alliance was founded, the first one the lead."""
    return [
        MembershipFactory(
            alliance=alliance,
            branch=BranchFactory(unit=unit, member_count=count),
            is_lead=n == 0,
            joined_on=alliance.founded_on,
        ).branch
        for n, (unit, count) in enumerate(units_and_counts)
    ]


def held(alliance, host, day, line, heads, *, study=False, photo=False, status="held"):
    activity = ActivityFactory(
        alliance=alliance, host=host, held_on=day, line=line, is_central_study=study, status=status
    )
    for branch, count in heads.items():
        Attendance.objects.create(activity=activity, branch=branch, head_count=count)
    if photo:
        Photo.objects.create(activity=activity, image="alliances/x.jpg", caption="活动现场")
    return activity


def report(alliance, phase, day):
    made = PhaseReport.objects.create(alliance=alliance, year=YEAR, phase=phase, text="报告")
    sent = timezone.make_aware(datetime(day.year, day.month, day.day, 10))
    PhaseReport.objects.filter(pk=made.pk).update(submitted_at=sent)


@pytest.fixture
def year_2025(db):
    """Two alliances with a year of records whose scores are worked out by hand below."""
    jia = AllianceFactory(name="甲联盟", slug="jia", founded_on=date(2025, 1, 1))
    gongwei, shenji = members(jia, ("机关工委", 8), ("审计局", 12))
    for day in (date(2025, 2, 10), date(2025, 5, 10), date(2025, 11, 10)):  # Q1, Q2, Q4
        MeetingFactory(alliance=jia, host=gongwei, held_on=day)
    MeetingFactory(alliance=jia, host=gongwei, held_on=date(2025, 8, 1), is_regular=False)
    held(jia, gongwei, date(2025, 3, 1), "study", {gongwei: 8, shenji: 12}, study=True, photo=True)
    held(jia, shenji, date(2025, 6, 1), "study", {gongwei: 8, shenji: 12}, study=True, photo=True)
    held(jia, gongwei, date(2025, 6, 9), "practice", {gongwei: 6, shenji: 10}, photo=True)
    held(jia, shenji, date(2025, 9, 9), "team", {gongwei: 4, shenji: 10})
    held(jia, shenji, date(2025, 10, 9), "core", {gongwei: 8}, status="cancelled", photo=True)
    report(jia, PhaseReport.Phase.PLAN, date(2025, 4, 20))
    report(jia, PhaseReport.Phase.CARRY_OUT, date(2025, 12, 5))  # after 30 November: late
    report(jia, PhaseReport.Phase.SUM_UP, date(2025, 12, 28))

    yi = AllianceFactory(name="乙联盟", slug="yi", founded_on=date(2025, 7, 1))
    bianban, shuijian = members(yi, ("编办", 5), ("水建中心", 5))
    for day in (date(2025, 8, 10), date(2025, 11, 12)):  # Q3, Q4
        MeetingFactory(alliance=yi, host=bianban, held_on=day)
    for n, line in enumerate(["study", "resources", "practice", "team", "core", "discipline"]):
        held(yi, bianban, date(2025, 7, 10 + n), line, {bianban: 3, shuijian: 2}, study=n == 0)

    AllianceFactory(name="丙联盟", slug="bing", founded_on=date(2026, 3, 1))  # not yet in 2025
    AllianceFactory(name="丁联盟", slug="ding", status="proposed")
    return {"jia": jia, "yi": yi}


# 甲联盟, 2025 (founded 1 January, 8 + 12 = 20 party members), with the default criteria:
#   例会      Q1, Q2, Q4 held of 4 due            3/4 = 75%      20 × 0.75      = 15.00
#   集中学习  Q1, Q2 of 4                         2/4 = 50%      20 × 0.50      = 10.00
#   六联      study, practice, team (core cancelled)   3 of 6    20 × 3/6       = 10.00
#   参与率    (8+12) + (8+12) + (6+10) + (4+10) = 70 people ÷ 20 = 3.5 per member
#                                                                20 × 3.5/4     = 17.50
#   报告      plan 20 Apr, sum-up 28 Dec on time; carry-out 5 Dec late: 2 of 3
#                                                                10 × 2/3       =  6.67
#   照片      3 of the 4 held activities                 75%     10 × 0.75      =  7.50
#   total     15 + 10 + 10 + 17.5 + 6.67 + 7.5                                  = 66.67
# 乙联盟 (founded 1 July: Q1 and Q2 are not due; 5 + 5 = 10 party members):
#   例会 Q3, Q4: 2/2 → 20.00; 学习 Q3: 1/2 → 10.00; 六联 all 6 lines → 20.00;
#   参与率 6 activities × (3 + 2) = 30 ÷ 10 = 3 → 20 × 3/4 = 15.00; 报告 0; 照片 0 of 6;
#   total 20 + 10 + 20 + 15 = 65.00
JIA_SCORES = [15.0, 10.0, 10.0, 17.5, 6.67, 7.5]
JIA_TOTAL = 66.67
YI_SCORES = [20.0, 10.0, 20.0, 15.0, 0.0, 0.0]
YI_TOTAL = 65.0
# Per member branch: 机关工委 8+8+6+4 = 26 ÷ 8 = 3.25; 审计局 12+12+10+10 = 44 ÷ 12 = 3.67;
# 编办 6 × 3 = 18 ÷ 5 = 3.6; 水建中心 6 × 2 = 12 ÷ 5 = 2.4.
BRANCH_RATES = {"机关工委": 3.25, "审计局": 3.67, "编办": 3.6, "水建中心": 2.4}


def evaluated():
    return evaluation.evaluate(YEAR, evaluation.criteria_for(YEAR), today=END_OF_YEAR)


def test_scores_match_the_hand_computed_year(year_2025):
    results = evaluated()

    assert [r.alliance.name for r in results] == ["甲联盟", "乙联盟"]
    jia, yi = results
    assert [float(mark.score) for mark in jia.marks] == JIA_SCORES
    assert float(jia.total) == JIA_TOTAL and jia.rank == 1
    assert [float(mark.score) for mark in yi.marks] == YI_SCORES
    assert float(yi.total) == YI_TOTAL and yi.rank == 2
    assert jia.marks[3].shown == "人均3.5次（70人次 ÷ 20名党员）"
    assert jia.marks[0].shown == "3/4个季度（75%）"


def test_each_member_branch_s_participation_is_its_people_per_member(year_2025):
    rates = {share.unit: float(share.rate) for r in evaluated() for share in r.branches}
    assert rates == BRANCH_RATES


def test_the_ranking_page_shows_the_hand_computed_scores(client, committee, year_2025):
    client.force_login(committee)
    response = client.get(reverse("workspace:evaluation", args=[YEAR]))

    assert response.status_code == 200
    rows = [
        (r.rank, r.alliance.name, [float(m.score) for m in r.marks], float(r.total))
        for r in response.context["results"]
    ]
    assert rows == [(1, "甲联盟", JIA_SCORES, JIA_TOTAL), (2, "乙联盟", YI_SCORES, YI_TOTAL)]
    page = response.content.decode()
    assert "66.67" in page and "65.00" in page
    assert "丙联盟" not in page and "丁联盟" not in page
    assert "人均3.5次（70人次 ÷ 20名党员）" in page


def test_the_excel_file_holds_the_same_figures(client, committee, year_2025):
    client.force_login(committee)
    response = client.get(reverse("workspace:evaluation_xlsx", args=[YEAR]))

    book = load_workbook(io.BytesIO(response.content))
    ranking = [list(row) for row in book.worksheets[0].iter_rows(min_row=3, values_only=True)]
    assert ranking == [
        [1, "甲联盟", "机关工委", JIA_TOTAL, *JIA_SCORES, JIA_TOTAL, 0, None],
        [2, "乙联盟", "编办", YI_TOTAL, *YI_SCORES, YI_TOTAL, 0, None],
    ]
    branches = book["成员单位参与情况"]
    assert {row[1]: row[4] for row in branches.iter_rows(min_row=3, values_only=True)} == (
        BRANCH_RATES
    )


def test_an_adjustment_needs_a_reason(client, committee, year_2025):
    client.force_login(committee)
    url = reverse("workspace:evaluation_adjust", args=[YEAR, "yi"])

    response = client.post(url, {"points": "2", "reason": "   "})

    assert response.status_code == 400
    assert "调整得分须写明理由。" in response.content.decode()
    assert not ScoreAdjustment.objects.exists()


def test_an_adjustment_is_audited_and_shown_beside_the_score(client, committee, year_2025):
    committee.first_name = "王组织"
    committee.save()
    client.force_login(committee)
    url = reverse("workspace:evaluation_adjust", args=[YEAR, "yi"])

    response = client.post(url, {"points": "2.5", "reason": "承办全县观摩会，台账外核实"})

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="evaluation.adjust")
    assert entry.user == committee
    assert entry.data["reason"] == "承办全县观摩会，台账外核实"
    assert entry.data["computed"] == "65.00" and entry.data["points"] == "2.5"
    page = client.get(reverse("workspace:evaluation", args=[YEAR])).content.decode()
    assert "计算得分 <strong>65.00</strong>，调整 <strong>+2.50</strong>" in page
    assert "理由：承办全县观摩会，台账外核实；王组织" in page
    assert "总分 <strong>67.50</strong>" in page
    first = client.get(reverse("workspace:evaluation", args=[YEAR])).context["results"][0]
    assert (first.alliance.slug, first.rank) == ("yi", 1)  # 67.50 now ahead of 66.67


def test_a_second_adjustment_replaces_the_first_and_both_are_in_the_audit_trail(
    client, committee, year_2025
):
    client.force_login(committee)
    url = reverse("workspace:evaluation_adjust", args=[YEAR, "jia"])
    client.post(url, {"points": "-3", "reason": "一次例会记录不实"})
    client.post(url, {"points": "0", "reason": "复核后记录属实，取消扣分"})

    adjustment = ScoreAdjustment.objects.get()
    assert (adjustment.points, adjustment.reason) == (Decimal("0"), "复核后记录属实，取消扣分")
    entries = AuditEntry.objects.filter(action="evaluation.adjust").order_by("pk")
    assert [e.data["reason"] for e in entries] == ["一次例会记录不实", "复核后记录属实，取消扣分"]
    assert entries[1].data["previous"] == ["-3.00", "一次例会记录不实"]


EVALUATION_URLS = [
    ("workspace:evaluation", [YEAR]),
    ("workspace:evaluation_xlsx", [YEAR]),
    ("workspace:evaluation_criteria", [YEAR]),
    ("workspace:evaluation_notice", [YEAR]),
    ("workspace:evaluation_adjust", [YEAR, "jia"]),
]


@pytest.mark.parametrize(("name", "args"), EVALUATION_URLS)
def test_only_committee_staff_reach_the_evaluation(client, year_2025, name, args):
    url = reverse(name, args=args)
    assert client.get(url).url.startswith(reverse("workspace:login"))
    secretary = UserFactory(username="sec-jia")
    year_2025["jia"].secretaries.add(secretary)
    client.force_login(secretary)
    assert client.get(url).status_code == 403
    assert client.post(url, {"points": "5", "reason": "自己加分"}).status_code == 403
    assert not ScoreAdjustment.objects.exists()


@pytest.mark.parametrize("sort", ["bogus", "<script>", "total;drop", ""])
def test_a_sort_outside_the_list_is_refused_in_chinese_not_a_500(
    client, committee, year_2025, sort
):
    client.force_login(committee)
    for name in ("workspace:evaluation", "workspace:evaluation_xlsx"):
        response = client.get(reverse(name, args=[YEAR]), {"sort": sort})
        if sort:
            assert response.status_code == 400
            assert "没有这种排序方式" in response.content.decode()
        else:
            assert response.status_code == 200


def test_sorting_by_a_criterion_puts_the_best_in_it_first(client, committee, year_2025):
    client.force_login(committee)
    url = reverse("workspace:evaluation", args=[YEAR])
    by_photos = client.get(url, {"sort": "photos"}).context["results"]
    by_lines = client.get(url, {"sort": "lines"}).context["results"]
    assert [r.alliance.slug for r in by_photos] == ["jia", "yi"]  # 7.50 before 0.00
    assert [r.alliance.slug for r in by_lines] == ["yi", "jia"]  # 20.00 before 10.00
    assert [r.rank for r in by_lines] == [2, 1]  # the rank stays the total's


def test_a_year_outside_the_ledger_is_not_found(client, committee, db):
    client.force_login(committee)
    assert client.get(reverse("workspace:evaluation", args=[1999])).status_code == 404
    assert client.get(reverse("workspace:evaluation", args=[2999])).status_code == 404
    assert not Criterion.objects.exists()


def test_a_year_s_criteria_start_from_the_plan_s_defaults_and_can_be_changed(
    client, committee, year_2025
):
    client.force_login(committee)
    client.get(reverse("workspace:evaluation", args=[YEAR]))
    criteria = list(Criterion.objects.filter(year=YEAR))
    assert [(c.key, c.weight, float(c.target)) for c in criteria] == [
        ("meetings", 20, 100),
        ("studies", 20, 100),
        ("lines", 20, 6),
        ("participation", 20, 4),
        ("reports", 10, 3),
        ("photos", 10, 100),
    ]
    url = reverse("workspace:evaluation_criteria", args=[YEAR])
    data = {}
    for c in criteria:
        data |= {f"label_{c.key}": c.label, f"weight_{c.key}": c.weight, f"target_{c.key}": "100"}
    data |= {"target_lines": "6", "target_participation": "3.5", "target_reports": "3"}
    data |= {"weight_photos": "0", "label_lines": "六联覆盖"}

    response = client.post(url, data)

    assert response.status_code == 302
    results = client.get(reverse("workspace:evaluation", args=[YEAR])).context["results"]
    yi, jia = results
    # 甲 as above, but 参与 3.5 of a 3.5 target → the full 20, and 照片 weighs 0:
    # 15 + 10 + 10 + 20 + 6.67 + 0 = 61.67
    assert float(jia.total) == 61.67
    # 乙: 20 + 10 + 20 + 20 × 3/3.5 (= 17.14) + 0 + 0 = 67.14, now first
    assert (yi.alliance.slug, float(yi.total), yi.rank) == ("yi", 67.14, 1)
    assert jia.marks[2].criterion.label == "六联覆盖"
    entry = AuditEntry.objects.get(action="evaluation.criteria")
    assert entry.data["changed"] == {
        "photos": {"weight": [10, 0]},
        "participation": {"target": ["4.00", "3.5"]},
        "lines": {"label": ["六联活动覆盖", "六联覆盖"]},
    }


def test_junk_criteria_are_refused_with_plain_messages(client, committee, year_2025):
    client.force_login(committee)
    url = reverse("workspace:evaluation_criteria", args=[YEAR])
    response = client.post(url, {"weight_meetings": "abc", "target_lines": "0"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "分值请填写整数" in page and "不能小于 0.01" in page
    assert Criterion.objects.get(year=YEAR, key="lines").target == 6


@pytest.fixture
def notices(db):
    return CategoryFactory(name="通知公告", slug="tzgg", column_type="notice")


def test_the_notice_draft_waits_for_review_and_is_not_public(client, committee, year_2025, notices):
    year_2025["yi"].name = "<b>乙联盟</b>"
    year_2025["yi"].save()
    client.force_login(committee)
    url = reverse("workspace:evaluation_notice", args=[YEAR])

    response = client.post(url, {"section": notices.pk, "alliances": "2", "units": "2"})

    assert response.status_code == 302
    article = Article.objects.get()
    assert article.status == Article.Status.REVIEW
    assert article.kind == Article.Kind.NOTICE and article.category == notices
    assert not Article.objects.published().exists()
    body = article.body
    assert "<td>1</td><td>甲联盟</td><td>机关工委</td><td>66.67</td>" in body
    assert "<td>2</td><td>&lt;b&gt;乙联盟&lt;/b&gt;</td><td>编办</td><td>65</td>" in body
    assert "<td>1</td><td>审计局</td><td>甲联盟</td><td>3.67</td>" in body  # 44 ÷ 12
    assert "<td>2</td><td>编办</td>" in body  # 18 ÷ 5 = 3.6, before 机关工委's 3.25
    assert "机关工委</td><td>甲联盟</td><td>3.25" not in body
    client.logout()
    assert client.get(article.get_absolute_url()).status_code == 404


def test_the_notice_asks_for_a_section_when_there_are_several(client, committee, year_2025):
    CategoryFactory(name="通知公告", slug="tzgg", column_type="notice")
    CategoryFactory(name="公示公告", slug="gsgg", column_type="notice")
    CategoryFactory(name="工作动态", slug="gzdt", column_type="news")
    client.force_login(committee)
    url = reverse("workspace:evaluation_notice", args=[YEAR])
    form = client.get(url).context["form"]
    assert [c.name for c in form.fields["section"].queryset] == ["通知公告", "公示公告"]

    response = client.post(url, {"alliances": "3", "units": "5"})

    assert response.status_code == 400
    assert "请选择公示发布到哪个栏目。" in response.content.decode()
    assert not Article.objects.exists()


def test_without_a_notice_section_the_page_says_what_to_do(client, committee, year_2025):
    client.force_login(committee)
    url = reverse("workspace:evaluation_notice", args=[YEAR])
    assert "还没有“通知公告”类栏目" in client.get(url).content.decode()
    assert client.post(url, {"alliances": "3", "units": "5"}).status_code == 400
    assert not Article.objects.exists()


def alliances_with_records(count):
    for n in range(count):
        alliance = AllianceFactory(founded_on=date(2025, 1, 1))
        lead, other = members(alliance, (f"牵头{n}", 6), (f"成员{n}", 4))
        MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 3, 3))
        held(alliance, lead, date(2025, 4, 4), "study", {lead: 5, other: 3}, study=True, photo=True)
        report(alliance, PhaseReport.Phase.PLAN, date(2025, 4, 1))
        ScoreAdjustment.objects.create(alliance=alliance, year=YEAR, points=1, reason="测试")


def test_the_ranking_page_costs_the_same_queries_for_3_and_30_alliances(
    client, committee, count_queries
):
    client.force_login(committee)
    url = reverse("workspace:evaluation", args=[YEAR])
    alliances_with_records(3)
    few = count_queries(client, url)
    alliances_with_records(27)
    many = count_queries(client, url)
    assert len(client.get(url).context["results"]) == 30
    assert few == many
