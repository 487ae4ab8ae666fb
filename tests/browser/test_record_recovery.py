"""A secretary's typing survives the browser: Back then 保存 makes no second record, and a
login that expires while the form is open loses nothing (a real Chromium, the demo site)."""

from importlib import import_module

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from alliances.models import Activity, Alliance, JointMeeting

from .conftest import PASSWORD, log_in_workspace


@pytest.fixture
def alliance(demo_site):
    return Alliance.objects.get(slug=demo_site.alliance_slug)


def unique(text):
    return f"{text}（{timezone.now():%H%M%S%f}）"


def test_back_then_save_again_lands_on_the_saved_meeting_without_a_second_one(
    page, demo_site, alliance
):
    topic = unique("研究防汛应急工作")
    log_in_workspace(page, demo_site.secretary)
    page.goto(f"/workspace/{alliance.slug}/meetings/new/")
    page.get_by_label("季度例会").uncheck()
    page.get_by_label("议题").fill(topic)
    page.locator(".attendance-grid input").nth(0).fill("6")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    saved_url = page.url
    meeting = JointMeeting.objects.get(alliance=alliance, topics=topic)

    page.go_back()
    # Chromium reloads the form (no-store: a new one-time token) and restores what was typed.
    expect(page.get_by_label("议题")).to_have_value(topic)
    page.get_by_role("button", name="保存").click()

    expect(page.get_by_role("status")).to_contain_text("这份记录已经保存过了，没有重复登记")
    assert page.url == saved_url
    assert list(JointMeeting.objects.filter(alliance=alliance, topics=topic)) == [meeting]


@pytest.mark.parametrize("expiry", ["session row deleted", "session cookie deleted"])
def test_a_login_that_expires_while_typing_loses_nothing(
    page, demo_site, alliance, expiry, tmp_path
):
    title = unique("楼宇读书分享会")
    log_in_workspace(page, demo_site.secretary)
    form_url = f"/workspace/{alliance.slug}/activities/new/"
    page.goto(form_url)
    page.get_by_label("活动名称").fill(title)
    page.get_by_label("六联类别").select_option(label="政治理论联学")
    page.get_by_label("地点").fill("三楼阅览室")
    photo = tmp_path / "现场.jpg"
    Image.new("RGB", (320, 240), (178, 34, 34)).save(photo, "JPEG")
    page.get_by_label("照片", exact=True).set_input_files(photo)

    # Two idle hours pass: the server forgets the session, or the browser drops its cookie.
    context = page.context
    session_key = next(c["value"] for c in context.cookies() if c["name"] == "sessionid")
    if expiry == "session row deleted":
        # Through the session engine: with Redis (cached_db) the copy in the cache goes too,
        # as both do when a session expires.
        import_module(settings.SESSION_ENGINE).SessionStore().delete(session_key)
        assert not Session.objects.filter(session_key=session_key).exists()
    else:
        context.clear_cookies(name="sessionid")

    page.get_by_role("button", name="保存").click()
    page.wait_for_url(lambda url: url.endswith(f"/workspace/login/?next={form_url}"))
    expect(page.get_by_role("status")).to_contain_text("您填写的内容已暂存")
    page.get_by_label("用户名").fill(demo_site.secretary)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    page.wait_for_url(f"**{form_url}")
    expect(page.get_by_role("status")).to_contain_text(
        "登录已过期，您填写的内容已恢复，请检查后保存。选择的照片没有保存，请重新选择。"
    )
    expect(page.get_by_label("活动名称")).to_have_value(title)
    expect(page.get_by_label("地点")).to_have_value("三楼阅览室")
    assert not Activity.objects.filter(title=title).exists()
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_role("status")).to_contain_text("已保存")
    assert Activity.objects.filter(alliance=alliance, title=title).count() == 1
