"""Records that can be trusted (issue 16): plausible figures, no duplicate from Back + 保存,
nothing lost when the login expires, alliances in their own order, years with data only,
and demo texts that agree with the demo's counts."""

import importlib
import io
import re
import uuid
from datetime import date, datetime, timedelta

import pytest
import time_machine
from django.apps import apps
from django.contrib.auth import SESSION_KEY
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from alliances import recovery, selectors, services
from alliances.demo import load_alliances
from alliances.forms import OverviewSortForm
from alliances.models import Activity, Alliance, Attendance, JointMeeting, Membership
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    BuildingFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)

TODAY = date(2025, 8, 20)
MIGRATION = importlib.import_module("alliances.migrations.0011_records_trusted")


@pytest.fixture
def setup(db):
    """甲联盟: 机关工委 (8 party members, the lead) and 审计局 (5); its secretary."""
    alliance = AllianceFactory(name="甲联盟", slug="a", founded_on=date(2025, 1, 1))
    lead = MembershipFactory(
        alliance=alliance, is_lead=True, branch=BranchFactory(unit="机关工委", member_count=8)
    ).branch
    member = MembershipFactory(
        alliance=alliance, branch=BranchFactory(unit="审计局", member_count=5)
    ).branch
    secretary = UserFactory(username="sec-a")
    alliance.secretaries.add(secretary)
    return alliance, lead, member, secretary


@pytest.fixture
def logged_in(client, setup):
    client.force_login(setup[3])
    with time_machine.travel(TODAY, tick=False):
        yield client


def text(response):
    return re.sub(r"\s+", " ", response.content.decode())


def meeting_data(setup, **overrides):
    _, lead, member, _ = setup
    return {
        "held_on": "2025-08-12",
        "is_regular": "on",
        "venue": "三楼活动室",
        "host": lead.pk,
        "topics": "研究第三季度工作",
        f"heads_{lead.pk}": "6",
        f"heads_{member.pk}": "4",
        "form_token": str(uuid.uuid4()),
        **overrides,
    }


def activity_data(setup, **overrides):
    _, lead, _, _ = setup
    return {
        "title": "专题读书班",
        "line": "study",
        "held_on": "2025-08-10",
        "status": "held",
        "venue": "阅览室",
        "host": lead.pk,
        "form_token": str(uuid.uuid4()),
        **overrides,
    }


def new_meeting(setup, **fields):
    alliance, lead, _, _ = setup
    return JointMeeting(
        alliance=alliance,
        held_on=date(2025, 8, 12),
        venue="三楼活动室",
        host=lead,
        topics="研究工作",
        **fields,
    )


def new_activity(setup, **fields):
    alliance, lead, _, _ = setup
    values = {
        "held_on": date(2025, 8, 10),
        "venue": "阅览室",
        "host": lead,
        "line": "study",
        "title": "读书班",
        "status": "held",
    }
    return Activity(alliance=alliance, **{**values, **fields})


MEETING_NEW = reverse("workspace:meeting_new", args=["a"])
ACTIVITY_NEW = reverse("workspace:activity_new", args=["a"])


# Head counts within a branch's members; more only as guests, with a reason -----------------


def test_the_service_refuses_more_people_than_a_branch_has_members(setup):
    _, lead, member, secretary = setup
    with time_machine.travel(TODAY, tick=False), pytest.raises(ValidationError) as refused:
        services.record_save(record=new_meeting(setup), attendance={member.pk: 7}, by=secretary)
    assert "审计局填写了7人，但该单位只有5名党员" in " ".join(refused.value.messages)
    assert not JointMeeting.objects.exists()


def test_the_service_keeps_guests_apart_from_members_with_their_reason(setup):
    _, lead, member, secretary = setup
    with time_machine.travel(TODAY, tick=False):
        with pytest.raises(ValidationError, match="请说明是哪些人员参加"):
            services.record_save(
                record=new_meeting(setup),
                attendance={member.pk: 5},
                guests={member.pk: (2, " ")},
                by=secretary,
            )
        meeting = services.record_save(
            record=new_meeting(setup),
            attendance={member.pk: 5},
            guests={member.pk: (2, "邀请社区群众代表")},
            by=secretary,
        )
    row = meeting.attendance.get()
    assert (row.head_count, row.guests, row.guests_reason) == (5, 2, "邀请社区群众代表")
    assert meeting.total_attendance == 5  # participation counts party members only


