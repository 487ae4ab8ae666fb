"""Hostile uploads through every path that stores a file.

The paths: the editor's image upload (/editor/upload-image/), an article's cover, video
poster, video and attachments in the admin, a building's photo in the admin, and the photos
of a meeting or an activity in the secretaries' workspace. The files: a decompression bomb
(a PNG that only declares huge dimensions), polyglots (a JPEG with HTML or a ZIP appended),
SVG, HTML renamed .jpg, a truncated image, an empty file, an oversize file and too many
files in one request. Each is refused with a Chinese message and a 4xx (or a form shown
again with the error), and nothing is stored; what is accepted is stored re-encoded,
without GPS, under a random name.

tests/portal/test_uploads.py covers the checking functions themselves; this file covers
the way in through each page.
"""

import io
import json
import re
import struct
import uuid
import zipfile
import zlib
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from alliances.models import Activity, Building, JointMeeting, Photo
from articles.models import Article, Attachment
from tests.factories import (
    AllianceFactory,
    BranchFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
)

CHINESE = re.compile(r"[\u4e00-\u9fff]")
NGINX_CONF = Path(__file__).resolve().parents[2] / "deploy" / "nginx" / "dangjian.conf"
ORIGINAL_NAME = "张三家门口_定位_secret"


def jpeg(size=(64, 48), exif=None):
    out = io.BytesIO()
    Image.new("RGB", size, "red").save(out, "JPEG", **({"exif": exif} if exif else {}))
    return out.getvalue()


def gps_jpeg():
    exif = Image.Exif()
    exif[0x010F] = "Camera Maker"
    exif[0x8825] = {1: "N", 2: (39.0, 54.0, 27.0), 3: "E", 4: (116.0, 23.0, 0.0)}
    return jpeg(exif=exif)


