"""`make load`: a bounded load test — 64 connections for 60 s on 127.0.0.1 — that must end
with 0 errors and exact view counts.

1. Creates `dangjian_bench_load` afresh on PostgreSQL with the demo content, and a
   secretary with a known password.
2. Starts gunicorn (2 sync workers, page cache on, Redis as in production, behind a TLS
   proxy as far as the client address goes).
3. Runs wrk with one connection per thread, so each thread knows which path each response
   belongs to, over a mix of pages: home, sections, articles, search, alliances, activities.
   Every request comes from a client of its own (its own X-Real-IP, the header nginx sets),
   so every article view counts: a client's repeated views of an article count once.
4. Meanwhile a secretary logs in and logs activities through the real form once a second,
   and `flush_view_counts` runs every few seconds, sometimes twice at once (overlapping).
5. Stops gunicorn gracefully (each worker sends its last views as it exits), flushes once
   more, and checks: no connection error or non-2xx/3xx response, every view of an article
   (200 responses counted by wrk) is in its 浏览量 exactly, and every activity the secretary
   saved is in the database. Writes bench/results/<date>-load.md; exits 1 on any failure.

Environment: LOAD_SECONDS=60, LOAD_CONNECTIONS=64, plus BENCH_PG / BENCH_REDIS / BENCH_PORT
as for bench/run.py. Needs wrk (Debian: apt-get install wrk).
"""

import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import urllib.parse
import urllib.request
import uuid
from datetime import date

from bench.run import PORT, PYTHON, RESULTS, ROOT, env, forget_keys, manage, psql, start_gunicorn

NAME = "load"
DATABASE = f"dangjian_bench_{NAME}"
SECONDS = int(os.environ.get("LOAD_SECONDS", "60"))
CONNECTIONS = int(os.environ.get("LOAD_CONNECTIONS", "64"))
SECRETARY = "load-secretary"
PASSWORD = f"Load-{uuid.uuid4().hex[:12]}"  # a throwaway account, throwaway DB
BASE = f"http://127.0.0.1:{PORT}"
# gunicorn as behind nginx, which sets X-Real-IP (here: wrk, a client per request); plain
# http all the same.
PROXIED = {"DJANGO_BEHIND_TLS_PROXY": "1", "DJANGO_SECURE_SSL_REDIRECT": "0"}

LUA = r"""
-- One connection per thread (-t N -c N): a thread's responses come back in the order of
-- its requests, so `current` is the path of the response being counted. Each request has
-- an address of its own (thread id, then a counter), so each article view counts.
local paths = {%(paths)s}
local threads = {}
-- globals: done() reads them from each thread with thread:get
counts = {}
sent, received = 0, 0
local position, current, number

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  position = (id * 7) %% #paths
  number = 0
  deadline = os.time() + %(seconds)d
end

function request()
  position = position %% #paths + 1
  current = paths[position]
  sent = sent + 1
  number = number + 1
  local address = string.format("fd00::%%x:%%x", id, number)
  return wrk.format("GET", current, {["X-Real-IP"] = address})
end

-- Each thread stops itself after a response once the time is up, so no request is left in
-- flight when wrk ends: every view the server counted was also counted here.
function response(status, headers, body)
  local key = current .. " " .. status
  counts[key] = (counts[key] or 0) + 1
  received = received + 1
  if os.time() >= deadline then
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("SUMMARY %%d %%d %%d %%d %%d %%d %%.3f %%.3f\n", summary.requests,
    e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
  local in_flight = 0
  for _, thread in ipairs(threads) do
    in_flight = in_flight + thread:get("sent") - thread:get("received")
    for key, n in pairs(thread:get("counts")) do
      io.write("COUNT " .. key .. " " .. n .. "\n")
    end
  end
  io.write("INFLIGHT " .. in_flight .. "\n")
end
"""

INFO = """
import json
from django.contrib.auth import get_user_model
from alliances.models import Alliance
from articles.models import Article, Category
alliance = Alliance.objects.order_by("pk").first()
user, _ = get_user_model().objects.get_or_create(username=%(user)r)
user.set_password(%(password)r)
user.save()
alliance.secretaries.add(user)
lead = alliance.memberships.filter(is_lead=True).first() or alliance.memberships.first()
print(json.dumps({
    "alliance": alliance.slug,
    "host": lead.branch_id,
    "articles": list(Article.objects.published().values_list("pk", flat=True)[:40]),
    "sections": list(Category.objects.filter(parent=None).values_list("slug", flat=True)),
}))
"""

COUNTS = """
import json
from alliances.models import Activity
from articles.models import Article
print(json.dumps({
    "views": {str(pk): n for pk, n in Article.objects.values_list("pk", "view_count")},
    "activities": Activity.objects.filter(title__startswith="压力测试").count(),
}))
"""


