"""The site's own error pages: the CSRF failure, 400, 403, 404, 500 and 503.

Each is Chinese, says what to do next, answers with its status and ``no-store`` (never in a
cache, the page cache's or a browser's), and renders from the template alone: tests without
the ``db`` fixture fail on any query, as the page would during a database outage.
"""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client
from django.urls import reverse

from alliances.models import Alliance
from portal import errors
from tests.factories import AllianceFactory, UserFactory

DJANGO_DEFAULTS = ["DEBUG=True", "CSRF", "Forbidden", "Not Found", "Bad Request", "Server Error"]


def page(response):
    return response.content.decode()


def assert_own_page(response, status):
    body = page(response)
    assert response.status_code == status
    assert response["Cache-Control"] == "no-store"
    assert '<html lang="zh-CN">' in body
    for text in DJANGO_DEFAULTS:
        assert text not in body, text
    return body


def links(body):
    return re.findall(r'href="([^"]+)"', body)


def test_a_post_without_the_csrf_cookie_says_the_page_expired_and_links_back():
    """No db fixture: the check fails before the view, and the page needs no query."""
    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("workspace:login") + "?next=/workspace/", {"username": "x"})
    body = assert_own_page(response, 403)
    assert "页面已过期，请刷新后重新提交" in body
    assert "/workspace/login/?next=/workspace/" in links(body)
    assert "/" in links(body)


def test_the_csrf_page_never_links_off_the_site(rf):
    request = rf.post("//evil.example/path")
    body = page(errors.csrf_failure(request, reason="CSRF cookie not set."))
    assert not any(link.startswith(("//", "http")) for link in links(body)), links(body)


def test_an_unknown_address_is_a_404_linking_home_and_search():
    client = Client()
    body = assert_own_page(client.get("/no/such/page/"), 404)
    assert "抱歉，您访问的页面不存在" in body
    assert {"/", "/search/"} <= set(links(body))
    assert 'action="/search/"' in body


def test_a_view_s_404_is_the_same_page(client, db):
    body = assert_own_page(client.get(reverse("alliances:activity", args=[999])), 404)
    assert "抱歉，您访问的页面不存在" in body


def test_a_404_with_django_s_english_message_does_not_show_it(rf):
    body = page(errors.page_not_found(rf.get("/x/"), Http404("No Article matches the query.")))
    assert "No Article" not in body


def test_a_declared_page_s_404_is_not_kept_by_the_page_cache(client, db):
    url = reverse("alliances:detail", args=["later"])
    assert client.get(url).status_code == 404
    AllianceFactory(slug="later", status=Alliance.Status.ACTIVE)
    assert client.get(url).status_code == 200


def test_a_403_says_who_may_see_the_page_and_how_to_log_in(client, db):
    client.force_login(UserFactory(username="secretary"))
    body = assert_own_page(client.get(reverse("workspace:overview")), 403)
    assert "只有机关工委工作人员可以查看全部联盟的汇总。" in body
    assert "/workspace/login/?next=/workspace/overview/" in links(body)


def test_the_403_page_renders_without_the_database(rf):
    request = rf.get("/workspace/overview/")
    response = errors.permission_denied(request, PermissionDenied())
    body = assert_own_page(response, 403)
    assert "有相应权限的工作人员" in body


def test_an_admin_403_links_to_the_admin_login(rf):
    path = reverse("admin:index") + "articles/article/"
    body = page(errors.permission_denied(rf.get(path), PermissionDenied()))
    assert reverse("admin:login") + "?next=" + path in links(body)


def test_a_bad_host_is_the_site_s_400():
    body = assert_own_page(Client().get("/", HTTP_HOST="evil.example"), 400)
    assert "请求无效" in body and "/" in links(body)


def test_the_500_page_renders_without_the_database(rf):
    response = errors.server_error(rf.get("/"))
    body = assert_own_page(response, 500)
    assert "服务器暂时无法响应" in body and {"/", "/search/"} <= set(links(body))


@pytest.mark.parametrize(
    ("cookies", "expected"), [({}, "font-medium"), ({"fontsize": "large", "care": "on"}, "care")]
)
def test_error_pages_keep_the_reader_s_font_size_and_care_mode(cookies, expected):
    client = Client()
    client.cookies.load(cookies)
    body = page(client.get("/no/such/page/"))
    assert f'class="font-{cookies.get("fontsize", "medium")}' in body and expected in body
