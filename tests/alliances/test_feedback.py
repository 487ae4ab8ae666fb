"""The committee's side of the yearly cycle: plans and reports read or sent back with a
comment and resubmitted (every round kept), deadlines shown as due or overdue, the reference
list of activities offered to secretaries, and the 经验推广 showcase on the alliances page."""

from datetime import date

import pytest
import time_machine
from django.urls import reverse

from alliances import feedback, publishing
from alliances.models import (
    Activity,
    AnnualPlan,
    DocumentReview,
    PhaseReport,
    ReferenceActivity,
    Showcase,
)
from portal.models import AuditEntry
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    MembershipFactory,
    UserFactory,
)

Decision = DocumentReview.Decision


@pytest.fixture
def alliance(db):
    alliance = AllianceFactory(name="甲联盟", slug="a", founded_on=date(2025, 1, 1))
    MembershipFactory(alliance=alliance, is_lead=True, branch=BranchFactory(unit="审计局"))
    return alliance


@pytest.fixture
def secretary(alliance):
    user = UserFactory(username="sec-a", first_name="甲联盟联络员")
    alliance.secretaries.add(user)
    return user


def report_url(alliance, phase="plan", year=2025):
    return reverse("workspace:report", args=[alliance.slug, year, phase])


def file_report(client, alliance, text="四月制定了年度计划。", phase="plan"):
    return client.post(
        report_url(alliance, phase),
        {"text": text, "activities_held": 2, "participants": 30},
    )


def document_url(name, document):
    kind = "plan" if isinstance(document, AnnualPlan) else "report"
    return reverse(f"workspace:{name}", args=[kind, document.pk])


def text(response):
    return response.content.decode()


# Feedback on plans and reports ------------------------------------------------------------


@time_machine.travel(date(2025, 5, 10), tick=False)
def test_a_report_sent_back_with_a_comment_is_fixed_resubmitted_and_read(
    client, alliance, secretary, committee
):
    client.force_login(secretary)
    assert file_report(client, alliance).status_code == 302
    report = PhaseReport.objects.get(alliance=alliance)

    client.force_login(committee)
    queue = text(client.get(reverse("workspace:feedback_documents")))
    assert str(report) in queue
    sent_back = client.post(
        document_url("feedback_document_return", report),
        {"comment": "请补充各单位参加人次。"},
        follow=True,
    )
    assert "已退回修改" in text(sent_back)
    assert "目前没有等待审阅的计划和报告。" in text(sent_back)

    client.force_login(secretary)
    home = text(client.get(reverse("workspace:home")))
    assert "请补充各单位参加人次。" in home
    assert f'href="{report_url(alliance)}"' in home
    assert "去修改并重新报送" in home
    form = text(client.get(report_url(alliance)))
    assert "退回修改" in form and "请补充各单位参加人次。" in form  # the history under it

    assert (
        file_report(client, alliance, text="四月制定计划，六个单位共30人次参加。").status_code
        == 302
    )
    assert "去修改并重新报送" not in text(client.get(reverse("workspace:home")))

    client.force_login(committee)
    assert str(report) in text(client.get(reverse("workspace:feedback_documents")))
    assert client.post(document_url("feedback_document_read", report), {}).status_code == 302

    rounds = list(report.reviews.order_by("pk").values_list("decision", "comment", "by"))
    assert rounds == [
        (Decision.SUBMITTED, "", secretary.pk),
        (Decision.RETURNED, "请补充各单位参加人次。", committee.pk),
        (Decision.RESUBMITTED, "", secretary.pk),
        (Decision.READ, "", committee.pk),
    ]
    page = text(client.get(document_url("feedback_document", report)))
    assert page.count('<li class="checklist__item"><time') == 4
    assert "已经审阅过了（已阅）" in page
    assert AuditEntry.objects.filter(action="phasereport.return").count() == 1


@time_machine.travel(date(2025, 5, 10), tick=False)
def test_saving_again_while_the_committee_has_not_read_it_adds_no_round(
    client, alliance, secretary
):
    client.force_login(secretary)
    file_report(client, alliance)
    file_report(client, alliance, text="补充了一段。")
    report = PhaseReport.objects.get(alliance=alliance)
    assert list(report.reviews.values_list("decision", flat=True)) == [Decision.SUBMITTED]


@pytest.mark.parametrize(
    "action", ["feedback_document", "feedback_document_read", "feedback_document_return"]
)
def test_a_secretary_cannot_review_a_document(client, alliance, secretary, action):
    report = PhaseReport.objects.create(alliance=alliance, year=2025, phase="plan", text="计划")
    client.force_login(secretary)
    method = client.get if action == "feedback_document" else client.post
    assert method(document_url(action, report), {"comment": "想自己退回"}).status_code == 403
    assert client.get(reverse("workspace:feedback_documents")).status_code == 403
    assert not DocumentReview.objects.exists()


