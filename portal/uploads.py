"""Every uploaded file passes through here: images, attachments and videos.

Images are checked for type, structure and pixel count before decoding, with a budget for
all the images of one request, then re-encoded by Pillow — which drops EXIF (GPS included),
trailing polyglot payloads and anything else that is not pixels. Other files must carry the
signature of their extension. Every stored name is random, so an upload can neither guess
nor overwrite another file.
"""

import contextlib
import io
import uuid
import warnings
import zipfile
from contextvars import ContextVar
from itertools import islice
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.signals import request_finished, request_started
from django.db import models
from django.db.models.fields.files import ImageFieldFile
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible

from portal import renditions

IMAGE_FORMATS = {"JPEG": "jpg", "MPO": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
_OPENED_AS = ["JPEG", "PNG", "WEBP", "GIF"]  # Pillow's JPEG opener answers MPO for phone photos
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
# Longer photos are stored scaled down. Pages show them 1280 wide at most; at 2000 a
# 12-megapixel phone photo (4000×3000) is decoded at half scale to exactly what is stored.
MAX_IMAGE_SIDE = 2000
MAX_GIF_FRAMES = 200
# libjpeg decodes every scan of a progressive JPEG over the whole picture; encoders write 3-12.
MAX_JPEG_SCANS = 100
# Pillow reads PNG chunks, JPEG markers and GIF blocks one by one in Python: a 10 MB file of
# tiny ones kept it busy for seconds. Real files: a 10 MB PNG in 8 KB chunks has 1,300, a
# JPEG a few dozen markers, a 10 MB GIF in 255-byte blocks 41,000.
MAX_PARTS = {"PNG": 4_000, "JPEG": 2_000, "GIF": 60_000}
# The work of one image, counted in pixels: every decoded pixel (each frame of a GIF; a
# JPEG at the scale it is decoded at), plus, for the formats whose decoding slows down with
# detail, so many per byte of the file. Measured on flat colour, photographs and noise in
# each format and shape: 10-40 ms of CPU per million, whatever the content
# (PORTAL_MAX_REQUEST_PIXELS is the budget). A JPEG decoded at 1/8 still reads all its bytes.
PIXELS_PER_BYTE = {"PNG": 2, "WEBP": 4, "JPEG": 1 / 3, "progressive JPEG": 1}
GIF_FRAME_WEIGHT = 2  # each frame is composed on the whole canvas, then diffed to re-encode
# A 12-megapixel phone photo of 4 MB, as counted: what secretaries upload, 6-10 at a time.
PHONE_PHOTO_WORK = 2000 * 1500 + 4_000_000 // 3

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"
_OOXML_PARTS = {".docx": "word/", ".xlsx": "xl/", ".pptx": "ppt/"}
ATTACHMENT_SIGNATURES = {
    ".pdf": (b"%PDF-",),
    ".doc": (_OLE,),
    ".xls": (_OLE,),
    ".ppt": (_OLE,),
    ".wps": (_OLE,),
    ".et": (_OLE,),
    ".docx": (_ZIP,),
    ".xlsx": (_ZIP,),
    ".pptx": (_ZIP,),
}
ATTACHMENT_EXTENSIONS = set(ATTACHMENT_SIGNATURES) | IMAGE_EXTENSIONS
VIDEO_EXTENSIONS = {".mp4", ".webm"}

_IMAGE_DECODE_ERRORS = (  # PIL's UnidentifiedImageError is an OSError
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    IndexError,
    TypeError,
)


@deconstructible
class RandomName:
    """``upload_to`` that keeps only a known extension and a random name."""

    def __init__(self, folder):
        self.folder = folder

    def __call__(self, instance, filename):
        suffix = Path(filename).suffix.lower()
        suffix = suffix if suffix.isascii() and len(suffix) <= 6 else ""
        return f"{self.folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"

    def __eq__(self, other):
        return isinstance(other, RandomName) and other.folder == self.folder


def _too_large(upload, limit, what):
    if upload.size > limit:
        raise ValidationError(
            "%(what)s不能超过 %(limit)s，当前文件为 %(size)s。",
            code="too_large",
            params={
                "what": what,
                "limit": filesizeformat(limit),
                "size": filesizeformat(upload.size),
            },
        )


def clean_image(upload):
    """Verify and re-encode an uploaded image; return a ContentFile or raise ValidationError.

    Nothing is decoded before the work is known to be bounded: the file's structure is
    counted (``_layout``), its size read from the header, and its pixels charged to the
    limit for one image and to the budget of the request (``RequestWork``)."""
    from PIL import Image  # imported on first use: a reader's worker never needs it

    _too_large(upload, settings.PORTAL_MAX_IMAGE_BYTES, "图片")
    upload.seek(0)
    data = upload.read()
    frames, canvas = _layout(data)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=_OPENED_AS) as probe:
                image_format = probe.format
                _check_pixels(*(canvas or probe.size), frames)
                probe.verify()
            with Image.open(io.BytesIO(data), formats=_OPENED_AS) as image:
                declared = canvas or image.size
                _draft(image)
                RequestWork.charge(_work(image, declared, frames, len(data)))
                data = _reencode(image, image_format, frames)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            "图片尺寸过大，可能是恶意构造的文件，请缩小后再上传。", code="too_many_pixels"
        ) from exc
    except _IMAGE_DECODE_ERRORS as exc:
        raise ValidationError(
            "无法识别为图片。仅支持 JPEG、PNG、WebP、GIF 格式的图片文件。", code="invalid_image"
        ) from exc
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{IMAGE_FORMATS[image_format]}")


