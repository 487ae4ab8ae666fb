"""Real-browser tests: Debian's Chromium driven by Playwright, axe-core from the npm registry.

Neither is downloaded by Playwright: Chromium comes from apt, axe-core from npm, both fetched
by the set-up below when missing. Outside CI a missing tool skips these tests with the reason;
with CI=true it fails them, so a CI run cannot pass without having run them.
"""

import importlib
import io
import os
import shutil
import subprocess
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command

from tests import installs
from tests.installs import CACHE, NPM_INSTALL, REPO, install_lock, run_installer

AXE_DIR = CACHE / "axe"
AXE_JS = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = REPO / "screenshots"
APT_INSTALL = ["apt-get", "install", "-y", "-o", "DPkg::Lock::Timeout=600"]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
PASSWORD = "browser-tests-pass-9"  # set on the demo accounts by the demo_site fixture
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}


def unavailable(reason):
    """Fail under CI (the browser suite must run there), skip elsewhere."""
    installs.unavailable("浏览器测试", reason)


def has_chinese_font():
    """Whether fontconfig knows a font with Chinese glyphs. Without one Chromium draws every
    character as an empty box: the screenshots are unreadable, and the widths measured and
    the text axe checks are those of the boxes."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return False
    result = subprocess.run(
        [fc_list, ":lang=zh", "family"], capture_output=True, text=True, check=False
    )
    return bool(result.stdout.strip())


def apt_install(*packages):
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        unavailable(f"没有 {' '.join(packages)}，且无法用 apt-get 安装（需要 root）")
    return run_installer([*APT_INSTALL, *packages])


@pytest.fixture(scope="session")
def chromium_path():
    with install_lock("chromium"):
        if shutil.which("chromium") is None:
            error = apt_install("chromium", "fonts-noto-cjk")
            if error or shutil.which("chromium") is None:
                unavailable(f"安装 chromium 失败：{error}")
        if not has_chinese_font():
            error = apt_install("fonts-noto-cjk")
            if error or not has_chinese_font():
                unavailable(f"没有中文字体，安装 fonts-noto-cjk 失败：{error}")
    return shutil.which("chromium")


@pytest.fixture(scope="session")
def axe_path():
    with install_lock("axe"):
        if not AXE_JS.exists():
            if shutil.which("npm") is None:
                unavailable("没有 npm，无法安装 axe-core")
            error = run_installer([*NPM_INSTALL, "--prefix", str(AXE_DIR), "axe-core@4"])
            if error or not AXE_JS.exists():
                unavailable(f"从 npm 安装 axe-core 失败：{error}")
    return AXE_JS


@pytest.fixture(scope="module")
def browser(chromium_path):
    """One Chromium per test module, reused by all its tests.

    Module-scoped rather than session-scoped on purpose: Playwright's sync API leaves an
    asyncio loop marked as running in this thread while it is started, and Django then
    refuses ORM calls here (SynchronousOnlyOperation). pytest tears a module fixture down
    before running a test of another module, so the other tests of this xdist worker never
    run beside a started Playwright; these tests allow the ORM for the time being.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("没有安装 playwright（pip install -e '.[dev]'）")
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    try:
        chromium = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
    finally:
        playwright.stop()
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@dataclass
class DemoSite:
    """The demo content served by ``live_server``, with known passwords on the demo accounts."""

    base_url: str
    secretary: str  # username of the first demo alliance's 联络员
    alliance_slug: str


def restore_roles():
    """The groups made by data migrations (编辑, 审核, 终审, 机关工委), which the flush after
    every transactional test (such as a live-server test) empties out."""
    articles_roles = importlib.import_module("articles.migrations.0003_roles").ROLES
    final = importlib.import_module("articles.migrations.0015_review_workflow")
    committee = importlib.import_module("alliances.migrations.0003_committee_role").COMMITTEE
    committee_views = importlib.import_module(
        "alliances.migrations.0009_committee_sees_public_versions"
    )
    error_reports = importlib.import_module("portal.migrations.0005_error_reports_sitemap_settings")
    handling = [f"portal.{code}" for code in error_reports.PERMISSIONS]
    roles = {
        **articles_roles,
        "审核": [*articles_roles["审核"], *handling],
        final.FINAL_REVIEWER: [
            *articles_roles["审核"],
            f"articles.{final.FINAL_REVIEW_PERMISSION}",
            *handling,
        ],
        "机关工委": [*committee, *(f"alliances.{code}" for code in committee_views.PERMISSIONS)],
    }
    for name, codes in roles.items():
        group, created = Group.objects.get_or_create(name=name)
        if created:
            for code in codes:
                app_label, codename = code.split(".")
                group.permissions.add(
                    Permission.objects.get(content_type__app_label=app_label, codename=codename)
                )


@pytest.fixture
def demo_site(live_server):
    from alliances.demo import ALLIANCES

    restore_roles()
    call_command("load_demo", stdout=io.StringIO())
    users = get_user_model().objects.filter(
        username__in=["editor", "reviewer", *(f"sec-{entry[1]}" for entry in ALLIANCES)]
    )
    for user in users:
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    slug = ALLIANCES[0][1]
    return DemoSite(live_server.url, secretary=f"sec-{slug}", alliance_slug=slug)


@pytest.fixture
def new_context(browser, demo_site):
    """Make browser contexts (closed after the test) on the demo site; ``care=True`` turns on
    关怀模式 by its cookie. CSP is bypassed only so that axe can be injected."""
    contexts = []

    def make(viewport=DESKTOP, care=False, **options):
        context = browser.new_context(
            base_url=demo_site.base_url,
            viewport=viewport,
            locale="zh-CN",
            bypass_csp=True,
            **options,
        )
        context.set_default_timeout(15_000)
        if care:
            context.add_cookies([{"name": "care", "value": "on", "url": demo_site.base_url}])
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def log_in_workspace(page, username):
    page.goto("/workspace/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/workspace/")


def log_in_admin(page, username):
    page.goto(f"/{settings.ADMIN_URL}login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"**/{settings.ADMIN_URL}")
