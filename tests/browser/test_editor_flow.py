"""An editor writes an article in CKEditor, with an image uploaded through the editor's own
image dialog and a cover image, and submits it for review; a reviewer sends it back with a
comment, the editor finds it from the admin index, reads the comment and resubmits; the
reviewer publishes it from the article's form; an anonymous reader then finds it on the home
page, pictures and all."""

import pytest
from django.conf import settings
from django.utils import timezone
from PIL import Image
from playwright.sync_api import expect

from articles.models import Article

from .conftest import log_in_admin

SECTION = "机关党建"


def picture(tmp_path, name, size, colour):
    path = tmp_path / name
    Image.new("RGB", size, colour).save(path, "PNG")
    return path


@pytest.fixture
def cover(tmp_path):
    return picture(tmp_path, "cover.png", (800, 450), (200, 16, 46))


@pytest.fixture
def body_image(tmp_path):
    return picture(tmp_path, "body.png", (640, 360), (30, 90, 160))


def pick_autocomplete(page, field_id, text):
    """Django admin's autocomplete (select2): open it, type, take the matching option."""
    page.locator(f"#{field_id} + .select2 .select2-selection").click()
    page.locator(".select2-search__field").fill(text)
    page.locator(".select2-results__option", has_text=text).first.click()


def insert_uploaded_image(page, path, alt):
    """CKEditor's 图像 button → 上传 → 上传到服务器 (to /editor/upload-image/) → 替换文本 → 确定."""
    page.locator("#cke_id_body .cke_button__image").click()
    dialog = page.locator(".cke_dialog")
    dialog.locator(".cke_dialog_tab", has_text="上传").click()
    chooser = dialog.frame_locator("iframe.cke_dialog_ui_input_file")
    chooser.locator("input[type=file]").set_input_files(path)
    with page.expect_response("**/editor/upload-image/") as upload:
        dialog.locator("a.cke_dialog_ui_button", has_text="上传到服务器").click()
    assert upload.value.status == 200, upload.value.text()
    url = upload.value.json()["url"]
    # CKEditor goes back to 图像信息 with the address of the uploaded picture filled in.
    expect(dialog.get_by_label("URL").first).to_have_value(url)  # 图像信息, not 链接 or 高级
    dialog.get_by_label("替换文本").fill(alt)
    dialog.locator("a.cke_dialog_ui_button_ok").click()
    expect(dialog).to_be_hidden()
    return url


def worklist_count(page, name):
    """The number an item of the admin index's 待办 list shows."""
    return int(page.locator(f"[data-worklist={name}] .worklist-count").inner_text())


def test_editor_writes_reviewer_publishes_and_the_reader_sees_it_on_the_home_page(
    new_context, demo_site, cover, body_image
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
    image_url = insert_uploaded_image(editor, body_image, "会场示意图")
    editor.locator("#id_cover").set_input_files(cover)
    editor.get_by_label("封面图片说明").fill("党员在活动室交流发言")
    editor.locator("input[name=_save]").click()
    expect(editor.locator(".messagelist .success")).to_be_visible()

    article = Article.objects.get(title=title)
    assert article.status == Article.Status.REVIEW
    assert body_text in article.body
    assert f'src="{image_url}"' in article.body and 'alt="会场示意图"' in article.body
    assert article.cover
    assert article.created_by.username == "editor"

    reader = new_context().new_page()
    reader.goto("/")
    expect(reader.get_by_role("link", name=title)).to_have_count(0)  # not yet published

    reviewer = new_context().new_page()
    log_in_admin(reviewer, "reviewer")
    waiting = worklist_count(reviewer, "review")  # ours, and any the demo has
    editor.goto(f"/{settings.ADMIN_URL}")
    returned = worklist_count(editor, "returned")
    # From the admin index's 待审核 into the article's own form: 被退回, with a comment.
    reviewer.locator("[data-worklist=review] a").click()
    reviewer.get_by_role("link", name=title).click()
    reviewer.get_by_label("状态").select_option(label="被退回")
    reviewer.get_by_label("退回意见").fill("请在摘要中写明观摩的时间和地点。")
    reviewer.locator("input[name=_save]").click()
    expect(reviewer.locator(".messagelist .success")).to_be_visible()

    # The editor's index counts it; the list and the form show the comment.
    editor.goto(f"/{settings.ADMIN_URL}")
    assert worklist_count(editor, "returned") == returned + 1
    editor.locator("[data-worklist=returned] a").click()
    expect(editor.locator("#result_list")).to_contain_text("请在摘要中写明观摩的时间和地点。")
    editor.get_by_role("link", name=title).click()
    expect(editor.locator("fieldset.returned-note")).to_contain_text(
        "请在摘要中写明观摩的时间和地点"
    )
    editor.get_by_label("摘要").fill("本周三在机关大院观摩交流党建品牌创建。")
    editor.get_by_label("状态").select_option(label="待审核")
    editor.locator("input[name=_save]").click()
    expect(editor.locator(".messagelist .success")).to_be_visible()

    # Back in the reviewer's 待审核 list: 已发布, with 发布时间 left empty (meaning now).
    reviewer.goto(f"/{settings.ADMIN_URL}")
    assert worklist_count(reviewer, "review") == waiting
    reviewer.locator("[data-worklist=review] a").click()
    reviewer.get_by_role("link", name=title).click()
    reviewer.get_by_label("状态").select_option(label="已发布")
    reviewer.locator("input[name=_save]").click()
    expect(reviewer.locator(".messagelist .success")).to_be_visible()
    article.refresh_from_db()
    assert article.status == Article.Status.PUBLISHED
    assert article.published_at <= timezone.now()

    reader.goto("/")
    reader.get_by_role("link", name=title).first.click()
    expect(reader.get_by_role("heading", level=1)).to_have_text(title)
    expect(reader.locator(".article__body")).to_contain_text(body_text)
    for alt, width in (("会场示意图", 640), ("党员在活动室交流发言", 720)):
        image = reader.get_by_role("img", name=alt)
        expect(image).to_be_visible()
        image.scroll_into_view_if_needed()  # loaded lazily
        expect(image).to_have_js_property("complete", True)
        # Renditions (portal/renditions.py), made the first time they were asked for: the
        # body image's own 640 px for the 760 px column, the 800 px cover's 720 for its box.
        assert image.evaluate("img => img.naturalWidth") > 0, alt
        assert image.evaluate("img => img.currentSrc").endswith(f".{width}w.webp"), alt