def test_an_old_count_above_a_shrunken_branch_does_not_block_a_correction(setup):
    alliance, lead, member, secretary = setup
    meeting = MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 8, 12))
    Attendance.objects.create(meeting=meeting, branch=member, head_count=5)
    member.member_count = 3
    member.save()
    meeting.topics = "更正后的议题"
    with time_machine.travel(TODAY, tick=False):
        services.record_save(record=meeting, attendance={member.pk: 5}, by=secretary)
    assert JointMeeting.objects.get().topics == "更正后的议题"


def test_the_workspace_form_marks_the_branch_and_asks_to_confirm_guests(logged_in, setup):
    _, lead, member, _ = setup
    response = logged_in.post(MEETING_NEW, meeting_data(setup, **{f"heads_{member.pk}": "8"}))
    assert response.status_code == 400
    error = response.context["form"].errors[f"heads_{member.pk}"][0]
    assert "审计局填写了8人，但该单位只有5名党员" in error and "有列席人员" in error
    response = logged_in.post(
        MEETING_NEW,
        meeting_data(setup, **{f"heads_{member.pk}": "8", "guests_confirmed": "on"}),
    )
    assert response.status_code == 400
    assert "请说明列席人员是哪些人" in response.context["form"].errors["guests_reason"][0]
    assert not JointMeeting.objects.exists()


def test_confirmed_guests_are_saved_as_guests_and_shown_in_the_ledger(logged_in, setup):
    alliance, lead, member, _ = setup
    data = meeting_data(
        setup,
        **{f"heads_{member.pk}": "8", "guests_confirmed": "on", "guests_reason": "邀请群众3人"},
    )
    assert logged_in.post(MEETING_NEW, data).status_code == 302
    meeting = JointMeeting.objects.get()
    assert dict(meeting.attendance.values_list("branch", "head_count")) == {
        lead.pk: 6,
        member.pk: 5,
    }
    assert meeting.attendance.get(branch=member).guests == 3
    ledger = text(logged_in.get(reverse("workspace:ledger", args=["a", 2025])))
    assert "审计局5人（另列席3人：邀请群众3人）" in ledger
    assert "合计 11 人" in ledger and "另列席 3 人" in ledger
    # The edit form shows the people who came (8) and saving it unchanged keeps the split.
    edit = reverse("workspace:meeting_edit", args=["a", meeting.pk])
    form = logged_in.get(edit).context["form"]
    assert form[f"heads_{member.pk}"].value() == 8 and form["guests_confirmed"].value()
    data = meeting_data(
        setup, **{f"heads_{member.pk}": "8", "topics": "改过的议题", "guests_reason": ""}
    )
    assert logged_in.post(edit, data).status_code == 302
    row = meeting.attendance.get(branch=member)
    assert (row.head_count, row.guests, row.guests_reason) == (5, 3, "邀请群众3人")


# A plan lies ahead, an activity held lies behind ------------------------------------------


def test_the_service_refuses_a_plan_in_the_past_and_a_held_activity_in_the_future(setup):
    secretary = setup[3]
    with time_machine.travel(TODAY, tick=False):
        with pytest.raises(ValidationError) as refused:
            services.record_save(
                record=new_activity(setup, status="planned"), attendance={}, by=secretary
            )
        assert "活动日期2025年8月10日已经过去，状态不能是“计划中”" in refused.value.messages[0]
        with pytest.raises(ValidationError) as refused:
            services.record_save(
                record=new_activity(setup, held_on=date(2025, 9, 1)), attendance={}, by=secretary
            )
        assert "活动日期2025年9月1日在今天（2025年8月20日）之后" in refused.value.messages[0]
    assert not Activity.objects.exists()


def test_the_workspace_form_says_the_dates_in_chinese(logged_in, setup):
    response = logged_in.post(ACTIVITY_NEW, activity_data(setup, status="planned"))
    assert response.status_code == 400
    assert "活动日期2025年8月10日已经过去" in response.context["form"].errors["status"][0]
    response = logged_in.post(ACTIVITY_NEW, activity_data(setup, held_on="2025-09-01"))
    assert "2025年9月1日在今天（2025年8月20日）之后" in response.context["form"].errors["status"][0]
    assert (
        logged_in.post(
            ACTIVITY_NEW, activity_data(setup, held_on="2025-09-01", status="planned")
        ).status_code
        == 302
    )


