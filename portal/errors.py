"""The site's own error pages: 400, 403, 404, 500 (503 in an outage) and the CSRF failure.

Each is rendered from its template alone, with the reader's font size and care mode from
their cookies: no context processor, session or query. So the pages render while the
database is down, and a flood of bad requests costs no more than the template. They are
sent ``no-store``: never kept by the page cache (it stores 200s only), a proxy or the
browser of a shared office computer.

Django calls ``handler500`` from inside the ``except`` block that caught the error, so the
exception is still in ``sys.exc_info()``. A lost database connection (PostgreSQL stopped,
restarting, unreachable) gets a 503 with ``Retry-After``: the reader is told to come back
shortly, and proxies and crawlers know the page is not gone. The next request opens a new
connection (``CONN_HEALTH_CHECKS``), so the site recovers by itself.
"""

import re
import sys
from urllib.parse import urlencode

from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.template import loader
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from . import preferences

RETRY_AFTER_SECONDS = 30
OUTAGE_ERRORS = (OperationalError, InterfaceError)
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def error_page(request, template, status, **context):
    context = {
        "font_size": preferences.FONT_SIZE.read(request),
        "care_mode": preferences.care_mode(request),
        **context,
    }
    response = HttpResponse(loader.render_to_string(template, context), status=status)
    response["Cache-Control"] = "no-store"
    return response


def reason(exception):
    """The message of a 403 when it was written for readers, in Chinese ("只有机关工委工作人员
    可以…"); Django's own are empty or English."""
    args = getattr(exception, "args", ())
    message = args[0] if len(args) == 1 and isinstance(args[0], str) else ""
    return message if CHINESE.search(message) else ""


def this_page(request):
    """The request's address, or the home page where it would lead off the site."""
    path = request.get_full_path()
    return path if url_has_allowed_host_and_scheme(path, allowed_hosts=None) else "/"


def login_url(request):
    """The login of the part of the site the request was for, coming back to it."""
    admin = request.path_info.startswith("/" + settings.ADMIN_URL)
    login = reverse("admin:login" if admin else "workspace:login")
    return f"{login}?{urlencode({'next': this_page(request)}, safe='/')}"


def bad_request(request, exception):
    return error_page(request, "400.html", 400)


def permission_denied(request, exception):
    return error_page(
        request, "403.html", 403, reason=reason(exception), login_url=login_url(request)
    )


def page_not_found(request, exception):
    # No message: Django's can carry the address or page number the client sent.
    return error_page(request, "404.html", 404)


def csrf_failure(request, reason=""):
    """A form sent without its CSRF token or cookie, or with an old one (CSRF_FAILURE_VIEW)."""
    return error_page(request, "csrf_failure.html", 403, back=this_page(request))


def database_unavailable():
    """True while handling an error that means "the database did not answer"."""
    return isinstance(sys.exc_info()[1], OUTAGE_ERRORS)


def server_error(request):
    if database_unavailable():
        response = error_page(request, "503.html", 503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    return error_page(request, "500.html", 500)
