"""Form markup screen readers rely on: every aria-describedby names an element on the page,
so the help and error texts under a field are read out with it."""

from datetime import date
from html.parser import HTMLParser

import pytest
import time_machine
from django.urls import reverse

from tests.factories import AllianceFactory, MembershipFactory, UserFactory


class IdCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.ids, self.described = set(), []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if attrs.get("id"):
            self.ids.add(attrs["id"])
        if attrs.get("aria-describedby"):
            self.described.append((attrs.get("name"), attrs["aria-describedby"].split()))


def dangling_descriptions(response, status=200):
    """(field name, missing id) for each aria-describedby id absent from the page; fails
    if nothing on the page has a description, so the check cannot pass by finding nothing."""
    assert response.status_code == status, response.status_code
    page = IdCollector()
    page.feed(response.content.decode())
    assert page.described, "no field on the page has aria-describedby"
    return [(name, ref) for name, refs in page.described for ref in refs if ref not in page.ids]


@pytest.fixture
def secretary_client(client, db):
    alliance = AllianceFactory(slug="a", founded_on=date(2025, 1, 1))
    MembershipFactory(alliance=alliance, is_lead=True)
    MembershipFactory(alliance=alliance)
    secretary = UserFactory(username="sec-a")
    alliance.secretaries.add(secretary)
    client.force_login(secretary)
    with time_machine.travel(date(2025, 8, 20), tick=False):
        yield client


@pytest.mark.parametrize("name", ["workspace:meeting_new", "workspace:activity_new"])
def test_record_form_help_texts_are_announced_with_their_fields(secretary_client, name):
    response = secretary_client.get(reverse(name, args=["a"]))
    assert dangling_descriptions(response) == []


@pytest.mark.parametrize("name", ["workspace:meeting_new", "workspace:activity_new"])
def test_record_form_errors_are_announced_with_their_fields(secretary_client, name):
    response = secretary_client.post(reverse(name, args=["a"]), {"venue": "x" * 500})
    assert "field--error" in response.content.decode()
    assert dangling_descriptions(response, status=400) == []


def test_activity_list_branch_filter_hint_is_announced(client, db):
    response = client.get(reverse("alliances:activities"))
    assert "先选择联盟" in response.content.decode()
    assert dangling_descriptions(response) == []
