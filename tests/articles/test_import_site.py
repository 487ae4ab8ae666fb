"""manage.py import_site: moving the articles of the old site in (issue 18).

The tests write the old sites themselves: layout A is a GBK site of the seed kind (h1, #zoom,
"发布日期:2017-09-06 浏览量:123"), layout B a UTF-8 site in traditional characters with
other selectors, a date with its time and absolute image addresses on the old host.
"""

import functools
import io
import threading
from datetime import datetime
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from PIL import Image

from articles import importer, services
from articles.models import Article
from articles.search import search_articles
from portal.models import AuditEntry
from tests.factories import CategoryFactory

Status = Article.Status

MAPPING_A = """
[article]
title = "h1"
body = "#zoom"
date = ".info"
views = ".info"
unit = ".unit"

[sections]
"dcyj/**/*.html" = "调查研究"
"jcdj/jgdj/**/*.html" = "机关党建"
"""

MAPPING_B = """
host = "http://www.tqdj.gov.cn"

[article]
title = ".article-title"
body = "div.content"
date = ".meta .time"
views = ".meta .hits"
source = ".meta .src"

[sections]
"news/**/*.htm" = "他山之石"
"""


def page_a(title, body, date="2017-09-06", unit=""):
    unit_html = f'<p class="unit">申报单位：{unit}</p>' if unit else ""
    return f"""<!DOCTYPE html><html><head><meta charset="gbk"><title>{title}</title></head>
<body><div class="nav">当前位置：首页 &gt; 调查研究</div>
<h1>{title}</h1>
<div class="info">发布日期:{date} 浏览量:123 字号:[大 中 小]</div>
{unit_html}
<div id="zoom">{body}</div>
<div class="pager"><a href="other.html">上一篇</a></div></body></html>"""


def page_b(title, body, when="2018-03-05 14:30", hits=45):
    return f"""<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>
<div class="article-title">{title}</div>
<div class="meta"><span class="time">發佈時間：{when}</span>
<span class="hits">瀏覽次數：{hits}</span><span class="src">來源：組織部</span></div>
<div class="content">{body}</div></body></html>"""


def image_bytes(fmt="PNG", colour=(200, 30, 30)):
    out = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(out, fmt)
    return out.getvalue()


def write(path, data):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return path


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def sections(db):
    research = CategoryFactory(name="调查研究", slug="dcyj")
    party = CategoryFactory(name="基层党建", slug="jcdj")
    offices = CategoryFactory(name="机关党建", slug="jgdj", parent=party)
    elsewhere = CategoryFactory(name="他山之石", slug="tszs")
    return {"调查研究": research, "机关党建": offices, "他山之石": elsewhere}


@pytest.fixture
def site_a(tmp_path):
    """A GBK site: two research reports linking to each other, images beside the page and
    at the site's root, a list page, and an office's article."""
    root = tmp_path / "site-a"
    first = page_a(
        "关于机关党建联盟的调研报告",
        '<p>一、基本情况：全旗共有楼宇党建联盟5个。</p><p><img src="images/p1.jpg" alt="座谈会">'
        '</p><p>详见<a href="0907-2.html#part">第二篇</a>。</p>',
        unit="中共某某旗委组织部",
    )
    second = page_a(
        "楼宇党建“1+N”模式的思考",
        '<p>二、主要做法和成效。</p><p><img src="/images/shared.png"></p>'
        '<p>回看<a href="/dcyj/2017/0906-1.html">第一篇</a>，'
        '另见<a href="http://www.gov.cn/zhengce/">国务院政策</a>。</p>',
        date="2017-09-07",
    )
    write(root / "dcyj/2017/0906-1.html", first.encode("gb18030"))
    write(root / "dcyj/2017/0907-2.html", second.encode("gb18030"))
    write(root / "dcyj/2017/images/p1.jpg", image_bytes("JPEG"))
    write(root / "images/shared.png", image_bytes("PNG", (10, 120, 40)))
    write(root / "dcyj/index.html", "<html><body><ul><li>列表页</li></ul></body></html>")
    office = page_a(
        "机关工委召开党建工作推进会",
        '<p>会议要求强化党建引领。</p><script>alert("x")</script>'
        '<p onclick="steal()">㐀会议结束。</p><img src="missing.jpg">'
        '<img src="..\\..\\..\\images\\shared.png">',  # saved on Windows
        date="2019-12-30",
    )
    write(root / "jcdj/jgdj/2019/1230.html", office.encode("gb18030"))
    write(root / "about.html", "<html><body>关于我们</body></html>")
    return root


