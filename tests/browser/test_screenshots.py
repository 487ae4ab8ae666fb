"""Screenshots of the key pages at desktop and phone width, in the normal view and in 关怀模式,
written to screenshots/ for people to look at (README); every image on them must have loaded."""

from .conftest import DESKTOP, PHONE, SCREENSHOTS
from .pages import KEY_PAGES, all_pages
from .test_accessibility import visit

BROKEN_IMAGES = """() => [...document.images]
  .filter((img) => !(img.complete && img.naturalWidth > 0))
  .map((img) => img.getAttribute("src"))"""
# Scroll down a screen at a time so that lazily loaded images load, then back to the top.
SCROLL_THROUGH = """async () => {
  for (let y = 0; y < document.documentElement.scrollHeight; y += innerHeight) {
    scrollTo(0, y);
    await new Promise((done) => requestAnimationFrame(done));
  }
  scrollTo(0, 0);
}"""


def test_key_pages_are_photographed_at_desktop_and_phone_width_with_no_broken_image(
    new_context, demo_site
):
    SCREENSHOTS.mkdir(exist_ok=True)
    pages = all_pages(demo_site.alliance_slug)
    broken = {}
    for label, viewport, care in (
        ("desktop", DESKTOP, False),
        ("phone", PHONE, False),
        ("desktop-care", DESKTOP, True),
        ("phone-care", PHONE, True),
    ):
        page = new_context(viewport=viewport, care=care, is_mobile=viewport == PHONE).new_page()
        for name in KEY_PAGES:
            visit(page, pages[name], demo_site)
            page.evaluate(SCROLL_THROUGH)
            page.wait_for_load_state("networkidle")
            if missing := page.evaluate(BROKEN_IMAGES):
                broken[f"{name} ({label})"] = missing
            path = SCREENSHOTS / f"{name.replace(' ', '-')}-{label}.png"
            page.screenshot(path=path, full_page=True)
            assert path.stat().st_size > 10_000, path  # a real picture, not a blank page
    assert not broken, f"图片未能加载：{broken}"
