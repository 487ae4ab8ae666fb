"""A small world with one object of every kind, for the URL matrix and the fuzz tests.

Two alliances, A and B, each with its own secretary and records; a third, P, still only
proposed (nobody's and not public). One published and one draft article, each with an
attachment, and a section that holds nothing but the draft. Users for every role that logs in.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from alliances.models import (
    AnnualPlan,
    Booking,
    Facility,
    PhaseReport,
    Photo,
    RotationSlot,
)
from articles.models import Article, Attachment
from portal import audit
from portal.models import ErrorReport, FriendlyLink, SiteSettings
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    ArticleFactory,
    BranchFactory,
    CategoryFactory,
    MeetingFactory,
    MembershipFactory,
    StaffFactory,
    UserFactory,
)


@dataclass
class World:
    users: dict
    alliances: dict
    meetings: dict
    activities: dict
    photos: dict
    leads: dict
    published: Article
    draft: Article
    section: object
    hidden_section: object
    admin_objects: dict = field(default_factory=dict)
    attachments: dict = field(default_factory=dict)  # "public" / "draft": of those articles


def _alliance(key, secretary, **fields):
    alliance = AllianceFactory(name=f"{key}联盟", slug=key.lower(), **fields)
    lead = MembershipFactory(
        alliance=alliance, is_lead=True, branch=BranchFactory(unit=f"{key}牵头单位")
    ).branch
    MembershipFactory(alliance=alliance, branch=BranchFactory(unit=f"{key}成员单位"))
    if secretary is not None:
        alliance.secretaries.add(secretary)
    meeting = MeetingFactory(alliance=alliance, host=lead, held_on=date(2025, 4, 10))
    activity = ActivityFactory(alliance=alliance, host=lead, held_on=date(2025, 5, 10))
    photo = Photo.objects.create(activity=activity, image=f"alliances/{key}.jpg", caption="现场")
    return alliance, lead, meeting, activity, photo


@pytest.fixture
def security_world(db):
    users = {
        "editor": StaffFactory(username="editor", groups=["编辑"]),
        "reviewer": StaffFactory(username="reviewer", groups=["审核"]),
        "secretary_a": UserFactory(username="sec-a"),
        "secretary_b": UserFactory(username="sec-b"),
        "committee": StaffFactory(username="committee", groups=["机关工委"]),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    parts = {
        "A": _alliance("A", users["secretary_a"]),
        "B": _alliance("B", users["secretary_b"]),
        "P": _alliance("P", None, status="proposed"),
    }
    alliance_a, lead_a = parts["A"][0], parts["A"][1]
    plan = AnnualPlan.objects.create(alliance=alliance_a, year=2025, themes="政治理论联学")
    report = PhaseReport.objects.create(alliance=alliance_a, year=2025, phase="plan", text="计划")
    facility = Facility.objects.create(
        building=alliance_a.building, name="党员活动室", kind="activity"
    )
    starts = timezone.make_aware(datetime(2025, 6, 1, 9))
    booking = Booking.objects.create(
        facility=facility, branch=lead_a, starts_at=starts, ends_at=starts + timedelta(hours=2)
    )
    slot = RotationSlot.objects.create(alliance=alliance_a, starts_on=date(2025, 1, 1), host=lead_a)

    section = CategoryFactory(name="基层党建", slug="jcdj")
    hidden_section = CategoryFactory(name="空白栏目", slug="kongbai")
    published = ArticleFactory(category=section, title="机关党建工作会议召开")
    draft = ArticleFactory(
        category=hidden_section,
        title="尚未发布的草稿",
        status=Article.Status.DRAFT,
        published_at=None,
    )
    attachments = {}
    for label, article in (("public", published), ("draft", draft)):
        attachments[label] = Attachment(article=article, title="附件1：申报表")
        attachments[label].file.save("form.pdf", ContentFile(b"%PDF-1.7\n"), save=False)
        attachments[label].save()
    site_settings = SiteSettings.load()
    site_settings.save()  # a first version in its history
    link = FriendlyLink.objects.create(name="共产党员网", url="https://www.12371.cn/")
    entry = audit.record(by=users["superuser"], action="test", obj=link, summary="测试记录")
    ip = {"ip_address": "10.0.0.1", "user_agent": "test", "username": "x", "http_accept": "*/*"}
    attempt = AccessAttempt.objects.create(path_info="/", failures_since_start=1, **ip)
    access_log = AccessLog.objects.create(path_info="/", **ip)
    failure_log = AccessFailureLog.objects.create(path_info="/", locked_out=False, **ip)

    world = World(
        users=users,
        alliances={key: part[0] for key, part in parts.items()},
        leads={key: part[1] for key, part in parts.items()},
        meetings={key: part[2] for key, part in parts.items()},
        activities={key: part[3] for key, part in parts.items()},
        photos={key: part[4] for key, part in parts.items()},
        published=published,
        draft=draft,
        section=section,
        hidden_section=hidden_section,
        attachments=attachments,
    )
    error_report = ErrorReport.objects.create(page_url="/", description="第二段有错别字")
    world.admin_objects = {
        "portal.errorreport": error_report,
        "axes.accessattempt": attempt,
        "axes.accesslog": access_log,
        "axes.accessfailurelog": failure_log,
        "portal.auditentry": entry,
        "portal.sitesettings": site_settings,
        "portal.friendlylink": link,
        "auth.user": users["editor"],
        "auth.group": Group.objects.get(name="编辑"),
        "articles.category": section,
        "articles.article": published,
        "alliances.building": alliance_a.building,
        "alliances.branch": lead_a,
        "alliances.alliance": alliance_a,
        "alliances.membership": alliance_a.memberships.first(),
        "alliances.jointmeeting": world.meetings["A"],
        "alliances.activity": world.activities["A"],
        "alliances.facility": facility,
        "alliances.booking": booking,
        "alliances.annualplan": plan,
        "alliances.phasereport": report,
        "alliances.rotationslot": slot,
    }
    # Each object is of the model it stands for (ids of different tables coincide on a fresh
    # SQLite database but not on PostgreSQL, where a mix-up showed only there).
    assert {key: obj._meta.label_lower for key, obj in world.admin_objects.items()} == {
        key: key for key in world.admin_objects
    }
    return world
