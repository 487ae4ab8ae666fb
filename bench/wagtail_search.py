"""`make bench-wagtail`: our search for 党建 beside a Wagtail site's, same machine, same data.

The comparison the issue asks for is with the search of Wagtail's demo site (bakerydemo): a
view that runs ``Page.objects.live().search(query)`` through Wagtail's default database
search backend (on PostgreSQL: its full-text index table) and pages it 10 at a time. This
script builds such a site itself (no code of bakerydemo is used or needed):

1. a virtualenv under .cache/wagtail-venv with wagtail, psycopg and gunicorn (once);
2. a minimal Wagtail project in a temporary directory: one page type (title, intro, a
   RichTextField body; search_fields on title and body) and that search view;
3. its own database ``wagtail_bench_<size>``, filled once with the articles of our
   ``dangjian_bench_<size>`` (title, abstract as intro, body; published ones live) under one
   home page, inserted in bulk with treebeard paths, then ``update_index``;
4. both sites served with gunicorn, 2 sync workers; our page cache off (the path measured
   is the search itself); each search measured with wrk as bench/run.py measures pages
   (``BENCH_CONNECTIONS``, ``BENCH_SECONDS``), each run right after a run of that site's
   own trivial page, in turns, twice;
5. bench/results/<date>-wagtail-search.md with both figures side by side.

Environment: BENCH_SIZE (default 100000; our database of that size must exist or is made
as `make bench` makes it), plus the BENCH_* variables of bench/run.py.
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench import run

ROOT = run.ROOT
SIZE = int(os.environ.get("BENCH_SIZE", "100000"))
VENV = ROOT / ".cache" / "wagtail-venv"
WAGTAIL_PORT = run.PORT + 1
QUERY = "党建"
QUOTED = "%E5%85%9A%E5%BB%BA"
REQUIREMENTS = ["wagtail>=7,<8", "psycopg[binary]>=3.2", "gunicorn>=23"]

SETTINGS = """
import os

BASE_DIR = os.path.dirname(os.path.abspath(__file__))
SECRET_KEY = "wagtail-bench-only-not-a-secret-0123456789abcdefghijklmnopqrstuvwxyz"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "benchsite",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]
ROOT_URLCONF = "benchsite.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ["WAGTAIL_BENCH_DB"],
        "USER": os.environ.get("WAGTAIL_BENCH_USER", "postgres"),
        "HOST": os.environ.get("WAGTAIL_BENCH_HOST", "127.0.0.1"),
        "PORT": os.environ.get("WAGTAIL_BENCH_PORT", "5432"),
        "CONN_MAX_AGE": 600,
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True
STATIC_URL = "/static/"
WAGTAIL_SITE_NAME = "wagtail bench"
WAGTAILADMIN_BASE_URL = "http://127.0.0.1"
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "wagtail.search.backends.database"}}
LOGGING = {"version": 1, "disable_existing_loggers": False}
"""

MODELS = """
from django.db import models
from wagtail.fields import RichTextField
from wagtail.models import Page
from wagtail.search import index


class ArticlePage(Page):
    intro = models.TextField(blank=True)
    body = RichTextField(blank=True)

    search_fields = Page.search_fields + [index.SearchField("body")]
"""

VIEWS = """
from django.core.paginator import EmptyPage, PageNotAnInteger, Paginator
from django.http import HttpResponse
from django.shortcuts import render
from wagtail.models import Page


def search(request):
    query = request.GET.get("q")
    results = Page.objects.live().search(query) if query else Page.objects.none()
    paginator = Paginator(results, 10)
    try:
        page = paginator.page(request.GET.get("page", 1))
    except PageNotAnInteger:
        page = paginator.page(1)
    except EmptyPage:
        page = paginator.page(paginator.num_pages)
    return render(request, "benchsite/search.html", {"query": query, "results": page})


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
"""

URLS = """
from django.urls import include, path
from wagtail import urls as wagtail_urls

from . import views

urlpatterns = [
    path("healthz", views.healthz),
    path("search/", views.search),
    path("", include(wagtail_urls)),
]
"""

TEMPLATE = """{% load wagtailcore_tags %}<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="utf-8"><title>搜索 {{ query }}</title></head>
<body><main><h1>搜索</h1>
<form method="get">
<input type="search" name="q" value="{{ query|default:'' }}"><button>搜索</button>
</form>
{% if query %}<p>{{ results.paginator.count }} 条结果</p>{% endif %}
<ul>{% for result in results %}
<li><h2><a href="{% pageurl result %}">{{ result.title }}</a></h2>
{% if result.search_description %}<p>{{ result.search_description }}</p>{% endif %}</li>
{% empty %}{% if query %}<li>没有结果</li>{% endif %}{% endfor %}</ul>
{% with q=query|urlencode %}
{% if results.has_previous %}
<a href="?q={{ q }}&amp;page={{ results.previous_page_number }}">上一页</a>
{% endif %}
{% if results.has_next %}
<a href="?q={{ q }}&amp;page={{ results.next_page_number }}">下一页</a>
{% endif %}
{% endwith %}
</main></body></html>
"""

# Run inside the project (manage.py shell): pages in bulk under the default home page.
SEED = """
import uuid
import psycopg
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone
from wagtail.models import Locale, Page
from benchsite.models import ArticlePage