def test_the_admin_refuses_a_plan_in_the_past_as_a_form_error(client, committee, setup):
    alliance, lead, _, _ = setup
    client.force_login(committee)
    prefix = {f"attendance-{k}": v for k, v in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()}
    photos = {f"photos-{k}": v for k, v in {"TOTAL_FORMS": 0, "INITIAL_FORMS": 0}.items()}
    data = {
        "alliance": alliance.pk,
        "held_on": "2025-08-10",
        "venue": "阅览室",
        "host": lead.pk,
        "line": "study",
        "title": "读书班",
        "status": "planned",
        **prefix,
        **photos,
    }
    with time_machine.travel(TODAY, tick=False):
        response = client.post(reverse("admin:alliances_activity_add"), data)
    assert response.status_code == 200
    assert "已经过去，状态不能是“计划中”" in text(response)
    assert not Activity.objects.exists()


# One centralised study per quarter --------------------------------------------------------


def test_a_second_central_study_in_a_quarter_is_refused_by_the_service(setup):
    alliance, lead, _, secretary = setup
    ActivityFactory(alliance=alliance, host=lead, held_on=date(2025, 7, 5), is_central_study=True)
    with time_machine.travel(TODAY, tick=False), pytest.raises(ValidationError) as refused:
        services.record_save(
            record=new_activity(setup, is_central_study=True), attendance={}, by=secretary
        )
    assert "本季度的集中学习已经登记过了" in refused.value.messages[0]


def test_a_cancelled_central_study_makes_way_for_another(setup):
    alliance, lead, _, secretary = setup
    ActivityFactory(
        alliance=alliance,
        host=lead,
        held_on=date(2025, 7, 5),
        is_central_study=True,
        status="cancelled",
    )
    with time_machine.travel(TODAY, tick=False):
        services.record_save(
            record=new_activity(setup, is_central_study=True), attendance={}, by=secretary
        )
    assert Activity.objects.filter(is_central_study=True).count() == 2


def test_a_second_central_study_is_a_workspace_form_error(logged_in, setup):
    alliance, lead, _, _ = setup
    ActivityFactory(alliance=alliance, host=lead, held_on=date(2025, 7, 5), is_central_study=True)
    response = logged_in.post(ACTIVITY_NEW, activity_data(setup, is_central_study="on"))
    assert response.status_code == 400
    assert "本季度的集中学习已经登记过了" in " ".join(response.context["form"].non_field_errors())


# Back, then 保存: one record ------------------------------------------------------------------


def test_the_same_meeting_sent_again_with_a_new_token_lands_on_the_first(logged_in, setup):
    first = logged_in.post(MEETING_NEW, meeting_data(setup))
    meeting = JointMeeting.objects.get()
    # What the browser's Back sends: the form reloaded (a new token), the typed fields restored.
    again = logged_in.post(MEETING_NEW, meeting_data(setup), follow=True)
    assert JointMeeting.objects.count() == 1
    assert again.redirect_chain[-1][0] == first["Location"]
    assert again.request["PATH_INFO"].endswith(f"/meetings/{meeting.pk}/")
    assert "这份记录已经保存过了，没有重复登记" in text(again)


def test_a_different_meeting_is_not_taken_for_a_duplicate(logged_in, setup):
    logged_in.post(MEETING_NEW, meeting_data(setup))
    response = logged_in.post(MEETING_NEW, meeting_data(setup, is_regular="", topics="临时会议"))
    assert response.status_code == 302
    assert JointMeeting.objects.count() == 2


def test_the_same_content_from_another_secretary_is_not_a_duplicate(client, logged_in, setup):
    logged_in.post(MEETING_NEW, meeting_data(setup, is_regular=""))
    other = UserFactory(username="sec-a2")
    setup[0].secretaries.add(other)
    client.force_login(other)
    client.post(MEETING_NEW, meeting_data(setup, is_regular=""))
    assert JointMeeting.objects.count() == 2


def test_the_service_refuses_identical_content_with_a_new_token(setup):
    secretary = setup[3]
    with time_machine.travel(TODAY, tick=False):
        saved = services.record_save(
            record=new_meeting(setup), attendance={}, token=uuid.uuid4(), by=secretary
        )
        with pytest.raises(services.DuplicateSubmission) as duplicate:
            services.record_save(
                record=new_meeting(setup), attendance={}, token=uuid.uuid4(), by=secretary
            )
    assert duplicate.value.record == saved


# The login expires while typing: nothing is lost -------------------------------------------