def _check_pixels(width, height, frames):
    limit = settings.PORTAL_MAX_IMAGE_PIXELS
    if width * height * frames > limit:
        raise ValidationError(
            "图片尺寸过大（%(width)s×%(height)s 像素%(frames)s），单张图片不能超过 "
            "%(limit)s 万像素，请缩小后再上传。",
            code="too_many_pixels",
            params={
                "width": width,
                "height": height,
                "frames": f"，共 {frames} 帧" if frames > 1 else "",
                "limit": limit // 10_000,
            },
        )


def _draft(image):
    """Have a JPEG decoded at the smallest of 1/8, 1/4 and 1/2 scale still as long as
    MAX_IMAGE_SIDE (libjpeg's DCT scaling): a 4000×3000 phone photo is decoded at 2000×1500
    in a third of the time, instead of whole and then resampled. ``image.size`` becomes the
    decoded size."""
    if image.format in ("JPEG", "MPO"):
        scale = next((s for s in (8, 4, 2) if max(image.size) // s >= MAX_IMAGE_SIDE), 1)
        image.draft(None, (max(image.width // scale, 1), max(image.height // scale, 1)))


def _work(image, declared, frames, size):
    """The work of one image in pixels (see PIXELS_PER_BYTE), once ``_draft`` has set the
    size it is decoded at. Each scan of a progressive JPEG goes over the whole picture
    before it is scaled down: it counts at its declared size."""
    kind = "JPEG" if image.format == "MPO" else image.format
    if image.info.get("progressive"):
        kind = "progressive JPEG"
    width, height = declared if kind in ("GIF", "progressive JPEG") else image.size
    weight = GIF_FRAME_WEIGHT if kind == "GIF" else 1
    return width * height * frames * weight + int(size * PIXELS_PER_BYTE.get(kind, 0))


class RequestWork:
    """The image work of the request being served, so that many images in one request (a
    record's photos, an article's cover and attachments) cannot add up to minutes.

    Started and ended by Django's request signals; outside a request nothing is counted."""

    current = ContextVar("upload_work", default=None)

    def __init__(self):
        self.spent = 0

    @classmethod
    def charge(cls, work):
        request = cls.current.get()
        if request is None:
            return
        limit = settings.PORTAL_MAX_REQUEST_PIXELS
        if request.spent + work > limit:
            raise ValidationError(
                "本次提交的图片太多或太大，这张图片未处理：每次约可提交 %(photos)s 张手机照片，"
                "大图、PNG 图片占得更多。请分几次上传，或缩小图片后再上传。",
                code="request_too_many_pixels",
                params={"photos": limit // PHONE_PHOTO_WORK},
            )
        request.spent += work


@receiver(request_started, dispatch_uid="portal.uploads.start")
def _start_request_work(**kwargs):
    RequestWork.current.set(RequestWork())


@receiver(request_finished, dispatch_uid="portal.uploads.finish")
def _end_request_work(**kwargs):
    RequestWork.current.set(None)


def _layout(data):
    """(frames, canvas) of an image, counted from its bytes without decoding, stopping early.

    Refuses what would keep Pillow busy before decoding: too many chunks, markers or
    blocks, a JPEG of too many scans, a GIF of too many frames. The canvas is a GIF's, whose
    frames may reach past its header's size; None for the other formats."""
    frames, canvas = 1, None
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        too_many = _png_chunks(data) > MAX_PARTS["PNG"]
    elif data.startswith(b"\xff\xd8\xff"):
        # Outside the headers 0xFFDA is only ever a scan's marker: counted at C speed.
        too_many = (
            _jpeg_markers(data) > MAX_PARTS["JPEG"] or data.count(b"\xff\xda") > MAX_JPEG_SCANS
        )
    elif data.startswith((b"GIF87a", b"GIF89a")):
        blocks, frames, canvas = _gif_blocks(data)
        too_many = blocks > MAX_PARTS["GIF"]
    else:
        too_many = False  # WebP is parsed in C; anything else Pillow refuses
    if too_many:
        raise ValidationError(
            "图片文件结构异常（数据块过多），可能已损坏或被恶意构造。"
            "请用看图或修图软件另存一份后再上传。",
            code="too_many_parts",
        )
    if frames > MAX_GIF_FRAMES:
        raise ValidationError(
            "动图帧数过多（超过 %(limit)s 帧），请减少帧数或改用视频后再上传。",
            code="too_many_frames",
            params={"limit": MAX_GIF_FRAMES},
        )
    return max(frames, 1), canvas


def _png_chunks(data):
    position, chunks = 8, 0
    while position < len(data) and chunks <= MAX_PARTS["PNG"]:
        chunks += 1
        if data[position + 4 : position + 8] == b"IEND":
            break
        position += 12 + int.from_bytes(data[position : position + 4], "big")
    return chunks


def _jpeg_markers(data):
    """Markers, fill and stray bytes before the first scan, as Pillow walks them."""
    position, parts = 2, 0
    while position + 1 < len(data) and parts <= MAX_PARTS["JPEG"]:
        parts += 1
        marker = data[position + 1]
        if data[position] != 0xFF or marker in (0x00, 0xFF):
            position += 1  # Pillow steps over these a byte at a time
        elif marker == 0xDA:
            break
        elif marker == 0x01 or 0xD0 <= marker <= 0xD9:
            position += 2
        else:
            position += 2 + int.from_bytes(data[position + 2 : position + 4], "big")
    return parts


def _gif_blocks(data):
    """(blocks, frames, canvas) of a GIF: extensions, images and the sub-blocks of both."""
    width, height = (int.from_bytes(data[n : n + 2], "little") for n in (6, 8))
    position, blocks, frames = 13 + _gif_palette(data[10:11]), 0, 0
    while position < len(data) and data[position] != 0x3B:
        if blocks > MAX_PARTS["GIF"] or frames > MAX_GIF_FRAMES:
            break
        blocks += 1
        if data[position] == 0x2C:  # an image: place, size, palette, then LZW code size
            left, top, frame_width, frame_height = (
                int.from_bytes(data[n : n + 2], "little")
                for n in range(position + 1, position + 9, 2)
            )
            width, height = max(width, left + frame_width), max(height, top + frame_height)
            frames += 1
            position += 11 + _gif_palette(data[position + 9 : position + 10])
        elif data[position] == 0x21:  # an extension: its label, then sub-blocks
            position += 2
        else:
            position += 1  # Pillow steps over a stray byte
            continue
        while position < len(data) and data[position] and blocks <= MAX_PARTS["GIF"]:
            blocks += 1
            position += 1 + data[position]
        position += 1
    return blocks, frames, (width, height)


def _gif_palette(flags):
    return 3 << ((flags[0] & 7) + 1) if flags and flags[0] & 0x80 else 0


def _reencode(image, image_format, frames):
    """Pixels only: no EXIF, no comments, no trailing bytes.

    PNG and WebP are written with the fast settings: optimising a photograph saved as PNG
    took seconds for a file a few percent smaller."""
    from PIL import ImageOps, ImageSequence

    out = io.BytesIO()
    if image_format == "GIF" and frames > 1:
        copies = [frame.copy() for frame in islice(ImageSequence.Iterator(image), frames)]
        copies[0].save(
            out,
            "GIF",
            save_all=True,
            append_images=copies[1:],
            loop=image.info.get("loop", 0),
            duration=image.info.get("duration", 100),
        )
        return out.getvalue()
    image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    ImageOps.exif_transpose(image, in_place=True)  # after thumbnail: fewer pixels to turn
    if image_format in ("JPEG", "MPO"):
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        image.save(out, "JPEG", quality=86, optimize=True, exif=b"")
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=86, method=0, exif=b"")
    elif image_format == "PNG":
        image.save(out, "PNG", compress_level=1)
    else:
        image.save(out, "GIF")
    return out.getvalue()


def clean_attachment(upload):
    """Check an attachment's extension against its first bytes; images are re-encoded."""
    suffix = Path(upload.name or "").suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        cleaned = clean_image(upload)
        cleaned.name = f"{uuid.uuid4().hex}{Path(cleaned.name).suffix}"
        return cleaned
    if suffix not in ATTACHMENT_SIGNATURES:
        raise ValidationError(
            "不支持的附件类型“%(suffix)s”。可上传 PDF、Word、Excel、WPS 文档和图片。",
            code="bad_type",
            params={"suffix": suffix or "无扩展名"},
        )
    _too_large(upload, settings.PORTAL_MAX_ATTACHMENT_BYTES, "附件")
    upload.seek(0)
    head = upload.read(8)
    upload.seek(0)
    if not head.startswith(ATTACHMENT_SIGNATURES[suffix]) or not _ooxml_ok(upload, suffix):
        raise ValidationError(
            "文件内容与扩展名“%(suffix)s”不符，可能已损坏或被改名。",
            code="bad_signature",
            params={"suffix": suffix},
        )
    return upload


def _ooxml_ok(upload, suffix):
    part = _OOXML_PARTS.get(suffix)
    if part is None:
        return True
    try:
        with zipfile.ZipFile(upload) as archive:
            names = archive.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        upload.seek(0)
    return "[Content_Types].xml" in names and any(name.startswith(part) for name in names)


def clean_video(upload):
    suffix = Path(upload.name or "").suffix.lower()
    if suffix not in VIDEO_EXTENSIONS:
        raise ValidationError("视频仅支持 MP4 或 WebM 格式。", code="bad_type")
    _too_large(upload, settings.PORTAL_MAX_VIDEO_BYTES, "视频")
    upload.seek(0)
    head = upload.read(12)
    upload.seek(0)
    valid = head[4:8] == b"ftyp" if suffix == ".mp4" else head.startswith(b"\x1a\x45\xdf\xa3")
    if not valid:
        raise ValidationError("文件内容不是有效的 %(suffix)s 视频。", params={"suffix": suffix})
    return upload


class _CheckedFileMixin:
    checker = None

    def to_python(self, data):
        upload = forms.FileField.to_python(self, data)
        return None if upload is None else type(self).checker(upload)


class ImageFormField(_CheckedFileMixin, forms.ImageField):
    checker = staticmethod(clean_image)
    default_error_messages = {"invalid_image": "无法识别为图片。"}


class AttachmentFormField(_CheckedFileMixin, forms.FileField):
    checker = staticmethod(clean_attachment)


class VideoFormField(_CheckedFileMixin, forms.FileField):
    checker = staticmethod(clean_video)


class RenditionsFile(ImageFieldFile):
    """A stored image whose renditions (portal/renditions.py) go with it."""

    def save(self, name, content, save=True):
        super().save(name, content, save=False)
        # Django reads the size from the content, which has none when it is a ContentFile
        # without a name (demo, import): read it from the stored file instead.
        self.field.update_dimension_fields(self.instance, force=True)
        if save:
            self.instance.save()

    def delete(self, save=True):
        if self.name:
            renditions.delete(self.storage, self.name)
        super().delete(save)


class SafeImageField(models.ImageField):
    """An image column whose form field verifies and re-encodes the upload. Its
    ``width_field`` and ``height_field`` (Django's) give pages the original's size, for the
    renditions they list, without opening it."""

    attr_class = RenditionsFile

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": ImageFormField, **kwargs})

    def update_dimension_fields(self, instance, force=False, *args, **kwargs):
        """The size is read when a file is assigned (``force``), never when a row is loaded:
        Django would open the file of every row whose size is missing, on every page (a
        benchmark database without its files fell from 274 to 204 rps on the home page)."""
        if not force:
            return
        # A stored file gone missing (a restored database, deleted by hand) has no size.
        with contextlib.suppress(OSError, ValueError):
            super().update_dimension_fields(instance, force, *args, **kwargs)


class AttachmentField(models.FileField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": AttachmentFormField, **kwargs})


class VideoField(models.FileField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": VideoFormField, **kwargs})
