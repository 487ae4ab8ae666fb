"""Issue 17's checklist: meta tags, sitemap.xml, the HTML 网站地图, 网站纠错, the footer's
site settings and the 联络员登录 entry."""

import re
import time
from datetime import date

import pytest
from django.core import signing
from django.db.models.signals import post_init
from django.urls import reverse
from django.utils.html import escape

from alliances import publishing
from alliances.models import PublicVersion
from portal import errorreports
from portal.models import ErrorReport, SiteSettings
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    ArticleFactory,
    MeetingFactory,
    StaffFactory,
    publish,
)

META_DESCRIPTION = re.compile(r'<meta name="description" content="([^"]*)">')


def descriptions(response):
    return META_DESCRIPTION.findall(response.content.decode())


@pytest.fixture
def site(db):
    settings = SiteSettings.load()
    settings.description = "XX旗党建工作的门户网站"
    settings.save()
    return settings


@pytest.fixture
def alliance(db):
    return AllianceFactory(name="文体大厦联盟", slug="wenti")


# Meta tags ---------------------------------------------------------------------------------


def test_an_article_page_has_one_description_its_summary(client, site, subsection):
    article = ArticleFactory(category=subsection, summary="全旗机关党建工作会议部署全年任务。")
    assert descriptions(client.get(article.get_absolute_url())) == [
        "全旗机关党建工作会议部署全年任务。"
    ]


def test_an_article_without_summary_has_the_sites_description_once(client, site, subsection):
    article = ArticleFactory(category=subsection, summary="")
    assert descriptions(client.get(article.get_absolute_url())) == [site.description]