def test_a_form_sent_after_the_login_expired_comes_back_after_login(client, setup):
    alliance, lead, member, secretary = setup
    with time_machine.travel(TODAY, tick=False):
        data = meeting_data(setup, topics="很长的议题，不能丢", csrfmiddlewaretoken="x")
        response = client.post(MEETING_NEW, data, follow=True)
        assert response.redirect_chain[-1][0] == f"/workspace/login/?next={MEETING_NEW}"
        assert "您填写的内容已暂存，登录后会自动恢复" in text(response)
        kept = client.session[recovery.SESSION_KEY]
        assert kept["path"] == MEETING_NEW and "csrfmiddlewaretoken" not in kept["fields"]
        client.force_login(secretary)  # login() keeps the anonymous session's data
        response = client.get(MEETING_NEW)
        form = response.context["form"]
        assert form["topics"].value() == "很长的议题，不能丢"
        assert form[f"heads_{member.pk}"].value() == "4"
        assert "登录已过期，您填写的内容已恢复，请检查后保存" in text(response)
        assert not JointMeeting.objects.exists()  # the secretary checks, then saves
        # Shown once: the next visit is an empty form.
        assert client.get(MEETING_NEW).context["form"]["topics"].value() in (None, "")


def test_the_message_says_photos_must_be_chosen_again(client, setup):
    from tests.alliances.test_workspace_records import jpeg

    with time_machine.travel(TODAY, tick=False):
        client.post(MEETING_NEW, meeting_data(setup, photos=[jpeg("现场.jpg")]))
        client.force_login(setup[3])
        assert "选择的照片没有保存，请重新选择" in text(client.get(MEETING_NEW))


def test_kept_fields_come_back_only_at_the_same_address_and_not_after_they_expire(
    client, setup, monkeypatch
):
    monkeypatch.setattr(recovery, "MAX_AGE", 60)
    start = datetime.combine(TODAY, datetime.min.time())
    with time_machine.travel(start, tick=False):
        client.post(MEETING_NEW, meeting_data(setup, topics="会议议题"))
        client.force_login(setup[3])
        assert client.get(ACTIVITY_NEW).context["form"]["title"].value() in (None, "")
        assert client.session[recovery.SESSION_KEY]["path"] == MEETING_NEW
    with time_machine.travel(start + timedelta(seconds=120), tick=False):
        response = client.get(MEETING_NEW)
    assert response.status_code == 200
    assert "已恢复" not in text(response)
    assert response.context["form"]["topics"].value() in (None, "")


def test_a_form_too_large_to_keep_is_not_kept_and_the_message_says_so(client, setup):
    with time_machine.travel(TODAY, tick=False):
        data = meeting_data(setup, minutes="长" * recovery.MAX_BYTES)
        response = client.post(MEETING_NEW, data, follow=True)
    assert "填写的内容太长，未能暂存" in text(response)
    assert recovery.SESSION_KEY not in client.session


def test_a_logged_in_user_of_another_alliance_never_sees_kept_fields(client, setup):
    with time_machine.travel(TODAY, tick=False):
        client.post(MEETING_NEW, meeting_data(setup))
        client.force_login(UserFactory(username="stranger"))
        assert client.get(MEETING_NEW).status_code == 404


def test_a_plan_sent_after_the_login_expired_comes_back_too(client, setup):
    url = reverse("workspace:plan", args=["a", 2025])
    with time_machine.travel(TODAY, tick=False):
        client.post(url, {"themes": "深化六联", "liaison": "张三"})
        client.force_login(setup[3])
        assert client.get(url).context["form"]["themes"].value() == "深化六联"


def test_the_session_kept_for_a_form_is_the_one_login_keeps(client, setup):
    with time_machine.travel(TODAY, tick=False):
        client.post(MEETING_NEW, meeting_data(setup))
        client.force_login(setup[3])
        assert client.session[SESSION_KEY] == str(setup[3].pk)
        assert recovery.SESSION_KEY in client.session


# Alliances in their own order ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("机关党建第一联盟", 1),
        ("第二联盟", 2),
        ("第十联盟", 10),
        ("第十二联盟", 12),
        ("第二十一联盟", 21),
    ],
)
def test_the_migration_reads_the_number_in_a_name(name, number):
    assert MIGRATION.number_in(name) == number


def test_the_migration_orders_first_second_third_tenth_not_by_character_code(db):
    for name in ["机关党建第十联盟", "机关党建第二联盟", "机关党建第三联盟", "机关党建第一联盟"]:
        AllianceFactory(name=name, kind="office")
    AllianceFactory(name="文体大厦联创共建", kind="federation", building=BuildingFactory())
    Alliance.objects.update(position=None)
    MIGRATION.number_alliances(apps, None)
    names = list(Alliance.objects.values_list("name", flat=True))
    assert names == [
        "文体大厦联创共建",
        "机关党建第一联盟",
        "机关党建第二联盟",
        "机关党建第三联盟",
        "机关党建第十联盟",
    ]


