"""Where a page's time goes: call the WSGI application in-process, time it, profile it.

    .venv/bin/python bench/pageprofile.py 1000 /article/1/ [--uncached] [--top 30]

Uses the database `dangjian_bench_<size>` made by bench/run.py and the same settings as
the benchmark's gunicorn workers, without the network, so the figures are CPU per request.
"""

import argparse
import cProfile
import io
import os
import pstats
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import env


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("size", type=int)
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--uncached", action="store_true")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=0, help="print the N costliest functions")
    args = parser.parse_args()
    os.environ.update(env(args.size, page_cache=not args.uncached))

    from django.core.wsgi import get_wsgi_application

    application = get_wsgi_application()

    def call(path):
        route, _, query = path.partition("?")
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": route,
            "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8123",
            "HTTP_HOST": "127.0.0.1",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
        }
        status = []
        body = b"".join(application(environ, lambda s, h, *a: status.append(s)))
        return status[0], len(body)

    for path in args.paths:
        for _ in range(10):
            status, size = call(path)
        started = time.perf_counter()
        for _ in range(args.requests):
            call(path)
        each = (time.perf_counter() - started) / args.requests * 1000
        print(f"{path}: {status}, {size} bytes, {each:.2f} ms per request")
        if args.top:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(args.requests):
                call(path)
            profiler.disable()
            stats = pstats.Stats(profiler).sort_stats(os.environ.get("PROFILE_SORT", "cumulative"))
            stats.print_stats(args.top)


if __name__ == "__main__":
    main()