@pytest.fixture
def site_b(tmp_path):
    """A UTF-8 site in traditional characters, absolute addresses on its old host."""
    root = tmp_path / "site-b"
    write(
        root / "news/2018/a1.htm",
        page_b(
            "黨建引領基層治理的經驗",
            '<p>各地黨組織積極探索。</p><p><img src="http://www.tqdj.gov.cn/uploads/b1.png"></p>'
            '<p><img src="http://img.other.example/x.png"></p>'
            '<p>參閱<a href="http://www.tqdj.gov.cn/news/2018/a2.htm">續篇</a>。</p>',
        ),
    )
    write(
        root / "news/2018/a2.htm",
        page_b(
            "續篇：機關黨建聯盟",
            '<p>聯盟每季度召開聯席會議。</p><p><a href="a1.htm">上篇</a></p>'
            '<p><img src="../../uploads/b1.png"></p>',
            when="2018年3月6日 09:05",
            hits=7,
        ),
    )
    write(root / "uploads/b1.png", image_bytes("PNG", (0, 0, 200)))
    return root


def mapping(tmp_path, text, name="mapping.toml"):
    return write(tmp_path / name, text)


def run(source, mapping_file, *args):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_site", str(source), "--mapping", str(mapping_file), *args, stdout=out, stderr=err
    )
    return out.getvalue()


def local(year, month, day, hour=0, minute=0):
    return timezone.make_aware(datetime(year, month, day, hour, minute))


def snapshot():
    return {
        "articles": list(Article.objects.order_by("pk").values_list("pk", "updated_at", "body")),
        "history": Article.history.count(),
        "audit": AuditEntry.objects.count(),
    }


def media_files(root):
    return sorted(p.name for p in Path(root).rglob("*") if p.is_file())


def test_gbk_site_arrives_whole(sections, site_a, media, tmp_path, client):
    report = run(site_a, mapping(tmp_path, MAPPING_A), "--status", "published")

    first = Article.objects.get(import_source="dcyj/2017/0906-1.html")
    second = Article.objects.get(import_source="dcyj/2017/0907-2.html")
    office = Article.objects.get(import_source="jcdj/jgdj/2019/1230.html")
    assert first.title == "关于机关党建联盟的调研报告"
    assert first.category == sections["调查研究"]
    assert office.category == sections["机关党建"] and office.section.name == "基层党建"
    assert first.published_at == first.first_published_at == local(2017, 9, 6)
    assert second.published_at == local(2017, 9, 7)
    assert first.status == Status.PUBLISHED and first.view_count == 123
    assert first.submitting_unit == "中共某某旗委组织部"
    assert "全旗共有楼宇党建联盟5个" in first.body
    # Links between imported pages lead to their new addresses, both ways; others stay.
    assert f'href="{second.get_absolute_url()}"' in first.body
    assert f'href="{first.get_absolute_url()}"' in second.body
    assert 'href="http://www.gov.cn/zhengce/"' in second.body
    # Images copied into media as re-encoded files, their src rewritten.
    assert 'src="/media/imported/' in first.body and 'alt="座谈会"' in first.body
    assert 'src="/media/imported/' in second.body
    assert len(media_files(media)) == 2
    assert 'srcset="/media/imported/' in first.body
    # Scripts and handlers gone, a GB18030-only character kept, the missing image reported.
    assert "alert" not in office.body and "onclick" not in office.body
    assert "㐀会议结束" in office.body and office.body.count("<img") == 1
    assert 'src="/media/imported/' in office.body
    assert "新建 3 篇" in report and "复制图片 2 张" in report and "缺失图片 1 张" in report
    assert "missing.jpg（文件不存在）" in report
    assert "jcdj/jgdj/2019/1230.html：正文中的脚本、样式或嵌入内容已删除" in report
    assert "dcyj/index.html：找不到标题" in report
    assert "没有对应栏目的文件 1 个" in report  # about.html
    assert "指向未导入的页面" not in report
    # Published, readable, findable, and recorded as 导入 with the old address.
    response = client.get(first.get_absolute_url())
    assert response.status_code == 200 and "2017-09-06" in response.content.decode()
    assert first.kind == Article.Kind.REPORT and second.kind == Article.Kind.NEWS
    assert "申报单位：中共某某旗委组织部" in response.content.decode()
    assert list(search_articles(Article.objects.published(), "楼宇党建联盟")) == [first]
    entries = AuditEntry.objects.filter(action="article.import", object_id=str(first.pk))
    # Its link leads to a page imported after it: a second save points the link there.
    assert [e.summary for e in entries.order_by("pk")] == [
        "导入《关于机关党建联盟的调研报告》",
        "导入：改写站内链接《关于机关党建联盟的调研报告》",
    ]
    assert {e.data["source"] for e in entries} == {"dcyj/2017/0906-1.html"}
    assert first.history.earliest().history_change_reason == "导入"
    assert second.history.count() == 1


