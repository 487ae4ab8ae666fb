"""Smaller copies of every uploaded image, so that a phone is sent what its screen shows.

Each image is stored once as uploaded (already checked and re-encoded, portal/uploads.py)
and, beside it, at the widths the templates display — 160, 320, 640 and 1280 px, never
wider than the original — in WebP and in JPEG for browsers without WebP:

    covers/2026/12/3f2a….jpg          the original
    covers/2026/12/3f2a….320w.webp    a rendition
    covers/2026/12/3f2a….320w.jpg

The names follow from the original's name and width alone, so a page lists them without
asking the disk or the database anything; they never change, so they are cached for a year
(deploy/nginx/dangjian.conf). They are made when the original is saved (``make``), and for
images saved before renditions existed by ``manage.py make_renditions``. Animated GIFs are
served as they are.
"""

import html
import io
import posixpath
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.html import format_html, format_html_join
from PIL import Image

WIDTHS = (160, 320, 640, 1280)
FORMATS = (("webp", "WEBP", {"quality": 78, "method": 4}), ("jpg", "JPEG", {"quality": 80}))
_SKIPPED = (".gif",)


def widths(name, width):
    """The rendition widths of an original ``width`` px wide: every display width below
    it, and the original's own width (at most the largest) as the last."""
    if not name or not width or name.lower().endswith(_SKIPPED):
        return []
    return [w for w in WIDTHS[:-1] if w < width] + [min(width, WIDTHS[-1])]


def rendition_name(name, width, extension):
    stem, _ = posixpath.splitext(name)
    return f"{stem}.{width}w.{extension}"


def make(storage, name):
    """Write the renditions of the stored image ``name`` that are missing; return its
    (width, height), or None when the file cannot be read as an image."""
    try:
        with storage.open(name, "rb") as original, Image.open(original) as image:
            size = image.size
            pending = [
                (width, extension, pillow_format, options)
                for width in widths(name, size[0])
                for extension, pillow_format, options in FORMATS
                if not storage.exists(rendition_name(name, width, extension))
            ]
            if pending:
                _write(storage, name, image, pending)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None
    return size


def _write(storage, name, image, pending):
    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    flat = _flatten(image)
    for width, extension, pillow_format, options in pending:
        source = image if pillow_format == "WEBP" else flat
        height = max(round(image.height * width / image.width), 1)
        out = io.BytesIO()
        source.resize((width, height), Image.LANCZOS).save(out, pillow_format, **options)
        storage.save(rendition_name(name, width, extension), ContentFile(out.getvalue()))


def delete(storage, name):
    try:
        with storage.open(name, "rb") as original, Image.open(original) as image:
            width = image.width
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        width = None
    for size in {*WIDTHS, *widths(name, width)}:
        for extension, _, _ in FORMATS:
            storage.delete(rendition_name(name, size, extension))


def _flatten(image):
    """RGB for JPEG: transparency on white."""
    if image.mode != "RGBA":
        return image
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def srcset(storage, name, width, extension):
    return ", ".join(
        f"{storage.url(rendition_name(name, w, extension))} {w}w" for w in widths(name, width)
    )


def picture(storage, name, width, height, *, sizes, alt, lazy=True, priority=False, shown=None):
    """A ``<picture>`` of the stored image ``name``: WebP renditions, JPEG ones as
    fallback, and the original's ``width``/``height`` (or ``shown``, a size the editor
    set) so that the page is laid out before the image arrives."""
    shown_width, shown_height = shown or (width, height)
    attributes = format_html_join(
        "",
        ' {}="{}"',
        (
            (key, value)
            for key, value in (
                ("alt", alt),
                ("width", shown_width),
                ("height", shown_height),
                ("loading", "lazy" if lazy and not priority else None),
                ("fetchpriority", "high" if priority else None),
            )
            if value is not None
        ),
    )
    if not widths(name, width):
        return format_html('<img src="{}"{}>', storage.url(name), attributes)
    return format_html(
        '<picture><source type="image/webp" srcset="{}" sizes="{}">'
        '<img src="{}" srcset="{}" sizes="{}"{}></picture>',
        srcset(storage, name, width, "webp"),
        sizes,
        storage.url(name),
        srcset(storage, name, width, "jpg"),
        sizes,
        attributes,
    )


def media_name(src):
    """The storage name of a file of our own media addressed by ``src``, else None."""
    prefix = settings.MEDIA_URL
    if not src.startswith(prefix) or ".." in src or "?" in src or "#" in src:
        return None
    return src[len(prefix) :]


def fill_sizes(model, field, width_field, height_field):
    """For a migration: the sizes and renditions of the images stored before they were kept,
    one read per distinct file."""
    names = (
        model.objects.exclude(**{field: ""})
        .filter(**{f"{width_field}__isnull": True})
        .values_list(field, flat=True)
        .distinct()
    )
    for name in names.iterator():
        size = make(default_storage, name)
        if size:
            model.objects.filter(**{field: name}).update(
                **{width_field: size[0], height_field: size[1]}
            )


BODY_SIZES = "(max-width: 760px) 100vw, 760px"
_IMG = re.compile(r"<img ([^>]*)>")
_ATTRIBUTE = re.compile(r'([a-z]+)="([^"]*)"')
_RENDITION = re.compile(r"\.\d+w\.(webp|jpg)$")


def in_body(sanitised):
    """The images of our own media in a sanitised body, as ``<picture>`` with renditions
    and their size. Called after the sanitiser on every save; the sanitiser removes what
    this adds, so that sanitising twice gives the same."""
    return _IMG.sub(_body_image, sanitised)


def _body_image(match):
    attributes = dict(_ATTRIBUTE.findall(match.group(1)))
    name = media_name(html.unescape(attributes.get("src", "")))
    size = make(default_storage, name) if name and not _RENDITION.search(name) else None
    if not size:
        return match.group(0)
    shown = (attributes.get("width", ""), attributes.get("height", ""))
    return picture(
        default_storage,
        name,
        *size,
        sizes=BODY_SIZES,
        alt=html.unescape(attributes.get("alt", "")),
        shown=shown if all(value.isdigit() for value in shown) else None,
    )
