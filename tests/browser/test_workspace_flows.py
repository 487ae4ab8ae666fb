"""A secretary logs a joint meeting with a photo and downloads the year's ledger, with the
mouse and with the keyboard alone."""

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from PIL import Image
from playwright.sync_api import expect

from alliances.models import Alliance, JointMeeting

from .conftest import PASSWORD, log_in_workspace
from .keyboard import choose_file_with_space, field, link, link_starting, press_enter, tab_to


@pytest.fixture
def photo(tmp_path):
    path = tmp_path / "会议照片.jpg"
    Image.new("RGB", (640, 480), (178, 34, 34)).save(path, "JPEG")
    return path


@pytest.fixture
def alliance(demo_site):
    return Alliance.objects.get(slug=demo_site.alliance_slug)


def topic_for(test):
    return f"研究{test}的联办活动安排（{timezone.now():%H%M%S%f}）"


def assert_meeting_saved(page, alliance, topic):
    expect(page.get_by_role("status")).to_contain_text("已保存")
    meeting = JointMeeting.objects.get(alliance=alliance, topics=topic)
    assert not meeting.is_regular
    assert meeting.photos.count() == 1
    assert sum(row.head_count for row in meeting.attendance.all()) == 12 + 7
    expect(page.locator("form[enctype='multipart/form-data'] .photo-grid img")).to_have_count(1)
    # Saved, not public: the panel below offers the photo for a public version to be reviewed.
    expect(page.locator("#public")).to_contain_text("未申请公开")
    expect(page.locator("#public .photo-grid img")).to_have_count(1)
    return meeting


def assert_ledger_download(download, topic, tmp_path):
    assert download.suggested_filename.endswith(".xlsx")
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    workbook = load_workbook(path)
    cells = {
        str(cell.value)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    }
    assert any(topic in cell for cell in cells), "下载的台账里没有刚登记的会议"


def test_secretary_logs_a_meeting_with_a_photo_and_downloads_the_ledger(
    page, demo_site, alliance, photo, tmp_path
):
    topic = topic_for("鼠标")
    log_in_workspace(page, demo_site.secretary)
    page.get_by_role("link", name=alliance.name, exact=True).click()
    page.get_by_role("link", name="登记联席会议").click()

    page.get_by_label("季度例会").uncheck()
    page.get_by_label("议题").fill(topic)
    members = page.locator(".attendance-grid input")
    members.nth(0).fill("12")
    members.nth(1).fill("7")
    page.get_by_label("照片", exact=True).set_input_files(photo)
    page.get_by_label("照片说明").fill("成员单位围坐研究下季度安排")
    page.get_by_role("button", name="保存").click()
    assert_meeting_saved(page, alliance, topic)

    page.locator(".workspace-bar").get_by_role("link", name=alliance.name).click()
    page.get_by_role("link", name=f"查看和下载{timezone.localdate().year}年台账").click()
    expect(page.locator(".ledger-table")).to_contain_text(topic)
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 Excel").click()
    assert_ledger_download(download.value, topic, tmp_path)


def test_secretary_does_the_same_with_the_keyboard_alone_and_always_sees_the_focus(
    page, demo_site, alliance, photo, tmp_path
):
    topic = topic_for("键盘")
    page.goto("/workspace/login/")
    tab_to(page, field("用户名"), describe="用户名")
    page.keyboard.type(demo_site.secretary)
    tab_to(page, field("密码"), describe="密码")
    page.keyboard.type(PASSWORD)
    press_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("我的联盟")

    tab_to(page, link(alliance.name), describe="联盟")
    press_enter(page)
    tab_to(page, link("登记联席会议"), describe="登记联席会议")
    press_enter(page)

    tab_to(page, field("季度例会"), describe="季度例会")
    page.keyboard.press("Space")
    tab_to(page, field("议题"), describe="议题")
    page.keyboard.type(topic)
    first, second = page.locator(".attendance-grid label").all_inner_texts()[:2]
    tab_to(page, field(first), describe=first)
    page.keyboard.type("12")
    tab_to(page, field(second), describe=second)
    page.keyboard.type("7")
    tab_to(page, field("照片"), describe="照片")
    choose_file_with_space(page, photo)
    tab_to(page, field("照片说明"), describe="照片说明")
    page.keyboard.type("成员单位围坐研究下季度安排")
    tab_to(page, lambda f: f["tag"] == "button" and f["text"] == "保存", describe="保存")
    press_enter(page)
    assert_meeting_saved(page, alliance, topic)

    tab_to(page, link(alliance.name), describe="联盟首页")
    press_enter(page)
    tab_to(page, link_starting("查看和下载"), describe="台账")
    press_enter(page)
    expect(page.locator(".ledger-table")).to_contain_text(topic)
    tab_to(page, link("下载 Excel"), describe="下载 Excel")
    with page.expect_download() as download:
        page.keyboard.press("Enter")
    assert_ledger_download(download.value, topic, tmp_path)