def test_sending_back_without_a_comment_is_a_form_error(client, alliance, committee):
    plan = AnnualPlan.objects.create(alliance=alliance, year=2025, themes="联学")
    client.force_login(committee)
    response = client.post(document_url("feedback_document_return", plan), {"comment": "  "})
    assert response.status_code == 400
    assert "退回修改时请写明意见，联络员会看到。" in text(response)
    assert not plan.reviews.exists()


def test_a_document_read_once_is_not_decided_again(client, alliance, committee):
    plan = AnnualPlan.objects.create(alliance=alliance, year=2025, themes="联学")
    client.force_login(committee)
    client.post(document_url("feedback_document_read", plan), {})
    response = client.post(
        document_url("feedback_document_return", plan), {"comment": "再退回一次"}, follow=True
    )
    assert "已经审阅过了（已阅）" in text(response)
    assert list(plan.reviews.values_list("decision", flat=True)) == [Decision.READ]


def test_an_unknown_kind_of_document_is_a_404(client, committee):
    client.force_login(committee)
    url = reverse("workspace:feedback_document", args=["minutes", 1])
    assert client.get(url).status_code == 404


# Deadlines --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (date(2025, 3, 31), ["未到报送时间", "未到报送时间", "未到报送时间", "未到报送时间"]),
        (
            date(2025, 4, 20),
            ["待报送（04月30日前）", "待报送（04月30日前）", "未到报送时间", "未到报送时间"],
        ),
        (date(2025, 5, 3), ["已逾期 3 天", "已逾期 3 天", "待报送（11月30日前）", "未到报送时间"]),
        (
            date(2025, 12, 31),
            ["已逾期 245 天", "已逾期 245 天", "已逾期 31 天", "待报送（12月31日前）"],
        ),
    ],
)
def test_the_plan_and_reports_are_due_and_overdue_by_the_cycle(alliance, today, expected):
    slots = feedback.slots([alliance], 2025, today)[alliance.pk]
    assert [slot.state_label for slot in slots] == expected


def test_a_filed_document_is_no_longer_overdue_and_shows_its_review(alliance):
    report = PhaseReport.objects.create(alliance=alliance, year=2025, phase="plan", text="计划")
    feedback._round(report, Decision.SUBMITTED, None)
    today = date(2025, 6, 1)
    assert feedback.slots([alliance], 2025, today)[alliance.pk][1].state_label == "已报送，待审阅"
    feedback._round(report, Decision.RETURNED, None, "补充")
    assert feedback.slots([alliance], 2025, today)[alliance.pk][1].state_label == "退回修改"


@time_machine.travel(date(2025, 5, 3), tick=False)
def test_the_secretarys_home_shows_what_is_due_and_overdue(client, alliance, secretary):
    client.force_login(secretary)
    home = text(client.get(reverse("workspace:home")))
    assert '年度计划：</strong><span class="state state--missing">已逾期 3 天' in home
    assert "待报送（11月30日前）" in home
    assert f'href="{reverse("workspace:plan", args=["a", 2025])}"' in home


@time_machine.travel(date(2025, 5, 3), tick=False)
def test_the_committee_overview_shows_each_alliances_deadlines(client, alliance, committee):
    late = AllianceFactory(name="乙联盟", slug="b", founded_on=date(2025, 1, 1))
    AnnualPlan.objects.create(alliance=alliance, year=2025, themes="联学")
    client.force_login(committee)
    page = text(client.get(reverse("workspace:overview")))
    rows = {
        name: page[page.index(f">{name}</a></th>") :].split("</tr>")[0]
        for name in ("甲联盟", late.name)
    }
    assert '年度计划</a>：<span class="state state--upcoming">已报送，待审阅' in rows["甲联盟"]
    assert "待报送（11月30日前）" in rows["甲联盟"]
    assert '年度计划：<span class="state state--missing">已逾期 3 天' in rows[late.name]


@time_machine.travel(date(2025, 3, 1), tick=False)
def test_before_april_the_overview_says_nothing_is_due_yet(client, alliance, committee):
    client.force_login(committee)
    assert "未到报送时间" in text(client.get(reverse("workspace:overview")))


# The reference list -----------------------------------------------------------------------


def add_reference(client, **data):
    fields = {"line": "study", "title": "读书分享会", "position": 0, "is_active": "on"}
    return client.post(reverse("workspace:feedback_reference"), {**fields, **data})


def test_the_committee_publishes_a_reference_list_a_secretary_picks_from(
    client, alliance, secretary, committee
):
    client.force_login(committee)
    assert add_reference(client, description="每季度一次").status_code == 302
    add_reference(client, line="practice", title="志愿服务进社区")
    item = ReferenceActivity.objects.get(title="读书分享会")

    client.force_login(secretary)
    url = reverse("workspace:activity_new", args=[alliance.slug])
    form = text(client.get(url))
    assert '<optgroup label="政治理论联学">' in form
    assert f'<option value="{item.pk}">读书分享会</option>' in form
    host = alliance.memberships.get().branch
    response = client.post(
        url,
        {
            "reference": item.pk,
            "title": "",
            "line": "",
            "held_on": "2025-05-10",
            "status": "held",
            "venue": "党员活动室",
            "host": host.pk,
        },
    )
    assert response.status_code == 302, text(response)
    activity = Activity.objects.get(alliance=alliance)
    assert (activity.title, activity.line) == ("读书分享会", "study")


