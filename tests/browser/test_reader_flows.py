"""A reader's visit, with the mouse and with the keyboard alone: home → a section → an article
→ 字号 大 → the next article (the size is kept) → search 党建 → a result; and the same site
read in traditional characters (繁), searched in either form."""

import re

import pytest
from playwright.sync_api import expect

from articles.models import Article, Category
from portal.zh import to_simplified, to_traditional

from .keyboard import link, link_starting, press_enter, tab_to
from .test_accessibility import axe_violations, describe

SECTION_SLUG = "ldjh"  # 领导讲话: a section without sub-sections, with several articles
LARGE = re.compile(r"\bfont-large\b")


@pytest.fixture
def section(demo_site):
    section = Category.objects.get(slug=SECTION_SLUG)
    assert Article.objects.published().filter(category=section).count() >= 2
    return section


def body_font_size(page):
    return page.eval_on_selector(
        ".article__body", "el => parseFloat(getComputedStyle(el).fontSize)"
    )


def sibling_link(page):
    """下一篇, or 上一篇 when this is the last article of the section."""
    return page.locator("a[rel=next], a[rel=prev]").first


def assert_on_article(page, title):
    expect(page.get_by_role("heading", level=1)).to_have_text(title)


def assert_large_text(page, medium_size):
    expect(page.locator("body")).to_have_class(LARGE)
    expect(page.locator(".article__meta [data-font-size=large]")).to_have_attribute(
        "aria-current", "true"
    )
    assert body_font_size(page) > medium_size


def assert_search_results(page):
    results = page.locator(".search-results a")
    expect(results.first).to_be_visible()
    assert "党建" in results.first.inner_text()
    return results.first.inner_text()


def test_reader_enlarges_the_text_keeps_it_on_the_next_article_and_finds_an_article(page, section):
    page.goto("/")
    nav = page.get_by_role("navigation", name="栏目导航")
    nav.get_by_role("link", name=section.name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(section.name)

    first = page.locator(".section-main .article-list a").first
    title = first.inner_text()
    first.click()
    assert_on_article(page, title)
    medium_size = body_font_size(page)

    page.locator(".article__meta").get_by_role("link", name="大号字").click()
    assert_on_article(page, title)  # back on the same article
    assert_large_text(page, medium_size)

    sibling = sibling_link(page)
    next_title = sibling.inner_text()
    sibling.click()
    assert_on_article(page, next_title)
    assert_large_text(page, medium_size)

    page.get_by_role("searchbox", name="站内搜索").fill("党建")
    page.get_by_role("button", name="搜索").click()
    result_title = assert_search_results(page)
    page.locator(".search-results a").first.click()
    assert_on_article(page, result_title)
    assert_large_text(page, medium_size)


def test_reader_does_the_same_with_the_keyboard_alone_and_always_sees_the_focus(page, section):
    page.goto("/")
    skip = tab_to(page, lambda focused: True, limit=1)
    assert skip["text"] == "跳到正文"  # the first stop: past the header and navigation
    tab_to(page, link(section.name), describe=f"栏目“{section.name}”")
    press_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(section.name)

    title = page.locator(".section-main .article-list a").first.inner_text()
    tab_to(page, link(title), describe="第一篇文章")
    press_enter(page)
    assert_on_article(page, title)
    medium_size = body_font_size(page)

    # The 字号 switch of the article (the header has one too; either does the same).
    tab_to(page, lambda f: f["tag"] == "a" and f["text"] == "大号字", describe="字号 大")
    press_enter(page, navigates=False)  # static/js/site.js changes the size in place
    assert_on_article(page, title)
    assert_large_text(page, medium_size)

    next_title = sibling_link(page).inner_text()
    tab_to(page, link_starting(next_title), describe="下一篇")
    press_enter(page)
    assert_on_article(page, next_title)
    assert_large_text(page, medium_size)

    tab_to(page, lambda f: f["name"] == "q", describe="搜索框")
    page.keyboard.type("党建")
    press_enter(page)
    result_title = assert_search_results(page)
    tab_to(page, link(result_title), describe="第一条搜索结果")
    press_enter(page)
    assert_on_article(page, result_title)
    assert_large_text(page, medium_size)


def search_from_header(page, words):
    page.locator("#site-search").fill(words)
    page.locator(".search-box").get_by_role("button").click()
    expect(page.locator(".search-results a").first).to_be_visible()
    return page.locator(".search-count").inner_text(), page.locator(
        ".search-results a"
    ).all_inner_texts()


def test_reader_reads_in_traditional_characters_across_pages_and_searches_in_either_form(
    page, section, axe_path
):
    html = page.locator("html")
    page.goto("/")
    page.get_by_role("link", name="繁體中文").click()
    expect(html).to_have_attribute("lang", "zh-Hant")
    expect(page.locator("body")).to_contain_text("黨建")

    traditional_name = to_traditional(section.name)
    assert traditional_name != section.name
    page.get_by_role("navigation").get_by_role("link", name=traditional_name, exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(traditional_name)  # remembered
    expect(html).to_have_attribute("lang", "zh-Hant")

    found_traditional, titles = search_from_header(page, "黨建")
    found_simplified, same_titles = search_from_header(page, "党建")
    assert found_simplified == found_traditional and same_titles == titles
    assert "黨建" in titles[0] and "党建" not in " ".join(titles)

    page.locator(".search-results a").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(titles[0])
    expect(html).to_have_attribute("lang", "zh-Hant")
    violations = axe_violations(page, axe_path)
    assert not violations, f"繁体文章页的无障碍问题：\n{describe(violations)}"

    page.get_by_role("link", name="簡體中文").click()
    expect(html).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("heading", level=1)).to_have_text(to_simplified(titles[0]))
