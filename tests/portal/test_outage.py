"""A backing service that stops: the database gives a Chinese 503 with Retry-After and
nothing half-saved. (Redis going away costs no page: tests/portal/test_pagecache.py; the
views of that moment are dropped and logged: tests/articles/test_viewcounts.py.)

The full runs against real stopped servers are in bench/faults.py (`make faults`); these
tests pin the behaviour each of those runs relies on.
"""

from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client
from django.urls import reverse

from alliances.models import Attendance, JointMeeting, Photo
from portal.models import AuditEntry
from tests.alliances.test_workspace_records import TODAY, jpeg, meeting_data, setup  # noqa: F401

LOST = OperationalError("connection to server at 127.0.0.1, port 5432 failed: Connection refused")


@pytest.fixture
def browser(db, settings):
    settings.PORTAL_PAGE_CACHE = False
    return Client(raise_request_exception=False)


def test_a_lost_database_is_a_chinese_503_with_retry_after(browser):
    with mock.patch("articles.views.front_page", side_effect=LOST):
        response = browser.get(reverse("portal:home"))
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    assert "网站正在维护，请稍后再试" in body
    assert "Traceback" not in body and "OperationalError" not in body


def test_any_other_error_stays_a_500(browser):
    with mock.patch("articles.views.front_page", side_effect=ValueError("bug")):
        response = browser.get(reverse("portal:home"))
    assert response.status_code == 500
    assert "Retry-After" not in response
    assert "服务器暂时无法响应" in response.content.decode()


def test_the_site_answers_again_once_the_database_is_back(browser):
    with mock.patch("articles.views.front_page", side_effect=LOST):
        assert browser.get(reverse("portal:home")).status_code == 503
    assert browser.get(reverse("portal:home")).status_code == 200


def test_a_meeting_logged_during_an_outage_is_not_half_saved(browser, setup):  # noqa: F811
    import time_machine

    browser.force_login(setup[3])
    data = meeting_data(setup, photos=[jpeg("现场.jpg")])
    # The meeting row and its attendance are written, then the connection drops while the
    # photo is being saved: the whole record must go, not just the photo.
    with (
        time_machine.travel(TODAY, tick=False),
        mock.patch.object(Photo, "save", side_effect=LOST),
    ):
        response = browser.post(reverse("workspace:meeting_new", args=["a"]), data)
    assert response.status_code == 503
    assert JointMeeting.objects.count() == 0
    assert Attendance.objects.count() == 0
    assert not AuditEntry.objects.filter(action__startswith="jointmeeting").exists()