def test_second_run_changes_nothing(sections, site_a, media, tmp_path):
    mapping_file = mapping(tmp_path, MAPPING_A)
    run(site_a, mapping_file)
    before, files = snapshot(), media_files(media)

    report = run(site_a, mapping_file)

    assert snapshot() == before and media_files(media) == files
    assert "新建 0 篇，更新 0 篇，未变 3 篇" in report
    assert "复制图片 0 张，已有图片 2 张" in report


def test_a_changed_page_updates_its_article(sections, site_a, media, tmp_path):
    mapping_file = mapping(tmp_path, MAPPING_A)
    run(site_a, mapping_file)
    article = Article.objects.get(import_source="dcyj/2017/0906-1.html")
    page = site_a / "dcyj/2017/0906-1.html"
    page.write_bytes(page.read_bytes().replace("基本情况".encode("gb18030"), b"JBQK"))

    report = run(site_a, mapping_file)

    article.refresh_from_db()
    assert "JBQK" in article.body and Article.objects.count() == 3
    assert "新建 0 篇，更新 1 篇，未变 2 篇" in report
    assert article.history.latest().history_change_reason == "导入"


def test_an_article_edited_here_is_not_overwritten(sections, site_a, media, tmp_path, editor):
    mapping_file = mapping(tmp_path, MAPPING_A)
    run(site_a, mapping_file)
    article = Article.objects.get(import_source="dcyj/2017/0906-1.html")
    article.title = "调研报告（本站修订）"
    services.article_save(article=article, by=editor)
    page = site_a / "dcyj/2017/0906-1.html"
    page.write_bytes(page.read_bytes().replace("基本情况".encode("gb18030"), b"JBQK"))

    report = run(site_a, mapping_file)

    article.refresh_from_db()
    assert article.title == "调研报告（本站修订）" and "JBQK" not in article.body
    assert "dcyj/2017/0906-1.html：导入后已在本站修改过，未覆盖" in report


def test_an_imported_draft_keeps_its_old_date_when_published(
    sections, site_a, media, tmp_path, reviewer
):
    run(site_a, mapping(tmp_path, MAPPING_A))
    article = Article.objects.get(import_source="dcyj/2017/0906-1.html")
    assert article.status == Status.DRAFT  # 先审后发: the default is a draft
    assert not Article.objects.published().exists()

    services.article_move(article=article, to=Status.PUBLISHED, by=reviewer)

    article.refresh_from_db()
    assert article.published_at == local(2017, 9, 6) and article.is_public


def test_dry_run_writes_nothing(sections, site_a, media, tmp_path):
    report = run(site_a, mapping(tmp_path, MAPPING_A), "--dry-run")

    assert not Article.objects.exists() and not AuditEntry.objects.exists()
    assert media_files(media) == []
    assert report.startswith("试运行，未写入任何内容。将新建 3 篇")
    assert "将复制图片 2 张" in report


def test_dry_run_after_an_import_reports_the_update(sections, site_a, media, tmp_path):
    mapping_file = mapping(tmp_path, MAPPING_A)
    run(site_a, mapping_file)
    page = site_a / "dcyj/2017/0906-1.html"
    page.write_bytes(page.read_bytes().replace("基本情况".encode("gb18030"), b"JBQK"))
    before = snapshot()

    report = run(site_a, mapping_file, "--dry-run")

    assert snapshot() == before
    assert "将新建 0 篇，将更新 1 篇，未变 2 篇" in report


