"""Readers on slow phones: the bytes of images a page makes the browser fetch, on the demo,
at phone width (375 px at a phone's pixel density of 2) and desktop width (1280 px), after
scrolling through the whole page so that lazily loaded images count too."""

from articles.models import Article

from .conftest import DESKTOP, PHONE
from .test_screenshots import SCROLL_THROUGH

IMAGE_BYTES = """() => performance.getEntriesByType("resource")
  .filter((entry) => entry.initiatorType === "img" || /\\.(jpe?g|png|webp|gif)$/.test(entry.name))
  .reduce((sum, entry) => sum + entry.encodedBodySize, 0)"""
UNSIZED = """() => [...document.images]
  .filter((img) => !(img.getAttribute("width") && img.getAttribute("height")))
  .map((img) => img.getAttribute("src"))"""
# (page, viewport, limit in KB) from issue 17.
TARGETS = [
    ("home", "phone", 150),
    ("home", "desktop", 300),
    ("article with cover", "phone", 80),
]
VIEWPORTS = {
    "phone": {"viewport": PHONE, "is_mobile": True, "device_scale_factor": 2},
    "desktop": {"viewport": DESKTOP},
}


def address(name):
    if name == "home":
        return "/"
    return (
        Article.objects.published()
        .filter(kind=Article.Kind.NEWS)
        .exclude(cover="")
        .first()
        .get_absolute_url()
    )


def test_image_bytes_stay_within_what_a_slow_phone_can_take(new_context):
    measured, unsized = {}, {}
    for name, viewport, limit in TARGETS:
        page = new_context(**VIEWPORTS[viewport]).new_page()
        page.goto(address(name))
        page.evaluate(SCROLL_THROUGH)
        page.wait_for_load_state("networkidle")
        measured[name, viewport] = page.evaluate(IMAGE_BYTES) / 1024
        print(f"\n{name} ({viewport}): {measured[name, viewport]:.1f} KB of images (≤ {limit} KB)")
        unsized[name, viewport] = page.evaluate(UNSIZED)
    assert all(kilobytes > 5 for kilobytes in measured.values()), "a page showed no image"
    over = {key: round(measured[key[:2]]) for key in TARGETS if measured[key[:2]] > key[2]}
    assert not over, f"图片字节数超出目标：{over}"
    assert not any(unsized.values()), f"图片缺少 width/height：{unsized}"
