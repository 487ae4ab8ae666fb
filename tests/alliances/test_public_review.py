"""先审后发: nothing a secretary logs reaches readers until committee staff approve a public
version, and then only that version.

Every text field of a meeting and an activity holds a marker of its own. An anonymous reader
crawls the whole public site, as a search engine would: from the home page along every
same-site link, every address of the sitemaps, the feeds, and a site search for each marker.
The page cache is on (tests/settings.py), so withdrawn versions must also leave cached pages.
"""

import re
from collections import deque
from datetime import date
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from alliances import publishing
from alliances.models import Attendance, Photo
from tests.factories import (
    ActivityFactory,
    BranchFactory,
    MeetingFactory,
    UserFactory,
)

# Internal: what the secretary logged. None of it may ever be public.
INTERNAL = {
    name: f"xq{name}zz"
    for name in [
        "meetingvenue",
        "meetingtopics",
        "meetingdecisions",
        "meetingminutes",
        "meetingphotocaption",
        "meetingphotofile",
        "activitytitle",
        "activitydescription",
        "activityvenue",
        "chosencaption",
        "otherphotocaption",
        "otherphotofile",
        "guestunit",
        "guestbranch",
        "pendingtitle",
        "pendingtext",
    ]
}
# The public version of the activity, as committee staff approve it.
PUBLIC = {name: f"xq{name}zz" for name in ["publictitle", "publictext", "publicsecond", "alt"]}

# Not pages: switching a preference sets a cookie and sends the reader back.
SKIPPED_PREFIXES = ("/prefs/", "/static/", "/media/")
MAX_URLS = 400


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        self.found += [value for name, value in attrs if name in ("href", "src") and value]


def links_of(body):
    parser = Links()
    parser.feed(body)
    return parser.found


def same_site(base, link):
    """The path and query of ``link`` if it is a page of this site, else None."""
    parts = urlsplit(urljoin(base, link))
    if parts.scheme not in ("http", "https") or parts.netloc not in ("testserver", ""):
        return None
    if parts.path.startswith(SKIPPED_PREFIXES):
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def without_echo(url, body):
    """A search page repeats its query (title, search box, count, preference links): only
    the results may not hold it."""
    for query in parse_qs(urlsplit(url).query).get("q", []):
        for echo in [f"“{query}”", f'value="{query}"', f"%3D{query}"]:
            body = body.replace(echo, "")
    return body


def sitemap_urls(client):
    """Every <loc> of the sitemap index and of the sitemaps it names."""
    found, queue = [], deque(["/sitemap.xml"])
    while queue:
        response = client.get(queue.popleft())
        assert response.status_code == 200
        for loc in re.findall(r"<loc>([^<]+)</loc>", response.content.decode()):
            url = same_site("http://testserver/", loc.strip())
            (queue if url.startswith("/sitemap") else found).append(url)
    return found


def crawl(extra=()):
    """{url: (status, body)} of the public site as an anonymous reader finds it."""
    client = Client()
    seeds = ["/", "/rss.xml", *sitemap_urls(client), *extra]
    seeds += [f"{reverse('articles:search')}?q={marker}" for marker in INTERNAL.values()]
    seen, queue, pages = set(seeds), deque(seeds), {}
    while queue:
        url = queue.popleft()
        response = client.get(url)
        assert response.status_code < 500, url
        body = response.content.decode(errors="replace")
        pages[url] = (response.status_code, without_echo(url, body))
        targets = [response["Location"]] if response.has_header("Location") else []
        if "html" in response.get("Content-Type", "") or "xml" in response.get("Content-Type", ""):
            targets += links_of(body)
            targets += re.findall(r"<link>([^<]+)</link>", body)  # RSS items
        for target in targets:
            page = same_site(f"http://testserver{url}", target)
            if page and page not in seen:
                seen.add(page)
                queue.append(page)
        assert len(seen) < MAX_URLS, "the crawl does not end: a link makes new addresses"
    return pages


def where(pages, marker):
    return sorted(url for url, (_, body) in pages.items() if marker in body)


def assert_nowhere(pages, markers):
    leaks = {marker: where(pages, marker) for marker in markers}
    assert not any(leaks.values()), {m: urls for m, urls in leaks.items() if urls}


@pytest.fixture
def logged(alliance_with_members):
    """A meeting and an activity logged by a secretary, every text field a marker; a branch
    that is no member attended both (its name is in the attendance only)."""
    alliance, members = alliance_with_members
    host = members[0].branch
    secretary = UserFactory(username="secretary")
    alliance.secretaries.add(secretary)
    guest = BranchFactory(unit=INTERNAL["guestunit"], name=INTERNAL["guestbranch"])
    meeting = MeetingFactory(
        alliance=alliance,
        host=host,
        held_on=date(2025, 4, 15),
        venue=INTERNAL["meetingvenue"],
        topics=INTERNAL["meetingtopics"],
        decisions=INTERNAL["meetingdecisions"],
        minutes=f"<p>{INTERNAL['meetingminutes']}</p>",
    )
    activity = ActivityFactory(
        alliance=alliance,
        host=host,
        held_on=date(2025, 5, 10),
        title=INTERNAL["activitytitle"],
        description=f"<p>{INTERNAL['activitydescription']}</p>",
        venue=INTERNAL["activityvenue"],
    )
    for record in (meeting, activity):
        Attendance.objects.create(**{record_field(record): record}, branch=guest, head_count=9)
        Attendance.objects.create(**{record_field(record): record}, branch=host, head_count=6)
    Photo.objects.create(
        meeting=meeting,
        image=f"alliances/{INTERNAL['meetingphotofile']}.jpg",
        caption=INTERNAL["meetingphotocaption"],
    )
    chosen = Photo.objects.create(
        activity=activity, image="alliances/chosen.jpg", caption=INTERNAL["chosencaption"]
    )
    Photo.objects.create(
        activity=activity,
        image=f"alliances/{INTERNAL['otherphotofile']}.jpg",
        caption=INTERNAL["otherphotocaption"],
        position=1,
    )
    return alliance, secretary, meeting, activity, chosen


