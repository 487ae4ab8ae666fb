"""Login protection: lockout after five wrong passwords (admin and workspace), short staff
sessions, and the password rule."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.backends import cached_db
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from tests.factories import StaffFactory, UserFactory

PASSWORD = "correct-horse-battery"  # tests/factories.py
LOGINS = {"workspace": "workspace:login", "admin": "admin:login"}


@pytest.fixture(params=list(LOGINS))
def login_page(request, db):
    """(login URL, a user who may log in there)."""
    if request.param == "admin":
        return reverse(LOGINS["admin"]), StaffFactory(username="staff")
    return reverse(LOGINS["workspace"]), UserFactory(username="secretary")


def log_in(client, url, username, password, **extra):
    return client.post(url, {"username": username, "password": password}, **extra)


def logged_in(client):
    return "_auth_user_id" in client.session


def fail_five_times(client, url, username, **extra):
    return [log_in(client, url, username, "wrong-password", **extra) for _ in range(5)]


def test_five_wrong_passwords_lock_out_even_the_right_one(client, login_page):
    url, user = login_page
    failures = fail_five_times(client, url, user.username)
    assert [r.status_code for r in failures[:4]] == [200] * 4  # the form again, with its error
    response = log_in(client, url, user.username, PASSWORD)
    assert response.status_code == 429
    page = response.content.decode()
    assert "登录已暂时锁定" in page and "30 分钟" in page and user.username in page
    assert response["Retry-After"] == "1800"
    assert not logged_in(client)


def test_the_lockout_is_for_that_user_from_that_address_only(client, login_page):
    url, user = login_page
    fail_five_times(client, url, user.username)
    other = StaffFactory(username="colleague") if "admin" in url else UserFactory(username="co")
    assert log_in(client, url, other.username, PASSWORD).status_code == 302
    client.logout()
    response = log_in(client, url, user.username, PASSWORD, REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 302 and logged_in(client)


def test_the_lockout_ends_after_thirty_minutes(client, login_page):
    url, user = login_page
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        fail_five_times(client, url, user.username)
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert log_in(client, url, user.username, PASSWORD).status_code == 429
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert log_in(client, url, user.username, PASSWORD).status_code == 302
        assert logged_in(client)


def test_a_successful_login_clears_earlier_failures(client, login_page):
    url, user = login_page
    for _ in range(4):
        log_in(client, url, user.username, "wrong-password")
    assert log_in(client, url, user.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, url, user.username, "wrong-password")
    assert log_in(client, url, user.username, PASSWORD).status_code == 302


def test_behind_the_proxy_the_address_is_the_one_nginx_saw(client, settings, db):
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ("HTTP_X_REAL_IP", "REMOTE_ADDR")
    url, user = reverse("workspace:login"), UserFactory(username="secretary")
    # Every request comes from nginx (127.0.0.1); a forged X-Forwarded-For changes nothing.
    fail_five_times(
        client, url, user.username, HTTP_X_REAL_IP="203.0.113.9", HTTP_X_FORWARDED_FOR="1.1.1.1"
    )
    locked = log_in(client, url, user.username, PASSWORD, HTTP_X_REAL_IP="203.0.113.9")
    assert locked.status_code == 429
    elsewhere = log_in(client, url, user.username, PASSWORD, HTTP_X_REAL_IP="198.51.100.7")
    assert elsewhere.status_code == 302


def test_staff_sessions_end_after_two_idle_hours(client, db):
    staff = StaffFactory(username="staff", groups=["编辑"])
    start = timezone.now()
    changelist = reverse("admin:articles_article_changelist")
    with time_machine.travel(start, tick=False):
        assert log_in(client, reverse("admin:login"), "staff", PASSWORD).status_code == 302
        assert client.session.get_expire_at_browser_close()
        assert client.session.get_expiry_age() == 2 * 3600
    assert staff.is_staff
    for minutes in (100, 200):  # each visit within two hours of the last keeps it alive
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert client.get(changelist).status_code == 200
    with time_machine.travel(start + timedelta(minutes=200 + 121), tick=False):
        # With Redis (cached_db sessions) the cached copy is forgotten by Redis's own clock,
        # its TTL being the idle limit above, which time_machine cannot move: drop it as Redis
        # would, so the database copy and its expiry date decide.
        cache.delete(cached_db.KEY_PREFIX + client.session.session_key)
        response = client.get(changelist)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


@pytest.mark.parametrize(
    "password", ["onlylowercase", "lowercase123456", "ALLUPPER!!!!", "长密码长密码长密码长密码"]
)
def test_passwords_need_three_kinds_of_character(password):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert "密码须包含小写字母、大写字母、数字、符号中的至少 3 种。" in error.value.messages


@pytest.mark.parametrize("password", ["Dangjian2025xy", "dangjian-2025-xy", "党建Wang2025"])
def test_mixed_passwords_pass(password):
    validate_password(password)
