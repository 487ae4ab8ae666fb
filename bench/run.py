"""`make bench`: seed PostgreSQL, serve with gunicorn (2 sync workers), measure with wrk.

For each size (articles; plus 200 alliances and 50 000 activities) this script
1. creates and seeds the database `dangjian_bench_<size>` once (kept for later runs);
2. starts gunicorn twice — page cache on, then off — and runs wrk against every URL,
   each right after a run against the built-in baseline /healthz, so every figure is a
   ratio to the baseline measured just before it (the machine's speed drifts);
3. counts the queries of each page in-process, checks search against substring matching
   on 50 two-character words, and reads the workers' resident memory;
4. writes bench/results/<date>-<size>.md, and a growth table when several sizes ran.

Environment: BENCH_SIZES="1000 10000 100000", BENCH_SECONDS=8, BENCH_CONNECTIONS=8,
BENCH_PG=postgres://postgres@127.0.0.1:5432, BENCH_REDIS=redis://127.0.0.1:6379/9.
Needs wrk (Debian: apt-get install wrk).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
SIZES = [int(size) for size in os.environ.get("BENCH_SIZES", "1000 10000 100000").split()]
SECONDS = int(os.environ.get("BENCH_SECONDS", "8"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "8"))
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/9")
PORT = int(os.environ.get("BENCH_PORT", "8123"))
LUA = Path(__file__).resolve().parent / "report.lua"
TARGETS = {  # page: minimum ratio of rps to the baseline, (cached, uncached); issues 13, 17
    "home": (0.85, 0.08),
    "section": (0.85, 0.08),
    "article": (0.85, 0.15),
    "search 党建": (None, 0.08),
    "alliance directory": (None, 0.08),
    "alliance page": (None, 0.08),
    "activity list": (None, 0.08),
}


def env(size, page_cache, **overrides):
    """Production-like settings for database `dangjian_bench_<size>`; ``overrides`` win."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only-secret-key-not-used-anywhere-else-0123456789",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{PG}/dangjian_bench_{size}",
        "REDIS_URL": REDIS,
        "DJANGO_CACHE_PREFIX": f"bench{size}",
        "DJANGO_STATIC_ROOT": str(ROOT / "bench" / ".static"),
        "MEDIA_ROOT": str(ROOT / "bench" / ".media"),
        "PORTAL_PAGE_CACHE": "1" if page_cache else "0",
        "DJANGO_LOG_LEVEL": "WARNING",
        # wrk is one client: the per-client search limit (tests check it) would answer 429.
        "PORTAL_SEARCH_RATE": "100000/m",
        **overrides,
    }


def manage(size, *args, quiet=False, **overrides):
    subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env(size, True, **overrides),
        check=True,
        stdout=subprocess.DEVNULL if quiet else None,
    )


def psql(sql):
    import psycopg

    with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchall() if cursor.description else None


def prepare(size):
    name = f"dangjian_bench_{size}"
    if psql(f"select 1 from pg_database where datname = '{name}'"):
        print(f"== {size}: 使用已有的数据库 {name}")
        manage(size, "migrate", "--noinput", quiet=True)  # the code may have moved on
        return
    print(f"== {size}: 建立并填充数据库 {name}（只在第一次运行时）")
    psql(f'create database "{name}"')
    try:
        manage(size, "migrate", "--noinput", quiet=True)
        manage(size, "seed_bench", "--articles", str(size))
        subprocess.run(
            ["psql", f"{PG}/{name}", "-qc", "VACUUM ANALYZE"], check=True, env=env(size, True)
        )
    except BaseException:
        psql(f'drop database if exists "{name}"')
        raise


def urls(size):
    """Real URLs of this database: a recent article, a section with many pages, an alliance."""
    code = (
        "from articles.models import Article, Category; from alliances.models import Alliance;"
        "import json;"
        "a = Article.objects.published().order_by('-published_at').first();"
        "s = Category.objects.get(slug='jcdj');"
        "n = Article.objects.published().in_section(s).count();"
        "print(json.dumps({'article': a.pk, 'pages': (n + 19) // 20,"
        " 'alliance': Alliance.objects.order_by('pk').first().slug}))"
    )
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env(size, True),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    info = json.loads(out.strip().splitlines()[-1])
    deep = min(1000, info["pages"])
    return {
        "baseline": "/healthz",
        "home": "/",
        "section": "/section/jcdj/",
        f"section page {deep}": f"/section/jcdj/?page={deep}",
        "article": f"/article/{info['article']}/",
        "search 党建": "/search/?q=%E5%85%9A%E5%BB%BA",
        "alliance directory": "/alliances/",
        "alliance page": f"/alliances/{info['alliance']}/",
        "activity list": "/alliances/activities/",
    }


