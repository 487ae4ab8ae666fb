"""What an upload may cost: the work of every image is bounded before it is decoded.

An outside test found a 6300×6300 PNG of 154 KB accepted after seconds of re-encoding, a
10 MB GIF of 450,000 frames walked frame by frame before it was refused, and twelve large
images in one request running until gunicorn killed the worker. The files below are built
the same way, with the other shapes that make Pillow work for long on a small file: a PNG
of tiny chunks, a JPEG of empty markers or of thousands of scans, a GIF of one-byte blocks.

Each test measures the CPU time of the whole request (``time.process_time()``), the way a
query count is asserted: the bound is generous for a loaded machine, and the point is that
the work no longer grows with what the file declares. No upload request may take more
than 3 s of CPU.
"""

import functools
import io
import json
import re
import struct
import time
import uuid
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from alliances.models import Activity, Photo
from portal import uploads
from tests.factories import AllianceFactory, BranchFactory, MembershipFactory, UserFactory
from tests.security.test_uploads_hostile import admin_errors, article_form

CHINESE = re.compile(r"[\u4e00-\u9fff]")
REFUSAL_CPU = 1.0  # seconds: a refusal reads headers, nothing more
REQUEST_CPU = 3.0  # seconds: the ceiling for any upload request


def _chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


@functools.cache
def big_png(side=6300):
    """A white RGB PNG compressed to about 150 KB: 40 million pixels once decoded."""
    pixels, row = zlib.compressobj(9), b"\0" + b"\xff" * (3 * side)
    data = b"".join(pixels.compress(row) for _ in range(side)) + pixels.flush()
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


@functools.cache
def many_frame_gif(frames=450_000):
    """1×1 pixel frames, 22 bytes each: 10 MB of animation."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    frame = b"!\xf9\x04\x00\x01\x00\x00\x00" + b",\0\0\0\0\x01\0\x01\0\0" + b"\x02\x02\x44\x01\0"
    return head + frame * frames + b";"


def small(fmt, **save):
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, fmt, **save)
    return out.getvalue()


@functools.cache
def chunky_png():
    """A 64×48 PNG with 800,000 empty chunks before its pixels: Pillow reads each in Python."""
    png = small("PNG")
    return png[:33] + _chunk(b"zzZz", b"") * 800_000 + png[33:]


@functools.cache
def marker_jpeg():
    """A 64×48 JPEG with 2.5 million empty APP5 markers before its pixels."""
    jpeg = small("JPEG")
    return jpeg[:2] + b"\xff\xe5\x00\x02" * 2_500_000 + jpeg[2:]


@functools.cache
def many_scan_jpeg(copies=10_000, side=2560):
    """A progressive 2560×2560 JPEG whose one AC scan is repeated: libjpeg decodes each
    over the whole picture, so 250 KB took seconds."""
    out = io.BytesIO()
    Image.new("RGB", (side, side), (200, 30, 30)).save(out, "JPEG", progressive=True)
    head, *scans = out.getvalue().split(b"\xff\xda")
    # A scan header: length, component count n, n selectors, then Ss, Se and Ah/Al.
    ac = next(
        number
        for number, scan in enumerate(scans[:-1])
        if scan[3 + 2 * scan[2]] > 0 and scan[5 + 2 * scan[2]] >> 4 == 0
    )
    scans[ac + 1 : ac + 1] = [scans[ac]] * copies
    return b"\xff\xda".join([head, *scans])


@functools.cache
def comment_gif():
    """A 1×1 GIF whose comment is 4.5 million one-byte blocks: Pillow reads each in Python."""
    gif = small("GIF")
    return gif[:-1] + b"!\xfe" + b"\x01x" * 4_500_000 + b"\0" + gif[-1:]


@functools.cache
def phone_photo():
    """A 12-megapixel phone photo as a secretary uploads it: 4000×3000, detail down to the
    pixel (so it does not compress away), quality 90, about 3.5 MB, with the phone's EXIF."""
    small_side = (500, 375)
    scene = Image.merge("RGB", [Image.effect_noise(small_side, sigma) for sigma in (40, 50, 60)])
    scene = scene.resize((4000, 3000), Image.Resampling.BICUBIC)
    grain = Image.effect_noise((4000, 3000), 12).convert("RGB")
    exif = Image.Exif()
    exif[0x010F] = "Phone Maker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    out = io.BytesIO()
    Image.blend(scene, grain, 0.25).save(out, "JPEG", quality=90, exif=exif)
    return out.getvalue()


@functools.cache
def long_noisy_jpeg():
    """16000×500 of noise in 9.8 MB: decoded at 1/8 it is 2000×63, but libjpeg still reads
    every one of its bytes."""
    noise = Image.merge("RGB", [Image.effect_noise((16000, 500), 100) for _ in range(3)])
    out = io.BytesIO()
    noise.save(out, "JPEG", quality=70, subsampling=0)
    return out.getvalue()