home = Page.objects.get(depth=2)
kind = ContentType.objects.get_for_model(ArticlePage)
locale = Locale.get_default()
now = timezone.now()
source = psycopg.connect(SOURCE)
rows = source.execute(
    "select id, title, summary, body, status = 'published', published_at"
    " from articles_article order by id limit %s",
    [LIMIT],
)
number = home.numchild
batch = []

def flush():
    with transaction.atomic():
        saved = Page.objects.bulk_create([page for page, _, _ in batch])
        with connection.cursor() as cursor:
            cursor.executemany(
                "insert into benchsite_articlepage (page_ptr_id, intro, body) values (%s, %s, %s)",
                [(page.pk, intro, body) for page, (_, intro, body) in zip(saved, batch)],
            )
    batch.clear()

for pk, title, summary, body, live, published in rows:
    number += 1
    slug = f"a{pk}"
    page = Page(
        title=title, draft_title=title, slug=slug, content_type=kind, locale=locale,
        translation_key=uuid.uuid4(), path=Page._get_path(home.path, 3, number), depth=3,
        numchild=0, url_path=f"{home.url_path}{slug}/", live=live,
        has_unpublished_changes=not live,
        first_published_at=published if live else None,
        last_published_at=published if live else None,
    )
    batch.append((page, summary, body))
    if len(batch) == 2000:
        flush()
        print(f"  {number}", flush=True)
if batch:
    flush()
