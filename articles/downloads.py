"""Attachments are downloaded through the site, never straight from /media/: only while the
article is one readers may see (``Article.objects.published()``), or by staff who may
preview it. A withdrawn notice's attachments go with it.

With ``PORTAL_X_ACCEL_REDIRECT`` set (production), the view only checks and names the file,
and nginx sends it from an internal location (deploy/nginx/dangjian.conf); without it
(development, tests, S3 storage) Django streams the file.
"""

import mimetypes
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.cache import patch_cache_control
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_safe

from .models import Article, Attachment
from .views import can_preview


def attachments_for(user):
    """The attachments ``user`` may download."""
    if can_preview(user):
        return Attachment.objects.all()
    return Attachment.objects.filter(article__in=Article.objects.published())


@require_safe
def attachment(request, article, pk):
    # article__pk, not article=: only a lookup on the id field itself treats an id beyond
    # the column's range as no match instead of an error.
    found = get_object_or_404(attachments_for(request.user), pk=pk, article__pk=article)
    return file_response(found)


@require_safe
def old_address(request, name):
    """/media/attachments/… as older pages and article bodies link it: on to the download."""
    if "\x00" in name:  # no stored name has one, and PostgreSQL refuses it in a query
        raise Http404("附件不存在")
    found = get_object_or_404(attachments_for(request.user), file=f"{Attachment.FOLDER}/{name}")
    return redirect(found, permanent=True)


def file_response(attachment):
    filename = attachment.download_name
    if settings.PORTAL_X_ACCEL_REDIRECT:
        content_type = mimetypes.guess_type(filename)[0] or "application/octet-stream"
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = settings.PORTAL_X_ACCEL_REDIRECT + quote(
            attachment.file.name
        )
        response["Content-Disposition"] = content_disposition_header(True, filename)
    else:
        try:
            file = attachment.file.open("rb")
        except FileNotFoundError as error:
            raise Http404("附件文件已不存在") from error
        response = FileResponse(file, as_attachment=True, filename=filename)
    # No shared cache may keep it: the article can be withdrawn.
    patch_cache_control(response, private=True)
    return response