def shell(code, name=NAME, **overrides):
    """Run ``code`` in `manage.py shell` against database `dangjian_bench_<name>` (the load
    database unless told); its last line as JSON."""
    out = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env(name, True, **overrides),
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def prepare():
    print(f"== 建立数据库 {DATABASE} 并载入示例内容")
    psql(f'drop database if exists "{DATABASE}" with (force)')
    psql(f'create database "{DATABASE}"')
    manage(NAME, "migrate", "--noinput", quiet=True)
    manage(NAME, "load_demo", quiet=True)
    manage(NAME, "collectstatic", "--noinput", "--clear", quiet=True)
    site = env(NAME, True)
    forget_keys(site["REDIS_URL"], site["DJANGO_CACHE_PREFIX"])
    return shell(INFO % {"user": SECRETARY, "password": PASSWORD})


def paths_of(info):
    article_paths = [f"/article/{pk}/" for pk in info["articles"]]
    others = [
        "/",
        *(f"/section/{slug}/" for slug in info["sections"]),
        "/search/?q=" + urllib.parse.quote("党建"),
        "/search/?q=" + urllib.parse.quote("联盟"),
        "/alliances/",
        f"/alliances/{info['alliance']}/",
        "/alliances/activities/",
    ]
    return article_paths + others


class Secretary(threading.Thread):
    """Logs in once, then logs an activity through the real form every second."""

    def __init__(self, info, stop):
        super().__init__(daemon=True)
        self.info, self.stop = info, stop
        self.saved = self.failed = 0
        self.errors = []
        jar = http.cookiejar.CookieJar(policy=LoopbackCookiePolicy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(jar), NoRedirect()
        )

    def hidden_fields(self, path):
        """The CSRF token and one-time form token of the form at ``path``."""
        page = self.opener.open(BASE + path, timeout=30).read().decode()
        return dict(re.findall(r'name="(csrfmiddlewaretoken|form_token)" value="([^"]+)"', page))

    def submit(self, path, data):
        request = urllib.request.Request(
            BASE + path, data=urllib.parse.urlencode(data).encode(), headers={"Referer": BASE}
        )
        try:
            return self.opener.open(request, timeout=30).status
        except urllib.error.HTTPError as error:
            return error.code

    def post(self, path, fields):
        return self.submit(path, {**self.hidden_fields(path), **fields})

    def login(self):
        return self.post("/workspace/login/", {"username": SECRETARY, "password": PASSWORD})

    def activity(self, title):
        return {
            "title": title,
            "line": "practice",
            "held_on": date.today().isoformat(),
            "status": "held",
            "venue": "社区服务中心",
            "host": self.info["host"],
        }

    def run(self):
        status = self.login()
        if status != 302:
            self.errors.append(f"登录失败：HTTP {status}")
            return
        path = f"/workspace/{self.info['alliance']}/activities/new/"
        number = 0
        while not self.stop.wait(1.0):
            number += 1
            try:
                status = self.post(path, self.activity(f"压力测试活动{number}"))
            except OSError as error:
                status = str(error)
            if status == 302:
                self.saved += 1
            else:
                self.failed += 1
                self.errors.append(f"第 {number} 次登记：{status}")


class LoopbackCookiePolicy(http.cookiejar.DefaultCookiePolicy):
    """Send the site's Secure cookies over plain http to 127.0.0.1, as the TLS-terminating
    nginx in front of gunicorn would."""

    def return_ok_secure(self, cookie, request):
        return True


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

    def http_error_302(self, request, response, code, message, headers):
        return response


class Flusher(threading.Thread):
    """`flush_view_counts` every 4 s; every third time two at once, so flushes overlap."""

    def __init__(self, stop):
        super().__init__(daemon=True)
        self.stop, self.runs, self.failures = stop, 0, []

    def flush(self):
        return subprocess.Popen(
            [PYTHON, "manage.py", "flush_view_counts"],
            cwd=ROOT,
            env=env(NAME, True),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )

    def run(self):
        round_ = 0
        while not self.stop.wait(4.0):
            round_ += 1
            batch = [self.flush() for _ in range(2 if round_ % 3 == 0 else 1)]
            for process in batch:
                _, err = process.communicate()
                self.runs += 1
                if process.returncode:
                    self.failures.append(err.decode()[-500:])


