"""Deep pages of the long public lists (issue 14.7): page 2500 costs about what page 1 costs.

A list is paged through the ids of its rows only, an index-only walk on PostgreSQL from the
nearer end of the list, and then the twenty rows of the page are loaded by primary key with
what the page shows (joins, head counts, photos). So the query that skips rows (OFFSET) reads
one narrow index, at most half of it, and never the joins and sums of the rows it skips. At
50,000 activities ?page=last took 0.3–0.5 s before.
"""

import re
from datetime import date, timedelta
from unittest import mock

import pytest
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliances.filters import ActivityFilter
from alliances.models import Activity, Alliance, Attendance, Photo
from portal.mixins import FromNearerEndPaginator
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    ArticleFactory,
    MembershipFactory,
    publish,
)

ROWS = 45  # three pages of twenty
FIRST_DAY = date(2024, 1, 1)


def text(response):
    return response.content.decode()


@pytest.fixture
def activities(db):
    """Forty-five published activities of a public alliance, one a day, each with its head
    count and a photo chosen for the public; one not published and one of an alliance still
    proposed, which readers never see."""
    alliance = AllianceFactory(name="第一联盟", status=Alliance.Status.ACTIVE)
    lead = MembershipFactory(alliance=alliance, is_lead=True).branch
    for day in range(ROWS):
        activity = ActivityFactory(
            alliance=alliance,
            host=lead,
            title=f"活动第{day:02d}天",
            held_on=FIRST_DAY + timedelta(days=day),
        )
        Attendance.objects.create(activity=activity, branch=lead, head_count=day + 1)
        photo = Photo.objects.create(
            activity=activity, image=f"alliances/{day}.jpg", caption="现场"
        )
        publish(activity, photos=[(photo, f"第{day:02d}天的活动现场")])
    ActivityFactory(alliance=alliance, title="未公开的", held_on=FIRST_DAY)
    ActivityFactory(alliance=AllianceFactory(status=Alliance.Status.PROPOSED), title="未批准的")
    return reverse("alliances:activities")


@pytest.fixture
def articles(section):
    for day in range(ROWS):
        ArticleFactory(category=section, title=f"文章第{day:02d}天")
    return section.get_absolute_url()


LISTS = ["activities", "articles"]


@pytest.fixture(params=LISTS)
def long_list(request, db):
    return request.getfixturevalue(request.param)


