"""Response headers: a strict Content-Security-Policy everywhere but the admin, HSTS, cookies,
referrer and framing rules; and no inline code in any page a reader or secretary sees."""

import io
import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from alliances.models import Activity, Alliance, JointMeeting
from articles.models import Article, Category

ROOT = Path(__file__).resolve().parents[2]


def directives(response):
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


STRICT = {
    "default-src": ["'self'"],
    "script-src": ["'self'"],
    "style-src": ["'self'"],
    "img-src": ["'self'"],
    "media-src": ["'self'"],
    "object-src": ["'none'"],
    "base-uri": ["'self'"],
    "frame-ancestors": ["'none'"],
    "form-action": ["'self'"],
}


def test_home_and_article_send_the_strict_policy(client, article):
    for url in (reverse("portal:home"), article.get_absolute_url()):
        response = client.get(url)
        assert response.status_code == 200
        assert directives(response) == STRICT, url


def test_a_page_from_the_page_cache_keeps_the_policy(client, article):
    client.get(article.get_absolute_url())
    cached = client.get(article.get_absolute_url())
    assert cached["X-Page-Cache"] == "hit"
    assert directives(cached) == STRICT


def test_workspace_pages_send_the_strict_policy(client, committee):
    client.force_login(committee)
    for name in ("workspace:home", "workspace:overview"):
        response = client.get(reverse(name))
        assert response.status_code == 200
        assert directives(response) == STRICT, name
    client.logout()
    assert directives(client.get(reverse("workspace:login"))) == STRICT


def test_only_admin_pages_with_the_editor_allow_the_inline_code_ckeditor_needs(
    client, reviewer, article
):
    client.force_login(reviewer)
    for url in (
        reverse("admin:articles_article_add"),
        reverse("admin:articles_article_change", args=[article.pk]),
    ):
        response = client.get(url)
        assert "ckeditor/ckeditor.js" in response.content.decode()
        policy = directives(response)
        assert policy["script-src"] == ["'self'", "'unsafe-inline'"]
        assert policy["style-src"] == ["'self'", "'unsafe-inline'"]
        assert policy["img-src"] == ["'self'", "data:"]
        assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
        assert "'unsafe-eval'" not in response["Content-Security-Policy"]