def test_traditional_utf8_site_with_absolute_addresses(sections, site_b, media, tmp_path):
    report = run(site_b, mapping(tmp_path, MAPPING_B), "--status", "published")

    first = Article.objects.get(import_source="http://www.tqdj.gov.cn/news/2018/a1.htm")
    second = Article.objects.get(import_source="http://www.tqdj.gov.cn/news/2018/a2.htm")
    assert first.title == "黨建引領基層治理的經驗"  # traditional characters stay
    assert "各地黨組織積極探索" in first.body
    assert first.published_at == local(2018, 3, 5, 14, 30)
    assert second.published_at == local(2018, 3, 6, 9, 5)
    assert (first.view_count, second.view_count) == (45, 7)
    assert first.source == "組織部"
    assert first.category == sections["他山之石"]
    assert f'href="{second.get_absolute_url()}"' in first.body
    assert f'href="{first.get_absolute_url()}"' in second.body
    # The same image by its absolute and by its relative address: copied once.
    assert len(media_files(media)) == 1
    [stored] = media_files(media)
    assert f'src="/media/imported/{stored}"' in first.body
    assert f'src="/media/imported/{stored}"' in second.body
    assert "img.other.example" not in first.body
    assert "http://img.other.example/x.png（不在旧网站上的图片不复制）" in report
    assert "新建 2 篇" in report and "复制图片 1 张" in report

    assert "新建 0 篇，更新 0 篇，未变 2 篇" in run(site_b, mapping(tmp_path, MAPPING_B))


def test_absolute_images_without_host_are_reported_missing(sections, site_b, media, tmp_path):
    no_host = MAPPING_B.replace('host = "http://www.tqdj.gov.cn"', "")

    report = run(site_b, mapping(tmp_path, no_host))

    first = Article.objects.get(import_source="news/2018/a1.htm")
    assert "http://www.tqdj.gov.cn/uploads/b1.png（不在旧网站上的图片不复制）" in report
    assert "<img" not in first.body
    assert "缺失图片 2 张" in report


def test_bad_pages_get_a_line_and_change_nothing_else(sections, media, tmp_path, monkeypatch):
    monkeypatch.setattr(importer, "MAX_PAGE_BYTES", 4000)
    root = tmp_path / "site"
    good = page_a("正常的文章", '<p>正文。<a href="no-date.html">没有日期的那篇</a></p>')
    write(root / "dcyj/good.html", good.encode("gb18030"))
    write(
        root / "dcyj/no-date.html", page_a("没有日期", "<p>正文。</p>", date="不详").encode("gbk")
    )
    write(
        root / "dcyj/bad-date.html",
        page_a("日期不对", "<p>正文。</p>", date="2017-02-30").encode("gbk"),
    )
    write(root / "dcyj/no-title.html", page_a("", "<p>正文。</p>").encode("gb18030"))
    write(root / "dcyj/bad-bytes.html", b"<h1>\xff\xfe\xfa</h1>")
    write(root / "dcyj/odd-charset.html", b'<meta charset="x-no-such"><h1>t</h1>')
    write(root / "dcyj/huge.html", page_a("很大的页面", "<p>" + "长" * 5000 + "</p>"))
    write(root / "dcyj/long-title.html", page_a("长" * 121, "<p>正文。</p>").encode("gbk"))

    report = run(root, mapping(tmp_path, MAPPING_A))

    assert list(Article.objects.values_list("title", flat=True)) == ["正常的文章"]
    assert "新建 1 篇，更新 0 篇，未变 0 篇，跳过 7 篇" in report
    assert "dcyj/no-date.html：找不到发布日期（选择器 .info）" in report
    assert "dcyj/bad-date.html：发布日期“2017-02-30”无效" in report
    assert "dcyj/no-title.html：找不到标题（选择器 h1）" in report
    assert "dcyj/bad-bytes.html：无法按 utf-8 编码读取" in report
    assert "dcyj/odd-charset.html：无法识别的编码“x-no-such”" in report
    assert "dcyj/huge.html：页面文件过大" in report
    assert "dcyj/long-title.html：标题：" in report
    # Its link to a page that could not be imported leads nowhere new: the text stays.
    assert "<a" not in Article.objects.get().body and "没有日期的那篇" in Article.objects.get().body
    assert "dcyj/good.html：链接 no-date.html 指向未导入的页面，已去掉链接" in report
    before = snapshot()
    again = run(root, mapping(tmp_path, MAPPING_A))
    assert snapshot() == before and "新建 0 篇，更新 0 篇，未变 1 篇，跳过 7 篇" in again


