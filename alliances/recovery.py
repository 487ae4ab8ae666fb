"""Nothing typed is lost when the login expires (登录过期) while a secretary writes.

A workspace form sent without a valid login (the session ran out, two idle hours) is not
thrown away: its fields, not its files, are kept in the browser's new, anonymous session and
the secretary is sent to the login with ``next`` = the form. Logging in keeps that session's
data (django.contrib.auth.login cycles the key), and the next GET of the same form shows
the fields as sent, with a message saying so and that photos must be chosen again.

What keeps this from being abused:
- CSRF still applies: the token is in the form and the CSRF cookie outlives the session
  (CSRF_USE_SESSIONS is off), so the expired POST passes the check and a forged one does not.
- Only the same address gets the fields back, and only once; after MAX_AGE they are dropped.
- At most MAX_BYTES are kept (a long 会议纪要 fits); a larger POST is not kept, and the
  message says so. Files are never kept.
- The form is shown only to a user who may open it: the view's own permission checks run
  before the fields are read (KeptAllianceMixin: another alliance's form is a 404).
"""

import json
import time

from django.contrib import messages
from django.http import QueryDict

SESSION_KEY = "workspace_recovered_form"
MAX_BYTES = 64 * 1024
MAX_AGE = 2 * 3600  # seconds: long enough to find the password, short on a shared computer
NOT_KEPT = {"csrfmiddlewaretoken"}


def keep(request):
    """Keep ``request``'s POST fields for its address; False if too large to keep."""
    fields = {name: request.POST.getlist(name) for name in request.POST if name not in NOT_KEPT}
    if len(json.dumps(fields, ensure_ascii=False).encode()) > MAX_BYTES:
        request.session.pop(SESSION_KEY, None)
        return False
    request.session[SESSION_KEY] = {
        "path": request.path,
        "fields": fields,
        "at": time.time(),
        "files": bool(request.FILES),
    }
    return True


def take(request):
    """The fields kept for this address as a QueryDict, taken out of the session (shown
    once), or None. Fields kept for another address stay until they expire or are replaced."""
    kept = request.session.get(SESSION_KEY)
    if not isinstance(kept, dict) or kept.get("path") != request.path:
        return None
    del request.session[SESSION_KEY]
    if time.time() - kept.get("at", 0) > MAX_AGE:
        return None
    data = QueryDict(mutable=True)
    for name, values in kept.get("fields", {}).items():
        data.setlist(name, values)
    message = "登录已过期，您填写的内容已恢复，请检查后保存。"
    if kept.get("files"):
        message += "选择的照片没有保存，请重新选择。"
    messages.warning(request, message)
    return data


class RecoverFormMixin:
    """For a workspace form view (after LoginRequiredMixin in its bases): a POST without a
    valid login keeps its fields before the redirect to the login; ``recovered()`` in the
    view's GET returns them after login (or None)."""

    def handle_no_permission(self):
        request = self.request
        # Only where a GET of the same address shows the form again (not 申请公开's POST).
        shown_again = "get" in self.http_method_names and hasattr(self, "get")
        if request.method == "POST" and not request.user.is_authenticated and shown_again:
            if keep(request):
                messages.warning(
                    request,
                    "登录已过期，请重新登录。您填写的内容已暂存，登录后会自动恢复"
                    "（照片不能暂存，登录后请重新选择）。",
                )
            else:
                messages.warning(
                    request, "登录已过期，请重新登录。填写的内容太长，未能暂存，请登录后重新填写。"
                )
        return super().handle_no_permission()

    def recovered(self):
        return take(self.request)
