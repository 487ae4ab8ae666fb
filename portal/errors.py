"""The 500 handler, which tells a database outage apart from a bug.

Django calls ``handler500`` from inside the ``except`` block that caught the error, so the
exception is still in ``sys.exc_info()``. A lost database connection (PostgreSQL stopped,
restarting, unreachable) gets a 503 in Chinese with ``Retry-After``: the reader is told to
come back shortly, and proxies and crawlers know the page is not gone. Nothing here touches
the database, so the page renders while it is down; the next request opens a new
connection (``CONN_HEALTH_CHECKS``), so the site recovers by itself.
"""

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponseServerError
from django.template import loader

RETRY_AFTER_SECONDS = 30
OUTAGE_ERRORS = (OperationalError, InterfaceError)


def database_unavailable():
    """True while handling an error that means "the database did not answer"."""
    return isinstance(sys.exc_info()[1], OUTAGE_ERRORS)


def server_error(request):
    if database_unavailable():
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        response["Cache-Control"] = "no-store"
        return response
    return HttpResponseServerError(loader.render_to_string("500.html"))
