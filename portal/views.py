from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import (
    FileResponse,
    Http404,
    HttpResponse,
    HttpResponsePermanentRedirect,
    HttpResponseRedirect,
    JsonResponse,
)
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_ratelimit.decorators import ratelimit

from . import preferences, renditions
from .errorreports import ErrorReportForm, issue_token, site_path
from .pagecache import cached_page
from .security import client_ip
from .uploads import RandomName, clean_image


@require_GET
def set_preference(request, name, value):
    """字号, 关怀模式 and 简/繁 links: set the cookie for a year, then go back where the reader
    was (works without JavaScript). Only an address on this site is followed back."""
    preference = preferences.PREFERENCES[name]
    if value not in preference.choices:
        raise Http404("没有这个选项")
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("portal:home")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        preference.cookie,
        value,
        max_age=preferences.COOKIE_AGE,
        samesite="Lax",
        secure=request.is_secure(),
    )
    return response


def healthz(request):
    """For load balancers and the benchmark's baseline: a fixed reply, no database, no cache."""
    return HttpResponse("ok", content_type="text/plain")


def favicon(request):
    """Browsers ask for /favicon.ico on pages without a <link rel="icon">, like the admin."""
    return HttpResponsePermanentRedirect(static("img/favicon.svg"))


@cached_page(prefs=())
def robots_txt(request):
    return render(request, "robots.txt", content_type="text/plain; charset=utf-8")


def _upload_error(message, status):
    return JsonResponse({"uploaded": 0, "error": {"message": message}}, status=status)


@require_POST
def editor_image_upload(request):
    """CKEditor's image upload: staff only, CSRF-checked, verified and re-encoded by Pillow."""
    user = request.user
    if not (user.is_active and user.is_staff and user.has_perm("articles.change_article")):
        return _upload_error("没有上传图片的权限，请重新登录管理后台。", 403)
    upload = request.FILES.get("upload")
    if upload is None:
        return _upload_error("没有收到图片文件。", 400)
    try:
        image = clean_image(upload)
    except ValidationError as error:
        return _upload_error(" ".join(error.messages), 400)
    name = default_storage.save(RandomName("editor")(None, image.name), image)
    return JsonResponse(
        {"uploaded": 1, "fileName": name.rsplit("/", 1)[-1], "url": default_storage.url(name)}
    )


@require_GET
def rendition(request, name):
    """A rendition asked for the first time (nginx serves it from disk afterwards): all of
    its image's are made, this one is sent. Only the widths the original has are made."""
    parts = renditions.original_of(name)
    size = parts and renditions.size_of(default_storage, parts[0])
    if not size or parts[1] not in renditions.widths(parts[0], size[0]):
        raise Http404("没有这个图片。")
    renditions.make(default_storage, parts[0])
    if not isinstance(default_storage, FileSystemStorage):
        return HttpResponseRedirect(default_storage.url(name))
    response = FileResponse(
        default_storage.open(name), content_type=f"image/{'webp' if parts[2] == 'webp' else 'jpeg'}"
    )
    response["Cache-Control"] = "public, max-age=31536000, immutable"
    return response


@cached_page
def site_map(request, parts):
    """网站地图 for readers: sections and sub-sections, the alliances, the feeds. Each app
    gives its part (``parts``: name → function of the request, wired in portal/urls.py)."""
    context = {name: part(request) for name, part in parts.items()}
    return render(request, "portal/site_map.html", context)


def _error_report_page(request, form, status=200, notice=""):
    return render(
        request, "portal/error_report.html", {"form": form, "notice": notice}, status=status
    )


# Not page-cached: each form carries a token of its own time (portal/errorreports.py).
@require_http_methods(["GET", "POST"])
@ratelimit(
    key=lambda group, request: client_ip(request),
    rate=lambda group, request: settings.PORTAL_ERROR_REPORT_RATE,
    method="POST",
    block=False,
)
def error_report(request):
    """网站纠错: the page address (from ?page= or the page the reader came from, only if it
    is a page of this site), a description and an optional contact, into the committee's
    queue in the admin."""
    host = request.get_host()
    if request.method == "GET":
        came_from = request.GET.get("page") or request.headers.get("Referer", "")
        initial = {"page_url": site_path(came_from, host) or "", "token": issue_token()}
        return _error_report_page(request, ErrorReportForm(initial=initial, host=host))
    form = ErrorReportForm(request.POST, host=host)
    if request.limited:
        notice = "提交太频繁了，请一小时后再试；也可以通过页面底部的联系方式告诉我们。"
        response = _error_report_page(request, _with_new_token(form), 429, notice)
        response["Retry-After"] = "3600"
        return response
    if not form.is_valid():
        return _error_report_page(request, _with_new_token(form), 400)
    form.save()
    return redirect("portal:error_report_thanks")


def _with_new_token(form):
    """The reader's form again, with a new token, so it can be corrected and sent."""
    form.data = form.data.copy()
    form.data["token"] = issue_token()
    return form


@cached_page
def error_report_thanks(request):
    return render(request, "portal/error_report_thanks.html")
