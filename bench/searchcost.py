"""What each kind of search costs in-process at a given size (uncached): p50 and p95 in ms.

    .venv/bin/python bench/searchcost.py 100000 [--runs 20]

Uses the database `dangjian_bench_<size>` made by bench/run.py (make bench). The queries are
the kinds an outside test found slow (issue 14): Latin words, one character, LIKE wildcards,
two single characters, characters whose case mapping differs between Python and PostgreSQL,
full-width forms, several words, and the common and rare Chinese words.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import env

QUERIES = [
    "党建",
    "轮值",
    "党建 联盟",
    "组织建设",
    "party",
    "1+N",
    "１＋Ｎ",
    "党",
    "%",
    "_",
    "党 建",
    "ß",
    "İ",
    "ab",
    "zzzzzz",
]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("size", type=int)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    # The per-reader limit is not what is measured here.
    overrides = {"DJANGO_ALLOWED_HOSTS": "testserver", "PORTAL_SEARCH_RATE": "100000/m"}
    os.environ.update(env(args.size, page_cache=False, **overrides))
    import django

    django.setup()
    from django.test import Client

    client = Client()
    print("| 查询 | 状态 | p50 ms | p95 ms |\n| --- | ---: | ---: | ---: |")
    for query in QUERIES:
        times, status = [], None
        client.get("/search/", {"q": query})  # warm: the process's first use of this query
        for _ in range(args.runs):
            started = time.perf_counter()
            status = client.get("/search/", {"q": query}, REMOTE_ADDR="10.9.9.9").status_code
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        print(f"| `{query}` | {status} | {statistics.median(times):.1f} | {p95:.1f} |", flush=True)


if __name__ == "__main__":
    main()
