"""Moving through pages with the keyboard alone, checking at every stop that focus is visible."""

from contextlib import nullcontext

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

# What has focus, and whether it is drawn: an outline or a box shadow on the element (for
# CKEditor's editing frame, the editor's focus frame around it).
FOCUSED = """() => {
  let el = document.activeElement;
  if (!el || el === document.body || el === document.documentElement) return null;
  let drawn = el;
  if (el.tagName === "IFRAME" && el.closest(".cke")) drawn = el.closest(".cke_inner") || el;
  const style = getComputedStyle(drawn);
  const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const shadow = style.boxShadow !== "none";
  const ckeFocus = el.tagName === "IFRAME" && !!el.closest(".cke_focus");
  return {
    tag: el.tagName.toLowerCase(),
    type: el.type || "",
    name: el.getAttribute("name") || "",
    label: (el.labels && el.labels[0] ? el.labels[0].innerText : "").replace(/\\*$/, "").trim(),
    text: (el.getAttribute("aria-label") || el.innerText || el.value || "").trim().slice(0, 60),
    href: el.getAttribute("href") || "",
    visible: outline || shadow || ckeFocus,
  };
}"""


class FocusNotVisible(AssertionError):
    pass


def tab_to(page, wanted, limit=250, describe="目标"):
    """Press Tab until ``wanted(focused)`` holds; every element passed on the way must show
    its focus. Returns the description of the focused element."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED)
        if focused is None:
            continue
        seen.append(focused["text"] or focused["name"])
        if not focused["visible"]:
            raise FocusNotVisible(f"键盘焦点不可见：{focused}（页面 {page.url}）")
        if wanted(focused):
            return focused
    raise AssertionError(f"按 Tab {limit} 次没有到达{describe}；经过：{seen[-40:]}")


def link(text):
    return lambda focused: focused["tag"] == "a" and focused["text"] == text


def link_starting(text):
    return lambda focused: focused["tag"] == "a" and focused["text"].startswith(text)


def field(label):
    return lambda focused: focused["label"] == label


def press_enter(page, navigates=True):
    """Enter on the focused element, waiting for the page it opens."""
    with page.expect_navigation() if navigates else nullcontext():
        page.keyboard.press("Enter")


def choose_file_with_space(page, path, attempts=3):
    """Space on the focused file input opens the file chooser; choose ``path`` in it.

    Under load Chromium now and then drops the chooser a key press asked for (it passed alone
    and failed once in CI with 15 s to spare): an empty wait means lost, not late, so the key
    is pressed again, never the input clicked. Focus must still be on the input each time."""
    for attempt in range(attempts):
        try:
            with page.expect_file_chooser(timeout=5000) as chooser:
                page.keyboard.press("Space")
        except PlaywrightTimeoutError:
            if attempt == attempts - 1:
                raise
            assert page.evaluate("document.activeElement.type") == "file"
            continue
        chooser.value.set_files(path)
        return
