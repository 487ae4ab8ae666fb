"""Every uploaded file passes through here: images, attachments and videos.

Images are opened with Pillow, checked for type and pixel count before decoding, then
re-encoded — which drops EXIF (GPS included), trailing polyglot payloads and anything
else that is not pixels. Other files must carry the signature of their extension. Every
stored name is random, so an upload can neither guess nor overwrite another file.
"""

import io
import uuid
import warnings
import zipfile
from pathlib import Path

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from PIL import Image, ImageOps, ImageSequence, UnidentifiedImageError

IMAGE_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "gif"}
IMAGE_EXTENSIONS = {".jpg", ".jpeg", ".png", ".webp", ".gif"}
MAX_IMAGE_SIDE = 2560  # longer photos are scaled down: nobody reads a 6000-pixel page
MAX_GIF_FRAMES = 200

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

_IMAGE_DECODE_ERRORS = (
    UnidentifiedImageError,
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
    """Verify and re-encode an uploaded image; return a ContentFile or raise ValidationError."""
    _too_large(upload, settings.PORTAL_MAX_IMAGE_BYTES, "图片")
    not_an_image = ValidationError(
        "无法识别为图片。仅支持 JPEG、PNG、WebP、GIF 格式的图片文件。", code="invalid_image"
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            upload.seek(0)
            with Image.open(upload, formats=list(IMAGE_FORMATS)) as probe:
                image_format = probe.format
                frames = getattr(probe, "n_frames", 1)
                width, height = probe.size
                if width * height * min(frames, MAX_GIF_FRAMES) > settings.PORTAL_MAX_IMAGE_PIXELS:
                    raise ValidationError(
                        "图片尺寸过大（%(width)s×%(height)s 像素），请缩小后再上传。",
                        code="too_many_pixels",
                        params={"width": width, "height": height},
                    )
                if frames > MAX_GIF_FRAMES:
                    raise ValidationError("动图帧数过多，请改用视频。", code="too_many_frames")
                probe.verify()
            upload.seek(0)
            with Image.open(upload, formats=list(IMAGE_FORMATS)) as image:
                data = _reencode(image, image_format)
    except ValidationError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ValidationError(
            "图片尺寸过大，可能是恶意构造的文件，请缩小后再上传。", code="too_many_pixels"
        ) from exc
    except _IMAGE_DECODE_ERRORS as exc:
        raise not_an_image from exc
    return ContentFile(data, name=f"{uuid.uuid4().hex}.{IMAGE_FORMATS[image_format]}")


def _reencode(image, image_format):
    """Pixels only: no EXIF, no comments, no trailing bytes."""
    out = io.BytesIO()
    if image_format == "GIF" and getattr(image, "n_frames", 1) > 1:
        frames = [frame.copy() for frame in ImageSequence.Iterator(image)]
        frames[0].save(
            out,
            "GIF",
            save_all=True,
            append_images=frames[1:],
            loop=image.info.get("loop", 0),
            duration=image.info.get("duration", 100),
        )
        return out.getvalue()
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_IMAGE_SIDE, MAX_IMAGE_SIDE))
    if image_format == "JPEG":
        image = image.convert("RGB") if image.mode not in ("RGB", "L") else image
        image.save(out, "JPEG", quality=86, optimize=True, exif=b"")
    elif image_format == "WEBP":
        image.save(out, "WEBP", quality=86, exif=b"")
    elif image_format == "PNG":
        image.save(out, "PNG", optimize=True)
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


class SafeImageField(models.ImageField):
    """An image column whose form field verifies and re-encodes the upload."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": ImageFormField, **kwargs})


class AttachmentField(models.FileField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": AttachmentFormField, **kwargs})


class VideoField(models.FileField):
    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": VideoFormField, **kwargs})