def forget_keys(redis_url, prefix):
    """Delete this site's keys (its DJANGO_CACHE_PREFIX), not the whole Redis database."""
    import redis

    client = redis.Redis.from_url(redis_url)
    keys = list(client.scan_iter(f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)


def start_gunicorn(size, page_cache, workers=2, **overrides):
    log = (RESULTS / f".gunicorn-{size}.log").open("w")
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "portal.wsgi:application",
            "-c",
            "deploy/gunicorn.conf.py",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{PORT}",
            "--access-logfile",
            "/dev/null",
            "--max-requests",
            "0",
        ],
        cwd=ROOT,
        env=env(size, page_cache, **overrides),
        stdout=subprocess.DEVNULL,
        # A file, not a pipe: a pipe nobody reads fills up and blocks the workers' logging.
        stderr=log,
        start_new_session=True,
    )
    return serving(process, PORT, log)


def serving(process, port, log):
    """``process`` once it answers /healthz on ``port``; killed, with the end of its ``log``
    in the error, if it does not within 20 s."""
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).read()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start: " + Path(log.name).read_text()[-2000:])


def worker_rss_mb(process):
    children = subprocess.run(
        ["ps", "-o", "rss=", "--ppid", str(process.pid)], capture_output=True, text=True
    ).stdout.split()
    return [round(int(kb) / 1024, 1) for kb in children]