def queries_of(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [query["sql"] for query in captured.captured_queries]


def skipping_queries(client, url):
    return [sql for sql in queries_of(client, url) if re.search(r"\bOFFSET\b", sql)]


def test_a_deep_page_lists_the_oldest_rows_newest_first_with_their_details(client, activities):
    body = text(client.get(activities, {"page": 3}))
    shown = re.findall(r"活动第(\d\d)天", body)
    assert shown == [f"{day:02d}" for day in range(4, -1, -1)]
    assert 'src="/media/alliances/0.jpg" alt="第00天的活动现场"' in body
    first = text(client.get(activities, {"page": 1}))
    assert "未批准的" not in body + first and "未公开的" not in body + first
    last = text(client.get(activities, {"page": "last"}))
    assert re.findall(r"活动第(\d\d)天", last) == shown


def test_a_deep_filtered_page_still_honours_the_filter(client, activities):
    alliance = Alliance.objects.get(name="第一联盟")
    body = text(client.get(activities, {"page": "last", "alliance": alliance.pk}))
    assert re.findall(r"活动第(\d\d)天", body)[-1] == "00"


def test_the_query_that_skips_rows_reads_nothing_but_ids(client, settings, long_list):
    settings.PORTAL_PAGE_CACHE = False
    skipping = skipping_queries(client, long_list + "?page=2")
    assert skipping, "no page skipped any rows"
    for sql in skipping:
        assert re.match(r'SELECT "(\w+)"\."id"(?: AS "pk")? FROM "\1" ', sql), sql
        assert " JOIN " not in sql and "SUM(" not in sql, sql


def test_the_last_page_is_walked_from_the_end_skipping_nothing(client, settings, long_list):
    settings.PORTAL_PAGE_CACHE = False
    assert skipping_queries(client, long_list + "?page=last") == []


@pytest.mark.parametrize("orphans", [0, 3])
@pytest.mark.parametrize("per_page", [1, 5, 7, 20, 44, 45, 50])
def test_pages_from_the_nearer_end_are_the_pages_django_would_give(activities, per_page, orphans):
    ordered = Activity.objects.order_by("-held_on", "-pk").values_list("pk", flat=True)
    ours = FromNearerEndPaginator(ordered, per_page, orphans=orphans)
    django_s = Paginator(ordered, per_page, orphans=orphans)
    assert ours.num_pages == django_s.num_pages
    for number in django_s.page_range:
        assert list(ours.page(number)) == list(django_s.page(number)), number


def test_a_deep_page_runs_the_same_queries_as_page_one(client, count_queries, long_list):
    first = count_queries(client, long_list)
    assert count_queries(client, long_list + "?page=2") == first
    assert count_queries(client, long_list + "?page=last") == first


@pytest.mark.skipif(connection.vendor != "postgresql", reason="an index-only plan of PostgreSQL")
def test_the_skipping_query_is_an_index_only_walk_on_postgresql(
    client, settings, long_list, request
):
    """With sorting and table scans priced out, the plan must still need neither: an index
    gives the order and holds every column the filter reads."""
    settings.PORTAL_PAGE_CACHE = False
    (sql,) = skipping_queries(client, long_list + "?page=2")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("EXPLAIN " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Sort" not in plan and "Index Only Scan" in plan, plan


def test_the_admins_activity_list_pages_by_id_with_the_same_rows_and_queries(
    client, activities, superuser, monkeypatch
):
    """The admin's changelist of fifty thousand activities took 1 s on any page: it summed
    the head counts of every row before skipping. Its pages are paged by id now."""
    from alliances.admin import ActivityAdmin

    monkeypatch.setattr(ActivityAdmin, "list_per_page", 10)
    client.force_login(superuser)
    url = reverse("admin:alliances_activity_changelist")
    expected = list(Activity.objects.order_by("-held_on", "-pk").values_list("pk", flat=True))
    listed, counts = [], []
    for page in range(1, 6):
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, {"p": page})
        assert response.status_code == 200
        counts.append(len(captured.captured_queries))
        listed += [
            int(pk) for pk in re.findall(r'name="_selected_action" value="(\d+)"', text(response))
        ]
    assert listed == expected
    assert len(set(counts)) == 1, counts


def test_the_kept_length_of_a_list_follows_new_content(client, settings, activities, subsection):
    """The length of an unfiltered list is kept per content version (PagedByIdMixin
    .get_count_fragment); a new row must change the number of pages at once."""
    settings.PORTAL_PAGE_CACHE = False  # the view itself, with its fragments
    pages = re.compile(r"共 (\d+) 页")
    url = reverse("alliances:activities")
    assert pages.search(text(client.get(url)))[1] == "3"
    alliance = Alliance.objects.get(name="第一联盟")
    for n in range(20):
        publish(ActivityFactory(alliance=alliance, held_on=FIRST_DAY + timedelta(days=100 + n)))
    assert pages.search(text(client.get(url)))[1] == "4"

    section = subsection.parent
    ArticleFactory.create_batch(21, category=subsection)
    assert pages.search(text(client.get(section.get_absolute_url())))[1] == "2"
    ArticleFactory.create_batch(20, category=subsection)
    assert pages.search(text(client.get(section.get_absolute_url())))[1] == "3"


def test_an_unfiltered_page_draws_the_filters_once_per_content_version(
    client, settings, activities
):
    """Every page of an unfiltered list shows the same blank filters: drawn once per content
    version (FilteredListMixin.get_blank_form_fragment), without a FilterSet. A new alliance
    is offered at once, and a chosen filter is still drawn as chosen."""
    settings.PORTAL_PAGE_CACHE = False  # the view itself, with its fragments
    url = reverse("alliances:activities")
    first = text(client.get(url))
    assert '<select name="alliance"' in first and "第一联盟</option>" in first

    with mock.patch.object(ActivityFilter, "__init__", side_effect=AssertionError("built")):
        page_two = text(client.get(url, {"page": 2, "line": ""}))
    fields = re.compile(r'<form class="filters".*?<button', re.S)
    assert fields.search(page_two)[0] == fields.search(first)[0]

    new = AllianceFactory(name="新成立联盟", status=Alliance.Status.ACTIVE)
    assert "新成立联盟</option>" in text(client.get(url))
    chosen = text(client.get(url, {"alliance": new.pk}))
    assert f'<option value="{new.pk}" selected>新成立联盟</option>' in chosen
    assert client.get(url, {"alliance": "junk"}).status_code == 400
