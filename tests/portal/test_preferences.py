"""Reader preferences: 字号, 关怀模式 (适老化) and 简/繁, without JavaScript and remembered."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from portal.models import SiteSettings
from portal.zh import traditional_html
from tests.factories import ArticleFactory, UserFactory

YEAR = 365 * 24 * 3600
SWITCHES = [("font_size", "large", "fontsize"), ("care", "on", "care"), ("script", "hant", "zh")]


@pytest.fixture
def party_article(subsection):
    SiteSettings.load()  # created on first use, which is itself a change readers see
    return ArticleFactory(
        category=subsection, title="党建引领楼宇发展", body="<p>头发花白的老党员讲党课。</p>"
    )


def text(response):
    return response.content.decode()


@pytest.mark.parametrize(("route", "value", "cookie"), SWITCHES)
def test_each_switch_sets_a_cookie_for_a_year_and_goes_back(client, article, route, value, cookie):
    back = article.get_absolute_url() + "?page=2"
    response = client.get(reverse(f"portal:{route}", args=[value]), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    morsel = response.cookies[cookie]
    assert morsel.value == value
    assert morsel["max-age"] == YEAR and morsel["samesite"] == "Lax" and morsel["path"] == "/"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "javascript:alert(1)", "http:///x"]
)
@pytest.mark.parametrize(("route", "value", "cookie"), SWITCHES)
def test_a_next_off_this_site_is_refused_and_leads_home(client, db, target, route, value, cookie):
    response = client.get(reverse(f"portal:{route}", args=[value]), {"next": target})
    assert response["Location"] == reverse("portal:home")
    assert response.cookies[cookie].value == value


@pytest.mark.parametrize(("route", "value"), [("care", "maybe"), ("script", "latin")])
def test_an_unknown_value_is_a_404_and_sets_nothing(client, db, route, value):
    response = client.get(reverse(f"portal:{route}", args=[value]))
    assert response.status_code == 404 and not response.cookies


def test_care_mode_is_one_link_and_stays_on_across_pages(client, party_article):
    page = party_article.get_absolute_url()
    assert 'class="font-medium"' in text(client.get(page))
    response = client.get(reverse("portal:care", args=["on"]), {"next": page}, follow=True)
    assert response.redirect_chain == [(page, 302)]
    assert '<body class="font-medium care-mode">' in text(response)
    for url in (reverse("portal:home"), reverse("articles:search"), reverse("workspace:login")):
        assert "care-mode" in text(client.get(url)), url
    client.get(reverse("portal:care", args=["off"]))
    assert "care-mode" not in text(client.get(page))


def test_the_care_switch_offers_the_way_back_while_it_is_on(client, party_article):
    page = party_article.get_absolute_url()
    off = text(client.get(page))
    assert re.search(r'data-care="on"[^>]*>关怀模式<', off)
    assert re.search(r'data-care="off"[^>]* hidden>退出关怀模式<', off)
    client.cookies["care"] = "on"
    on = text(client.get(page))
    assert re.search(r'data-care="on"[^>]* hidden>关怀模式<', on)
    assert re.search(r'data-care="off"[^>]*>退出关怀模式<', on)


def test_care_mode_keeps_the_chosen_font_size(client, party_article):
    client.cookies["fontsize"] = "small"
    client.cookies["care"] = "on"
    assert '<body class="font-small care-mode">' in text(client.get(reverse("portal:home")))


def test_a_garbage_cookie_reads_as_the_default(client, party_article):
    client.cookies["care"] = "<script>"
    client.cookies["zh"] = "klingon"
    body = text(client.get(party_article.get_absolute_url()))
    assert "care-mode" not in body and '<html lang="zh-CN">' in body and "党建引领" in body


def test_the_skip_link_leads_to_the_main_content(client, party_article):
    body = text(client.get(party_article.get_absolute_url()))
    assert '<a class="skip-link" href="#main">跳到正文</a>' in body
    assert '<main id="main"' in body


def test_every_combination_of_preferences_is_cached_as_a_page_of_its_own(client, party_article):
    page = party_article.get_absolute_url()
    plain = client.get(page)
    assert plain["X-Page-Cache"] == "miss"
    variants = [{"care": "on"}, {"zh": "hant"}, {"care": "on", "zh": "hant", "fontsize": "large"}]
    for cookies in variants:
        client.cookies.clear()
        for name, value in cookies.items():
            client.cookies[name] = value
        first, second = client.get(page), client.get(page)
        assert (first["X-Page-Cache"], second["X-Page-Cache"]) == ("miss", "hit"), cookies
        assert first.content == second.content
        assert ("care-mode" in text(second)) == ("care" in cookies)
        assert ("黨建引領" in text(second)) == ("zh" in cookies)
    client.cookies.clear()
    again = client.get(page)
    assert again["X-Page-Cache"] == "hit" and again.content == plain.content
    assert "care-mode" not in text(again) and "党建引领" in text(again)


def test_traditional_is_one_link_and_stays_on_across_pages(client, party_article):
    page = party_article.get_absolute_url()
    response = client.get(reverse("portal:script", args=["hant"]), {"next": page}, follow=True)
    assert response.redirect_chain == [(page, 302)]
    assert '<html lang="zh-Hant">' in text(response) and "黨建引領" in text(response)
    for url in (
        reverse("portal:home"),
        party_article.category.get_absolute_url(),
        reverse("articles:search") + "?q=党建",
        reverse("workspace:login"),
        "/no-such-page/",
    ):
        assert '<html lang="zh-Hant">' in text(client.get(url)), url
    client.get(reverse("portal:script", args=["hans"]))
    body = text(client.get(page))
    assert '<html lang="zh-CN">' in body and "党建引领" in body


def test_the_traditional_page_converts_text_by_phrases(client, party_article):
    client.cookies["zh"] = "hant"
    body = text(client.get(party_article.get_absolute_url()))
    assert '<html lang="zh-Hant">' in body
    assert "黨建引領樓宇發展" in body and "頭髮花白的老黨員講黨課" in body
    assert "党建" not in re.sub(r"<[^>]*>", "", body.split("<body", 1)[1])
    # Addresses, the meta tags government crawlers read and the scripts are left as they are.
    assert f'href="{party_article.category.get_absolute_url()}"' in body
    assert '<meta name="ArticleTitle" content="党建引领楼宇发展">' in body


def test_only_text_and_readable_attributes_are_converted():
    page = (
        '<html lang="zh-CN"><head><title>党建</title><script>let a = "党建"</script>'
        "<style>.a::after { content: '发' }</style></head><body><!-- 党建 -->"
        '<a href="/党建/" title="党建" data-x="党建"><img src="/发.png" alt="头发"></a>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="发展">'
        '<input placeholder="请输入" value="党建"><textarea name="topics">党建</textarea>'
        "<p>公里 发展</p></body></html>"
    )
    assert traditional_html(page) == (
        '<html lang="zh-Hant"><head><title>黨建</title><script>let a = "党建"</script>'
        "<style>.a::after { content: '发' }</style></head><body><!-- 党建 -->"
        '<a href="/党建/" title="黨建" data-x="党建"><img src="/发.png" alt="頭髮"></a>'
        '<input type="hidden" name="csrfmiddlewaretoken" value="发展">'
        '<input placeholder="請輸入" value="党建"><textarea name="topics">党建</textarea>'
        "<p>公里 發展</p></body></html>"
    )


def test_a_secretary_reading_in_traditional_can_still_log_in(db):
    user = UserFactory(username="sec")
    client = Client(enforce_csrf_checks=True)
    client.cookies["zh"] = "hant"
    login = client.get(reverse("workspace:login"))
    assert "登錄臺賬工作臺" in text(login)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text(login))[1]
    response = client.post(
        reverse("workspace:login"),
        {
            "username": user.username,
            "password": "correct-horse-battery",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302


def test_the_admin_is_never_converted(client, editor, party_article):
    client.force_login(editor)
    client.cookies["zh"] = "hant"
    page = client.get(reverse("admin:articles_article_change", args=[party_article.pk]))
    assert page.status_code == 200
    assert "党建引领楼宇发展" in text(page) and "黨建" not in text(page)


def test_searching_in_traditional_characters_finds_the_simplified_article(client, party_article):
    ArticleFactory(category=party_article.category, title="牧区新闻")
    response = client.get(reverse("articles:search"), {"q": "黨建"})
    assert "找到 1 条" in text(response)
    assert party_article.get_absolute_url() in text(response)


def test_the_traditional_search_page_shows_the_hit_in_traditional(client, party_article):
    client.cookies["zh"] = "hant"
    body = text(client.get(reverse("articles:search"), {"q": "黨建"}))
    assert "找到 1 條" in body
    assert "<mark>黨建</mark>引領樓宇發展" in body
    assert 'value="黨建"' in body  # the reader's own words stay in the box


def test_traditional_and_care_pages_cost_no_extra_queries(client, party_article, count_queries):
    url = party_article.get_absolute_url()
    plain = count_queries(client, url)
    client.cookies["zh"] = "hant"
    client.cookies["care"] = "on"
    assert count_queries(client, url) == plain