def png_declaring(width, height):
    """A PNG of a few dozen bytes whose header claims ``width`` × ``height`` pixels."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 64))
        + chunk(b"IEND", b"")
    )


def noisy_png():
    out = io.BytesIO()
    Image.frombytes("L", (200, 200), bytes(range(256)) * 156 + bytes(64)).save(out, "PNG")
    return out.getvalue()


def zip_bytes():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("evil.html", "<script>alert(1)</script>")
    return out.getvalue()


HTML = b"<html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>'

# name -> (file name, content): all refused on every image path.
REFUSED = {
    "decompression bomb": ("bomb.png", png_declaring(60_000, 60_000)),
    "svg": ("logo.svg", SVG),
    "svg named .png": ("logo.png", SVG),
    "html named .jpg": ("photo.jpg", HTML),
    "over the pixel limit": ("wide.png", png_declaring(7_000, 7_000)),  # 49 MP > 40 MP
    "truncated jpeg": ("cut.jpg", jpeg((400, 300))[:300]),
    "jpeg cut in its pixels": ("cut2.jpg", jpeg((800, 600))[:-2_000]),
    "png cut in its pixels": ("cut.png", noisy_png()[:-500]),
    "zero bytes": ("empty.jpg", b""),
}


def upload(name, data, content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def media_files():
    root = Path(django_settings.MEDIA_ROOT)
    return {path for path in root.rglob("*") if path.is_file()}


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def staff(reviewer):
    client = Client()
    client.force_login(reviewer)
    return client


def assert_no_gps_and_random_name(path):
    assert ORIGINAL_NAME not in str(path)
    assert not any(part in path.name for part in ("张三", "定位", "secret"))
    assert re.fullmatch(r"[0-9a-f]{32}\.(jpg|png|webp|gif)", path.name), path.name
    with Image.open(path) as stored:
        exif = stored.getexif()
        assert 0x8825 not in exif and 0x010F not in exif
        assert not stored.info.get("exif")


# ------------------------------------------------------------------ the editor's upload


def editor_post(client, name, data):
    return client.post("/editor/upload-image/", {"upload": upload(name, data)})


@pytest.mark.parametrize("case", REFUSED)
def test_editor_refuses_hostile_images(staff, case):
    before = media_files()
    response = editor_post(staff, *REFUSED[case])
    assert response.status_code == 400
    message = json.loads(response.content)["error"]["message"]
    assert CHINESE.search(message), message
    assert media_files() == before


def test_editor_stores_polyglots_as_pixels_only(staff):
    for trailer in (HTML, zip_bytes()):
        response = editor_post(staff, f"{ORIGINAL_NAME}.jpg", gps_jpeg() + trailer)
        assert response.status_code == 200
        url = json.loads(response.content)["url"]
        path = Path(django_settings.MEDIA_ROOT) / url.removeprefix(django_settings.MEDIA_URL)
        data = path.read_bytes()
        assert b"<script>" not in data and b"PK\x03\x04" not in data
        assert_no_gps_and_random_name(path)


def test_editor_refuses_oversize_images(staff, settings):
    settings.PORTAL_MAX_IMAGE_BYTES = 2_000
    response = editor_post(staff, "big.jpg", jpeg((300, 300)) + b"\0" * 3_000)
    assert response.status_code == 400
    assert "不能超过" in json.loads(response.content)["error"]["message"]


def test_too_many_files_in_one_request_is_a_400(staff, settings):
    files = {f"upload{n}": upload(f"{n}.jpg", jpeg()) for n in range(3)}
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    before = media_files()
    response = staff.post("/editor/upload-image/", files)
    assert response.status_code == 400
    assert CHINESE.search(response.content.decode())
    assert media_files() == before


# ------------------------------------------------------------ the admin's article form


def article_form(subsection, **files):
    return {
        "title": "带图片的文章",
        "category": subsection.pk,
        "kind": "video",
        "status": "draft",
        "cover_alt": "图片说明",
        "attachments-TOTAL_FORMS": "1",
        "attachments-INITIAL_FORMS": "0",
        "attachments-MIN_NUM_FORMS": "0",
        "attachments-MAX_NUM_FORMS": "1000",
        "attachments-0-title": "附件一",
        "attachments-0-position": "0",
        **files,
    }


def admin_errors(response):
    form = response.context["adminform"].form
    inline = response.context["inline_admin_formsets"][0].formset
    errors = {**form.errors}
    for n, form_errors in enumerate(inline.errors):
        errors |= {f"attachments-{n}-{name}": value for name, value in form_errors.items()}
    return errors


ADMIN_FIELDS = {
    "cover": "image",
    "video_poster": "image",
    "attachments-0-file": "attachment",
    "video_file": "video",
}


@pytest.mark.parametrize("field", ADMIN_FIELDS)
@pytest.mark.parametrize("case", REFUSED)
def test_admin_refuses_hostile_files_in_every_file_field(staff, subsection, field, case):
    name, data = REFUSED[case]
    if ADMIN_FIELDS[field] == "video":
        name = name.rsplit(".", 1)[0] + ".mp4"
    files = {field: upload(name, data)}
    if field != "attachments-0-file":
        files["attachments-0-file"] = upload("ok.pdf", b"%PDF-1.7\n", "application/pdf")
    before = media_files()
    response = staff.post(reverse("admin:articles_article_add"), article_form(subsection, **files))
    assert response.status_code == 200  # the form again, with the error beside the field
    errors = admin_errors(response)
    assert field in errors, errors
    assert all(CHINESE.search(message) for message in errors[field])
    assert not Article.objects.exists() and not Attachment.objects.exists()
    assert media_files() == before


def test_admin_refuses_an_html_or_zip_polyglot_as_an_attachment(staff, subsection):
    for name, data in [
        ("报告.pdf", HTML),
        ("报告.docx", jpeg() + zip_bytes()),  # GIFAR-style: starts as a JPEG
        ("报告.html", HTML),
        ("报告.svg", SVG),
    ]:
        files = {"attachments-0-file": upload(name, data, "application/octet-stream")}
        response = staff.post(
            reverse("admin:articles_article_add"), article_form(subsection, **files)
        )
        assert response.status_code == 200
        assert "attachments-0-file" in admin_errors(response), name
    assert not Attachment.objects.exists()


def test_admin_stores_images_re_encoded_under_random_names(staff, subsection):
    files = {
        "cover": upload(f"{ORIGINAL_NAME}.jpg", gps_jpeg() + HTML),
        "attachments-0-file": upload(f"{ORIGINAL_NAME}.jpg", gps_jpeg() + zip_bytes()),
    }
    response = staff.post(reverse("admin:articles_article_add"), article_form(subsection, **files))
    assert response.status_code == 302, admin_errors(response)
    article = Article.objects.get()
    for field in (article.cover, article.attachments.get().file):
        path = Path(field.path)
        assert b"<script>" not in path.read_bytes() and b"PK\x03\x04" not in path.read_bytes()
        assert_no_gps_and_random_name(path)


def test_admin_refuses_oversize_attachments_and_videos(staff, subsection, settings):
    settings.PORTAL_MAX_ATTACHMENT_BYTES = 1_000
    settings.PORTAL_MAX_VIDEO_BYTES = 1_000
    files = {
        "attachments-0-file": upload("大.pdf", b"%PDF-1.7\n" + b"0" * 2_000),
        "video_file": upload("大.mp4", b"\0\0\0\x18ftypmp42" + b"\0" * 2_000),
    }
    response = staff.post(reverse("admin:articles_article_add"), article_form(subsection, **files))
    errors = admin_errors(response)
    assert "不能超过" in " ".join(errors["attachments-0-file"])
    assert "不能超过" in " ".join(errors["video_file"])
    assert not Article.objects.exists()


# ------------------------------------------------------- the admin's building photo


@pytest.fixture
def committee(db):
    """Committee staff (机关工委): who keeps the buildings in the admin."""
    client = Client()
    client.force_login(StaffFactory(username="committee-uploads", groups=["机关工委"]))
    return client


def post_building(client, photo, **extra):
    return client.post(
        reverse("admin:alliances_building_add"),
        {
            "name": f"党建大厦{uuid.uuid4().hex[:6]}",
            "photo_alt": "大厦外景",
            "facilities-TOTAL_FORMS": "0",
            "facilities-INITIAL_FORMS": "0",
            "facilities-MIN_NUM_FORMS": "0",
            "facilities-MAX_NUM_FORMS": "1000",
            "photo": photo,
            **extra,
        },
    )


def building_photo_errors(response):
    assert response.status_code == 200  # the form again, with the error beside the field
    return response.context["adminform"].form.errors.get("photo", [])


@pytest.mark.parametrize("case", REFUSED)
def test_admin_refuses_hostile_building_photos(committee, case):
    before = media_files()
    errors = building_photo_errors(post_building(committee, upload(*REFUSED[case])))
    assert errors and all(CHINESE.search(message) for message in errors), errors
    assert not Building.objects.exists()
    assert media_files() == before


def test_admin_stores_building_photos_re_encoded_without_gps_under_random_names(committee):
    for trailer in (HTML, zip_bytes()):
        response = post_building(committee, upload(f"{ORIGINAL_NAME}.jpg", gps_jpeg() + trailer))
        assert response.status_code == 302, building_photo_errors(response)
    buildings = list(Building.objects.all())
    assert len(buildings) == 2
    for building in buildings:
        path = Path(building.photo.path)
        assert b"<script>" not in path.read_bytes() and b"PK\x03\x04" not in path.read_bytes()
        assert_no_gps_and_random_name(path)


def test_admin_refuses_oversize_and_too_many_building_photos(committee, settings):
    settings.PORTAL_MAX_IMAGE_BYTES = 2_000
    response = post_building(committee, upload("big.jpg", jpeg((300, 300)) + b"\0" * 3_000))
    assert "不能超过" in " ".join(building_photo_errors(response))

    settings.PORTAL_MAX_IMAGE_BYTES = 10_000_000
    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 2
    extra = {f"photo{n}": upload(f"{n}.jpg", jpeg()) for n in range(2)}
    response = post_building(committee, upload("a.jpg", jpeg()), **extra)
    assert response.status_code == 400
    assert CHINESE.search(response.content.decode())
    assert not Building.objects.exists()
    assert media_files() == set()


# ------------------------------------------------------- the workspace's record photos


@pytest.fixture
def desk(db):
    alliance = AllianceFactory(slug="hostile")
    lead = MembershipFactory(alliance=alliance, is_lead=True, branch=BranchFactory()).branch
    secretary = UserFactory(username="sec-hostile")
    alliance.secretaries.add(secretary)
    client = Client()
    client.force_login(secretary)
    return client, alliance, lead


RECORDS = {"meeting": JointMeeting, "activity": Activity}
RECORD_FIELDS = {
    "meeting": {"held_on": "2025-04-10", "topics": "研究季度工作"},
    "activity": {"held_on": "2025-05-10", "title": "主题党日", "line": "study", "status": "held"},
}


def post_record(desk, kind, photos):
    client, alliance, lead = desk
    return client.post(
        reverse(f"workspace:{kind}_new", args=[alliance.slug]),
        {
            **RECORD_FIELDS[kind],
            "venue": "党员活动室",
            "host": lead.pk,
            "form_token": str(uuid.uuid4()),
            "photos": photos,
        },
    )


def nothing_recorded(kind):
    return not RECORDS[kind].objects.exists() and not Photo.objects.exists()


@pytest.mark.parametrize("kind", RECORDS)
@pytest.mark.parametrize("case", REFUSED)
def test_workspace_refuses_hostile_photos(desk, case, kind):
    name, data = REFUSED[case]
    before = media_files()
    response = post_record(desk, kind, [upload("good.jpg", jpeg()), upload(name, data)])
    assert response.status_code == 400
    errors = response.context["form"].errors["photos"]
    assert errors and all(CHINESE.search(message) for message in errors), errors
    assert nothing_recorded(kind)
    assert media_files() == before


@pytest.mark.parametrize("kind", RECORDS)
def test_workspace_refuses_oversize_and_too_many_photos(desk, settings, kind):
    settings.PORTAL_MAX_IMAGE_BYTES = 2_000
    response = post_record(desk, kind, [upload("big.jpg", jpeg((300, 300)) + b"\0" * 3_000)])
    assert response.status_code == 400
    assert "不能超过" in " ".join(response.context["form"].errors["photos"])

    settings.PORTAL_MAX_IMAGE_BYTES = 10_000_000
    response = post_record(desk, kind, [upload(f"{n}.jpg", jpeg()) for n in range(13)])
    assert response.status_code == 400
    assert "最多" in " ".join(response.context["form"].errors["photos"])

    settings.DATA_UPLOAD_MAX_NUMBER_FILES = 5
    response = post_record(desk, kind, [upload(f"{n}.jpg", jpeg()) for n in range(6)])
    assert response.status_code == 400
    assert CHINESE.search(response.content.decode())
    assert nothing_recorded(kind)
    assert media_files() == set()


@pytest.mark.parametrize("kind", RECORDS)
def test_workspace_photos_are_stored_without_gps_under_random_names(desk, kind):
    response = post_record(
        desk,
        kind,
        [
            upload(f"{ORIGINAL_NAME}.jpg", gps_jpeg() + HTML),
            upload("b.jpg", gps_jpeg() + zip_bytes()),
        ],
    )
    assert response.status_code == 302
    photos = list(RECORDS[kind].objects.get().photos.all())
    assert len(photos) == 2
    for photo in photos:
        path = Path(photo.image.path)
        assert b"<script>" not in path.read_bytes() and b"PK\x03\x04" not in path.read_bytes()
        assert_no_gps_and_random_name(path)


# ----------------------------------------------------------------- how media is served


def test_nginx_serves_media_inert():
    """nosniff on /media/, and files a browser would run are sent as downloads."""
    conf = NGINX_CONF.read_text()
    media = re.search(r"location /media/ \{(.*?)\n    \}", conf, re.S)
    assert media, "no location /media/ block"
    block = media.group(1)
    assert re.search(r"add_header\s+X-Content-Type-Options\s+nosniff\s+always;", block)
    assert re.search(r"add_header\s+Content-Security-Policy\s+\"[^\"]*sandbox", block)
    # default_type alone loses to the mime.types map: the types must be emptied too.
    risky = re.search(r"location ~\* \\\.\(html\?\|svg\|xml\|js\)\$ \{([^}]*\}[^}]*)\}", block)
    assert risky and re.search(r"types\s*\{\s*\}", risky.group(1))
    assert "default_type application/octet-stream" in risky.group(1)


def nginx_blocks(conf):
    """The blocks of an nginx config as {"name", "directives", "children"}, comments dropped;
    a quoted argument may hold ``;``, ``{`` or ``}``."""
    root = {"name": "", "directives": [], "children": []}
    stack, word, quoted = [root], "", False
    for char in re.sub(r"(?m)^\s*#.*$", "", conf):
        if char == '"':
            quoted = not quoted
        if quoted or char not in "{};":
            word += char
            continue
        if char == "{":
            block = {"name": " ".join(word.split()), "directives": [], "children": []}
            stack[-1]["children"].append(block)
            stack.append(block)
        elif char == ";":
            stack[-1]["directives"].append(" ".join(word.split()))
        else:
            stack.pop()
        word = ""
    return root


def walk(block):
    yield block
    for child in block["children"]:
        yield from walk(child)


def test_every_nginx_block_with_its_own_headers_repeats_the_servers_security_headers():
    """nginx inherits add_header only into a block that has none of its own: /media/ and
    /static/ with their Cache-Control would otherwise send no nosniff, referrer or framing
    rule. Every block that adds a header repeats all of the server's."""
    servers = [b for b in walk(nginx_blocks(NGINX_CONF.read_text())) if b["name"] == "server"]
    https = next(s for s in servers if any("listen 443" in d for d in s["directives"]))
    security = {d for d in https["directives"] if d.startswith("add_header ")}
    assert security >= {
        "add_header X-Content-Type-Options nosniff always",
        "add_header Referrer-Policy same-origin always",
        "add_header X-Frame-Options DENY always",
    }
    adding = [
        block
        for block in walk(https)
        if block is not https and any(d.startswith("add_header ") for d in block["directives"])
    ]
    assert {block["name"] for block in adding} >= {"location /media/", "location /static/"}
    missing = {
        block["name"]: sorted(security - set(block["directives"]))
        for block in adding
        if not security <= set(block["directives"])
    }
    assert missing == {}
