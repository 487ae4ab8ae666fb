"""`make faults`: stop Redis, then PostgreSQL, under a running site, and check what readers
and secretaries get.

The servers stopped are private ones this script starts for itself — a Redis on port 6391
and a PostgreSQL cluster `dangjian_faults` on port 5441 (Debian's pg_createcluster) — so
the machine's own services are never stopped. It does use them as `make load` does: it
rebuilds the database `dangjian_bench_load` and deletes the keys of the load site's prefix
in BENCH_REDIS, so do not run it beside `make bench`.

1. Redis stops under load: wrk (16 connections, 20 s, a client per request as in `make
   load`) over a mix of pages; Redis is stopped after 5 s and started again after 12 s.
   Expected: no error response at all (cache errors are ignored and logged, pages come from
   the database); no view counted twice, and every view not counted is one the workers
   logged as lost (the batches they could not send while Redis was away; Redis keeps its
   buffer in an append-only file, as it should in production); the cache in use again
   afterwards.
2. PostgreSQL stops: a page read before is still served from the page cache; a page not
   cached is a 503 in Chinese with Retry-After; a secretary's activity submitted during
   the outage is refused with a 503 and leaves nothing behind; when PostgreSQL is back
   the site answers by itself, and the same submission then saves exactly once.

Writes bench/results/<date>-faults.md; exits 1 when any check fails. Needs root (for
pg_createcluster), wrk and redis-server.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from datetime import date
from pathlib import Path

from bench import load
from bench.run import RESULTS, manage, start_gunicorn

LOST = re.compile(r"articles\.viewcounts: (\d+) views not counted")

REDIS_PORT = 6391
PG_PORT = 5441
CLUSTER = "dangjian_faults"
PG_VERSION = next(iter(sorted(p.name for p in Path("/etc/postgresql").iterdir())), "15")
PG_URL = f"postgres://postgres@127.0.0.1:{PG_PORT}/dangjian_faults"
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/0"


class PrivateRedis:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="dangjian-faults-redis-")
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(REDIS_PORT),
                "--bind",
                "127.0.0.1",
                "--dir",
                self.folder,
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
            ],
            stdout=subprocess.DEVNULL,
        )
        for _ in range(50):
            if self.ping():
                return
            time.sleep(0.1)
        raise RuntimeError("Redis 未能启动")

    def ping(self):
        result = subprocess.run(
            ["redis-cli", "-p", str(REDIS_PORT), "ping"], capture_output=True, text=True
        )
        return result.stdout.strip() == "PONG"

    def keys(self):
        out = subprocess.run(
            ["redis-cli", "-p", str(REDIS_PORT), "dbsize"], capture_output=True, text=True
        ).stdout
        return int(out.strip() or 0)

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def remove(self):
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)


def pg_cluster(*args):
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, CLUSTER, *args],
        check=True,
        capture_output=True,
    )


def create_cluster():
    subprocess.run(
        ["pg_dropcluster", "--stop", PG_VERSION, CLUSTER], capture_output=True, check=False
    )
    subprocess.run(
        [
            "pg_createcluster",
            PG_VERSION,
            CLUSTER,
            "--port",
            str(PG_PORT),
            "--",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
        ],
        check=True,
        capture_output=True,
    )
    pg_cluster("start")
    subprocess.run(
        ["createdb", "-h", "127.0.0.1", "-p", str(PG_PORT), "-U", "postgres", "dangjian_faults"],
        check=True,
    )


def drop_cluster():
    subprocess.run(
        ["pg_dropcluster", "--stop", PG_VERSION, CLUSTER], capture_output=True, check=False
    )


def get(path):
    """(status, headers, body) of an anonymous GET."""
    try:
        with urllib.request.urlopen(load.BASE + path, timeout=30) as response:
            return response.status, response.headers, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode()


def redis_under_load(redis, checks):
    print("== 1. 负载下停止 Redis")
    overrides = {"REDIS_URL": REDIS_URL}
    manage(load.NAME, "flush_view_counts", quiet=True, **overrides)
    before = views(overrides)
    process = start_gunicorn(load.NAME, True, **overrides, **load.PROXIED)
    info = load.shell(load.INFO % {"user": load.SECRETARY, "password": load.PASSWORD})
    timeline = []

    def chaos():
        time.sleep(5)
        redis.stop()
        timeline.append(("Redis 停止", time.monotonic()))
        time.sleep(7)
        redis.start()
        timeline.append(("Redis 恢复", time.monotonic()))

    try:
        thread = threading.Thread(target=chaos)
        thread.start()
        result = load.run_wrk(load.paths_of(info), connections=16, seconds=20)
        thread.join()
        for path in ("/", "/alliances/"):
            get(path)
        cache_back = redis.keys() > 0
    finally:
        _stop(process)
    manage(load.NAME, "flush_view_counts", quiet=True, **overrides)
    after = views(overrides)
    served = load.article_views(result)
    total, counted = sum(served.values()), sum(after[pk] - before[pk] for pk in served)
    log = (RESULTS / f".gunicorn-{load.NAME}.log").read_text(encoding="utf-8")
    lost = sum(int(n) for n in LOST.findall(log))
    over = {
        pk: (after[pk] - before[pk], n) for pk, n in served.items() if after[pk] - before[pk] > n
    }
    bad = sum(n for (_, code), n in result["statuses"].items() if not 200 <= code < 400)
    checks += [
        ("Redis 停止期间：请求总数", result["requests"], None),
        ("Redis 停止期间：连接错误", result["socket_errors"], 0),
        ("Redis 停止期间：非 2xx/3xx 响应", bad, 0),
        ("Redis 停止期间：文章浏览（wrk 计数 / 数据库增加）", f"{total} / {counted}", None),
        ("Redis 停止期间：浏览量多于浏览次数的文章", len(over), 0),
        ("Redis 停止期间：未计入的浏览减去日志记下的丢失数", total - counted - lost, 0),
        ("Redis 停止期间：日志记下的丢失浏览", lost, None),
        ("Redis 恢复后整页缓存重新使用", "是" if cache_back else "否", "是"),
    ]


def views(overrides):
    return load.shell(
        "import json; from articles.models import Article;"
        "print(json.dumps({str(pk): n for pk, n in "
        "Article.objects.values_list('pk', 'view_count')}))",
        **overrides,
    )


def saved_activities(overrides):
    return load.shell(
        "from alliances.models import Activity;"
        "print(Activity.objects.filter(title='故障测试活动').count())",
        **overrides,
    )


def _stop(process):
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def postgres_stops(checks):
    print("== 2. 停止 PostgreSQL")
    create_cluster()
    overrides = {"DATABASE_URL": PG_URL, "REDIS_URL": REDIS_URL, "DJANGO_CACHE_PREFIX": "faults"}
    manage(load.NAME, "migrate", "--noinput", quiet=True, **overrides)
    manage(load.NAME, "load_demo", quiet=True, **overrides)
    info = load.shell(load.INFO % {"user": load.SECRETARY, "password": load.PASSWORD}, **overrides)
    process = start_gunicorn(load.NAME, True, **overrides)
    try:
        secretary = load.Secretary(info, threading.Event())
        login = secretary.login()
        path = f"/workspace/{info['alliance']}/activities/new/"
        form = {**secretary.hidden_fields(path), **secretary.activity("故障测试活动")}
        get("/")  # now in the page cache
        get("/")
        fresh = "/search/?q=" + urllib.parse.quote("故障")

        pg_cluster("stop", "-m", "fast")
        cached_status = get("/")[0]
        status, headers, body = get(fresh)
        submitted = secretary.submit(path, form)

        pg_cluster("start")
        started = time.monotonic()
        while get(fresh)[0] != 200 and time.monotonic() - started < 60:
            time.sleep(0.5)
        recovered_after = time.monotonic() - started
        recovered = get(fresh)[0] == 200
        saved_during_outage = saved_activities(overrides)
        resubmitted = secretary.submit(path, form)
        saved_after = saved_activities(overrides)
    finally:
        _stop(process)
    checks += [
        ("数据库停止前：联络员登录", login, 302),
        ("数据库停止期间：已缓存的首页", cached_status, 200),
        ("数据库停止期间：未缓存的页面", status, 503),
        ("数据库停止期间：Retry-After", headers.get("Retry-After"), "30"),
        ("数据库停止期间：中文提示", "是" if "网站正在维护" in body else "否", "是"),
        ("数据库停止期间：联络员提交活动", submitted, 503),
        ("数据库恢复后：停止期间提交的活动条数", saved_during_outage, 0),
        ("数据库恢复后：网站自动恢复", "是" if recovered else "否", "是"),
        ("数据库恢复后：恢复所需秒数", f"{recovered_after:.1f}", None),
        ("数据库恢复后：同一表单再次提交", resubmitted, 302),
        ("数据库恢复后：活动条数", saved_after, 1),
    ]


def main():
    for tool in ("wrk", "redis-server", "pg_createcluster"):
        if not shutil.which(tool):
            sys.exit(f"需要 {tool}")
    load.prepare()
    redis = PrivateRedis()
    checks = []
    try:
        redis.start()
        redis_under_load(redis, checks)
        postgres_stops(checks)
    finally:
        redis.remove()
        drop_cluster()
    lines = [
        f"# 故障演练 {date.today().isoformat()}",
        "",
        "gunicorn 2 个同步 worker，整页缓存开；停止的是本脚本自己启动的 Redis（6391 端口）和 "
        "PostgreSQL 集群（5441 端口），本机的服务不会被停止。",
        "",
        "| 检查 | 结果 | 应为 |",
        "| --- | ---: | ---: |",
        *(
            f"| {label} | {value} | {'—' if want is None else want} |"
            for label, value, want in checks
        ),
    ]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{date.today().isoformat()}-faults.md").write_text(report, encoding="utf-8")
    failed = [label for label, value, want in checks if want is not None and value != want]
    if failed:
        sys.exit("故障演练未通过：" + "；".join(failed))
    print("故障演练通过。")


if __name__ == "__main__":
    main()
