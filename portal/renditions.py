"""Smaller copies of every uploaded image, so that a phone is sent what its screen shows.

Each image is stored once as uploaded (already checked and re-encoded, portal/uploads.py)
and, beside it, at the widths pages display — 160, 320, 480, 720, 960 and 1280 px, never
wider than the original — in WebP and in JPEG for browsers without WebP. The widths sit
near the boxes pages draw (thumbnails 64–170 px, a headline or cover about 700 px on a
desktop, 100 % of a phone at 2–3 pixels per point): Lighthouse found a 1280 px file sent to
a 690 px box.

    covers/2026/12/3f2a….jpg              the original
    covers/2026/12/3f2a….jpg.720w.webp    a rendition
    covers/2026/12/3f2a….jpg.720w.jpg

The names follow from the original's name and width alone, so a page lists them without
asking the disk or the database anything; they never change, so they are cached for a year
(deploy/nginx/dangjian.conf). They are made on first use: nginx serves those on disk and
hands a missing one to the app (portal/views.py ``rendition``), which makes all of that
image's (``make``) — not at upload, where ten phone photos would have taken twice the
3 s a request may. Animated GIFs are served as they are.
"""

import html
import io
import re

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils.html import escape
from django.utils.safestring import mark_safe

WIDTHS = (160, 320, 480, 720, 960, 1280)
_RENDITION = re.compile(r"(?P<original>.+)\.(?P<width>\d+)w\.(?P<extension>webp|jpg)")
FORMATS = (("webp", "WEBP", {"quality": 78, "method": 4}), ("jpg", "JPEG", {"quality": 80}))
_SKIPPED = (".gif",)


def widths(name, width):
    """The rendition widths of an original ``width`` px wide: every display width below
    it, and the original's own width (at most the largest) as the last."""
    if not name or not width or name.lower().endswith(_SKIPPED):
        return []
    return [w for w in WIDTHS[:-1] if w < width] + [min(width, WIDTHS[-1])]


def rendition_name(name, width, extension):
    return f"{name}.{width}w.{extension}"


def original_of(rendition):
    """(original name, width, extension) of a rendition's name, or None."""
    match = _RENDITION.fullmatch(rendition)
    if not match or ".." in rendition.split("/"):
        return None
    return match["original"], int(match["width"]), match["extension"]


def size_of(storage, name):
    """(width, height) of a stored image from its header, or None."""
    from PIL import Image  # imported on first use: a reader's worker never needs it

    try:
        with storage.open(name, "rb") as original, Image.open(original) as image:
            return image.size
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None


def make(storage, name):
    """Write the renditions of the stored image ``name`` that are missing; return its
    (width, height), or None when the file cannot be read as an image."""
    from PIL import Image

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
    """Each width is scaled from the next larger one, widest first: half the CPU of scaling
    every one from the original (0.45 s against 0.71 s for a 2000 px photograph)."""
    from PIL import Image

    if image.mode not in ("RGB", "RGBA", "L"):
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    source = image
    for width in sorted({width for width, *_ in pending}, reverse=True):
        height = max(round(image.height * width / image.width), 1)
        source = source.resize((width, height), Image.LANCZOS)
        for size, extension, pillow_format, options in pending:
            if size == width:
                out = io.BytesIO()
                copy = source if pillow_format == "WEBP" else _flatten(source)
                copy.save(out, pillow_format, **options)
                storage.save(rendition_name(name, width, extension), ContentFile(out.getvalue()))


def delete(storage, name):
    width = (size_of(storage, name) or (None,))[0]
    for size in {*WIDTHS, *widths(name, width)}:
        for extension, _, _ in FORMATS:
            storage.delete(rendition_name(name, size, extension))


def _flatten(image):
    """RGB for JPEG: transparency on white."""
    from PIL import Image

    if image.mode != "RGBA":
        return image
    flat = Image.new("RGB", image.size, "white")
    flat.paste(image, mask=image.getchannel("A"))
    return flat


def base_url(storage, name):
    """The address a rendition's suffix (``.720w.webp``) is added to: the original's on this
    host's disk, where nginx hands a missing rendition to the app; the app's with other
    storage (S3), which makes a missing one and redirects to the storage."""
    if isinstance(storage, FileSystemStorage):
        return storage.url(name)
    return f"/{settings.MEDIA_URL.strip('/')}/{name}"


def srcset(base, name, width, extension):
    return ", ".join(f"{rendition_name(base, w, extension)} {w}w" for w in widths(name, width))


def picture(storage, name, width, height, *, sizes, alt, lazy=True, priority=False, shown=None):
    """A ``<picture>`` of the stored image ``name``: WebP renditions, JPEG ones as
    fallback, and the original's ``width``/``height`` (or ``shown``, a size the editor
    set) so that the page is laid out before the image arrives.

    Written with one escape per value rather than format_html: the home page draws nine,
    and format_html's per-argument work was a fifth of its rendering (2026-12-07)."""
    shown_width, shown_height = shown or (width, height)
    attributes = f' alt="{escape(alt)}"'
    if shown_width and shown_height:
        attributes += f' width="{int(shown_width)}" height="{int(shown_height)}"'
    if priority:
        attributes += ' fetchpriority="high"'
    elif lazy:
        attributes += ' loading="lazy"'
    src = escape(storage.url(name))
    if not widths(name, width):
        return mark_safe(f'<img src="{src}"{attributes}>')  # noqa: S308 - escaped above
    base, sizes = escape(base_url(storage, name)), escape(sizes)
    return mark_safe(  # noqa: S308 - every value escaped above
        f'<picture><source type="image/webp" srcset="{srcset(base, name, width, "webp")}"'
        f' sizes="{sizes}"><img src="{src}" srcset="{srcset(base, name, width, "jpg")}"'
        f' sizes="{sizes}"{attributes}></picture>'
    )


def media_name(src):
    """The storage name of a file of our own media addressed by ``src``, else None."""
    prefix = settings.MEDIA_URL
    if not src.startswith(prefix) or ".." in src or "?" in src or "#" in src:
        return None
    return src[len(prefix) :]


def fill_sizes(model, field, width_field, height_field):
    """For a migration: the sizes of the images stored before they were kept, one read of a
    header per distinct file."""
    names = (
        model.objects.exclude(**{field: ""})
        .filter(**{f"{width_field}__isnull": True})
        .values_list(field, flat=True)
        .distinct()
    )
    for name in names.iterator():
        size = size_of(default_storage, name)
        if size:
            model.objects.filter(**{field: name}).update(
                **{width_field: size[0], height_field: size[1]}
            )


BODY_SIZES = "(max-width: 760px) 100vw, 760px"
_IMG = re.compile(r"<img ([^>]*)>")
_ATTRIBUTE = re.compile(r'([a-z]+)="([^"]*)"')


def in_body(sanitised):
    """The images of our own media in a sanitised body, as ``<picture>`` with renditions
    and their size (read from the file's header). Called after the sanitiser on every save;
    the sanitiser removes what this adds, so that sanitising twice gives the same."""
    return _IMG.sub(_body_image, sanitised)


def _body_image(match):
    attributes = dict(_ATTRIBUTE.findall(match.group(1)))
    name = media_name(html.unescape(attributes.get("src", "")))
    size = size_of(default_storage, name) if name and not original_of(name) else None
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
