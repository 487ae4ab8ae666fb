"""A cached section page while 8 clients flood the search with queries no index answers.

    .venv/bin/python bench/searchflood.py 100000 [RATE ...]

The outside test of issue 14 found that 8 such clients pushed a cached section page from
2–10 ms to 7 s. This starts gunicorn (2 workers, page cache on) on the benchmark database,
measures the section page alone, then again while a second wrk sends a new Latin or
one-character query with every request (each a new page, so the page cache cannot help),
and prints both, with what the flood itself got back.
"""

import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.run import PORT, REDIS, SECONDS, forget_keys, start_gunicorn, wrk

# Eight clients (X-Real-IP, trusted behind the proxy), each query a page of its own.
FLOOD = r"""
local words = {"party", "%25", "_", "ab", "abc", "xyz", "1%2B", "..."}
local n = 0
request = function()
  n = n + 1
  local headers = {["X-Real-IP"] = "10.0.0." .. (n % 8)}
  local path = "/search/?q=" .. words[(n % #words) + 1] .. "&page=" .. n
  return wrk.format("GET", path, headers)
end
done = function(summary, latency, requests)
  io.write(string.format(
    "FLOOD %d answered, %d of them not 2xx, %d timed out (> 2 s), p50 %.1f ms\n",
    summary.requests, summary.errors.status, summary.errors.timeout,
    latency:percentile(50) / 1000))
end
"""
PROXIED = {"DJANGO_BEHIND_TLS_PROXY": "1", "DJANGO_SECURE_SSL_REDIRECT": "0"}


def measure(size, rate):
    """The section page alone, then during the flood, with search limited to ``rate`` a client."""
    forget_keys(REDIS, f"bench{size}")  # no page of an earlier run answers for this one
    process = start_gunicorn(size, page_cache=True, PORTAL_SEARCH_RATE=rate, **PROXIED)
    try:
        alone = wrk("/section/jcdj/", connections=2)
        with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
            script.write(FLOOD)
        flood_out = {}

        def flood():
            flood_out["text"] = subprocess.run(
                [
                    "wrk",
                    "-t2",
                    "-c8",
                    f"-d{SECONDS + 4}s",
                    "-s",
                    script.name,
                    f"http://127.0.0.1:{PORT}/",
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout

        thread = threading.Thread(target=flood)
        thread.start()
        flooded = wrk("/section/jcdj/", connections=2)
        thread.join()
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    summary = re.search(r"^FLOOD .*$", flood_out.get("text", ""), re.MULTILINE)
    print(f"search limited to {rate} a client:")
    for name, result in (("alone", alone), ("during the flood", flooded)):
        print(
            f"  section page {name}: {result['rps']:.0f} rps, p50 {result['p50']:.1f} ms,"
            f" p95 {result['p95']:.1f} ms, {result['errors']} errors or timeouts (> 2 s)"
        )
    print("  " + (summary[0] if summary else "flood: no summary"))


def main():
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 100000
    # As deployed, then with the limit out of the way: what the indexes and the timeout do alone.
    for rate in sys.argv[2:] or ["30/m", "100000/m"]:
        measure(size, rate)


if __name__ == "__main__":
    main()
