"""Logging meetings and activities in the workspace: photos, audit, duplicates, ledger, overview."""

import io
import re
import uuid
from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook
from PIL import Image

from alliances.models import FIRST_YEAR, Activity, Attendance, JointMeeting, Photo
from portal.models import AuditEntry
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)

TODAY = date(2025, 8, 20)


@pytest.fixture
def setup(db):
    alliance = AllianceFactory(name="甲联盟", slug="a", founded_on=date(2025, 1, 1))
    lead = MembershipFactory(
        alliance=alliance, is_lead=True, branch=BranchFactory(unit="机关工委")
    ).branch
    member = MembershipFactory(alliance=alliance, branch=BranchFactory(unit="审计局")).branch
    secretary = UserFactory(username="sec-a", first_name="甲联盟联络员")
    alliance.secretaries.add(secretary)
    return alliance, lead, member, secretary


@pytest.fixture
def logged_in(client, setup):
    client.force_login(setup[3])
    with time_machine.travel(TODAY, tick=False):
        yield client


def jpeg(name, color="red"):
    out = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(out, "JPEG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")


def meeting_data(setup, **overrides):
    alliance, lead, member, _ = setup
    data = {
        "held_on": "2025-08-12",
        "is_regular": "on",
        "venue": "三楼活动室",
        "host": lead.pk,
        "topics": "研究第三季度工作",
        "decisions": "九月开展志愿服务",
        "minutes": "<p>会议纪要</p><script>alert(1)</script>",
        f"heads_{lead.pk}": "6",
        f"heads_{member.pk}": "4",
        "form_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_logging_a_meeting_with_two_photos_and_attendance(logged_in, setup):
    alliance, lead, member, secretary = setup
    data = meeting_data(setup, photos=[jpeg("现场1.jpg"), jpeg("现场2.jpg", "blue")])
    response = logged_in.post(reverse("workspace:meeting_new", args=["a"]), data)
    assert response.status_code == 302
    meeting = JointMeeting.objects.get(alliance=alliance)
    assert (meeting.year, meeting.quarter, meeting.created_by) == (2025, 3, secretary)
    assert meeting.minutes == "<p>会议纪要</p>"
    assert dict(meeting.attendance.values_list("branch", "head_count")) == {
        lead.pk: 6,
        member.pk: 4,
    }
    photos = list(meeting.photos.all())
    assert len(photos) == 2
    assert all(
        "现场" not in photo.image.name and photo.image.name.endswith(".jpg") for photo in photos
    )
    follow = logged_in.get(response["Location"])
    assert "已保存" in follow.content.decode()


def test_a_bad_photo_saves_nothing_and_keeps_what_was_typed(logged_in, setup):
    fake = SimpleUploadedFile("合影.jpg", b"<html>not a photo</html>", content_type="image/jpeg")
    data = meeting_data(setup, photos=[jpeg("好.jpg"), fake], topics="保留这段议题")
    response = logged_in.post(reverse("workspace:meeting_new", args=["a"]), data)
    assert response.status_code == 400
    body = response.content.decode()
    assert "“合影.jpg”：无法识别为图片" in body
    assert "保留这段议题" in body and 'value="6"' in body
    assert JointMeeting.objects.count() == 0 and Photo.objects.count() == 0


def test_too_many_photos_at_once_are_refused(logged_in, setup):
    data = meeting_data(setup, photos=[jpeg(f"{n}.jpg") for n in range(13)])
    response = logged_in.post(reverse("workspace:meeting_new", args=["a"]), data)
    assert response.status_code == 400
    assert "一次最多上传 12 张照片" in response.content.decode()


def test_a_second_regular_meeting_in_the_quarter_gets_a_clear_message(logged_in, setup):
    alliance, lead, _, _ = setup
    MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 7, 5))
    response = logged_in.post(reverse("workspace:meeting_new", args=["a"]), meeting_data(setup))
    assert response.status_code == 400
    assert "本季度的例会已经登记过了" in response.content.decode()


