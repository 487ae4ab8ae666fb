"""Renditions: every uploaded image is also stored at the widths pages show, in WebP and
JPEG, and pages list them with the original's size (portal/renditions.py)."""

import io
import re

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client
from django.urls import reverse
from PIL import Image

from articles.models import Article
from portal import renditions
from portal.richtext import sanitize_html
from tests.factories import ArticleFactory


def jpeg(size=(1280, 720), color="red"):
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "JPEG")
    return out.getvalue()


def stored(name, data):
    return default_storage.save(name, ContentFile(data))


def sizes_on_disk(name, extra=(1000,)):
    found = {}
    for width in (*renditions.WIDTHS, *extra):
        for extension in ("webp", "jpg"):
            rendition = renditions.rendition_name(name, width, extension)
            if default_storage.exists(rendition):
                with default_storage.open(rendition) as file, Image.open(file) as image:
                    found[(width, extension)] = (image.format, image.size)
    return found


@pytest.mark.parametrize(
    ("width", "expected"),
    [
        (2000, [160, 320, 480, 720, 960, 1280]),
        (1280, [160, 320, 480, 720, 960, 1280]),
        (500, [160, 320, 480, 500]),
    ],
)
def test_widths_never_exceed_the_original(width, expected):
    assert renditions.widths("a/b.jpg", width) == expected


def test_animated_gifs_and_unknown_sizes_have_no_renditions():
    assert renditions.widths("a/b.gif", 1280) == []
    assert renditions.widths("a/b.jpg", None) == []


def test_make_writes_webp_and_jpeg_at_each_width_beside_the_original():
    name = stored("covers/test/photo.jpg", jpeg((1000, 500)))
    assert renditions.rendition_name(name, 320, "webp") == f"{name}.320w.webp"
    assert renditions.make(default_storage, name) == (1000, 500)
    found = sizes_on_disk(name)
    assert found == {
        (160, "webp"): ("WEBP", (160, 80)),
        (160, "jpg"): ("JPEG", (160, 80)),
        (320, "webp"): ("WEBP", (320, 160)),
        (320, "jpg"): ("JPEG", (320, 160)),
        (480, "webp"): ("WEBP", (480, 240)),
        (480, "jpg"): ("JPEG", (480, 240)),
        (720, "webp"): ("WEBP", (720, 360)),
        (720, "jpg"): ("JPEG", (720, 360)),
        (960, "webp"): ("WEBP", (960, 480)),
        (960, "jpg"): ("JPEG", (960, 480)),
        (1000, "webp"): ("WEBP", (1000, 500)),
        (1000, "jpg"): ("JPEG", (1000, 500)),
    }
    assert default_storage.exists(name), "the original is kept"


def test_transparent_png_gets_a_white_jpeg_and_a_transparent_webp():
    out = io.BytesIO()
    Image.new("RGBA", (400, 200), (255, 0, 0, 0)).save(out, "PNG")
    name = stored("covers/test/logo.png", out.getvalue())
    renditions.make(default_storage, name)
    with default_storage.open(renditions.rendition_name(name, 160, "jpg")) as file:
        assert Image.open(file).convert("RGB").getpixel((5, 5)) == (255, 255, 255)
    with default_storage.open(renditions.rendition_name(name, 160, "webp")) as file:
        assert Image.open(file).getpixel((5, 5))[3] == 0


def test_make_refuses_what_is_not_an_image():
    name = stored("covers/test/not-an-image.jpg", b"not an image at all")
    assert renditions.make(default_storage, name) is None
    assert sizes_on_disk(name) == {}


@pytest.mark.django_db
def test_a_saved_cover_keeps_its_size_and_its_renditions_are_made_on_first_use(section):
    article = ArticleFactory(category=section)
    article.cover.save("cover.jpg", ContentFile(jpeg((1600, 900))), save=False)
    article.cover_alt = "封面"
    article.save()
    article.refresh_from_db()
    assert (article.cover_width, article.cover_height) == (1600, 900)
    name = article.cover.name
    assert sizes_on_disk(name) == {}, "nothing made at upload"
    response = Client().get(default_storage.url(renditions.rendition_name(name, 720, "webp")))
    assert response.status_code == 200 and response["Content-Type"] == "image/webp"
    assert "immutable" in response["Cache-Control"]
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (720, 405)
    assert len(sizes_on_disk(name)) == 12, "all of the image's renditions are made at once"
    article.cover.delete(save=False)
    assert sizes_on_disk(name) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path",
    [
        "covers/none/missing.jpg.320w.webp",  # no such original
        "covers/test/wide.jpg.1000w.webp",  # a width the original does not have
        "covers/test/wide.jpg.4000w.jpg",  # wider than the original
        "covers/test/../test/wide.jpg.320w.webp",
        "covers/test/not-an-image.jpg.320w.webp",
    ],
)
def test_renditions_that_cannot_exist_are_404(path):
    stored("covers/test/wide.jpg", jpeg((1600, 900)))
    stored("covers/test/not-an-image.jpg", b"not an image at all")
    response = Client().get(f"/media/{path}")
    assert response.status_code == 404
    assert not default_storage.exists(path.replace("/../test", ""))