def test_the_admin_login_lists_and_read_only_views_keep_the_strict_policy(client, editor, article):
    assert directives(client.get(reverse("admin:login"))) == STRICT
    client.force_login(editor)
    for url in (
        reverse("admin:index"),
        reverse("admin:articles_article_changelist"),
        # An editor only views a published article: no editor on the page.
        reverse("admin:articles_article_change", args=[article.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        assert directives(response) == STRICT, url


def test_https_responses_carry_hsts_and_the_other_security_headers(client, db):
    response = client.get(reverse("portal:home"), secure=True)
    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_plain_http_is_redirected_except_the_health_probe(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = client.get(reverse("portal:home"))
    assert response.status_code == 301
    assert response["Location"] == "https://testserver/"
    assert client.get(reverse("healthz")).status_code == 200


def test_session_and_csrf_cookies_are_secure_and_hidden_from_scripts(client, reader):
    page = client.get(reverse("workspace:login"))
    csrf = page.cookies["csrftoken"]
    assert csrf["secure"] and csrf["httponly"] and csrf["samesite"] == "Lax"
    response = client.post(
        reverse("workspace:login"), {"username": "reader", "password": "correct-horse-battery"}
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["secure"] and session["httponly"]
    assert not session["max-age"] and not session["expires"]  # gone when the browser closes


def production_settings(**env):
    """The given settings names as a production process would have them (a fresh import)."""
    base = {
        "PATH": os.environ.get("PATH", ""),
        "DJANGO_SECRET_KEY": "x" * 50,
        "DJANGO_ALLOWED_HOSTS": "dj.example.gov.cn",
        "DJANGO_BEHIND_TLS_PROXY": "1",
    }
    code = (
        "import json, portal.settings as s; "
        "print(json.dumps({name: getattr(s, name) for name in %r}, default=str))"
    )
    names = [
        "DEBUG",
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "CONTENT_SECURITY_POLICY",
        "AXES_IPWARE_META_PRECEDENCE_ORDER",
    ]
    result = subprocess.run(
        [sys.executable, "-c", code % names],
        env={**base, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(result.stdout)


def test_production_turns_every_switch_on_and_development_turns_them_off():
    production = production_settings()
    assert production["SECURE_SSL_REDIRECT"] and production["SECURE_HSTS_SECONDS"] == 31536000
    assert production["SESSION_COOKIE_SECURE"] and production["CSRF_COOKIE_SECURE"]
    assert production["AXES_IPWARE_META_PRECEDENCE_ORDER"] == ["HTTP_X_REAL_IP", "REMOTE_ADDR"]

    development = production_settings(DJANGO_DEBUG="1", DJANGO_BEHIND_TLS_PROXY="")
    assert not development["SECURE_SSL_REDIRECT"] and development["SECURE_HSTS_SECONDS"] == 0
    assert not development["SESSION_COOKIE_SECURE"]


def test_the_admin_moves_to_the_address_the_environment_gives():
    """DJANGO_ADMIN_URL: the admin answers there, and /admin/ is an ordinary 404."""
    code = "\n".join(
        [
            "import django",
            "django.setup()",
            "from django.urls import Resolver404, resolve, reverse",
            "print(reverse('admin:index'))",
            "print(resolve('/houtai-7f3k/login/').view_name)",
            "try:",
            "    resolve('/admin/')",
            "except Resolver404:",
            "    print(404)",
        ]
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={
            "PATH": os.environ.get("PATH", ""),
            "DJANGO_SETTINGS_MODULE": "portal.settings",
            "DJANGO_SECRET_KEY": "x" * 50,
            "DJANGO_ALLOWED_HOSTS": "dj.example.gov.cn",
            "DJANGO_ADMIN_URL": "/houtai-7f3k/",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == ["/houtai-7f3k/", "admin:login", "404"]


def test_media_on_an_s3_custom_domain_is_allowed_for_images_and_video():
    policy = production_settings(
        DJANGO_S3_BUCKET="dangjian", DJANGO_S3_CUSTOM_DOMAIN="img.example.gov.cn"
    )["CONTENT_SECURITY_POLICY"]["DIRECTIVES"]
    assert policy["img-src"] == ["'self'", "https://img.example.gov.cn"]
    assert policy["media-src"] == ["'self'", "https://img.example.gov.cn"]
    assert policy["script-src"] == ["'self'"]


class InlineCodeFinder(HTMLParser):
    """Collects what a strict policy would block: inline scripts and styles, style attributes,
    event handler attributes and javascript: URLs."""

    DATA_SCRIPTS = {"application/json", "application/ld+json"}

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if "style" in names:
            self.found.append(f"<{tag} style=…>")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")
        if tag == "script" and "src" not in names and names.get("type") not in self.DATA_SCRIPTS:
            self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> element")


def inline_code(html):
    finder = InlineCodeFinder()
    finder.feed(html)
    return finder.found


def test_the_inline_code_finder_finds_what_the_policy_blocks():
    html = (
        '<p style="color:red">x</p><button onclick="go()">x</button><a href=" javascript:x">x</a>'
        "<script>alert(1)</script><style>p{}</style>"
        '<script src="/static/js/site.js"></script><script type="application/json">{}</script>'
    )
    assert inline_code(html) == [
        "<p style=…>",
        "<button onclick=…>",
        "<a href=javascript:…>",
        "inline <script>",
        "<style> element",
    ]


@pytest.fixture
def demo_site(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.PORTAL_PAGE_CACHE = False
    call_command("load_demo", stdout=io.StringIO())


def public_urls():
    article = Article.objects.published().filter(kind="report").first()
    video = Article.objects.published().filter(kind="video").first()
    section = Category.objects.filter(parent=None).first()
    return [
        reverse("portal:home"),
        article.get_absolute_url(),
        video.get_absolute_url(),
        section.get_absolute_url(),
        reverse("articles:search") + "?q=党建",
        reverse("alliances:directory"),
        Alliance.objects.filter(status="active").first().get_absolute_url(),
        reverse("alliances:activities"),
        Activity.objects.first().get_absolute_url(),
        JointMeeting.objects.first().get_absolute_url(),
        "/no-such-page/",
        reverse("workspace:login"),
    ]


def workspace_urls(alliance):
    year = 2025
    return [
        reverse("workspace:home"),
        reverse("workspace:alliance", args=[alliance.slug]),
        reverse("workspace:meeting_new", args=[alliance.slug]),
        reverse("workspace:activity_new", args=[alliance.slug]),
        reverse("workspace:meeting_edit", args=[alliance.slug, alliance.meetings.first().pk]),
        reverse("workspace:plan", args=[alliance.slug, year]),
        reverse("workspace:report", args=[alliance.slug, year, "plan"]),
        reverse("workspace:ledger", args=[alliance.slug, year]),
        reverse("workspace:overview"),
    ]


def test_no_page_readers_or_secretaries_see_has_inline_code(client, demo_site):
    found = {}
    for url in public_urls():
        response = client.get(url)
        assert response.status_code in (200, 404), url
        found[url] = inline_code(response.content.decode())
    alliance = Alliance.objects.filter(status="active", meetings__isnull=False).first()
    from tests.factories import StaffFactory

    client.force_login(StaffFactory(username="committee-staff", groups=["机关工委"]))
    for url in workspace_urls(alliance):
        response = client.get(url)
        assert response.status_code == 200, url
        found[url] = inline_code(response.content.decode())
    assert {url: items for url, items in found.items() if items} == {}