def test_every_other_page_type_has_exactly_one_description(client, site, subsection, alliance):
    ArticleFactory(category=subsection)
    urls = [
        reverse("portal:home"),
        subsection.get_absolute_url(),
        reverse("articles:search") + "?q=党建",
        reverse("alliances:directory"),
        alliance.get_absolute_url(),
        reverse("alliances:activities"),
        reverse("portal:site_map"),
        reverse("portal:error_report"),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert descriptions(response) == [site.description], url


def test_an_alliance_record_page_is_described_by_its_public_text(client, site, alliance):
    activity, meeting = ActivityFactory(alliance=alliance), MeetingFactory(alliance=alliance)
    publish(activity, text="三家单位的党员一起读书。\n交流了心得。")
    publish(meeting, text="研究第二季度联办活动。")
    assert descriptions(client.get(activity.get_absolute_url())) == [
        "三家单位的党员一起读书。 交流了心得。"
    ]
    assert descriptions(client.get(meeting.get_absolute_url())) == ["研究第二季度联办活动。"]


def test_an_alliance_page_is_described_by_its_introduction(client, site, alliance):
    alliance.description = "文体大厦八家驻楼单位的党支部组成。"
    alliance.save()
    assert descriptions(client.get(alliance.get_absolute_url())) == [alliance.description]


def test_without_a_site_description_the_page_still_has_one_the_sites_name(client, db):
    assert descriptions(client.get(reverse("portal:home"))) == [SiteSettings.load().site_name]


def test_an_article_page_has_keywords_from_its_section(client, site, section, subsection):
    article = ArticleFactory(category=subsection)
    html = client.get(article.get_absolute_url()).content.decode()
    keywords = re.findall(r'<meta name="keywords" content="([^"]*)">', html)
    assert len(keywords) == 1
    assert keywords[0].split(",")[:2] == [subsection.name, section.name]


def test_an_article_page_has_its_own_keywords_when_the_editor_wrote_them(client, site, section):
    article = ArticleFactory(category=section, keywords="楼宇党建,联建共建")
    html = client.get(article.get_absolute_url()).content.decode()
    assert re.findall(r'<meta name="keywords" content="([^"]*)">', html) == ["楼宇党建,联建共建"]


# sitemap.xml -------------------------------------------------------------------------------


def sitemap(client, name):
    url = reverse("django.contrib.sitemaps.views.sitemap", args=[name])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_the_sitemap_index_lists_pages_articles_and_alliance_sections(client, db):
    index = client.get(reverse("sitemap_index")).content.decode()
    for name in ("pages", "articles", "sections", "alliances", "activities", "meetings"):
        assert f"sitemap-{name}.xml" in index


def test_the_sitemap_lists_the_home_page_and_the_html_site_map(client, db):
    pages = sitemap(client, "pages")
    assert "<loc>http://testserver/</loc>" in pages
    assert f"<loc>http://testserver{reverse('portal:site_map')}</loc>" in pages


def test_the_sitemap_lists_published_activities_and_meetings_only(client, alliance):
    shown = ActivityFactory(alliance=alliance)
    publish(shown)
    waiting = ActivityFactory(alliance=alliance)
    committee = StaffFactory(username="committee", groups=["机关工委"])
    publishing.propose(
        record=waiting, title="待审核", held_on=waiting.held_on, text="介绍", by=committee
    )
    unpublished = ActivityFactory(alliance=alliance)
    meeting = MeetingFactory(alliance=alliance)
    publish(meeting)

    activities = sitemap(client, "activities")
    assert shown.get_absolute_url() in activities
    assert waiting.get_absolute_url() not in activities
    assert unpublished.get_absolute_url() not in activities
    assert "<lastmod>" in activities
    assert meeting.get_absolute_url() in sitemap(client, "meetings")


def test_the_sitemap_lists_public_alliances_only(client, alliance):
    proposed = AllianceFactory(slug="proposed", status="proposed")
    dissolved = AllianceFactory(slug="gone", status="dissolved", dissolved_on=date(2026, 1, 1))
    alliances = sitemap(client, "alliances")
    assert alliance.get_absolute_url() in alliances
    assert dissolved.get_absolute_url() in alliances
    assert "/alliances/proposed/" not in alliances
    assert proposed.status == "proposed"


def test_an_alliance_activity_of_a_proposed_alliance_is_not_listed(client, db):
    proposed = AllianceFactory(slug="proposed")
    activity = ActivityFactory(alliance=proposed)
    publish(activity)
    proposed.status = "proposed"
    proposed.save()
    assert activity.get_absolute_url() not in sitemap(client, "activities")


def test_the_sitemap_index_does_not_load_every_public_version(
    client, alliance, django_assert_max_num_queries
):
    for n in range(12):
        publish(ActivityFactory(alliance=alliance, title=f"活动{n}"))
    loaded = []

    def count(sender, **kwargs):
        loaded.append(sender)

    post_init.connect(count, sender=PublicVersion)
    try:
        # Articles and the two kinds of records: an aggregate and a count each; the section
        # tree; the count of alliances (measured 2026-12-07: 8).
        with django_assert_max_num_queries(8):
            response = client.get(reverse("sitemap_index"))
    finally:
        post_init.disconnect(count, sender=PublicVersion)
    assert response.status_code == 200
    assert re.search(r"sitemap-activities\.xml</loc><lastmod>", response.content.decode())
    assert loaded == []


# The HTML site map -------------------------------------------------------------------------


def test_the_html_site_map_shows_sections_alliances_and_feeds(
    client, section, subsection, alliance
):
    ArticleFactory(category=subsection)
    empty = subsection.__class__.objects.create(name="空栏目", slug="empty", position=99)
    hidden = AllianceFactory(name="尚未批准的联盟", slug="pending", status="proposed")
    html = client.get(reverse("portal:site_map")).content.decode()
    assert section.get_absolute_url() in html and subsection.get_absolute_url() in html
    assert alliance.get_absolute_url() in html and alliance.name in html
    assert reverse("articles:feed") in html
    assert reverse("articles:category_feed", args=[section.slug]) in html
    assert reverse("sitemap_index") in html
    assert empty.get_absolute_url() not in html
    assert hidden.name not in html


def test_the_html_site_map_costs_a_few_queries_however_many_alliances(
    client, subsection, settings, django_assert_num_queries
):
    settings.PORTAL_PAGE_CACHE = False
    ArticleFactory(category=subsection)
    AllianceFactory()
    client.get(reverse("portal:site_map"))  # the site settings record, made once

    def queries():
        client.get(reverse("portal:site_map"))  # fragments rebuilt after a change
        # The alliances and their members' counts (selectors.directory, which the directory
        # page shares); the section tree and the site settings are kept as fragments.
        with django_assert_num_queries(2) as captured:
            client.get(reverse("portal:site_map"))
        return len(captured)

    first = queries()
    for _ in range(5):
        AllianceFactory()
    assert queries() == first


def test_the_footers_site_map_link_leads_to_the_html_site_map(client, db):
    html = client.get(reverse("portal:home")).content.decode()
    assert f'<a href="{reverse("portal:site_map")}">网站地图</a>' in html


# 网站纠错 ----------------------------------------------------------------------------------


def form_data(**overrides):
    return {
        "page_url": "/article/1/",
        "description": "第二段“党建”写成了“党件”。",
        "contact": "",
        "website": "",
        "token": errorreports.issue_token(time.time() - 10),
        **overrides,
    }


def test_the_form_is_filled_with_the_page_the_reader_came_from(client, db):
    url = reverse("portal:error_report")
    response = client.get(url, headers={"referer": "http://testserver/article/7/?page=2"})
    assert 'value="/article/7/?page=2"' in response.content.decode()
    response = client.get(url, {"page": "/section/jcdj/"})
    assert 'value="/section/jcdj/"' in response.content.decode()


@pytest.mark.parametrize(
    "page", ["https://evil.example/x", "//evil.example/x", "javascript:alert(1)", 'x"><b>']
)
def test_the_form_takes_no_address_of_another_site(client, db, page):
    html = client.get(reverse("portal:error_report"), {"page": page}).content.decode()
    field = re.search(r'<input type="text" name="page_url"[^>]*>', html).group()
    assert 'value="' not in field
    assert "<b>" not in html


def test_the_form_page_is_never_page_cached(client, db):
    url = reverse("portal:error_report")
    first, second = client.get(url), client.get(url)
    assert "X-Page-Cache" not in second
    token = re.compile(r'name="token" value="([^"]+)"')
    assert token.search(first.content.decode()).group(1) != token.search(
        second.content.decode()
    ).group(1)


def test_a_report_lands_in_the_queue_and_the_reader_is_thanked(client, db):
    response = client.post(reverse("portal:error_report"), form_data(contact="13800000000"))
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:error_report_thanks")
    report = ErrorReport.objects.get()
    assert (report.page_url, report.status, report.contact) == (
        "/article/1/",
        ErrorReport.Status.OPEN,
        "13800000000",
    )
    assert "已收到" in client.get(response["Location"]).content.decode()


def test_a_full_address_of_this_site_is_kept_as_its_path(client, db):
    client.post(reverse("portal:error_report"), form_data(page_url="http://testserver/a/?b=1"))
    assert ErrorReport.objects.get().page_url == "/a/?b=1"


def test_another_sites_address_is_a_form_error(client, db):
    response = client.post(
        reverse("portal:error_report"), form_data(page_url="https://evil.example/")
    )
    assert response.status_code == 400
    assert "请填写本网站页面的地址" in response.content.decode()
    assert not ErrorReport.objects.exists()


def test_a_report_sent_too_fast_is_refused(client, db):
    response = client.post(
        reverse("portal:error_report"), form_data(token=errorreports.issue_token())
    )
    assert response.status_code == 400
    assert "提交太快了" in response.content.decode()
    assert not ErrorReport.objects.exists()
    # The reader's text stays, with a new token to send it again.
    assert "党件" in response.content.decode()


def test_a_report_with_an_old_token_is_refused(client, db):
    old = errorreports.issue_token(time.time() - errorreports.MAX_SECONDS - 60)
    response = client.post(reverse("portal:error_report"), form_data(token=old))
    assert response.status_code == 400
    assert "页面打开时间过长" in response.content.decode()
    assert not ErrorReport.objects.exists()


@pytest.mark.parametrize(
    "token",
    [
        "",
        "junk",
        signing.dumps(time.time() - 10, salt="another-form"),
        signing.dumps("not a time", salt=errorreports.SALT),
    ],
    # The signed ones differ at each collection: xdist's workers must name them alike.
    ids=["empty", "junk", "another-forms-signature", "not-a-time"],
)
def test_a_report_with_a_bad_token_is_refused(client, db, token):
    response = client.post(reverse("portal:error_report"), form_data(token=token))
    assert response.status_code == 400
    assert not ErrorReport.objects.exists()


def test_a_report_with_the_trap_field_filled_is_refused(client, db):
    response = client.post(reverse("portal:error_report"), form_data(website="http://spam"))
    assert response.status_code == 400
    assert "未通过检查" in response.content.decode()
    assert not ErrorReport.objects.exists()


def test_an_empty_description_is_a_plain_message(client, db):
    response = client.post(reverse("portal:error_report"), form_data(description="   "))
    assert response.status_code == 400
    assert "请填写问题描述" in response.content.decode()


def test_too_many_reports_from_one_client_get_a_429(client, db, settings):
    settings.PORTAL_ERROR_REPORT_RATE = "2/h"
    url = reverse("portal:error_report")
    statuses = [client.post(url, form_data()).status_code for _ in range(3)]
    assert statuses == [302, 302, 429]
    assert ErrorReport.objects.count() == 2
    response = client.post(url, form_data())
    assert "提交太频繁" in response.content.decode()
    assert response["Retry-After"] == "3600"
    assert client.get(url).status_code == 200  # reading the form is not limited


def test_the_committee_marks_a_report_handled_with_a_reply(client, reviewer):
    report = ErrorReport.objects.create(page_url="/", description="错别字")
    client.force_login(reviewer)
    url = reverse("admin:portal_errorreport_change", args=[report.pk])
    refused = client.post(url, {"status": "handled", "reply": ""})
    assert refused.status_code == 200
    assert "请填写处理说明" in refused.content.decode()
    response = client.post(url, {"status": "handled", "reply": "已改正。"})
    assert response.status_code == 302
    report.refresh_from_db()
    assert report.status == ErrorReport.Status.HANDLED
    assert report.handled_by == reviewer and report.handled_at is not None
    listing = client.get(reverse("admin:portal_errorreport_changelist"), {"status__exact": "open"})
    assert listing.status_code == 200 and listing.context["cl"].result_count == 0


def test_open_reports_are_counted_in_the_admins_work_list(client, reviewer, editor):
    ErrorReport.objects.create(page_url="/", description="错别字")
    ErrorReport.objects.create(description="链接打不开")
    client.force_login(reviewer)
    html = client.get(reverse("admin:index")).content.decode()
    item = re.search(
        r'data-worklist="error_reports">\s*<a href="([^"]+)">\s*<span[^>]*>(\d+)<', html
    )
    assert item.group(2) == "2"
    listing = client.get(item.group(1).replace("&amp;", "&"))
    assert listing.context["cl"].result_count == 2
    client.force_login(editor)
    assert "error_reports" not in client.get(reverse("admin:index")).content.decode()


def test_readers_reports_cannot_be_added_or_rewritten_in_the_admin(client, superuser):
    report = ErrorReport.objects.create(page_url="/", description="错别字")
    client.force_login(superuser)
    assert client.get(reverse("admin:portal_errorreport_add")).status_code == 403
    url = reverse("admin:portal_errorreport_change", args=[report.pk])
    client.post(url, {"status": "open", "reply": "", "description": "改写"})
    report.refresh_from_db()
    assert report.description == "错别字"


# Footer settings and the 联络员登录 entry ---------------------------------------------------


def test_an_external_error_report_service_replaces_the_footer_link(client, site):
    home = reverse("portal:home")
    local = f'<a href="{reverse("portal:error_report")}">网站纠错</a>'
    assert local in client.get(home).content.decode()
    site.error_report_url = "https://zfwzzc.www.gov.cn/check_web/errorInfo_querySiteInfo.action"
    site.save()
    html = client.get(home).content.decode()
    assert local not in html
    assert f'href="{site.error_report_url}" rel="noopener" target="_blank">网站纠错</a>' in html


def test_the_conac_mark_is_an_image_once_uploaded(client, site, tmp_path):
    from django.core.files.base import ContentFile
    from PIL import Image

    site.conac_id = "1500000001"
    site.save()
    assert ">党政机关网站标识</a>" in client.get(reverse("portal:home")).content.decode()
    path = tmp_path / "red.png"
    Image.new("RGB", (110, 55), "red").save(path)
    site.conac_image.save("red.png", ContentFile(path.read_bytes()))
    html = client.get(reverse("portal:home")).content.decode()
    assert f'src="{site.conac_image.url}" alt="党政机关网站标识"' in html
    assert f'href="{escape(site.conac_url)}"' in html


def test_the_alliances_directory_leads_secretaries_to_the_workspace_login(client, alliance):
    html = client.get(reverse("alliances:directory")).content.decode()
    assert f'href="{reverse("workspace:login")}">联络员登录</a>' in html


def test_machine_times_are_whole_seconds_in_the_sites_time_zone():
    from datetime import UTC, datetime

    from portal.templatetags.portal_tags import machine_time

    when = datetime(2026, 12, 7, 7, 23, 31, 166572, tzinfo=UTC)
    assert machine_time(when) == "2026-12-07T15:23:31+08:00"
    assert machine_time(None) == ""