def test_double_submission_creates_one_record(logged_in, setup):
    data = meeting_data(setup)
    first = logged_in.post(reverse("workspace:meeting_new", args=["a"]), data)
    second = logged_in.post(reverse("workspace:meeting_new", args=["a"]), data, follow=True)
    assert first.status_code == 302
    assert JointMeeting.objects.count() == 1
    assert "已经保存过了" in second.content.decode()
    assert second.redirect_chain[-1][0] == first["Location"]


def test_two_forms_are_two_records(logged_in, setup):
    """Two forms opened one after the other are two records, unless they say the same
    (then the second is the first sent again: tests/alliances/test_trusted_records.py)."""
    url = reverse("workspace:activity_new", args=["a"])
    alliance, lead, _, _ = setup
    for venue in ("社区", "嘎查"):
        page = logged_in.get(url)
        token = page.context["form"].initial["form_token"]
        logged_in.post(
            url,
            {
                "title": "志愿服务",
                "line": "practice",
                "held_on": "2025-08-01",
                "status": "held",
                "venue": venue,
                "host": lead.pk,
                "form_token": token,
            },
        )
    assert Activity.objects.filter(alliance=alliance, title="志愿服务").count() == 2


def test_the_new_form_preselects_the_rotation_host(logged_in, setup):
    alliance, lead, member, _ = setup
    page = logged_in.get(reverse("workspace:meeting_new", args=["a"]))
    # Q1 → lead, Q2 → 审计局, Q3 → lead again.
    assert page.context["form"].initial["host"] == lead.pk


def test_edits_are_recorded_with_who_when_and_what_changed(logged_in, setup):
    alliance, lead, member, secretary = setup
    meeting = MeetingFactory(
        alliance=alliance, host=lead, held_on=date(2025, 7, 5), topics="旧议题"
    )
    Attendance.objects.create(meeting=meeting, branch=lead, head_count=3)
    data = meeting_data(setup, held_on="2025-07-06", topics="新议题")
    data.pop("form_token")
    response = logged_in.post(reverse("workspace:meeting_edit", args=["a", meeting.pk]), data)
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="jointmeeting.change")
    assert entry.user == secretary and entry.at is not None
    changes = entry.data["changes"]
    assert changes["topics"] == ["旧议题", "新议题"]
    assert changes["held_on"] == ["2025-07-05", "2025-07-06"]
    assert changes["attendance"] == [{str(lead.pk): 3}, {str(lead.pk): 6, str(member.pk): 4}]


def test_deleting_keeps_what_was_deleted_in_the_audit_trail(logged_in, setup):
    alliance, lead, _, secretary = setup
    activity = ActivityFactory(alliance=alliance, host=lead, title="要删除的活动")
    response = logged_in.post(reverse("workspace:activity_delete", args=["a", activity.pk]))
    assert response.status_code == 302
    assert not Activity.objects.filter(pk=activity.pk).exists()
    entry = AuditEntry.objects.get(action="activity.delete")
    assert entry.user == secretary and entry.data["deleted"]["title"] == "要删除的活动"


def test_workspace_home_shows_the_quarter_done_after_logging(logged_in, setup):
    alliance, lead, member, _ = setup
    page = logged_in.get(reverse("workspace:alliance", args=["a"])).content.decode()
    assert "本季度的例会和集中学习都已完成" not in page
    assert "登记本季度例会" in page
    logged_in.post(reverse("workspace:meeting_new", args=["a"]), meeting_data(setup))
    logged_in.post(
        reverse("workspace:activity_new", args=["a"]),
        {
            "title": "第三季度集中学习",
            "line": "study",
            "held_on": "2025-08-15",
            "status": "held",
            "is_central_study": "on",
            "venue": "多媒体室",
            "host": lead.pk,
            f"heads_{lead.pk}": "10",
            "form_token": str(uuid.uuid4()),
        },
    )
    page = logged_in.get(reverse("workspace:alliance", args=["a"])).content.decode()
    assert "本季度的例会和集中学习都已完成" in page


