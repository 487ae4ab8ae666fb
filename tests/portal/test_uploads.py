"""Uploads: only real images get in, re-encoded without EXIF; other files must match their type."""

import io
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from portal.uploads import clean_attachment, clean_image, clean_video

URL = "/editor/upload-image/"


def image_bytes(fmt="JPEG", size=(64, 48), mode="RGB", **save):
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, fmt, **save)
    return out.getvalue()


def gps_jpeg():
    image = Image.new("RGB", (40, 30), "blue")
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def staff_client(editor):
    client = Client()
    client.force_login(editor)
    return client


def post_image(client, name, data):
    return client.post(URL, {"upload": upload(name, data, "image/jpeg")})


def test_editor_uploads_an_image_and_gets_a_random_name(staff_client):
    response = post_image(staff_client, "合影.jpg", image_bytes())
    assert response.status_code == 200
    reply = json.loads(response.content)
    assert reply["uploaded"] == 1
    assert reply["url"].startswith("/media/editor/")
    assert "合影" not in reply["url"] and reply["url"].endswith(".jpg")


@pytest.mark.parametrize("fmt", ["PNG", "WEBP", "GIF"])
def test_other_allowed_formats_are_accepted(staff_client, fmt):
    assert post_image(staff_client, f"a.{fmt.lower()}", image_bytes(fmt)).status_code == 200


def test_gps_exif_is_removed(staff_client, settings):
    assert 0x8825 in Image.open(io.BytesIO(gps_jpeg())).getexif()
    cleaned = clean_image(upload("gps.jpg", gps_jpeg()))
    stored = Image.open(io.BytesIO(cleaned.read()))
    assert 0x8825 not in stored.getexif()
    assert 0x010F not in stored.getexif()


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.jpg", b"this is plain text, not a picture"),
        ("page.jpg", b"<html><script>alert(1)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("icon.bmp", None),
        ("empty.png", b""),
        ("half.png", None),
    ],
)
def test_non_images_are_refused_with_a_clear_message(staff_client, name, data):
    if name == "icon.bmp":
        data = image_bytes("BMP")
    if name == "half.png":
        data = image_bytes("PNG", size=(300, 300))[:120]
    response = post_image(staff_client, name, data)
    assert response.status_code == 400
    reply = json.loads(response.content)
    assert reply["uploaded"] == 0
    assert reply["error"]["message"]


def test_polyglot_trailing_payload_is_dropped(staff_client):
    payload = b"<script>alert(1)</script>"
    cleaned = clean_image(upload("poly.jpg", image_bytes() + payload))
    assert payload not in cleaned.read()


def test_oversize_image_is_refused(staff_client, settings):
    settings.PORTAL_MAX_IMAGE_BYTES = 1000
    response = post_image(
        staff_client, "big.png", image_bytes("PNG", size=(400, 400), mode="RGB") + b"0" * 2000
    )
    assert response.status_code == 400
    assert "不能超过" in json.loads(response.content)["error"]["message"]


def test_decompression_bomb_is_refused_before_decoding(staff_client):
    bomb = image_bytes("PNG", size=(12000, 12000), mode="1")
    assert len(bomb) < 100_000  # tiny on disk, 144 megapixels when decoded
    response = post_image(staff_client, "bomb.png", bomb)
    assert response.status_code == 400
    assert "尺寸过大" in json.loads(response.content)["error"]["message"]


def test_large_photos_are_scaled_down(staff_client):
    cleaned = clean_image(upload("wide.jpg", image_bytes(size=(5000, 1000))))
    assert Image.open(io.BytesIO(cleaned.read())).size == (2000, 400)


