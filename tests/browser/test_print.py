"""Printing an article and the ledger: the 打印 link opens the print dialog, and the print
styles leave black text on white with the site's name, without the ways of moving around the
site, the ledger's table fitting an A4 landscape page. The printed pages (as PDF, and as a
picture of the print view) go to screenshots/ with the other screenshots."""

import pytest

from .conftest import SCREENSHOTS
from .pages import all_pages
from .test_accessibility import visit

# Printable width at 96 px per inch: A4 portrait with Chromium's default margins (about
# 10 mm), and A4 landscape with the ledger's @page margins of 12 mm.
A4_PORTRAIT = {"width": 718, "height": 1000}
A4_LANDSCAPE = {"width": 1032, "height": 700}
CASES = {
    "article": {
        "viewport": A4_PORTRAIT,
        "content": ".article__body",
        "print_link": "打印本页",
        "gone": [
            ".site-nav",
            ".site-tools",
            ".skip-link",
            ".breadcrumb",
            ".article__print",
            ".article__siblings",
        ],
    },
    "ledger": {
        "viewport": A4_LANDSCAPE,
        "content": ".ledger-table",
        "print_link": "打印",
        "gone": [".site-nav", ".site-tools", ".skip-link", ".workspace-bar", ".ledger__tools"],
    },
}
PRINT_VIEW = """([content, gone]) => {
  const shown = (el) =>
    getComputedStyle(el).display !== "none" && el.getBoundingClientRect().height > 0;
  const box = document.querySelector(content);
  return {
    stillShown: gone.filter((selector) => [...document.querySelectorAll(selector)].some(shown)),
    contentShown: shown(box),
    brandShown: shown(document.querySelector(".site-brand__name")),
    titleColour: getComputedStyle(document.querySelector("h1")).color,
    textColour: getComputedStyle(box).color,
    textSize: parseFloat(getComputedStyle(box).fontSize),
    headerBackground: getComputedStyle(document.querySelector(".site-header")).backgroundImage,
    contentRight: box.getBoundingClientRect().right,
    pageWidth: document.documentElement.clientWidth,
    scrollWidth: document.documentElement.scrollWidth,
  };
}"""


@pytest.mark.parametrize("care", [False, True], ids=["normal", "care-mode"])
@pytest.mark.parametrize("name", list(CASES))
def test_article_and_ledger_print_black_on_white_without_navigation(
    new_context, demo_site, name, care
):
    case = CASES[name]
    page = new_context(viewport=case["viewport"], care=care).new_page()
    visit(page, all_pages(demo_site.alliance_slug)[name], demo_site)

    page.evaluate("() => { window.print = () => { window.printed = true } }")
    page.get_by_role("link", name=case["print_link"], exact=True).click()
    assert page.evaluate("window.printed") is True, "“打印”没有打开打印对话框"

    page.emulate_media(media="print")
    view = page.evaluate(PRINT_VIEW, [case["content"], case["gone"]])
    assert view["stillShown"] == [], f"打印时仍然显示：{view['stillShown']}"
    assert view["contentShown"] and view["brandShown"]
    assert view["titleColour"] == view["textColour"] == "rgb(0, 0, 0)"
    assert view["headerBackground"] == "none"
    if care:  # 关怀模式 prints large too: 12 pt (16 px) or more
        assert view["textSize"] >= 16, view
    assert view["contentRight"] <= view["pageWidth"] + 1, view  # nothing cut off at the edge
    assert view["scrollWidth"] <= view["pageWidth"], view

    SCREENSHOTS.mkdir(exist_ok=True)
    stem = f"{name}-print" + ("-care" if care else "")
    page.screenshot(path=SCREENSHOTS / f"{stem}.png", full_page=True)
    pdf = page.pdf(path=SCREENSHOTS / f"{stem}.pdf", prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