def test_a_future_activity_cannot_be_marked_held(logged_in, setup):
    _, lead, _, _ = setup
    response = logged_in.post(
        reverse("workspace:activity_new", args=["a"]),
        {
            "title": "x",
            "line": "core",
            "held_on": "2025-12-01",
            "status": "held",
            "venue": "x",
            "host": lead.pk,
        },
    )
    assert response.status_code == 400
    assert "状态应为“计划中”" in response.content.decode()


@pytest.mark.parametrize("held_on", ["1899-01-01", "2999-01-01", "not-a-date", "2025-02-30"])
def test_absurd_dates_are_refused(logged_in, setup, held_on):
    response = logged_in.post(
        reverse("workspace:meeting_new", args=["a"]), meeting_data(setup, held_on=held_on)
    )
    assert response.status_code == 400
    assert JointMeeting.objects.count() == 0


def test_a_record_dated_before_the_first_year_is_refused_with_a_clear_message(logged_in, setup):
    url = reverse("workspace:meeting_new", args=["a"])
    response = logged_in.post(url, meeting_data(setup, held_on=f"{FIRST_YEAR - 1}-12-31"))
    assert response.status_code == 400
    assert f"日期应在 {FIRST_YEAR} 年至 2026 年之间" in response.content.decode()
    assert (
        logged_in.post(url, meeting_data(setup, held_on=f"{FIRST_YEAR}-01-01")).status_code == 302
    )


def test_the_ledger_of_a_year_before_the_first_is_a_404(logged_in, setup):
    url = reverse("workspace:ledger", args=["a", FIRST_YEAR - 1])
    assert logged_in.get(url).status_code == 404
    # A year without the alliance's records is none of its ledger's years; this year is.
    assert logged_in.get(reverse("workspace:ledger", args=["a", FIRST_YEAR])).status_code == 404
    assert logged_in.get(reverse("workspace:ledger", args=["a", 2025])).status_code == 200


def build_year(setup):
    alliance, lead, member, _ = setup
    meeting = MeetingFactory(
        alliance=alliance, host=lead, held_on=date(2025, 2, 10), topics="一季度例会"
    )
    Attendance.objects.create(meeting=meeting, branch=lead, head_count=5)
    Attendance.objects.create(meeting=meeting, branch=member, head_count=3)
    study = ActivityFactory(
        alliance=alliance,
        host=member,
        held_on=date(2025, 2, 20),
        title="集中学习",
        is_central_study=True,
    )
    Attendance.objects.create(activity=study, branch=lead, head_count=12)
    Photo.objects.create(activity=study, image="alliances/x.jpg", caption="学习")
    ActivityFactory(
        alliance=alliance, host=lead, held_on=date(2025, 5, 3), title="志愿服务", line="practice"
    )
    ActivityFactory(alliance=alliance, host=lead, held_on=date(2024, 5, 3), title="去年的活动")
    return meeting, study


def test_ledger_rows_match_the_records(logged_in, setup):
    build_year(setup)
    page = logged_in.get(reverse("workspace:ledger", args=["a", 2025]))
    rows = page.context["rows"]
    assert [(r.number, r.held_on, r.kind, r.title) for r in rows] == [
        (1, date(2025, 2, 10), "联席会议", "第1季度联席会议：一季度例会"),
        (2, date(2025, 2, 20), "联办活动", "集中学习"),
        (3, date(2025, 5, 3), "联办活动", "志愿服务"),
    ]
    assert rows[0].attendance == "机关工委5人、审计局3人" and rows[0].total == 8
    assert (
        rows[1].outcome == "已开展（季度集中学习）"
        and rows[1].photos == 1
        and rows[1].host == "审计局"
    )
    assert "去年的活动" not in page.content.decode()


def ledger_tools_text(client, year):
    page = client.get(reverse("workspace:ledger", args=["a", year])).content.decode()
    tools = re.search(r'<p class="no-print ledger__tools">(.*?)</p>', page, re.S).group(1)
    return " ".join(re.sub(r"<[^>]+>", "", tools).split())