def test_a_reference_item_of_another_line_than_the_one_chosen_is_refused(
    client, alliance, secretary, committee
):
    item = ReferenceActivity.objects.create(line="practice", title="志愿服务进社区")
    client.force_login(secretary)
    response = client.post(
        reverse("workspace:activity_new", args=[alliance.slug]),
        {
            "reference": item.pk,
            "line": "study",
            "held_on": "2025-05-10",
            "status": "held",
            "venue": "党员活动室",
            "host": alliance.memberships.get().branch.pk,
        },
    )
    assert response.status_code == 400
    assert "与所选的六联类别不同" in text(response)
    assert not Activity.objects.exists()


def test_without_a_title_or_a_reference_item_the_activity_form_asks_for_one(
    client, alliance, secretary
):
    ReferenceActivity.objects.create(line="study", title="读书分享会")
    client.force_login(secretary)
    response = client.post(
        reverse("workspace:activity_new", args=[alliance.slug]),
        {"line": "study", "held_on": "2025-05-10", "status": "held", "venue": "活动室"},
    )
    assert response.status_code == 400
    assert "请填写活动名称，或从活动参考清单中选择一项。" in text(response)


def test_a_retired_reference_item_is_no_longer_offered(client, alliance, secretary, committee):
    item = ReferenceActivity.objects.create(line="study", title="读书分享会")
    client.force_login(committee)
    response = client.post(
        reverse("workspace:feedback_reference_edit", args=[item.pk]),
        {"line": "study", "title": "读书分享会", "position": 0},
    )
    assert response.status_code == 302
    item.refresh_from_db()
    assert not item.is_active
    assert "已停用" in text(client.get(reverse("workspace:feedback_reference")))
    client.force_login(secretary)
    assert "读书分享会" not in text(
        client.get(reverse("workspace:activity_new", args=[alliance.slug]))
    )


def test_a_second_item_of_the_same_title_and_line_is_refused(client, committee):
    client.force_login(committee)
    add_reference(client)
    response = add_reference(client)
    assert response.status_code == 400
    assert "这一类别中已有同名的参考活动。" in text(response)
    assert ReferenceActivity.objects.count() == 1


def test_a_secretary_cannot_change_the_reference_list(client, secretary):
    client.force_login(secretary)
    assert add_reference(client).status_code == 403
    assert not ReferenceActivity.objects.exists()


# The showcase (经验推广) ------------------------------------------------------------------


@pytest.fixture
def activity(alliance):
    return ActivityFactory(
        alliance=alliance, host=alliance.memberships.get().branch, title="红色观影"
    )


def publish_as(activity, committee):
    version = publishing.propose(
        record=activity,
        title="甲联盟组织党员观看红色电影",
        held_on=activity.held_on,
        text="介绍",
        by=committee,
    )
    return publishing.approve(version=version, by=committee)


def mark(client, activity, reason=""):
    return client.post(
        reverse("workspace:feedback_showcase_add", args=[activity.pk]),
        {"reason": reason},
        follow=True,
    )


def test_only_a_published_activity_can_be_showcased(client, activity, committee):
    client.force_login(committee)
    assert "只有已公开的联办活动才能设为经验推广。" in text(mark(client, activity))
    assert not Showcase.objects.exists()


def test_a_showcased_activity_is_shown_on_the_alliances_page_until_withdrawn(
    client, activity, committee
):
    directory = reverse("alliances:directory")
    publish_as(activity, committee)
    assert "经验推广" not in text(client.get(directory))  # cached without the block

    client.force_login(committee)
    assert "已将“红色观影”设为经验推广" in text(mark(client, activity, reason="形式新颖"))
    showcase = Showcase.objects.get()
    assert (showcase.marked_by, showcase.reason) == (committee, "形式新颖")

    client.logout()
    page = text(client.get(directory))
    assert "经验推广" in page and "甲联盟组织党员观看红色电影" in page
    assert activity.get_absolute_url() in page

    publishing.withdraw(record=activity, by=committee)
    assert "甲联盟组织党员观看红色电影" not in text(client.get(directory))


def test_removing_the_mark_takes_it_off_the_alliances_page(client, activity, committee):
    publish_as(activity, committee)
    client.force_login(committee)
    mark(client, activity)
    response = client.post(
        reverse("workspace:feedback_showcase_remove", args=[activity.pk]), follow=True
    )
    assert "已取消“红色观影”的经验推广。" in text(response)
    client.logout()
    assert "甲联盟组织党员观看红色电影" not in text(client.get(reverse("alliances:directory")))
    assert AuditEntry.objects.filter(action__startswith="showcase.").count() == 2


def test_a_secretary_cannot_showcase_an_activity(client, activity, secretary, committee):
    publish_as(activity, committee)
    client.force_login(secretary)
    response = client.post(reverse("workspace:feedback_showcase_add", args=[activity.pk]))
    assert response.status_code == 403
    assert not Showcase.objects.exists()