def wrk(path, connections=CONNECTIONS, port=PORT):
    url = f"http://127.0.0.1:{port}{path}"
    for _ in range(20):  # warm up: caches filled, connections open
        urllib.request.urlopen(url, timeout=10).read()
    out = subprocess.run(
        [
            "wrk",
            f"-t{min(2, connections)}",
            f"-c{connections}",
            f"-d{SECONDS}s",
            "-s",
            str(LUA),
            url,
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    result = json.loads(re.search(r"^JSON (.*)$", out, re.MULTILINE).group(1))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    result["errors"] += int(non2xx.group(1)) if non2xx else 0
    return result


def measure(size, page_cache, pages):
    forget_keys(REDIS, f"bench{size}")
    process = start_gunicorn(size, page_cache)
    try:
        results = {}
        for name, path in pages.items():
            # The machine's speed drifts by a fifth over a run (a shared host): each page is
            # compared with the baseline measured just before it.
            base = wrk(pages["baseline"])
            results[name] = base if name == "baseline" else wrk(path)
            results[name]["base_rps"] = base["rps"]
        # A reader's wait for a search, without queueing behind other requests for a worker.
        results["search alone"] = wrk(pages["search 党建"], connections=1)
        rss = worker_rss_mb(process)
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    return results, rss


def in_process_checks(size, pages):
    """Queries per page (page cache off), search equal to substring matching, and the
    search page's title hits equal to the ORM's."""
    code = f"""
import json, random
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from articles.models import Article
from articles.search import NEWEST, TitleFirst, search_articles, title_matching
from alliances.management.commands.seed_bench import COMMON, RARE, FILLER
settings.PORTAL_PAGE_CACHE = False
client = Client()
queries = {{}}
for name, path in {pages!r}.items():
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        status = client.get(path).status_code
    queries[name] = [status, len(captured.captured_queries)]
rng = random.Random(1)
words = COMMON[:5] + RARE[:5] + ["".join(rng.sample(FILLER, 2)) for _ in range(40)]
published = Article.objects.published()
mismatches = []
for word in words:
    indexed = set(search_articles(published, word).values_list("pk", flat=True))
    plain = set(published.filter(search_text__contains=word).values_list("pk", flat=True))
    if indexed != plain:
        mismatches.append(word)
    # The search page's title hits (from TitlePair for these words) against the ORM's.
    orm = title_matching(published, word).order_by(*NEWEST).values_list("pk", flat=True)
    if TitleFirst(word, limit=1000).title_ids != list(orm[:1001]):
        mismatches.append(word + " (title hits)")
print("JSON " + json.dumps({{"queries": queries, "words": len(words), "mismatches": mismatches}}))
"""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env={**env(size, False), "DJANGO_ALLOWED_HOSTS": "testserver"},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(re.search(r"^JSON (.*)$", out, re.MULTILINE).group(1))


def ratio(value, base):
    return f"{value / base:.2f}×" if base else "—"


def report(size, cached, uncached, rss, checks, pages):
    bases = [
        r["base_rps"]
        for results, _ in (cached, uncached)
        for r in results.values()
        if "base_rps" in r
    ]
    lines = [
        f"# 基准测试：{size} 篇文章，200 个联盟，50 000 项活动（{date.today():%Y-%m-%d}）",
        "",
        f"gunicorn 2 个 sync worker，PostgreSQL + Redis，"
        f"wrk {CONNECTIONS} 个连接、每个页面 {SECONDS} 秒，"
        "与 wrk 同在一台 2 核机器上。每个页面之前都测一次基线（/healthz），比值以紧挨着的那次为准；"
        f"本次基线在 {min(bases):.0f}–{max(bases):.0f} rps 之间。",
        "",
        "| 页面 | 缓存 | rps | p50 ms | p95 ms | p99 ms | 与基线之比 | 查询数 | 错误 |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in pages:
        for label, (results, _) in (("整页缓存", cached), ("不缓存", uncached)):
            r = results[name]
            queries = checks["queries"][name][1] if name != "baseline" else 0
            lines.append(
                f"| {name} | {label} | {r['rps']:.0f} | {r['p50']:.1f} | {r['p95']:.1f} | "
                f"{r['p99']:.1f} | {ratio(r['rps'], r['base_rps'])} | {queries} | {r['errors']} |"
            )
    deep = next(name for name in pages if name.startswith("section page"))
    page1, page_deep = uncached[0]["section"]["p50"], uncached[0][deep]["p50"]
    lines += [
        "",
        f"- Worker RSS after the run: cached {rss[0]} MB, uncached {rss[1]} MB (target ≤ 80 MB).",
        f"- {deep} vs page 1 (uncached p50): {page_deep:.1f} / {page1:.1f} ms = "
        f"{page_deep / page1:.2f}× (target ≤ 2×).",
        f"- Search for 党建 (uncached): p95 {uncached[0]['search alone']['p95']:.1f} ms with one "
        f"connection (a reader's own wait; target ≤ 50 ms), "
        f"{uncached[0]['search 党建']['p95']:.1f} ms with {CONNECTIONS} connections on 2 workers "
        "(queueing included).",
        f"- Search agrees with substring matching, and the search page's title hits with the "
        f"ORM's, on {checks['words']} words; "
        f"mismatches: {checks['mismatches'] or 'none'}.",
        "",
        "Targets (ratio of rps to the baseline):",
        "",
    ]
    for name, (need_cached, need_uncached) in TARGETS.items():
        for label, need, results in (
            ("cached", need_cached, cached[0]),
            ("uncached", need_uncached, uncached[0]),
        ):
            if need:
                got = results[name]["rps"] / results[name]["base_rps"]
                lines.append(
                    f"- {name} {label}: {got:.2f}× (target ≥ {need}×) {'✓' if got >= need else '✗'}"
                )
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{date.today():%Y-%m-%d}-{size}.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    print(f"\n写入 {path.relative_to(ROOT)}")
    return uncached[0]


def growth(by_size):
    if len(by_size) < 2:
        return
    sizes = sorted(by_size)
    names = list(by_size[sizes[0]])
    lines = [
        f"# 成本随数据量的增长（不缓存，p50 ms，{date.today():%Y-%m-%d}）",
        "",
        "| 页面 | " + " | ".join(f"{s} 篇" for s in sizes) + f" | {sizes[-1]}/{sizes[0]} |",
        "| --- |" + " ---: |" * (len(sizes) + 1),
    ]
    for name in names:
        if name not in by_size[sizes[-1]]:
            continue
        values = [by_size[s].get(name, {}).get("p50") for s in sizes]
        first, last = values[0], values[-1]
        lines.append(
            f"| {name} | "
            + " | ".join(f"{v:.1f}" if v is not None else "—" for v in values)
            + f" | {last / first:.2f}× |"
        )
    path = RESULTS / f"{date.today():%Y-%m-%d}-growth.md"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


def main():
    if not shutil.which("wrk"):
        sys.exit("需要 wrk：apt-get install wrk")
    manage(SIZES[0], "collectstatic", "--noinput", "--clear", quiet=True)
    by_size = {}
    for size in SIZES:
        prepare(size)
        pages = urls(size)
        print(f"== {size}: 整页缓存")
        cached_results, cached_rss = measure(size, True, pages)
        print(f"== {size}: 不缓存")
        uncached_results, uncached_rss = measure(size, False, pages)
        checks = in_process_checks(size, pages)
        uncached = report(
            size,
            (cached_results, cached_rss),
            (uncached_results, uncached_rss),
            (cached_rss, uncached_rss),
            checks,
            pages,
        )
        by_size[size] = {
            ("section deep" if name.startswith("section page") else name): value
            for name, value in uncached.items()
        }
    growth(by_size)


if __name__ == "__main__":
    main()
