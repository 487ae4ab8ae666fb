"""Joining, founding and leaving: decided by committee staff, history kept, every step audited."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from alliances import services
from alliances.models import Alliance, Membership
from portal.models import AuditEntry
from tests.factories import BranchFactory


def apply(alliance, branch, by, reason=""):
    """A branch's application, entered as the admin enters it."""
    application = Membership(alliance=alliance, branch=branch, reason=reason, status="applied")
    services.memberships_save(alliance=alliance, memberships=[application], by=by)
    return application


def test_a_branch_applies_and_committee_staff_approve(alliance_with_members, committee, reader):
    alliance, members = alliance_with_members
    application = apply(alliance, BranchFactory(unit="统计局"), reader, reason="同楼办公")
    assert application.status == "applied"
    services.membership_approve(membership=application, by=committee, note="同意")
    application.refresh_from_db()
    assert application.status == "active"
    assert application.joined_on is not None
    assert application.rotation_order == max(m.rotation_order for m in members) + 1
    assert application.decided_by == committee and application.decided_at
    actions = list(AuditEntry.objects.order_by("pk").values_list("action", flat=True))
    assert actions == ["membership.apply", "membership.approve"]


def test_applying_twice_gives_a_clear_message(alliance_with_members, committee):
    alliance, members = alliance_with_members
    with pytest.raises(ValidationError) as refused:
        apply(alliance, members[1].branch, committee)
    assert "已经加入或正在申请" in refused.value.messages[0]


def test_only_committee_staff_decide(alliance_with_members, editor, reader):
    alliance, _ = alliance_with_members
    application = apply(alliance, BranchFactory(), reader)
    with pytest.raises(PermissionDenied):
        services.membership_approve(membership=application, by=editor)


def test_rejection_needs_a_reason_and_is_kept(alliance_with_members, committee, reader):
    alliance, _ = alliance_with_members
    application = apply(alliance, BranchFactory(), reader)
    with pytest.raises(ValidationError):
        services.membership_reject(membership=application, by=committee, note="  ")
    services.membership_reject(membership=application, by=committee, note="不在同一办公区")
    application.refresh_from_db()
    assert (application.status, application.decision_note) == ("rejected", "不在同一办公区")


def test_leaving_keeps_the_record(alliance_with_members, committee):
    alliance, members = alliance_with_members
    services.membership_leave(membership=members[3], by=committee, left_on=date(2025, 9, 1))
    members[3].refresh_from_db()
    assert members[3].status == "left" and members[3].left_on == date(2025, 9, 1)
    assert alliance.memberships.count() == 4


def test_the_lead_cannot_just_leave(alliance_with_members, committee):
    alliance, members = alliance_with_members
    with pytest.raises(ValidationError):
        services.membership_leave(membership=members[0], by=committee)
    members[1].is_lead = True  # ticked in the admin
    services.memberships_save(alliance=alliance, memberships=[members[1]], by=committee)
    services.membership_leave(membership=members[0], by=committee)
    assert alliance.memberships.get(is_lead=True).pk == members[1].pk


def test_branches_apply_together_to_found_an_alliance(committee, reader):
    lead, *others = [BranchFactory(unit=unit) for unit in ("编办", "水建中心", "供销联社")]
    alliance = services.alliance_found(
        alliance=Alliance(name="第四联盟", slug="fourth", kind="office", rotation="quarter"),
        lead=lead,
        members=others,
        reason="同在人防大楼办公",
        by=reader,
    )
    assert alliance.status == "proposed"
    assert list(alliance.memberships.values_list("status", flat=True)) == ["applied"] * 3
    assert Alliance.objects.public().filter(pk=alliance.pk).count() == 0
    services.alliance_found_decide(alliance=alliance, approve=True, by=committee)
    alliance.refresh_from_db()
    assert alliance.status == "active"
    assert alliance.memberships.get(is_lead=True).branch == lead
    assert set(alliance.memberships.values_list("status", flat=True)) == {"active"}


def test_admin_action_approves_applications(client, committee, alliance_with_members, reader):
    alliance, _ = alliance_with_members
    application = apply(alliance, BranchFactory(), reader)
    client.force_login(committee)
    client.post(
        reverse("admin:alliances_membership_changelist"),
        {"action": "approve", "_selected_action": [application.pk]},
    )
    application.refresh_from_db()
    assert application.status == Membership.Status.ACTIVE


def test_admin_reject_action_without_a_reason_leaves_the_application(
    client, committee, alliance_with_members, reader
):
    alliance, _ = alliance_with_members
    application = apply(alliance, BranchFactory(), reader)
    client.force_login(committee)
    response = client.post(
        reverse("admin:alliances_membership_changelist"),
        {"action": "reject", "_selected_action": [application.pk]},
        follow=True,
    )
    assert "请填写不予批准的理由" in response.content.decode()
    application.refresh_from_db()
    assert application.status == "applied"
