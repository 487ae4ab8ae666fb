"""Every page type through the Nu Html Checker (vnu, the W3C validator): 0 errors.

The pages are rendered by the test client from the demo content (``load_demo``), with the
footer's optional parts (党政机关网站标识) switched on, written to files and checked by one
run of vnu. It comes from the npm registry (``vnu-jar``, into .cache/vnu/) and needs Java;
outside CI a missing tool skips this test with the reason, with CI=true it fails.
Run it alone with ``make html-check``.
"""

import io
import json
import shutil
import subprocess
from urllib.parse import unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import OperationalError
from django.test import RequestFactory
from django.urls import reverse
from PIL import Image

from alliances.demo import ALLIANCES
from alliances.models import Alliance, Facility
from articles.models import Article
from portal import errors
from portal.models import SiteSettings
from tests.browser import pages as browser_pages
from tests.installs import CACHE, NPM_INSTALL, install_lock, run_installer, unavailable

VNU_DIR = CACHE / "vnu"
VNU_JAR = VNU_DIR / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
WHAT = "HTML 检查"


@pytest.fixture(scope="session")
def vnu_jar():
    java = shutil.which("java")
    if java is None:
        unavailable(WHAT, "没有 Java（apt-get install default-jre-headless），无法运行 vnu")
    with install_lock("vnu"):
        if not VNU_JAR.exists():
            if shutil.which("npm") is None:
                unavailable(WHAT, "没有 npm，无法安装 vnu-jar")
            error = run_installer([*NPM_INSTALL, "--prefix", str(VNU_DIR), "vnu-jar"])
            if error or not VNU_JAR.exists():
                unavailable(WHAT, f"从 npm 安装 vnu-jar 失败：{error}")
    return [java, "-jar", str(VNU_JAR)]


def vnu_errors(command, pages, folder):
    """{page name: [error lines]} of vnu on ``pages`` ({name: HTML}), in one run."""
    files = {}
    for n, (name, html) in enumerate(pages.items()):
        path = folder / f"page{n}.html"
        path.write_text(html, encoding="utf-8")
        files[path.resolve()] = name
    result = subprocess.run(
        [*command, "--errors-only", "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    report = json.loads(result.stderr or result.stdout)  # vnu writes its report to stderr
    errors = {}
    for message in report["messages"]:
        if message.get("type") not in ("error", "non-document-error"):
            continue
        path = unquote(urlsplit(message.get("url", "")).path)
        name = next((n for p, n in files.items() if str(p) == path), path or "vnu")
        where = f"第 {message['lastLine']} 行：" if "lastLine" in message else ""
        extract = " ".join(message.get("extract", "").split())
        errors.setdefault(name, []).append(f"{where}{message['message']}  〔{extract}〕")
    return errors


@pytest.fixture
def demo(db):
    call_command("load_demo", stdout=io.StringIO())
    site = SiteSettings.load()
    site.conac_id = "1500000001"  # the footer's optional mark, as an image, validated too
    image = io.BytesIO()
    Image.new("RGB", (110, 55), "#c00").save(image, "PNG")
    site.conac_image.save("conac.png", ContentFile(image.getvalue()))


def pages_to_check():
    """{user or "": [(name, URL, status)]}: the page types the browser tests visit, plus
    what only the HTML check looks at."""
    slug = ALLIANCES[0][1]
    alliance = Alliance.objects.get(slug=slug)
    public = [
        (name, url, 404 if name == "404" else 200)
        for name, url in browser_pages.public_pages().items()
    ]
    with_attachments = Article.objects.published().filter(attachments__isnull=False).first()
    public += [
        ("article with attachments", with_attachments.get_absolute_url(), 200),
        ("search, nothing found", reverse("articles:search") + "?q=没有这个词语", 200),
        ("error report thanks", reverse("portal:error_report_thanks"), 200),
        ("year not valid", alliance.get_absolute_url() + "?year=abc", 400),
    ]
    facility = Facility.objects.first()
    if facility is not None:
        public.append(("room schedule", reverse("alliances:room", args=[facility.pk]), 200))
    secretary = [(name, url, 200) for name, url in browser_pages.workspace_pages(slug).items()]
    committee = [
        ("overview", reverse("workspace:overview"), 200),
        ("review queue", reverse("workspace:review"), 200),
    ]
    return {"": public, f"sec-{slug}": secretary, "committee": committee}


def error_pages():
    """The error pages no address leads to on purpose, from their handlers."""
    request = RequestFactory().get("/workspace/")
    pages = {
        "400": errors.bad_request(request, ValueError()),
        "403": errors.permission_denied(
            request, PermissionDenied("只有机关工委工作人员可以查看。")
        ),
        "500": errors.server_error(request),
        "CSRF": errors.csrf_failure(request),
    }
    try:
        raise OperationalError("the database is down")
    except OperationalError:
        pages["503"] = errors.server_error(request)
    return {name: response.content.decode() for name, response in pages.items()}


def render(client, pages):
    rendered = {}
    for name, url, status in pages:
        response = client.get(url)
        assert response.status_code == status, (name, url, response.status_code)
        rendered[f"{name} {url}"] = response.content.decode()
    return rendered


def test_every_page_type_has_no_html_errors(client, demo, vnu_jar, tmp_path, settings):
    settings.PORTAL_PAGE_CACHE = False
    pages = {}
    for username, entries in pages_to_check().items():
        if username:
            client.force_login(get_user_model().objects.get(username=username))
        pages |= {
            f"{username} {name}".strip(): html for name, html in render(client, entries).items()
        }
    client.logout()
    # The 纠错 form again with the reader's mistakes: messages beside the fields.
    response = client.post(reverse("portal:error_report"), {"description": "", "token": "x"})
    assert response.status_code == 400
    pages["error report with errors"] = response.content.decode()
    pages |= error_pages()

    errors = vnu_errors(vnu_jar, pages, tmp_path)
    listing = "\n".join(
        f"{name}\n" + "\n".join(f"  {line}" for line in lines) for name, lines in errors.items()
    )
    assert not errors, f"Nu Html Checker：{sum(map(len, errors.values()))} 个错误\n{listing}"


def test_the_checker_reports_an_error_when_there_is_one(vnu_jar, tmp_path):
    """The test above can fail: vnu is run and its report read."""
    broken = '<!doctype html><html lang="zh-CN"><head><title>x</title></head><body><p><div></p>'
    errors = vnu_errors(vnu_jar, {"坏页面": broken}, tmp_path)
    assert list(errors) == ["坏页面"] and errors["坏页面"]
