"""An editor writes an article in CKEditor with a cover image and submits it for review; a
reviewer publishes it; an anonymous reader then finds it on the home page."""

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from articles.models import Article

from .conftest import log_in_admin

SECTION = "机关党建"


@pytest.fixture
def cover(tmp_path):
    path = tmp_path / "cover.png"
    Image.new("RGB", (800, 450), (200, 16, 46)).save(path, "PNG")
    return path


def pick_autocomplete(page, field_id, text):
    """Django admin's autocomplete (select2): open it, type, take the matching option."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def test_editor_writes_reviewer_publishes_and_the_reader_sees_it_on_the_home_page(
    new_context, demo_site, cover
):
    title = f"机关党建观摩交流会召开（{timezone.now():%H%M%S}）"
    body_text = "各单位交流了党建品牌创建做法，现场观摩了党员活动室。"

    editor = new_context().new_page()
    log_in_admin(editor, "editor")
    editor.goto(f"/{settings.ADMIN_URL}articles/article/add/")
    editor.get_by_label("标题").fill(title)
    pick_autocomplete(editor, "id_category", SECTION)
    editor.get_by_label("状态").select_option(label="待审核")
    editor.get_by_label("摘要").fill("观摩交流党建品牌创建。")
    body = editor.frame_locator("#cke_id_body iframe").locator("body")
    body.click()
    editor.keyboard.type(body_text)
    editor.locator("#id_cover").set_input_files(cover)
    editor.get_by_label("封面图片说明").fill("党员在活动室交流发言")
    editor.locator("input[name=_save]").click()
    expect(editor.locator(".messagelist .success")).to_be_visible()

    article = Article.objects.get(title=title)
    assert article.status == Article.Status.REVIEW
    assert body_text in article.body
    assert article.cover
    assert article.created_by.username == "editor"

    reader = new_context().new_page()
    reader.goto("/")
    expect(reader.get_by_role("link", name=title)).to_have_count(0)  # not yet published

    reviewer = new_context().new_page()
    log_in_admin(reviewer, "reviewer")
    # The list's 发布 action. (Choosing 已发布 in the article's own form with 发布时间 left
    # empty is refused by the form's constraint check: reported, not worked around here.)
    reviewer.goto(f"/{settings.ADMIN_URL}articles/article/?status__exact=review")
    reviewer.get_by_role("row", name=title).get_by_role("checkbox").check()
    reviewer.get_by_label("动作").select_option(label="发布")
    reviewer.get_by_role("button", name="执行").click()
    expect(reviewer.locator(".messagelist .success")).to_contain_text("已发布 1 篇文章")
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED

    reader.goto("/")
    reader.get_by_role("link", name=title).first.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    expect(reader.locator(".article__body")).to_contain_text(body_text)
    image = reader.get_by_role("img", name="党员在活动室交流发言")
    expect(image).to_be_visible()
    assert image.evaluate("img => img.complete && img.naturalWidth") == 800
