"""`make lighthouse`: Lighthouse (mobile and desktop) on the demo site as production serves
it — nginx with deploy/nginx/dangjian.conf (TLS, HTTP/2, gzip, media and static files) in
front of gunicorn, PostgreSQL and Redis.

1. Creates `dangjian_bench_lighthouse` afresh with the demo content, collects static files.
2. Starts gunicorn, and nginx on 127.0.0.1:8443 with the shipped config, in which only the
   addresses, the certificate (a throwaway self-signed one) and the folders are replaced.
3. Runs Lighthouse (npm, installed into .cache/lighthouse) with Debian's Chromium on the
   five pages of issue 17: home, section, article with a cover, alliance directory and an
   alliance page; LIGHTHOUSE_RUNS times each (default 3), the median score kept.
4. Writes bench/results/<date>-lighthouse.md; exits 1 when a mobile score is below 95 or an
   image audit (uses-responsive-images, unsized-images, modern-image-formats) fails.

Needs root (nginx), npm, chromium and nginx (Debian: apt-get install chromium nginx-light).
"""

import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from bench.load import shell
from bench.run import RESULTS, ROOT, env, forget_keys, manage, psql, start_gunicorn

NAME = "lighthouse"
DATABASE = f"dangjian_bench_{NAME}"
RUNS = int(os.environ.get("LIGHTHOUSE_RUNS", "3"))
HTTPS_PORT = 8443
CACHE = ROOT / ".cache" / "lighthouse"
MEDIA = ROOT / "bench" / ".media-lighthouse"
STATIC = ROOT / "bench" / ".static"
IMAGE_AUDITS = ("uses-responsive-images", "unsized-images", "modern-image-formats")
MOBILE_TARGET = 95
CHROME_FLAGS = "--headless --no-sandbox --disable-gpu --disable-background-networking"
SITE = {"MEDIA_ROOT": str(MEDIA), "DJANGO_BEHIND_TLS_PROXY": "1"}

PAGES = """
import json
from django.urls import reverse
from alliances.models import Alliance
from articles.models import Article, Category
article = Article.objects.published().filter(kind="news").exclude(cover="").first()
print(json.dumps({
    "首页": reverse("portal:home"),
    "栏目": Category.objects.filter(parent=None).first().get_absolute_url(),
    "文章（有封面）": article.get_absolute_url(),
    "联盟目录": reverse("alliances:directory"),
    "联盟页": Alliance.objects.filter(status="active").first().get_absolute_url(),
}))
"""


def lighthouse_binary():
    binary = CACHE / "node_modules" / ".bin" / "lighthouse"
    if not binary.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        print("== npm install lighthouse@12")
        subprocess.run(["npm", "install", "--silent", "lighthouse@12"], cwd=CACHE, check=True)
    return binary


def prepare():
    print(f"== 建立数据库 {DATABASE} 并载入示例内容")
    psql(f'drop database if exists "{DATABASE}" with (force)')
    psql(f'create database "{DATABASE}"')
    shutil.rmtree(MEDIA, ignore_errors=True)
    manage(NAME, "migrate", "--noinput", quiet=True, **SITE)
    manage(NAME, "load_demo", quiet=True, **SITE)
    manage(NAME, "collectstatic", "--noinput", "--clear", quiet=True, **SITE)
    site = env(NAME, True)
    forget_keys(site["REDIS_URL"], site["DJANGO_CACHE_PREFIX"])
    return shell(PAGES, name=NAME, **SITE)


def nginx_config(folder, app_port):
    """The shipped config with only addresses, certificate and folders replaced."""
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"),
            *("-subj", "/CN=127.0.0.1", "-keyout", folder / "key.pem", "-out", folder / "cert.pem"),
        ],
        check=True,
        capture_output=True,
    )
    site = (ROOT / "deploy" / "nginx" / "dangjian.conf").read_text()
    for old, new in (
        ("server 127.0.0.1:8001;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", "listen 127.0.0.1:8080;"),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{HTTPS_PORT} ssl http2;"),
        ("/etc/ssl/dangjian/fullchain.pem", str(folder / "cert.pem")),
        ("/etc/ssl/dangjian/privkey.pem", str(folder / "key.pem")),
        ("/srv/dangjian/media/", f"{MEDIA}/"),
        ("/srv/dangjian/staticfiles/", f"{STATIC}/"),
    ):
        if old not in site:
            sys.exit(f"deploy/nginx/dangjian.conf 中找不到“{old}”，请更新 bench/lighthouse.py")
        site = site.replace(old, new)
    (folder / "site.conf").write_text(site)
    config = folder / "nginx.conf"
    config.write_text(
        f"user root;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events {}\nhttp {\n  include /etc/nginx/mime.types;\n  access_log off;\n"
        f"  include {folder}/site.conf;\n}}\n"
    )
    return config


