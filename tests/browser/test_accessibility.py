"""axe-core (WCAG 2.0/2.1 A and AA) on every page type, in the normal view and in 关怀模式
(large text, high contrast), no sideways scrolling on a 375 px wide phone, and 关怀模式's
text size, line spacing and target sizes measured on every page type."""

import pytest

from .conftest import DESKTOP, PHONE, log_in_workspace
from .pages import WORKSPACE, all_pages

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN_AXE = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}});
  return result.violations.map((v) => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.map((node) => node.target.join(" ")),
  }));
}"""
HORIZONTAL_OVERFLOW = """() => {
  const limit = window.innerWidth;
  const root = document.documentElement;
  if (root.scrollWidth <= limit) return null;
  const wide = [...document.body.querySelectorAll("*")]
    .filter((el) => el.getBoundingClientRect().right > limit + 0.5)
    .filter((el) => !el.closest(".table-scroll, .visually-hidden, .skip-link"))
    .slice(0, 5)
    .map((el) => el.tagName.toLowerCase() + (el.className ? "." + el.className : ""));
  return {scrollWidth: root.scrollWidth, innerWidth: limit, widest: wide};
}"""


def visit(page, path, site):
    """Open ``path`` and return its HTTP status; log the secretary in for workspace pages."""
    response = page.goto(path)
    if "/workspace/login/" in page.url and "/workspace/login/" not in path:
        log_in_workspace(page, site.secretary)
        response = page.goto(path)
    return response.status


def axe_violations(page, axe_path):
    page.add_script_tag(path=str(axe_path))
    return page.evaluate(RUN_AXE, WCAG_TAGS)


def describe(violations):
    return "\n".join(
        f"  [{v['impact']}] {v['id']}: {v['help']}\n      " + "\n      ".join(v["targets"][:8])
        for v in violations
    )


def pages_in_visiting_order(site):
    """Public pages first, anonymously (as readers get them, from the page cache), then the
    workspace once the secretary has logged in."""
    pages = all_pages(site.alliance_slug)
    return sorted(pages.items(), key=lambda item: item[0] in WORKSPACE)


@pytest.mark.parametrize("care", [False, True], ids=["normal", "care-mode"])
def test_every_page_type_passes_axe_wcag_2_1_aa(new_context, demo_site, axe_path, care):
    page = new_context(care=care).new_page()
    found = {}
    checked = 0
    for name, path in pages_in_visiting_order(demo_site):
        status = visit(page, path, demo_site)
        assert status == (404 if name == "404" else 200), (name, path, status)
        if care and name != "admin login":  # the admin has no reader switches
            assert "care-mode" in page.eval_on_selector("body", "b => b.className"), name
        violations = axe_violations(page, axe_path)
        checked += 1
        if violations:
            found[f"{name} ({path})"] = violations
    report = "\n".join(f"{page_name}:\n{describe(v)}" for page_name, v in found.items())
    assert not found, f"axe 在 {len(found)}/{checked} 个页面发现无障碍问题：\n{report}"


@pytest.mark.parametrize("care", [False, True], ids=["normal", "care-mode"])
def test_no_page_type_scrolls_sideways_on_a_375px_phone(new_context, demo_site, care):
    page = new_context(viewport=PHONE, care=care, is_mobile=True, has_touch=True).new_page()
    overflowing = {}
    for name, path in pages_in_visiting_order(demo_site):
        visit(page, path, demo_site)
        assert page.evaluate("window.innerWidth") == PHONE["width"]
        overflow = page.evaluate(HORIZONTAL_OVERFLOW)
        if overflow:
            overflowing[f"{name} ({path})"] = overflow
    assert not overflowing, "手机宽度 375px 下出现横向滚动：\n" + "\n".join(
        f"  {name}: {overflow}" for name, overflow in overflowing.items()
    )


def test_the_checks_above_catch_a_missing_alt_text_and_a_too_wide_element(browser, axe_path):
    """The harness itself: a page with known faults must be reported."""
    page = browser.new_page(viewport=PHONE)
    try:
        page.set_content(
            '<html><body><main><h1>测试</h1><img src="data:image/gif;base64,'
            'R0lGODlhAQABAAAAACw=">'
            '<div style="width: 600px">宽</div></main></body></html>'
        )
        assert {"image-alt", "html-has-lang"} <= {v["id"] for v in axe_violations(page, axe_path)}
        assert page.evaluate(HORIZONTAL_OVERFLOW)["scrollWidth"] >= 600
    finally:
        page.close()


# 关怀模式's promises (static/css/site.css, body.care-mode): text of 20 px or more, line spacing of
# at least 1.3 (the MIIT guideline; the style sheet gives 1.8), and the controls a reader
# aims at — the switches, the navigation, the page links, buttons, fields — at least 44 × 44 px.
# (Links inside running text are exempt, as in WCAG 2.5.5.) Checkboxes and radio buttons are
# boxes to see and tick, not buttons: at least 28 × 28 px, their label being the larger target.
CARE_CONTROLS = (
    ".site-header a, .site-nav a, .section-tabs a, .pagination a, .pagination__current,"
    " .button, button, select, input[type=text], input[type=search], input[type=password],"
    " input[type=number], input[type=date], input[type=file]"
)
CARE_TICK_BOXES = "input[type=checkbox], input[type=radio]"
CARE_TARGETS = [[CARE_CONTROLS, 44], [CARE_TICK_BOXES, 28]]
CARE_MEASURES = """(targets) => {
  const shown = (el) => {
    const box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden"
      && !el.closest(".visually-hidden, [aria-hidden=true], .skip-link");
  };
  const cramped = [];
  for (const el of document.body.querySelectorAll("*")) {
    const ownText = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!ownText || !shown(el)) continue;
    const style = getComputedStyle(el);
    const spacing = style.lineHeight === "normal" ? 1.2
      : parseFloat(style.lineHeight) / parseFloat(style.fontSize);
    const text = el.textContent.trim().slice(0, 12);
    if (spacing < 1.3) cramped.push(`${el.tagName} “${text}” ${spacing.toFixed(2)}`);
  }
  const small = targets.flatMap(([controls, least]) =>
    [...document.querySelectorAll(controls)].filter(shown).filter((el) => {
      const box = el.getBoundingClientRect();
      return box.width < least || box.height < least;
    }).map((el) => {
      const box = el.getBoundingClientRect();
      const name = (el.innerText || el.name || "").trim().slice(0, 12);
      const size = `${Math.round(box.width)}×${Math.round(box.height)}`;
      return `${el.tagName} “${name}” ${size} < ${least}×${least}`;
    }));
  return {font: parseFloat(getComputedStyle(document.body).fontSize), cramped, small};
}"""


@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
def test_care_mode_gives_large_text_generous_line_spacing_and_big_targets(
    new_context, demo_site, viewport
):
    page = new_context(viewport=viewport, care=True).new_page()
    problems = {}
    for name, path in pages_in_visiting_order(demo_site):
        if name == "admin login":  # the admin has no 关怀模式
            continue
        visit(page, path, demo_site)
        measures = page.evaluate(CARE_MEASURES, CARE_TARGETS)
        found = [f"正文 {measures['font']}px"] if measures["font"] < 20 else []
        found += [f"行距不足 1.3：{item}" for item in measures["cramped"]]
        found += [f"目标过小：{item}" for item in measures["small"]]
        if found:
            problems[f"{name} ({path})"] = found
    assert not problems, "关怀模式下：\n" + "\n".join(
        f"  {name}:\n    " + "\n    ".join(found[:10]) for name, found in problems.items()
    )


@pytest.mark.parametrize("care", [False, True], ids=["normal", "care-mode"])
def test_the_ledger_fits_a_1280px_desktop_without_sideways_scrolling(new_context, demo_site, care):
    page = new_context(viewport=DESKTOP, care=care).new_page()
    visit(page, all_pages(demo_site.alliance_slug)["ledger"], demo_site)
    box = page.eval_on_selector(".table-scroll", "s => [s.scrollWidth, s.clientWidth]")
    assert box[0] <= box[1], f"台账表格在 1280px 宽的屏幕上仍需左右滚动：{box}"


HEADLINE_COVERED = """() => {
  const picture = document.querySelector(".headline__lead img").getBoundingClientRect();
  const caption = document.querySelector(".headline__title").getBoundingClientRect();
  const overlap = Math.max(0, Math.min(picture.bottom, caption.bottom)
    - Math.max(picture.top, caption.top));
  return overlap / picture.height;
}"""


@pytest.mark.parametrize("care", [False, True], ids=["normal", "care-mode"])
def test_on_a_phone_the_headline_caption_leaves_the_lead_picture_in_view(
    new_context, demo_site, care
):
    page = new_context(viewport=PHONE, care=care, is_mobile=True).new_page()
    visit(page, all_pages(demo_site.alliance_slug)["home"], demo_site)
    covered = page.evaluate(HEADLINE_COVERED)
    assert covered <= 0.25, f"头条标题遮住了图片的 {covered:.0%}"
