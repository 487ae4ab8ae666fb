"""gunicorn settings for the portal: sync workers, logs to stdout/stderr for journald.

Every value can be overridden from the environment (GUNICORN_BIND, GUNICORN_WORKERS …),
or on the command line, which wins over this file.
"""

import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8001")
worker_class = "sync"
# Pages are mostly served from Redis; CPU is the limit: about two workers per core.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2))
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then, so no slow leak can ever grow a worker's memory for long.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = 500
# Load Django once in the master: workers share its memory pages (copy on write).
preload_app = True
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
proc_name = "dangjian"