def run_wrk(paths, connections=CONNECTIONS, seconds=SECONDS):
    script = LUA % {"paths": ", ".join(json.dumps(path) for path in paths), "seconds": seconds}
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        out = subprocess.run(
            [
                "wrk",
                f"-t{connections}",
                f"-c{connections}",
                f"-d{seconds + 5}s",  # a safety net: the threads stop themselves
                "--timeout",
                "10s",
                "-s",
                handle.name,
                BASE,
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    finally:
        os.unlink(handle.name)
    fields = re.search(r"^SUMMARY (.*)$", out, re.MULTILINE).group(1).split()
    requests, connect, read, write, timeout, _ = map(int, fields[:6])
    statuses = {}
    for path, code, n in re.findall(r"^COUNT (\S+) (\d+) (\d+)$", out, re.MULTILINE):
        statuses[(path, int(code))] = statuses.get((path, int(code)), 0) + int(n)
    return {
        "requests": requests,
        "socket_errors": connect + read + write + timeout,
        "p50": float(fields[6]),
        "p99": float(fields[7]),
        "statuses": statuses,
        "in_flight": int(re.search(r"^INFLIGHT (-?\d+)$", out, re.MULTILINE).group(1)),
    }


def article_views(result):
    """{article id: 200 responses} of a wrk run."""
    served = {}
    for (path, code), n in result["statuses"].items():
        if path.startswith("/article/") and code == 200:
            pk = path.split("/")[2]
            served[pk] = served.get(pk, 0) + n
    return served


def main():
    if not shutil.which("wrk"):
        sys.exit("需要 wrk：apt-get install wrk")
    info = prepare()
    paths = paths_of(info)
    before = shell(COUNTS)
    process = start_gunicorn(NAME, True, **PROXIED)
    stop = threading.Event()
    secretary, flusher = Secretary(info, stop), Flusher(stop)
    try:
        print(f"== {CONNECTIONS} 个连接 {SECONDS} 秒，{len(paths)} 个地址，并登记活动、刷新浏览量")
        secretary.start()
        flusher.start()
        result = run_wrk(paths)
        stop.set()
        secretary.join(timeout=60)
        flusher.join(timeout=60)
    finally:
        # A graceful stop: each worker sends the views it still holds as it exits.
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    manage(NAME, "flush_view_counts", quiet=True)
    after = shell(COUNTS)

    bad = {key: n for key, n in result["statuses"].items() if not 200 <= key[1] < 400}
    served = article_views(result)
    mismatched = {
        pk: (after["views"][pk] - before["views"][pk], n)
        for pk, n in served.items()
        if after["views"][pk] - before["views"][pk] != n
    }
    counted = sum(after["views"][pk] - before["views"][pk] for pk in served)
    new_activities = after["activities"] - before["activities"]
    checks = [
        ("连接错误（connect/read/write/timeout）", result["socket_errors"], 0),
        ("非 2xx/3xx 响应", sum(bad.values()), 0),
        # wrk may have made one more request in a thread just as it stopped; the view check
        # above shows whether the server served any of them.
        ("结束时 wrk 已生成而未收到响应的请求", result["in_flight"], None),
        ("浏览量与文章页 200 响应数不符的文章", len(mismatched), 0),
        ("联络员请求出错（登录或登记）", len(secretary.errors), 0),
        ("联络员一次也没有登记成功", int(secretary.saved == 0), 0),
        ("已保存但数据库中没有的活动", secretary.saved - new_activities, 0),
        ("失败的 flush_view_counts", len(flusher.failures), 0),
    ]
    lines = [
        f"# 压力测试 {date.today().isoformat()}",
        "",
        f"gunicorn 2 个同步 worker，整页缓存开，PostgreSQL + Redis；wrk {CONNECTIONS} 个连接 "
        f"{SECONDS} 秒，{len(paths)} 个地址轮流访问。",
        "",
        "| 项目 | 数值 |",
        "| --- | ---: |",
        f"| 请求总数 | {result['requests']} |",
        f"| 每秒请求 | {result['requests'] / SECONDS:.0f} |",
        f"| p50 / p99 延迟（毫秒） | {result['p50']:.1f} / {result['p99']:.1f} |",
        f"| 文章页浏览（wrk 计数） | {sum(served.values())} |",
        f"| 浏览量增加（刷新后数据库） | {counted} |",
        f"| 联络员登记活动（成功 / 失败） | {secretary.saved} / {secretary.failed} |",
        f"| 数据库新增活动 | {new_activities} |",
        f"| flush_view_counts 运行次数（含重叠） | {flusher.runs} |",
        "",
        "| 检查 | 结果 | 应为 |",
        "| --- | ---: | ---: |",
        *(
            f"| {label} | {value} | {'—' if want is None else want} |"
            for label, value, want in checks
        ),
    ]
    if bad:
        lines += ["", "非 2xx/3xx 响应：", *(f"- {p} → {c}: {n}" for (p, c), n in bad.items())]
    if mismatched:
        lines += ["", "浏览量不符（数据库增加, wrk 计数）：", f"- {mismatched}"]
    if secretary.errors or flusher.failures:
        lines += ["", "错误：", *(f"- {e}" for e in secretary.errors + flusher.failures)]
    report = "\n".join(lines) + "\n"
    print(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{date.today().isoformat()}-load.md").write_text(report, encoding="utf-8")
    failed = [label for label, value, want in checks if want is not None and value != want]
    if failed or not served:
        sys.exit("压力测试未通过：" + "；".join(failed or ["没有文章页被访问"]))
    print("压力测试通过。")


if __name__ == "__main__":
    main()