@pytest.fixture
def numbered(db, committee):
    """四 alliances whose positions say 第一 < 第二 < 第三 < 第十 (character codes disagree)."""
    for position, name in [(10, "第十联盟"), (2, "第二联盟"), (3, "第三联盟"), (1, "第一联盟")]:
        alliance = AllianceFactory(name=name, kind="office", position=position)
        alliance.secretaries.add(committee)
    return ["第一联盟", "第二联盟", "第三联盟", "第十联盟"]


def order_in(page, names):
    return sorted(names, key=page.index)


def test_the_directory_workspace_overview_and_admin_follow_the_order(client, committee, numbered):
    assert order_in(text(client.get(reverse("alliances:directory"))), numbered) == numbered
    client.force_login(committee)
    for url in (
        reverse("workspace:home"),
        reverse("workspace:overview"),
        reverse("admin:alliances_alliance_changelist"),
    ):
        assert order_in(text(client.get(url)), numbered) == numbered, url


def test_an_alliance_without_a_position_comes_last(numbered):
    AllianceFactory(name="新联盟", position=None)
    assert list(Alliance.objects.values_list("name", flat=True))[-1] == "新联盟"


# Year selectors: years with data only ---------------------------------------------------------


def test_staff_year_choices_are_this_year_and_the_years_with_records(
    setup, django_assert_num_queries
):
    alliance, lead, _, _ = setup
    MeetingFactory(alliance=alliance, host=lead, held_on=date(2022, 3, 1))
    ActivityFactory(alliance=alliance, host=lead, held_on=date(2024, 5, 1))
    ActivityFactory(alliance=AllianceFactory(), host=lead, held_on=date(2019, 5, 1))
    with time_machine.travel(TODAY, tick=False):
        with django_assert_num_queries(1):
            assert selectors.record_years([alliance]) == [2025, 2024, 2022]
        assert [y for y, _ in OverviewSortForm().fields["year"].choices] == [
            2025,
            2024,
            2022,
            2019,
        ]


def test_the_ledger_offers_the_years_with_records_and_refuses_others(logged_in, setup):
    alliance, lead, _, _ = setup
    MeetingFactory(alliance=alliance, host=lead, held_on=date(2023, 3, 1))
    response = logged_in.get(reverse("workspace:ledger", args=["a", 2025]))
    assert response.context["other_years"] == [2023]
    missing = logged_in.get(reverse("workspace:ledger", args=["a", 2024]))
    assert missing.status_code == 404


def test_public_year_choices_are_the_years_with_published_records(client, setup):
    from tests.factories import publish

    alliance, lead, _, _ = setup
    publish(ActivityFactory(alliance=alliance, host=lead, held_on=date(2023, 5, 1)))
    ActivityFactory(alliance=alliance, host=lead, held_on=date(2022, 5, 1))  # not public
    this_year = timezone.localdate().year
    response = client.get(reverse("alliances:directory"))
    choices = [value for value, _ in response.context["year_form"].fields["year"].choices]
    assert choices == [this_year, 2023]
    assert client.get(reverse("alliances:directory"), {"year": 2023}).status_code == 200
    refused = client.get(reverse("alliances:directory"), {"year": 2022})
    assert refused.status_code == 400 and "没有“2022”这个年度的记录" in text(refused)


# The demo's texts agree with its counts -------------------------------------------------------


def test_the_demo_descriptions_agree_with_the_members_it_creates(db):
    load_alliances(io.StringIO())
    for alliance in Alliance.objects.all():
        active = alliance.memberships.filter(status=Membership.Status.ACTIVE).count()
        if alliance.kind == Alliance.Kind.FEDERATION:
            said = int(re.search(r"党总支和(\d+)个驻楼单位", alliance.description).group(1))
            assert said == active - 1, alliance.name
        else:
            said = int(re.search(r"的(\d+)个单位党组织", alliance.description).group(1))
            assert said == active, alliance.name


def test_the_demo_alliances_are_in_their_listed_order(db):
    from alliances.demo import ALLIANCES

    load_alliances(io.StringIO())
    assert list(Alliance.objects.values_list("slug", flat=True)) == [a[1] for a in ALLIANCES]
