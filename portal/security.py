"""The site's Content-Security-Policy, password rule and login lockout page.

The strict policy of ``settings.CONTENT_SECURITY_POLICY`` covers every page. CKEditor 4 cannot
live under it: its toolbar and dialogs are HTML strings with inline event handlers
(``onclick="return CKEDITOR.tools.callFunction(…)"``) and ``javascript:void(0)`` links, it
adds ``<style>`` elements and style attributes, previews an uploading image as a ``data:`` URL,
and writes an inline ``<script>`` into its editing iframe (it never calls ``eval`` or
``new Function``: no page needs ``'unsafe-eval'``). So the admin pages that load the editor
(the change forms with a rich-text field) get ``EDITOR_POLICY`` added to the strict policy.
Every other page keeps it, the admin's login, lists and other forms included: Django's admin
templates have no inline code (simple_history's history page has one inline style, a
paginator border, which the browser drops). The workspace's forms load no editor script:
their rich-text fields are plain text boxes there.

Also here: the password rule of 等级保护, the page django-axes shows a locked-out login, the
reader's address as the site trusts it, and the pages no browser may keep.
"""

import re

from axes.helpers import get_client_username
from csp.constants import UNSAFE_INLINE
from csp.middleware import CSPMiddleware
from django.conf import settings
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers

EDITOR_POLICY = {
    "script-src": [UNSAFE_INLINE],
    "style-src": [UNSAFE_INLINE],
    "img-src": ["data:"],
}

# django-ckeditor's loader script, present exactly on the pages that start an editor.
EDITOR_SCRIPT = b'id="ckeditor-init-script"'


def shows_editor(request, response):
    return (
        request.path_info.startswith("/" + settings.ADMIN_URL)
        and not response.streaming
        and EDITOR_SCRIPT in response.content
    )


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's middleware, with the editor's additions on the admin pages that show it."""

    def get_policy_parts(self, request, response, report_only=False):
        parts = super().get_policy_parts(request, response, report_only)
        if parts.update is None and shows_editor(request, response):
            parts.update = EDITOR_POLICY
        return parts


CHARACTER_CLASSES = [
    ("小写字母", re.compile(r"[a-z]")),
    ("大写字母", re.compile(r"[A-Z]")),
    ("数字", re.compile(r"[0-9]")),
    ("符号", re.compile(r"[^a-zA-Z0-9]")),
]


class CharacterClassesValidator:
    """A password mixes at least ``min_classes`` of lower case, upper case, digits, symbols.

    The common reading of GB/T 22239 (等级保护) for government systems: three of the four.
    """

    def __init__(self, min_classes=3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        used = sum(1 for _, pattern in CHARACTER_CLASSES if pattern.search(password))
        if used < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_uniform")

    def get_help_text(self):
        names = "、".join(name for name, _ in CHARACTER_CLASSES)
        return f"密码须包含{names}中的至少 {self.min_classes} 种。"


def lockout_response(request, original_response=None, credentials=None):
    """django-axes' answer to a locked-out login (admin or workspace): 429 and a Chinese page."""
    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": settings.AXES_FAILURE_LIMIT,
        "minutes": minutes,
    }
    response = render(request, "security/lockout.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def client_ip(request):
    """The reader's address: REMOTE_ADDR, or behind the TLS proxy the header nginx sets (the
    one django-axes trusts); a client-sent header is never believed without the proxy."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.BEHIND_TLS_PROXY:
        return request.META.get(settings.AXES_IPWARE_META_PRECEDENCE_ORDER[0]) or address
    return address


class ExtendStaffSessionsMiddleware:
    """Save a logged-in user's session on every request, so the idle limit counts from the
    last click. Only theirs: an unknown or empty session is never written."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated:
            request.session.modified = True
        return self.get_response(request)


class NoStoreMiddleware:
    """Nothing under ``PORTAL_NO_STORE_PATHS`` (the workspace) stays in a browser's cache:
    secretaries share office computers, and the next person at the desk must find neither a
    page nor a downloaded ledger there, nor behind the back button. Every response — pages,
    workbooks, redirects, errors — gets the headers of Django's ``never_cache``, unless it
    already says ``no-store`` (the error pages of portal/errors.py)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.paths = tuple(settings.PORTAL_NO_STORE_PATHS)

    def __call__(self, request):
        response = self.get_response(request)
        stored = "no-store" not in response.get("Cache-Control", "")
        if stored and request.path_info.startswith(self.paths):
            add_never_cache_headers(response)
        return response