@pytest.mark.django_db
def test_pages_list_renditions_with_width_and_height(client, section):
    article = ArticleFactory(category=section, headline=True)
    article.cover.save("cover.jpg", ContentFile(jpeg()), save=False)
    article.cover_alt = "金色五角星"
    article.save()
    html = client.get(article.get_absolute_url()).content.decode()
    picture = re.search(r"<picture>.*?</picture>", html, re.S).group(0)
    stem = article.cover.url
    assert f'<source type="image/webp" srcset="{stem}.160w.webp 160w, ' in picture
    assert f"{stem}.1280w.jpg 1280w" in picture
    assert 'width="1280" height="720"' in picture
    assert 'fetchpriority="high"' in picture and 'loading="lazy"' not in picture
    home = Client().get(reverse("portal:home")).content.decode()
    assert f"{stem}.320w.webp 320w" in home


@pytest.mark.django_db
def test_an_image_whose_file_went_missing_does_not_break_the_page(client, section):
    article = ArticleFactory(category=section)
    article.cover.save("cover.jpg", ContentFile(jpeg()), save=False)
    article.cover_alt = "封面"
    article.save()
    Article.objects.filter(pk=article.pk).update(cover_width=None, cover_height=None)
    default_storage.delete(article.cover.name)
    response = client.get(article.get_absolute_url())
    assert response.status_code == 200
    assert f'<img src="{article.cover.url}" alt="封面"' in response.content.decode()


def test_body_images_of_our_media_get_renditions_and_sizes():
    name = stored("editor/test/body.jpg", jpeg((900, 600)))
    url = default_storage.url(name)
    body = sanitize_html(f'<p>正文</p><p><img src="{url}" alt="会场"></p>')
    assert '<source type="image/webp" srcset="' in body
    assert f"{url}.720w.webp 720w" in body
    assert 'width="900" height="600"' in body and 'loading="lazy"' in body
    assert sanitize_html(body) == body, "sanitising twice changes nothing"


def test_body_images_keep_the_size_the_editor_set_and_others_are_left_alone():
    name = stored("editor/test/small.jpg", jpeg((900, 600)))
    url = default_storage.url(name)
    body = sanitize_html(f'<img src="{url}" alt="a" width="300" height="200">')
    assert 'width="300" height="200"' in body and "srcset" in body
    elsewhere = sanitize_html('<img src="https://example.org/a.jpg" alt="b">')
    assert elsewhere == '<img src="https://example.org/a.jpg" alt="b">'
    rendition = sanitize_html(f'<img src="{url}.320w.jpg" alt="c">')
    assert "srcset" not in rendition


def test_nginx_compresses_text_and_keeps_renditions_a_year():
    from tests.security.test_uploads_hostile import NGINX_CONF, nginx_blocks, walk

    conf = nginx_blocks(NGINX_CONF.read_text())
    https = next(
        block
        for block in walk(conf)
        if block["name"] == "server" and any("listen 443" in d for d in block["directives"])
    )
    assert "gzip on" in https["directives"]
    types = next(d for d in https["directives"] if d.startswith("gzip_types")).split()
    assert {"text/css", "application/javascript", "image/svg+xml", "application/xml"} <= set(types)
    media = next(block for block in https["children"] if block["name"] == "location /media/")
    (cached,) = [block for block in media["children"] if "w" in block["name"]]
    pattern = re.compile(cached["name"].split()[-1])
    name = "covers/2026/12/3f2a.jpg"
    assert pattern.search(renditions.rendition_name(name, 320, "webp"))
    assert pattern.search(renditions.rendition_name(name, 1280, "jpg"))
    assert not pattern.search(name)
    assert 'add_header Cache-Control "public, max-age=31536000, immutable"' in cached["directives"]


def test_with_other_storage_renditions_go_through_the_app_to_the_storage(settings):
    """S3 has no nginx in front to make a missing rendition: pages ask the app, which makes
    it and redirects to the storage."""
    from django.core.files.storage import InMemoryStorage

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
            "OPTIONS": {"base_url": "https://bucket.example.org/"},
        },
    }
    storage = default_storage
    storage.exists("x")  # the lazy object now wraps the storage set above
    assert isinstance(storage._wrapped, InMemoryStorage)
    name = storage.save("covers/s3/photo.jpg", ContentFile(jpeg((800, 450))))
    markup = renditions.picture(storage, name, 800, 450, sizes="100vw", alt="图")
    assert f"/media/{name}.480w.webp 480w" in markup
    response = Client().get(f"/media/{name}.480w.webp")
    assert response.status_code == 302
    assert response["Location"] == f"https://bucket.example.org/{name}.480w.webp"
    assert storage.exists(f"{name}.480w.webp") and storage.exists(f"{name}.160w.jpg")