def record_field(record):
    return "meeting" if record._meta.model_name == "jointmeeting" else "activity"


def record_urls(meeting, activity):
    return [meeting.get_absolute_url(), activity.get_absolute_url()]


def approve_public_version(activity, chosen, secretary, committee):
    version = publishing.propose(
        record=activity,
        title=PUBLIC["publictitle"],
        held_on=activity.held_on,
        text=f"{PUBLIC['publictext']}\n{PUBLIC['publicsecond']}",
        photos=[(chosen, PUBLIC["alt"])],
        by=secretary,
    )
    return publishing.approve(version=version, by=committee)


def test_nothing_a_secretary_logs_is_anywhere_public(logged):
    alliance, _, meeting, activity, _ = logged
    pages = crawl(extra=record_urls(meeting, activity))
    print(f"\n{len(pages)} addresses crawled")
    lists = {reverse("alliances:directory"), reverse("alliances:activities")}
    assert {"/sitemap.xml", "/rss.xml", alliance.get_absolute_url(), *lists} <= set(pages)
    for url in record_urls(meeting, activity):
        assert pages[url][0] == 404, url
    assert_nowhere(pages, INTERNAL.values())


def test_an_approved_version_is_public_and_nothing_else_of_the_record(logged, committee):
    alliance, secretary, meeting, activity, chosen = logged
    approve_public_version(activity, chosen, secretary, committee)
    # A proposal for the meeting, still waiting: not public.
    publishing.propose(
        record=meeting,
        title=INTERNAL["pendingtitle"],
        held_on=meeting.held_on,
        text=INTERNAL["pendingtext"],
        by=secretary,
    )
    pages = crawl(extra=record_urls(meeting, activity))
    assert_nowhere(pages, INTERNAL.values())
    assert pages[meeting.get_absolute_url()][0] == 404
    activity_page = activity.get_absolute_url()
    assert pages[activity_page][0] == 200, "the crawl reaches the activity from the lists"
    alliance_page, activity_list = alliance.get_absolute_url(), reverse("alliances:activities")
    assert set(where(pages, PUBLIC["publictitle"])) >= {activity_page, alliance_page, activity_list}
    for marker in (PUBLIC["publictext"], PUBLIC["publicsecond"]):
        assert activity_page in where(pages, marker)
    body = pages[activity_page][1]
    assert f'alt="{PUBLIC["alt"]}"' in body and "alliances/chosen.jpg" in body
    assert f"<p>{PUBLIC['publictext']}</p>" in body and f"<p>{PUBLIC['publicsecond']}</p>" in body
    assert f'alt="{PUBLIC["alt"]}"' in pages[activity_list][1]


def test_a_withdrawn_version_leaves_every_page_cached_ones_too(logged, committee):
    alliance, secretary, meeting, activity, chosen = logged
    approve_public_version(activity, chosen, secretary, committee)
    before = crawl(extra=record_urls(meeting, activity))
    assert where(before, PUBLIC["publictitle"])
    reader = Client()
    assert reader.get(alliance.get_absolute_url())["X-Page-Cache"] == "hit"  # cached by the crawl
    publishing.withdraw(record=activity, by=committee, note="内容需要更新")
    after = crawl(extra=record_urls(meeting, activity))
    assert after[activity.get_absolute_url()][0] == 404
    assert_nowhere(after, [*INTERNAL.values(), *PUBLIC.values()])


def test_a_pending_or_returned_version_is_not_public(logged, committee):
    alliance, secretary, meeting, activity, chosen = logged
    reader = Client()
    pages = [activity.get_absolute_url(), alliance.get_absolute_url(), "/alliances/activities/"]
    version = publishing.propose(
        record=activity,
        title=PUBLIC["publictitle"],
        held_on=activity.held_on,
        text=PUBLIC["publictext"],
        photos=[(chosen, PUBLIC["alt"])],
        by=secretary,
    )
    assert reader.get(pages[0]).status_code == 404
    for url in pages[1:]:
        assert PUBLIC["publictitle"] not in reader.get(url).content.decode()
    publishing.send_back(version=version, by=committee, note="请补充活动成效")
    assert reader.get(pages[0]).status_code == 404
    for url in pages[1:]:
        assert PUBLIC["publictitle"] not in reader.get(url).content.decode()