@functools.cache
def photo_png():
    """A photograph-like 2560×1920 PNG of about 4 MB: it took 4 s to re-encode, optimised."""
    out = io.BytesIO()
    noise = Image.effect_noise((640, 480), 30).convert("RGB")
    noise.resize((2560, 1920), Image.Resampling.BICUBIC).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def staff(reviewer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    client = Client()
    client.force_login(reviewer)
    return client


def timed_post(client, url, data):
    started = time.process_time()
    response = client.post(url, data)
    return response, time.process_time() - started


def editor_upload(client, name, data):
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    response, cpu = timed_post(client, "/editor/upload-image/", {"upload": upload})
    return response, json.loads(response.content), cpu


HOSTILE = {
    "6300×6300 PNG of 150 KB": ("big.png", big_png, "万像素"),
    "GIF of 450,000 frames": ("frames.gif", many_frame_gif, "帧"),
    "PNG of 800,000 empty chunks": ("chunks.png", chunky_png, "结构异常"),
    "JPEG of 2.5 million empty markers": ("markers.jpg", marker_jpeg, "结构异常"),
    "progressive JPEG of 10,000 scans": ("scans.jpg", many_scan_jpeg, "结构异常"),
    "GIF comment of 4.5 million blocks": ("comment.gif", comment_gif, "结构异常"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_hostile_images_are_refused_after_reading_their_headers_only(staff, case):
    name, build, words = HOSTILE[case]
    response, reply, cpu = editor_upload(staff, name, build())
    assert response.status_code == 400
    message = reply["error"]["message"]
    assert words in message and "请" in message, message
    assert cpu < REFUSAL_CPU, f"{case}: {cpu:.2f} s of CPU"


def test_the_pixel_limit_is_told_in_wan_pixels_with_what_to_do(staff, settings):
    settings.PORTAL_MAX_IMAGE_PIXELS = 25_000_000
    _, reply, _ = editor_upload(staff, "big.png", big_png())
    message = reply["error"]["message"]
    assert "6300×6300" in message and "2500 万像素" in message and "缩小" in message


def test_a_photograph_saved_as_png_is_re_encoded_in_bounded_time(staff):
    response, reply, cpu = editor_upload(staff, "photo.png", photo_png())
    assert response.status_code == 200, reply
    assert reply["url"].endswith(".png")
    assert cpu < 1.5, f"{cpu:.2f} s of CPU"


def test_a_phone_photo_with_a_second_picture_is_stored_as_a_jpeg(staff):
    """Phones write MPO (a JPEG followed by a depth map or preview): it is a JPEG."""
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(
        out, "MPO", save_all=True, append_images=[Image.new("RGB", (64, 48), "blue")]
    )
    response, reply, _ = editor_upload(staff, "portrait.jpg", out.getvalue())
    assert response.status_code == 200, reply
    assert reply["url"].endswith(".jpg")


# ------------------------------------------------------------ many images in one request


@pytest.fixture
def desk(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    alliance = AllianceFactory(slug="costly")
    lead = MembershipFactory(alliance=alliance, is_lead=True, branch=BranchFactory()).branch
    secretary = UserFactory(username="sec-costly")
    alliance.secretaries.add(secretary)
    client = Client()
    client.force_login(secretary)
    return client, alliance, lead


@pytest.fixture
def decoded(monkeypatch):
    """How many images were decoded and re-encoded."""
    calls = []
    reencode = uploads._reencode

    def counting(*args, **kwargs):
        calls.append(args)
        return reencode(*args, **kwargs)

    monkeypatch.setattr(uploads, "_reencode", counting)
    return calls


def post_activity(desk, photos):
    client, alliance, lead = desk
    return timed_post(
        client,
        reverse("workspace:activity_new", args=[alliance.slug]),
        {
            "held_on": "2025-05-10",
            "title": "主题党日",
            "line": "study",
            "status": "held",
            "venue": "党员活动室",
            "host": lead.pk,
            "form_token": str(uuid.uuid4()),
            "photos": photos,
        },
    )


def assert_stopped_at_the_budget(response, decoded, sent):
    assert response.status_code == 400
    errors = response.context["form"].errors["photos"]
    told = [error for error in errors if re.search(r"约可提交 \d+ 张手机照片.*分几次上传", error)]
    assert told, errors
    assert all(CHINESE.search(error) for error in errors)
    assert 0 < len(decoded) < sent
    assert not Activity.objects.exists() and not Photo.objects.exists()


def test_twelve_large_images_in_one_request_stop_at_the_request_budget(desk, decoded):
    side = 4000  # 16 million pixels each: under the limit for one image, not for twelve
    photos = [SimpleUploadedFile(f"{n}.png", big_png(side)) for n in range(12)]
    response, cpu = post_activity(desk, photos)
    assert_stopped_at_the_budget(response, decoded, 12)
    assert cpu < REQUEST_CPU, f"{cpu:.2f} s of CPU"


def test_ten_phone_photos_in_one_request_are_all_saved_without_gps(desk):
    """A secretary logs an activity with the 6-10 photos taken on the day, 12 megapixels
    each: they are decoded at half scale, which is also the size stored."""
    photos = [SimpleUploadedFile(f"IMG_{n}.jpg", phone_photo()) for n in range(10)]
    assert all(3_000_000 < photo.size < 5_000_000 for photo in photos)
    response, cpu = post_activity(desk, photos)
    assert response.status_code == 302, response.context["form"].errors
    stored = Activity.objects.get().photos.all()
    assert len(stored) == 10
    for photo in stored:
        with Image.open(photo.image.path) as image:
            assert image.size == (2000, 1500)
            assert 0x8825 not in image.getexif() and 0x010F not in image.getexif()
    assert cpu < REQUEST_CPU, f"{cpu:.2f} s of CPU"


def test_twelve_progressive_jpegs_are_counted_at_their_full_size(desk, decoded):
    """Each scan of a progressive JPEG goes over the whole picture, whatever the scale it is
    decoded at: counted at 2500×2500, eight 5000×5000 of 100 scans were let in, 3.3 s."""
    scans = many_scan_jpeg(copies=uploads.MAX_JPEG_SCANS - 10, side=5000)  # 10 of its own
    photos = [SimpleUploadedFile(f"{n}.jpg", scans) for n in range(12)]
    response, cpu = post_activity(desk, photos)
    assert_stopped_at_the_budget(response, decoded, 12)
    assert cpu < REQUEST_CPU, f"{cpu:.2f} s of CPU"


def test_jpegs_decoded_small_still_count_their_bytes(decoded):
    """Decoded at 1/8, a long JPEG of noise is 2000×63 pixels, but libjpeg reads all of its
    10 MB: counted as decoded, thirty (as many files as a request may carry) were 2.9 s."""
    data, work = long_noisy_jpeg(), uploads.RequestWork.current.set(uploads.RequestWork())
    started = time.process_time()
    try:
        refused = []
        for _ in range(30):
            try:
                uploads.clean_image(SimpleUploadedFile("long.jpg", data))
            except ValidationError as error:
                refused.append(error)
    finally:
        uploads.RequestWork.current.reset(work)
    cpu = time.process_time() - started
    assert refused and all("分几次上传" in " ".join(error.messages) for error in refused)
    assert 0 < len(decoded) < 30
    assert cpu < REQUEST_CPU, f"{cpu:.2f} s of CPU"


def test_images_of_separate_requests_have_separate_budgets(staff):
    for _ in range(4):
        response, reply, _ = editor_upload(staff, "big.png", big_png(4000))
        assert response.status_code == 200, reply


def test_the_admin_counts_a_cover_and_a_poster_against_one_budget(staff, subsection, settings):
    settings.PORTAL_MAX_REQUEST_PIXELS = 20_000_000
    files = {
        "cover": SimpleUploadedFile("cover.png", big_png(3000)),  # 9 million pixels each
        "video_poster": SimpleUploadedFile("poster.png", big_png(3000)),
        "attachments-0-file": SimpleUploadedFile("photo.png", big_png(3000)),
    }
    response = staff.post(reverse("admin:articles_article_add"), article_form(subsection, **files))
    assert response.status_code == 200
    errors = admin_errors(response)
    refused = [field for field, messages in errors.items() if "分几次上传" in " ".join(messages)]
    assert len(refused) == 1, errors


def test_a_gif_frame_reaching_past_the_declared_size_counts_at_its_own_size(staff):
    """Pillow enlarges a GIF's canvas to fit each frame as it comes to it: a file declaring
    one pixel could hide a frame of 36 million."""
    head = b"GIF89a" + struct.pack("<HHBBB", 1, 1, 0x80, 0, 0) + b"\0\0\0\xff\xff\xff"
    small_frame = b",\0\0\0\0\x01\0\x01\0\0\x02\x02\x44\x01\0"
    big_frame = b"," + struct.pack("<4HB", 0, 0, 6000, 6000, 0) + b"\x02\x02\x44\x01\0"
    _, reply, _ = editor_upload(staff, "grows.gif", head + small_frame + big_frame + b";")
    message = reply["error"]["message"]
    assert "6000×6000" in message and "万像素" in message, message