def test_mapping_encoding_overrides_a_wrong_meta(sections, media, tmp_path):
    root = tmp_path / "site"
    wrong_meta = page_a("编码声明错误的页面", "<p>正文。</p>").replace("gbk", "utf-8")
    write(root / "dcyj/1.html", wrong_meta.encode("gb18030"))
    with_encoding = MAPPING_A.replace('unit = ".unit"', 'unit = ".unit"\nencoding = "gbk"')

    assert "跳过 1 篇" in run(root, mapping(tmp_path, MAPPING_A))
    assert "新建 1 篇" in run(root, mapping(tmp_path, with_encoding))
    assert Article.objects.get().title == "编码声明错误的页面"


def test_unknown_section_stops_before_anything_is_written(sections, site_a, media, tmp_path):
    bad = MAPPING_A.replace('= "机关党建"', '= "不存在的栏目"')

    with pytest.raises(CommandError, match="栏目“不存在的栏目”不存在"):
        run(site_a, mapping(tmp_path, bad))

    assert not Article.objects.exists() and media_files(media) == []


def test_an_ambiguous_section_name_asks_for_its_parent(sections, site_a, media, tmp_path):
    CategoryFactory(name="机关党建", slug="jgdj2", parent=sections["调查研究"])

    with pytest.raises(CommandError, match="上级栏目 > 子栏目"):
        run(site_a, mapping(tmp_path, MAPPING_A))

    qualified = MAPPING_A.replace('= "机关党建"', '= "基层党建 > 机关党建"')
    run(site_a, mapping(tmp_path, qualified))
    assert Article.objects.filter(category=sections["机关党建"]).count() == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[article\ntitle = 1", "不是有效的 TOML"),
        ('[sections]\n"a/*.html" = "调查研究"', "缺少 \\[article\\]"),
        ('[article]\ntitle = "h1"\nbody = "#zoom"\n[sections]\n"a" = "调查研究"', "date"),
        (MAPPING_A.replace('body = "#zoom"', 'body = "div[["'), "不是有效的 CSS 选择器"),
        (MAPPING_A.replace('unit = ".unit"', 'encoding = "klingon"'), "不是已知的编码"),
        (MAPPING_A.replace('unit = ".unit"', 'colour = "red"'), "不认识的项：colour"),
        (MAPPING_A.split("[sections]")[0], "缺少 \\[sections\\]"),
        ('host = "ftp://x"\n' + MAPPING_A, "host"),
    ],
)
def test_bad_mapping_is_a_clear_error(sections, site_a, media, tmp_path, text, message):
    with pytest.raises(CommandError, match=message):
        run(site_a, mapping(tmp_path, text))


def test_missing_source_or_mapping_is_a_clear_error(sections, tmp_path):
    with pytest.raises(CommandError, match="找不到 SOURCE"):
        run(tmp_path / "nowhere", mapping(tmp_path, MAPPING_A))
    with pytest.raises(CommandError, match="找不到映射文件"):
        run(tmp_path, tmp_path / "nowhere.toml")


@pytest.fixture
def old_server(site_a):
    """The GBK site served over HTTP from a thread, as the old host would."""
    handler = functools.partial(QuietHandler, directory=str(site_a))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.requests = []
    yield server
    server.shutdown()
    server.server_close()


class QuietHandler(SimpleHTTPRequestHandler):
    def log_request(self, code="-", size="-"):
        self.server.requests.append(self.path)

    def log_message(self, format, *args):
        pass