def run_lighthouse(binary, url, preset, folder):
    out = folder / f"report-{len(list(folder.glob('report-*')))}.json"
    for attempt in (1, 2):  # Chromium now and then fails to record the trace (NO_NAVSTART)
        done = subprocess.run(
            [
                binary,
                url,
                "--quiet",
                "--only-categories=performance",
                "--output=json",
                f"--output-path={out}",
                f"--chrome-flags={CHROME_FLAGS} --ignore-certificate-errors",
                *(["--preset=desktop"] if preset == "desktop" else []),
            ],
            check=attempt == 2,
            env={**os.environ, "CHROME_PATH": shutil.which("chromium") or ""},
        )
        if done.returncode == 0:
            break
    report = json.loads(out.read_text())
    audits = report["audits"]
    images = sum(
        item.get("transferSize", 0)
        for item in audits["network-requests"]["details"]["items"]
        if item.get("resourceType") == "Image"
    )
    return {
        "score": round(report["categories"]["performance"]["score"] * 100),
        "lcp": audits["largest-contentful-paint"]["numericValue"],
        "tbt": audits["total-blocking-time"]["numericValue"],
        "cls": audits["cumulative-layout-shift"]["numericValue"],
        "images": images,
        "failed": [
            f"{name}（{', '.join(wasted(audits[name]))}）"
            for name in IMAGE_AUDITS
            if (audits[name].get("score") or 1) < 1
        ],
    }


def wasted(audit):
    """What an image audit holds against the page: each image and the bytes it would save."""
    return [
        f"{item['url'].rsplit('/', 1)[-1]} 可省 {item.get('wastedBytes', 0) / 1024:.1f} KB"
        for item in audit.get("details", {}).get("items", [])
    ]


def median_run(runs):
    runs = sorted(runs, key=lambda run: run["score"])
    return runs[len(runs) // 2]


def main():
    for tool in ("nginx", "chromium", "npm", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"需要 {tool}（Debian：apt-get install chromium nginx-light npm openssl）")
    binary = lighthouse_binary()
    pages = prepare()
    process = start_gunicorn(NAME, True, **SITE)
    folder = Path(tempfile.mkdtemp(prefix="dangjian-lighthouse-"))
    config = nginx_config(folder, os.environ.get("BENCH_PORT", "8123"))
    subprocess.run(["nginx", "-c", config], check=True)
    results = {}
    try:
        for label, path in pages.items():
            for preset in ("mobile", "desktop"):
                url = f"https://127.0.0.1:{HTTPS_PORT}{path}"
                runs = [run_lighthouse(binary, url, preset, folder) for _ in range(RUNS)]
                results[label, preset] = median_run(runs) | {
                    "scores": [run["score"] for run in runs]
                }
                print(f"{label} {preset}: {results[label, preset]['scores']}")
    finally:
        subprocess.run(["nginx", "-c", config, "-s", "stop"], check=False)
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    write_report(pages, results)
    failed = [
        key
        for key, run in results.items()
        if run["failed"] or (key[1] == "mobile" and run["score"] < MOBILE_TARGET)
    ]
    if failed:
        sys.exit(f"未达到目标：{failed}")


def write_report(pages, results):
    chromium = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout
    version = json.loads((CACHE / "node_modules" / "lighthouse" / "package.json").read_text())
    lines = [
        f"# Lighthouse {date.today().isoformat()}（演示数据）",
        "",
        f"Lighthouse {version['version']}，{chromium.strip()}，无头模式；"
        "nginx（deploy/nginx/dangjian.conf，TLS、HTTP/2、gzip）+ gunicorn 2 个 worker"
        " + PostgreSQL + Redis，整页缓存开（生产默认）。"
        f"每页每种设备运行 {RUNS} 次，表中为分数居中的一次；“各次分数”列出全部。"
        "手机为 Lighthouse 默认的模拟（Moto G Power，慢速 4G 节流），电脑为 `--preset=desktop`。",
        "",
        "| 页面 | 设备 | 性能分 | 各次分数 | LCP ms | TBT ms | CLS | 图片字节 | 未通过的图片审计 |",
        "| --- | --- | ---: | --- | ---: | ---: | ---: | ---: | --- |",
    ]
    for label in pages:
        for preset in ("mobile", "desktop"):
            run = results[label, preset]
            lines.append(
                f"| {label} | {'手机' if preset == 'mobile' else '电脑'} | {run['score']} | "
                f"{', '.join(map(str, run['scores']))} | {run['lcp']:.0f} | {run['tbt']:.0f} | "
                f"{run['cls']:.3f} | {run['images'] / 1024:.1f} KB | "
                f"{', '.join(run['failed']) or '无'} |"
            )
    mobile = [results[label, "mobile"]["score"] for label in pages]
    lines += [
        "",
        f"手机性能分最低 {min(mobile)}，中位数 {statistics.median(mobile)}"
        f"（目标每页 ≥ {MOBILE_TARGET}）。",
        "",
    ]
    path = RESULTS / f"{date.today().isoformat()}-lighthouse.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    print(f"== 结果写入 {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