def test_a_phone_photo_taken_upright_is_stored_upright():
    """Phones store the sensor's landscape pixels and an EXIF orientation (6: turn a quarter
    clockwise); the stored photo is turned and says no orientation, whatever the scale."""
    sensor = Image.new("RGB", (4000, 3000), "red")
    sensor.paste("blue", (2000, 0, 4000, 3000))  # the left of the sensor is the top
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    sensor.save(out, "JPEG", exif=exif)
    cleaned = clean_image(upload("IMG_0001.jpg", out.getvalue()))
    with Image.open(io.BytesIO(cleaned.read())) as stored:
        assert stored.size == (1500, 2000)
        assert 0x0112 not in stored.getexif()
        red, _, blue = stored.convert("RGB").getpixel((750, 100))
        assert red > 200 and blue < 50
        red, _, blue = stored.convert("RGB").getpixel((750, 1900))
        assert red < 50 and blue > 200


def test_anonymous_and_non_staff_cannot_upload(client, reader):
    assert post_image(client, "a.jpg", image_bytes()).status_code == 403
    client.force_login(reader)
    assert post_image(client, "a.jpg", image_bytes()).status_code == 403


def test_upload_requires_the_csrf_token(editor):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    assert post_image(client, "a.jpg", image_bytes()).status_code == 403


def test_upload_only_accepts_post(staff_client):
    assert staff_client.get(URL).status_code == 405


def test_missing_file_is_a_400(staff_client):
    assert staff_client.post(URL, {}).status_code == 400


@pytest.mark.parametrize(
    ("name", "data", "ok"),
    [
        ("通知.pdf", b"%PDF-1.7\n...", True),
        ("fake.pdf", b"MZ\x90\x00 executable", False),
        ("tool.exe", b"MZ\x90\x00", False),
        ("old.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, True),
        ("page.docx", b"<html>not a zip</html>", False),
        ("noext", b"%PDF-1.7", False),
    ],
)
def test_attachments_must_match_their_extension(name, data, ok):
    if ok:
        assert clean_attachment(upload(name, data)) is not None
    else:
        with pytest.raises(ValidationError):
            clean_attachment(upload(name, data))


def test_real_xlsx_attachment_is_accepted():
    from openpyxl import Workbook

    out = io.BytesIO()
    Workbook().save(out)
    assert clean_attachment(upload("表.xlsx", out.getvalue()))


def test_zip_renamed_as_docx_is_refused():
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>")
    with pytest.raises(ValidationError):
        clean_attachment(upload("a.docx", out.getvalue()))


def test_videos_must_be_mp4_or_webm():
    assert clean_video(upload("v.mp4", b"\0\0\0\x18ftypmp42" + b"\0" * 20))
    with pytest.raises(ValidationError):
        clean_video(upload("v.mp4", b"<html>"))
    with pytest.raises(ValidationError):
        clean_video(upload("v.avi", b"RIFF"))


def test_admin_refuses_a_fake_cover_image(client, reviewer, subsection):
    client.force_login(reviewer)
    data = {
        "title": "带封面的文章",
        "category": subsection.pk,
        "kind": "news",
        "status": "draft",
        "cover": upload("cover.jpg", b"<html>no</html>", "image/jpeg"),
        "cover_alt": "图",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "cover" in response.context["adminform"].form.errors


def test_admin_cover_without_alt_text_is_refused(client, reviewer, subsection):
    client.force_login(reviewer)
    data = {
        "title": "缺少说明",
        "category": subsection.pk,
        "kind": "news",
        "status": "draft",
        "cover": upload("cover.jpg", image_bytes(), "image/jpeg"),
        "cover_alt": "",
        "attachments-TOTAL_FORMS": "0",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
    }
    response = client.post(reverse("admin:articles_article_add"), data)
    assert response.status_code == 200
    assert "cover_alt" in response.context["adminform"].form.errors


def test_an_animated_gif_keeps_its_frames():
    frames = [Image.new("RGB", (40, 30), color) for color in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0)
    cleaned = clean_image(upload("动图.gif", out.getvalue()))
    with Image.open(io.BytesIO(cleaned.read())) as stored:
        assert stored.format == "GIF" and stored.n_frames == 3
