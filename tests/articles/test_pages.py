"""The public pages as a reader meets them."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from articles import viewcounts
from articles.models import Article, Attachment
from tests.factories import ArticleFactory, CategoryFactory


def text(response):
    return response.content.decode()


def test_home_shows_navigation_in_order_and_latest_articles(client, section, subsection):
    later = CategoryFactory(name="干部队伍", slug="gbdw", position=section.position + 1)
    ArticleFactory(category=subsection, title="机关党建工作推进会召开")
    ArticleFactory(category=later, title="干部教育培训班开班")
    body = text(client.get(reverse("portal:home")))
    assert body.index("首页") < body.index("基层党建") < body.index("干部队伍")
    assert "机关党建工作推进会召开" in body and "干部教育培训班开班" in body


def test_article_page_shows_what_domain_md_describes(client, subsection):
    report = ArticleFactory(
        category=subsection,
        kind=Article.Kind.REPORT,
        title="关于楼宇党建联盟的调研报告",
        summary="本报告总结了联盟建设的做法。",
        submitting_unit="红柳旗机关工委",
        source="红柳旗委组织部",
        body="<p>正文第一段。</p>",
    )
    body = text(client.get(report.get_absolute_url()))
    assert "当前位置：" in body and "基层党建" in body and "机关党建" in body
    assert f"{timezone.localtime(report.published_at):%Y-%m-%d %H:%M}" in body
    assert "浏览量：1" in body
    assert "字号：" in body
    assert "申报单位：红柳旗机关工委" in body
    assert "摘要" in body and "本报告总结了联盟建设的做法。" in body
    assert "来源：红柳旗委组织部" in body
    assert '<meta name="ArticleTitle" content="关于楼宇党建联盟的调研报告">' in body
    assert '<meta name="ColumnName" content="机关党建">' in body
    assert '<meta name="PubDate"' in body and '<meta name="ContentSource"' in body


def test_previous_and_next_follow_the_section_list(client, subsection):
    now = timezone.now()
    older, middle, newer = (
        ArticleFactory(category=subsection, title=title, published_at=now - timedelta(days=days))
        for title, days in (("较早的文章", 3), ("中间的文章", 2), ("较新的文章", 1))
    )
    ArticleFactory(
        category=CategoryFactory(), title="别的栏目的文章", published_at=now - timedelta(days=2)
    )
    body = text(client.get(middle.get_absolute_url()))
    assert f'<a href="{newer.get_absolute_url()}" rel="prev">较新的文章</a>' in body
    assert f'<a href="{older.get_absolute_url()}" rel="next">较早的文章</a>' in body
    first = text(client.get(newer.get_absolute_url()))
    assert "上一篇：没有了" in first


def test_view_count_rises_by_one_per_reader(client, article):
    for reader in range(3):
        client.get(article.get_absolute_url(), REMOTE_ADDR=f"10.0.0.{reader}")
    client.get(article.get_absolute_url(), REMOTE_ADDR="10.0.0.0")  # the first again
    viewcounts.flush()  # views wait in the process, and with Redis until the next flush
    article.refresh_from_db()
    assert article.view_count == 3


@pytest.mark.django_db(transaction=True)
def test_concurrent_views_are_all_counted(subsection):
    article = ArticleFactory(category=subsection)
    errors = []

    def read(thread):
        try:
            for n in range(5):
                address = f"10.0.{thread}.{n}"  # thirty readers
                assert (
                    Client(REMOTE_ADDR=address).get(article.get_absolute_url()).status_code == 200
                )
        except Exception as error:
            errors.append(error)
        finally:
            connection.close()  # this thread's own connection

    threads = [threading.Thread(target=read, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    viewcounts.flush()
    article.refresh_from_db()
    assert article.view_count == 30


def test_attachments_are_listed_for_download(client, article):
    Attachment.objects.create(
        article=article, title="附件1：申报表", file="attachments/x.xlsx", size=20480
    )
    body = text(client.get(article.get_absolute_url()))
    assert "附件1：申报表" in body and "XLSX" in body and "20.0" in body


def test_section_page_lists_sub_sections_and_paginates(client, section, subsection):
    for number in range(25):
        ArticleFactory(category=subsection, title=f"分页文章{number:02d}")
    first = client.get(section.get_absolute_url())
    assert first.status_code == 200
    assert "第 1 页 / 共 2 页" in text(first)
    assert "机关党建" in text(first)
    second = client.get(section.get_absolute_url() + "?page=2")
    assert second.status_code == 200 and "分页文章00" in text(second)


def test_section_filters_narrow_by_sub_section_kind_and_year(client, section, subsection):
    other = CategoryFactory(name="社区党建", slug="sqdj", parent=section)
    ArticleFactory(category=subsection, title="机关的新闻")
    ArticleFactory(category=other, title="社区的通知", kind=Article.Kind.NOTICE)
    url = section.get_absolute_url()
    by_sub = text(client.get(url, {"category": other.pk}))
    assert "社区的通知" in by_sub and "机关的新闻" not in by_sub
    by_kind = text(client.get(url, {"kind": "notice"}))
    assert "社区的通知" in by_kind and "机关的新闻" not in by_kind
    this_year = text(client.get(url, {"year": timezone.localdate().year}))
    assert "社区的通知" in this_year and "机关的新闻" in this_year


@pytest.mark.parametrize(
    "query",
    [
        {"year": "abc"},
        {"year": "99999999999999999999"},
        {"year": "1999"},
        {"kind": "<script>alert(1)</script>"},
        {"category": "999999"},
        {"category": "1 OR 1=1"},
        {"kind": "news\x00"},
        {"year": ["2024", "2025"]},
    ],
)
def test_bad_filter_values_get_a_400_with_a_message_never_a_500(client, subsection, query):
    ArticleFactory(category=subsection)
    response = client.get(subsection.parent.get_absolute_url(), query)
    assert response.status_code == 400
    assert "筛选条件无效" in text(response)
    assert "<script>alert(1)</script>" not in text(response)


@pytest.mark.parametrize("page", ["abc", "0", "-1", "999", "1e9"])
def test_bad_page_numbers_are_a_404_not_a_500(client, article, page):
    response = client.get(article.category.get_absolute_url(), {"page": page})
    assert response.status_code == 404


def test_missing_pages_get_a_real_404_with_links_home_and_to_search(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = text(response)
    assert "页面不存在" in body
    assert 'href="/"' in body and 'action="/search/"' in body
    assert client.get("/article/999999/").status_code == 404
    assert client.get("/section/no-such-section/").status_code == 404


def test_font_size_is_remembered_across_pages_without_javascript(client, article):
    response = client.get(
        reverse("portal:font_size", args=["large"]), {"next": article.get_absolute_url()}
    )
    assert response.status_code == 302
    assert response["Location"] == article.get_absolute_url()
    assert client.get(article.get_absolute_url()).content.decode().count('class="font-large"') == 1
    assert 'class="font-large"' in text(client.get(reverse("portal:home")))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_font_size_switch_does_not_redirect_off_site(client, db, target):
    response = client.get(reverse("portal:font_size", args=["small"]), {"next": target})
    assert response["Location"] == "/"


def test_unknown_font_size_is_a_404(client, db):
    assert client.get(reverse("portal:font_size", args=["huge"])).status_code == 404


def test_feeds_and_sitemap_and_robots(client, article):
    feed = client.get(reverse("articles:feed"))
    assert feed.status_code == 200 and article.title in text(feed)
    section_feed = client.get(reverse("articles:category_feed", args=[article.category.slug]))
    assert article.title in text(section_feed)
    assert client.get(reverse("articles:category_feed", args=["nothing"])).status_code == 404
    sitemap = client.get(reverse("django.contrib.sitemaps.views.sitemap", args=["articles"]))
    assert article.get_absolute_url() in text(sitemap)
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and "sitemap-articles.xml" in text(index)
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in text(robots)
    home = text(client.get(reverse("portal:home")))
    assert 'rel="alternate" type="application/rss+xml"' in home


def test_footer_shows_the_site_settings_with_filing_links(client, db):
    from portal.models import SiteSettings

    settings = SiteSettings.load()
    settings.host_organization = "中共红柳旗委员会组织部"
    settings.icp_number = "蒙ICP备12345678号-1"
    settings.police_number = "蒙公网安备 15010202000123号"
    settings.site_id_code = "1501000001"
    settings.save()
    body = text(client.get(reverse("portal:home")))
    assert "主办单位：中共红柳旗委员会组织部" in body
    assert '<a href="https://beian.miit.gov.cn/"' in body
    assert "code=15010202000123" in body
    assert "网站标识码：1501000001" in body
    assert '<meta name="SiteIDCode" content="1501000001">' in body


def test_video_article_has_a_player_with_poster(client, subsection):
    video = ArticleFactory(
        category=subsection,
        kind=Article.Kind.VIDEO,
        video_file="videos/a.webm",
        video_poster="posters/a.jpg",
    )
    body = text(client.get(video.get_absolute_url()))
    assert "<video controls" in body and 'poster="/media/posters/a.jpg"' in body


def test_the_500_page_renders_without_the_database(rf):
    """No db fixture here: any query would raise, as it would with the database down."""
    from django.views.defaults import server_error

    response = server_error(rf.get("/"))
    assert response.status_code == 500
    body = response.content.decode()
    assert "服务器暂时无法响应" in body and 'href="/"' in body and 'href="/search/"' in body