Page.objects.filter(pk=home.pk).update(numchild=number)
print(f"pages: {number}")
"""


def pg_url(name):
    return f"{run.PG}/{name}"


def ensure_venv():
    python = VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
    check = subprocess.run([str(python), "-c", "import wagtail, psycopg, gunicorn"], check=False)
    if check.returncode:
        subprocess.run([str(python), "-m", "pip", "install", "-q", *REQUIREMENTS], check=True)
    return python


def write_project(where):
    site = where / "benchsite"
    (site / "templates" / "benchsite").mkdir(parents=True)
    (site / "migrations").mkdir()
    files = {
        site / "__init__.py": "",
        site / "migrations" / "__init__.py": "",
        site / "settings.py": SETTINGS,
        site / "models.py": MODELS,
        site / "views.py": VIEWS,
        site / "urls.py": URLS,
        site / "templates" / "benchsite" / "search.html": TEMPLATE,
        where / "manage.py": textwrap.dedent(
            """
            import os, sys
            os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchsite.settings")
            from django.core.management import execute_from_command_line
            execute_from_command_line(sys.argv)
            """
        ),
    }
    for path, text in files.items():
        path.write_text(text.lstrip("\n"), encoding="utf-8")


def wagtail_env(name):
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "benchsite.settings",
        "WAGTAIL_BENCH_DB": name,
        "PYTHONPATH": "",
    }


def prepare(python, where):
    """The Wagtail database, filled once from ours (kept for later runs, as bench/run.py
    keeps its own)."""
    name = f"wagtail_bench_{SIZE}"
    manage = [str(python), "manage.py"]
    environ = wagtail_env(name)
    exists = run.psql(f"select 1 from pg_database where datname = '{name}'")
    if not exists:
        run.psql(f'create database "{name}"')
    # The page type's migration is made afresh in each temporary project (same models).
    subprocess.run(
        [*manage, "makemigrations", "benchsite", "-v0"], cwd=where, env=environ, check=True
    )
    if exists:
        print(f"== Wagtail: 使用已有的数据库 {name}")
        return name
    print(f"== Wagtail: 建立并填充数据库 {name}（只在第一次运行时）")
    try:
        subprocess.run([*manage, "migrate", "--noinput", "-v0"], cwd=where, env=environ, check=True)
        started = time.monotonic()
        code = f"SOURCE = {pg_url(f'dangjian_bench_{SIZE}')!r}\nLIMIT = {SIZE}\n" + SEED
        subprocess.run([*manage, "shell", "-c", code], cwd=where, env=environ, check=True)
        subprocess.run([*manage, "update_index"], cwd=where, env=environ, check=True)
        subprocess.run(["psql", pg_url(name), "-qc", "VACUUM ANALYZE"], check=True)
        print(f"   填充用时 {time.monotonic() - started:.0f} 秒")
    except BaseException:
        run.psql(f'drop database if exists "{name}"')
        raise
    return name


def start_wagtail(python, where, name):
    log = (run.RESULTS / ".gunicorn-wagtail.log").open("w")
    process = subprocess.Popen(
        [
            str(python),
            "-m",
            "gunicorn",
            "benchsite.wsgi_app:application",
            "--workers",
            "2",
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{WAGTAIL_PORT}",
            "--access-logfile",
            "/dev/null",
        ],
        cwd=where,
        env=wagtail_env(name),
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )
    return run.serving(process, WAGTAIL_PORT, log)


def counts(python, where, name):
    """How many matches each site reports for the query (their searches differ)."""
    ours = subprocess.run(
        [
            run.PYTHON,
            "manage.py",
            "shell",
            "-c",
            "from articles.models import Article; from articles.search import TitleFirst;"
            f"r = TitleFirst(Article.objects.published(), {QUERY!r}, limit=10**7);"
            "print(r.title_count + r.others_count)",
        ],
        cwd=ROOT,
        env=run.env(SIZE, False),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    theirs = subprocess.run(
        [
            str(python),
            "manage.py",
            "shell",
            "-c",
            f"from wagtail.models import Page;print(Page.objects.live().search({QUERY!r}).count())",
        ],
        cwd=where,
        env=wagtail_env(name),
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()[-1]
    return int(ours), int(theirs)


def main():
    if not shutil.which("wrk"):
        sys.exit("需要 wrk：apt-get install wrk")
    python = ensure_venv()
    run.prepare(SIZE)
    run.manage(SIZE, "collectstatic", "--noinput", quiet=True)
    with tempfile.TemporaryDirectory(prefix="wagtail-bench-") as tmp:
        where = Path(tmp)
        write_project(where)
        (where / "benchsite" / "wsgi_app.py").write_text(
            "from django.core.wsgi import get_wsgi_application\n"
            "application = get_wsgi_application()\n"
        )
        name = prepare(python, where)
        matches = counts(python, where, name)
        rounds = []
        for _ in range(2):
            ours = run.start_gunicorn(SIZE, page_cache=False)
            try:
                our_base = run.wrk("/healthz")
                our_search = run.wrk(f"/search/?q={QUOTED}")
            finally:
                os.killpg(ours.pid, signal.SIGTERM)
                ours.wait(timeout=30)
            theirs = start_wagtail(python, where, name)
            try:
                their_base = run.wrk("/healthz", port=WAGTAIL_PORT)
                their_search = run.wrk(f"/search/?q={QUOTED}", port=WAGTAIL_PORT)
            finally:
                os.killpg(theirs.pid, signal.SIGTERM)
                theirs.wait(timeout=30)
            rounds.append((our_base, our_search, their_base, their_search))
        version = subprocess.run(
            [str(python), "-c", "import wagtail; print(wagtail.__version__)"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    write_report(rounds, matches, version)


def write_report(rounds, matches, version):
    lines = [
        f"# 搜索“{QUERY}”：本站与 Wagtail {version}（{SIZE} 篇文章，{date.today():%Y-%m-%d}）",
        "",
        "`make bench-wagtail`（bench/wagtail_search.py）。两个网站在同一台 2 核机器上先后运行，"
        f"都用 gunicorn 2 个 sync worker、同一个 PostgreSQL；wrk {run.CONNECTIONS} 个连接、"
        f"每次 {run.SECONDS} 秒。本站不用整页缓存。"
        "Wagtail 一方是按 bakerydemo 的搜索视图写的最小项目：`Page.objects.live().search(q)`"
        "（默认的数据库搜索后端，PostgreSQL 全文索引），每页 10 条；本站每页 20 条。"
        "每个网站的搜索之前先测它自己的最简单的页面（/healthz），两个网站轮流测两轮。",
        "",
        "| 轮次 | 网站 | 页面 | rps | p50 ms | p95 ms | 与本站基线之比 | 错误 |",
        "| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for number, (our_base, our_search, their_base, their_search) in enumerate(rounds, 1):
        for site, page, result in (
            ("本站", "/healthz", our_base),
            ("本站", f"搜索 {QUERY}", our_search),
            ("Wagtail", "/healthz", their_base),
            ("Wagtail", f"搜索 {QUERY}", their_search),
        ):
            lines.append(
                f"| {number} | {site} | {page} | {result['rps']:.0f} | {result['p50']:.1f} | "
                f"{result['p95']:.1f} | {run.ratio(result['rps'], our_base['rps'])} | "
                f"{result['errors']} |"
            )
    ours = sum(r[1]["rps"] for r in rounds) / len(rounds)
    theirs = sum(r[3]["rps"] for r in rounds) / len(rounds)
    lines += [
        "",
        f"- 两轮平均：本站搜索 {ours:.0f} rps，Wagtail 搜索 {theirs:.0f} rps，"
        f"本站是 Wagtail 的 {ours / theirs:.2f} 倍。",
        f"- 找到的结果：本站 {matches[0]} 篇（子串匹配：标题、摘要、正文含“{QUERY}”的已发布文章；"
        f"页面计数到 1000 为止），Wagtail {matches[1]} 篇（PostgreSQL 的全文检索按词切分，"
        "连写的中文整段是一个词，所以“党建”只在整段恰好是这两个字时才算找到）。"
        "两边的工作量因此不同：本站要从数万篇命中的文章里取出最新的 20 篇并计数。",
        "- bakerydemo 的视图还为每次搜索记录一次查询（`Query.get(q).add_hit()`，一次写入），"
        "这里没有记录，对 Wagtail 一方有利。",
    ]
    path = run.RESULTS / f"{date.today():%Y-%m-%d}-wagtail-search.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\n写入 {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
