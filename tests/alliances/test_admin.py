"""The alliances admin: every list loads with a flat number of queries; edits are audited."""

import pytest
from django.urls import reverse

from portal.models import AuditEntry
from tests.alliances.test_pages import grow
from tests.factories import AllianceFactory, MembershipFactory

LISTS = ["alliance", "membership", "activity", "jointmeeting", "branch", "building", "booking"]


@pytest.mark.parametrize("model", LISTS)
def test_admin_lists_have_no_n_plus_one(client, committee, count_queries, model):
    alliance = AllianceFactory()
    lead = MembershipFactory(alliance=alliance, is_lead=True).branch
    grow(alliance, lead, 2, 5)
    client.force_login(committee)
    url = reverse(f"admin:alliances_{model}_changelist")
    small = count_queries(client, url)
    grow(alliance, lead, 20, 40)
    for _ in range(5):
        MembershipFactory(alliance=AllianceFactory())
    assert count_queries(client, url) == small


def test_admin_edits_are_written_to_the_audit_trail(client, committee, alliance_with_members):
    alliance, _ = alliance_with_members
    client.force_login(committee)
    url = reverse("admin:alliances_branch_change", args=[alliance.memberships.first().branch_id])
    branch = alliance.memberships.first().branch
    response = client.post(
        url,
        {
            "name": branch.name,
            "unit": branch.unit,
            "kind": "branch",
            "member_count": 33,
            "secretary_name": "",
            "contact": "",
        },
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="branch.change")
    assert entry.user == committee and "member_count" in entry.data["fields"]


def test_admin_preselects_the_rotation_host_for_a_new_meeting(
    client, committee, alliance_with_members
):
    alliance, members = alliance_with_members
    client.force_login(committee)
    response = client.get(reverse("admin:alliances_jointmeeting_add"), {"alliance": alliance.pk})
    form = response.context["adminform"].form
    assert form.initial["host"] in {m.branch_id for m in members}