def test_the_ledger_links_to_its_other_years_under_a_label(logged_in, setup):
    assert ledger_tools_text(logged_in, 2025) == "下载 Excel 打印"
    alliance, lead = setup[0], setup[1]
    for day in (date(2023, 6, 1), date(2024, 3, 1)):  # the years with records are offered
        MeetingFactory(alliance=alliance, host=lead, held_on=day)
    # Read out as “打印 其他年度：2024年、2023年”, not “打印2024年2023年”.
    assert ledger_tools_text(logged_in, 2025) == "下载 Excel 打印 其他年度：2024年、2023年"
    assert ledger_tools_text(logged_in, 2024) == "下载 Excel 打印 其他年度：2025年、2023年"


def test_ledger_excel_cells_match_the_records(logged_in, setup):
    build_year(setup)
    response = logged_in.get(reverse("workspace:ledger_xlsx", args=["a", 2025]))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "filename*=UTF-8''" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["2025年台账"]
    assert sheet["A1"].value == "甲联盟2025年度党建工作台账"
    assert [c.value for c in sheet[2]][:4] == ["序号", "日期", "类型", "名称/议题"]
    first = [c.value for c in sheet[3]]
    assert first[0] == 1 and first[1].date() == date(2025, 2, 10) and first[2] == "联席会议"
    assert first[7] == "机关工委5人、审计局3人" and first[8] == 8
    assert sheet.max_row == 2 + 3
    quarters = [[c.value for c in row] for row in book["季度落实情况"].iter_rows(min_row=3)]
    assert quarters[0] == ["第1季度", "已开展", "已开展", 1, 12]
    assert quarters[1][:2] == ["第2季度", "未开展"]


def test_overview_figures_match_a_hand_computed_case(client, committee, setup):
    alliance, lead, member, _ = setup
    build_year(setup)
    other = AllianceFactory(name="乙联盟", slug="b", founded_on=date(2025, 1, 1))
    other_lead = MembershipFactory(alliance=other, is_lead=True).branch
    for month in (1, 4, 7):
        MeetingFactory(alliance=other, host=other_lead, held_on=date(2025, month, 9))
    client.force_login(committee)
    with time_machine.travel(TODAY, tick=False):
        page = client.get(reverse("workspace:overview"), {"year": 2025, "sort": "-meetings"})
        rows = {row.alliance.slug: row for row in page.context["rows"]}
        # 甲: one regular meeting (Q1) of the two due (Q1, Q2); 2 activities; 12 people.
        assert (rows["a"].meetings, rows["a"].meetings_due) == (1, 2)
        assert (rows["a"].activities, rows["a"].participation, rows["a"].studies) == (2, 12, 1)
        # 乙: Q1, Q2 and Q3 (9 July, before today) held: three of the three begun quarters.
        assert (rows["b"].meetings, rows["b"].meetings_due) == (3, 3)
        assert [row.alliance.slug for row in page.context["rows"]] == ["b", "a"]
        assert "<svg" in page.content.decode()
        excel = client.get(reverse("workspace:overview_xlsx"), {"year": 2025})
    sheet = load_workbook(io.BytesIO(excel.content)).active
    table = {row[0]: row for row in sheet.iter_rows(min_row=3, values_only=True)}
    assert table["甲联盟"][-4:] == (2, 12, "1/2", 1)


@pytest.mark.parametrize("query", [{"sort": "drop table"}, {"year": "abc"}, {"year": "1800"}])
def test_bad_overview_parameters_are_a_400(client, committee, setup, query):
    client.force_login(committee)
    assert client.get(reverse("workspace:overview"), query).status_code == 400
    assert client.get(reverse("workspace:overview_xlsx"), query).status_code == 400


def test_out_of_range_ledger_years_are_a_404(logged_in, setup):
    assert logged_in.get(reverse("workspace:ledger", args=["a", 1999])).status_code == 404
    assert logged_in.get(reverse("workspace:ledger_xlsx", args=["a", 3000])).status_code == 404