def test_url_list_is_fetched_one_by_one(sections, old_server, media, tmp_path):
    base = f"http://127.0.0.1:{old_server.server_port}"
    urls = write(
        tmp_path / "urls.txt",
        f"{base}/dcyj/2017/0906-1.html\n\n{base}/dcyj/2017/0907-2.html\n"
        f"{base}/dcyj/2017/gone.html\n{base}/jcdj/jgdj/2019/1230.html\n"
        f"{base}/about.html\nnot a url\n",
    )

    report = run(urls, mapping(tmp_path, MAPPING_A), "--pause", "0", "--status", "published")

    first = Article.objects.get(import_source=f"{base}/dcyj/2017/0906-1.html")
    second = Article.objects.get(import_source=f"{base}/dcyj/2017/0907-2.html")
    assert first.title == "关于机关党建联盟的调研报告"
    assert first.published_at == local(2017, 9, 6)
    assert f'href="{second.get_absolute_url()}"' in first.body
    assert f'href="{first.get_absolute_url()}"' in second.body
    assert first.body.count('src="/media/imported/') == 1
    assert "新建 3 篇" in report and "复制图片 2 张" in report
    assert f"{base}/dcyj/2017/gone.html：下载失败：HTTP 404" in report
    assert f"{base}/about.html：路径 about.html 不符合 [sections] 中的任何模式" in report
    assert "第 7 行：“not a url”不是 http(s) 网址" in report
    assert "missing.jpg（下载失败：HTTP 404）" in report
    # One request per page and per image, none for the pages not mapped.
    assert "/about.html" not in old_server.requests
    assert len(old_server.requests) == 7


def test_url_list_times_out_politely(sections, media, tmp_path):
    silent = ThreadingHTTPServer(("127.0.0.1", 0), SilentHandler)
    thread = threading.Thread(target=silent.serve_forever, daemon=True)
    thread.start()
    try:
        urls = write(tmp_path / "urls.txt", f"http://127.0.0.1:{silent.server_port}/dcyj/1.html")
        report = run(urls, mapping(tmp_path, MAPPING_A), "--pause", "0", "--timeout", "0.3")
    finally:
        silent.shutdown()
        silent.server_close()
    assert "下载超时（0.3 秒）" in report and not Article.objects.exists()


class SilentHandler(SimpleHTTPRequestHandler):
    def do_GET(self):
        threading.Event().wait(1)

    def log_message(self, format, *args):
        pass


def test_the_readme_mapping_is_one_the_command_reads(sections, tmp_path):
    CategoryFactory(name="领导讲话", slug="ldjh")
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    chapter = readme.split("## 从旧网站迁移", 1)[1]
    worked = chapter.split("```toml\n", 1)[1].split("```", 1)[0]

    loaded = importer.load_mapping(mapping(tmp_path, worked))

    assert loaded.host == "http://www.xxdj.gov.cn" and loaded.encoding == "gb18030"
    assert loaded.section_for("dcyj/2017/0906-1.html") == sections["调查研究"]
    assert loaded.section_for("jcdj/jgdj/0906.html") == sections["机关党建"]
    assert loaded.section_for("index.html") is None


def test_url_list_with_chinese_paths(sections, old_server, site_a, media, tmp_path):
    base = f"http://127.0.0.1:{old_server.server_port}"
    body = '<p>专题。</p><img src="图片 1.png"><a href="/dcyj/2017/0906-1.html">旧文</a>'
    write(site_a / "dcyj/专题/第1篇.html", page_a("专题文章", body).encode("gb18030"))
    write(site_a / "dcyj/专题/图片 1.png", image_bytes())
    urls = write(
        tmp_path / "urls.txt",
        f"{base}/dcyj/专题/第1篇.html\n{base}/dcyj/2017/0906-1.html\n"
        f"{base}/dcyj/%E4%B8%93%E9%A2%98/%E7%AC%AC1%E7%AF%87.html\n",  # the same, encoded
    )

    report = run(urls, mapping(tmp_path, MAPPING_A), "--pause", "0")

    article = Article.objects.get(title="专题文章")
    old = Article.objects.get(import_source=f"{base}/dcyj/2017/0906-1.html")
    assert 'src="/media/imported/' in article.body
    assert f'href="{old.get_absolute_url()}"' in article.body
    assert "新建 2 篇" in report and Article.objects.count() == 2


def test_url_list_pauses_between_requests(sections, old_server, media, tmp_path, monkeypatch):
    base = f"http://127.0.0.1:{old_server.server_port}"
    urls = write(
        tmp_path / "urls.txt", f"{base}/dcyj/2017/0906-1.html\n{base}/dcyj/2017/0907-2.html\n"
    )
    pauses = []
    monkeypatch.setattr(importer.time, "sleep", pauses.append)

    run(urls, mapping(tmp_path, MAPPING_A), "--pause", "2.5")

    # Two pages and two images: a pause before each request but the first.
    assert len(old_server.requests) == 4 and len(pauses) == 3
    assert all(2 < pause <= 2.5 for pause in pauses)
