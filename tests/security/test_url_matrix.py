"""The authorisation matrix: every URL pattern of the site × every role × GET and POST.

The URL patterns come from the URLconf itself (admin included), so a new URL cannot slip past:
it must get an entry in ``MATRIX`` (or match an admin rule) or the test fails naming it. The
expected answers are written out below from the roles as README.md describes them — never
computed by the code under test. Each request runs in a savepoint that is rolled back, and
every INSERT / UPDATE / DELETE it sends is recorded: a cell that was not allowed to write
but did is a leak, whatever its status.

Statuses: an int, or LOGIN (302 to the workspace login) or ADMIN_LOGIN (302 to the admin's).
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from http.cookies import SimpleCookie
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from alliances import services
from alliances.models import Activity, Booking, Facility, JointMeeting, Membership, Photo
from articles.models import Article
from portal.urls import SITEMAPS
from tests.factories import BranchFactory

LOGIN = "→工作台登录"
ADMIN_LOGIN = "→后台登录"
ADMIN_INDEX = "→后台首页"  # the admin's answer to an object the user's queryset does not hold
DENIED = {LOGIN, ADMIN_LOGIN, ADMIN_INDEX, 403, 404, 405}
# Most privileged first: they share one cache with the readers after them, so a page cached
# for staff (a draft, a preview) and then served to anonymous readers is caught as a leak.
ROLES = ["superuser", "committee", "reviewer", "editor", "secretary_a", "secretary_b", "anonymous"]
STAFF = {"superuser", "committee", "reviewer", "editor"}
PREVIEWERS = {"superuser", "reviewer", "editor"}  # may read drafts on the site (view_article)
UPLOADERS = {"superuser", "reviewer", "editor"}  # change_article: the editor's image upload
COMMITTEE = {"superuser", "committee"}  # the 机关工委 permission: every alliance, the overview
KEEPERS = {"A": {"secretary_a", *COMMITTEE}, "B": {"secretary_b", *COMMITTEE}, "P": COMMITTEE}
# Bookkeeping that any request may write: sessions (saved on every request) and login attempts.
UNCHECKED_TABLES = re.compile(r"^(django_session|axes_\w+)$")
WRITE = re.compile(r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


@dataclass(frozen=True)
class Expect:
    status: object
    writes: frozenset = frozenset()  # tables this cell may write to


def answer(status, writes=()):
    return Expect(status, frozenset(writes))


# ------------------------------------------------------------------------------------------
# The table for the site's own URLs. Each entry: variants (label → URL arguments) and
# expect(role, variant, method) → Expect.
# ------------------------------------------------------------------------------------------


@dataclass
class Entry:
    variants: object  # callable(world) -> {label: reverse kwargs/args, or {"url": ...}}
    expect: object  # callable(role, variant, method) -> Expect


def single(world):
    return {"": {}}


def everyone(get, post, variants=single):
    return Entry(variants, lambda role, variant, method: answer(get if method == "get" else post))


def by_role(table, variants=single):
    """``table``: {role or "*": (get, post)}; "*" for every role not named."""

    def expect(role, variant, method):
        get, post = table.get(role, table.get("*"))
        return answer(get if method == "get" else post)

    return Entry(variants, expect)


def login_required(get, post, variants=single):
    return by_role({"anonymous": (LOGIN, LOGIN), "*": (get, post)}, variants)


def public_or_hidden(visible, hidden, variants, *, preview=False, get_writes=()):
    """Public pages of objects that readers may (variant "public") or may not see."""

    def expect(role, variant, method):
        get, post = visible if variant == "public" else hidden
        if variant != "public" and preview and role in PREVIEWERS:
            get, post = visible
        writes = get_writes if method == "get" and variant == "public" else ()
        return answer(get if method == "get" else post, writes)

    return Entry(variants, expect)


WORKSPACE_RECORDS = {
    "meeting": "meetings",
    "activity": "activities",
    "photo": "photos",
    "room": "rooms",
    "booking": "bookings",
}


def workspace(get, post, *, record=None, extra=None, post_writes=()):
    """A page of one alliance in the workspace: its keepers get ``get`` / ``post``, other
    users 404, anonymous users the login page. Variant "A→B" is alliance A's address with a
    record of B in it: a 404 for everyone (405 where the method is refused outright)."""

    def variants(world):
        found = {}
        cases = [("A", "A"), ("B", "B"), ("P", "P")] + ([("A", "B")] if record else [])
        for alliance, owner in cases:
            kwargs = {"slug": world.alliances[alliance].slug, **(extra or {})}
            if record:
                kwargs["pk"] = getattr(world, WORKSPACE_RECORDS[record])[owner].pk
            found[alliance if alliance == owner else f"{alliance}→{owner}"] = kwargs
        return found

    def expect(role, variant, method):
        if role == "anonymous":
            return answer(LOGIN)
        status = get if method == "get" else post
        if role not in KEEPERS[variant[0]]:
            return answer(404)
        if "→" in variant:
            return answer(404 if status != 405 else 405)
        return answer(status, post_writes if method == "post" else ())

    return Entry(variants, expect)


def articles(world):
    return {"public": {"pk": world.published.pk}, "draft": {"pk": world.draft.pk}}


def attachments(world):
    return {
        label: {"article": attachment.article_id, "pk": attachment.pk}
        for label, attachment in world.attachments.items()
    }


def old_attachment_addresses(world):
    return {
        label: {"name": attachment.file.name.split("/", 1)[1]}
        for label, attachment in world.attachments.items()
    }


def sections(world):
    return {"public": {"slug": world.section.slug}, "hidden": {"slug": world.hidden_section.slug}}


def alliance_records(kind):
    def variants(world):
        records = getattr(world, kind)
        return {"public": {"pk": records["A"].pk}, "proposed": {"pk": records["P"].pk}}

    return variants


def alliance_pages(world):
    return {"public": {"slug": world.alliances["A"].slug}, "proposed": {"slug": "p"}}


def choices(*values):
    return lambda world: {value: {"args": [value]} for value in values}


def add_public_versions(world):
    """Alliance A's meeting and activity published, and a new version of the activity waiting,
    made once per world through the service secretaries and committee staff use."""
    from alliances import publishing

    if hasattr(world, "versions"):
        return
    by = world.users["committee"]

    def propose(record, title):
        return publishing.propose(
            record=record, title=title, held_on=record.held_on, text="介绍", by=by
        )

    for record in (world.meetings["A"], world.activities["A"]):
        shown = publishing.published_version(record) or publishing.approve(
            version=propose(record, "已公开的版本"), by=by
        )
    world.versions = {
        "pending": propose(world.activities["A"], "待审核的新版本"),
        "published": shown,
    }
    world.admin_objects["alliances.publicversion"] = shown


def review_versions(world):
    return {label: {"pk": version.pk} for label, version in world.versions.items()}


def committee_action(writes):
    """A decision on a public version (POST only): committee staff are sent back to their list
    with a message; ``writes``: {variant: tables} where the decision is taken."""

    def expect(role, variant, method):
        if role == "anonymous":
            return answer(LOGIN)
        if role not in COMMITTEE:
            return answer(403)
        if method == "get":
            return answer(405)
        return answer(302, writes.get(variant, ()))

    return Entry(review_versions, expect)


def add_rooms(world):
    """A room in each alliance's building and a booking of next month by its keeper (self-service),
    and an application waiting to join A; made once per world."""
    if hasattr(world, "rooms"):
        return
    world.rooms, world.bookings = {}, {}
    day = timezone.localdate() + timedelta(days=30)
    for key, alliance in world.alliances.items():
        room = Facility.objects.filter(building=alliance.building).first()
        world.rooms[key] = room or Facility.objects.create(
            building=alliance.building, name="多媒体室", kind="multimedia"
        )
        keeper = alliance.secretaries.first() or world.users["committee"]
        starts = timezone.make_aware(datetime.combine(day, time(9)))
        world.bookings[key] = services.booking_save(
            booking=Booking(
                facility=world.rooms[key],
                alliance=alliance,
                branch=world.leads[key],
                starts_at=starts,
                ends_at=starts + timedelta(hours=1),
                purpose="主题党日",
            ),
            by=keeper,
        )
    world.application = services.membership_apply(
        membership=Membership(alliance=world.alliances["A"], branch=BranchFactory(), reason="同楼"),
        by=world.users["secretary_a"],
    )


def with_rooms(entry):
    """``entry`` with the rooms, bookings and application of add_rooms in its world."""
    variants = entry.variants

    def wrapped(world):
        add_rooms(world)
        return variants(world)

    entry.variants = wrapped
    return entry


def decision(writes, variants):
    """A committee decision on an application or a founding (POST only), as committee_action."""

    def expect(role, variant, method):
        if role == "anonymous":
            return answer(LOGIN)
        if role not in COMMITTEE:
            return answer(403)
        if method == "get":
            return answer(405)
        return answer(302, writes.get(variant, ()))

    return with_rooms(Entry(variants, expect))


def applications(world):
    return {"pending": {"pk": world.application.pk}}


def foundings(world):
    return {"proposed": {"pk": world.alliances["P"].pk}, "active": {"pk": world.alliances["A"].pk}}


def public_rooms(world):
    return {"public": {"pk": world.rooms["A"].pk}, "proposed": {"pk": world.rooms["P"].pk}}


COMMITTEE_PAGE = {
    "anonymous": (LOGIN, LOGIN),
    **dict.fromkeys(COMMITTEE, (200, 405)),
    "*": (403, 403),
}
PUBLIC = ["alliances_publicversion", "alliances_publicphoto"]  # a record's versions go with it
RECORD_TABLES = {
    "meeting": ["alliances_jointmeeting", "alliances_attendance", "alliances_photo", *PUBLIC],
    "activity": ["alliances_activity", "alliances_attendance", "alliances_photo", *PUBLIC],
}
AUDIT = "portal_auditentry"
PUBLIC_VERSION = "alliances_publicversion"


def committee_page(get, post, variants=single, post_writes=()):
    """A committee page of the workspace (issue 16's feedback part): committee staff get
    ``get`` / ``post``, the other users 403, anonymous users the login page."""

    def expect(role, variant, method):
        if role == "anonymous":
            return answer(LOGIN)
        if role not in COMMITTEE:
            return answer(403)
        return answer(get, ()) if method == "get" else answer(post, post_writes)

    return Entry(variants, expect)


def evaluation_page(get, post, variants=lambda world: {"": {"year": 2025}}):
    """评先评优: committee staff only (a year's first visit writes its default criteria);
    the alliance of the adjust page must be one being evaluated (A, B), not the proposed P."""

    def expect(role, variant, method):
        if role == "anonymous":
            return answer(LOGIN)
        if role not in COMMITTEE:
            return answer(403)
        if variant == "P":
            return answer(404, [CRITERIA])
        return answer(get if method == "get" else post, [CRITERIA])

    return Entry(variants, expect)


def feedback_documents(world):
    from alliances.models import AnnualPlan, PhaseReport

    return {
        "plan": {"kind": "plan", "pk": AnnualPlan.objects.get().pk},
        "report": {"kind": "report", "pk": PhaseReport.objects.get().pk},
    }


def reference_items(world):
    from alliances.models import ReferenceActivity

    item, _ = ReferenceActivity.objects.get_or_create(line="study", title="读书分享会")
    return {"": {"pk": item.pk}}


def published_activity(world):
    return {"": {"pk": world.activities["A"].pk}}  # published by add_public_versions


def evaluated_alliances(world):
    return {key: {"year": 2025, "slug": world.alliances[key].slug} for key in "ABP"}


CRITERIA = "alliances_criterion"

MATRIX = {
    # public site
    "portal:home": everyone(200, 200),
    "portal:font_size": everyone(302, 405, choices("large", "medium", "small")),
    "portal:care": everyone(302, 405, choices("on", "off")),
    "portal:script": everyone(302, 405, choices("hans", "hant")),
    "portal:editor_upload": by_role({**dict.fromkeys(UPLOADERS, (405, 400)), "*": (405, 403)}),
    "articles:category": public_or_hidden((200, 405), (404, 405), sections, preview=True),
    "articles:category_feed": public_or_hidden((200, 200), (404, 404), sections),
    "articles:detail": public_or_hidden(
        (200, 405), (404, 405), articles, preview=True, get_writes=["articles_article"]
    ),
    "articles:attachment": public_or_hidden((200, 405), (404, 405), attachments, preview=True),
    "articles:attachment_old_address": public_or_hidden(
        (301, 405), (404, 405), old_attachment_addresses, preview=True
    ),
    "articles:search": everyone(200, 200),
    "articles:feed": everyone(200, 200),
    "alliances:directory": everyone(200, 200),
    "alliances:activities": everyone(200, 405),
    "alliances:activity": public_or_hidden((200, 405), (404, 405), alliance_records("activities")),
    "alliances:meeting": public_or_hidden((200, 405), (404, 405), alliance_records("meetings")),
    "alliances:detail": public_or_hidden((200, 200), (404, 404), alliance_pages),
    "robots": everyone(200, 200),
    "favicon.ico": everyone(301, 301),
    # A rendition of an image that does not exist (portal/renditions.py): nothing is made.
    "rendition": everyone(404, 405, lambda world: {"missing": {"name": "covers/x.jpg.320w.webp"}}),
    "healthz": everyone(200, 200),
    "portal:site_map": everyone(200, 200),
    # 网站纠错: an empty POST is a form error (the description and the token), nothing saved.
    "portal:error_report": everyone(200, 400),
    "portal:error_report_thanks": everyone(200, 200),
    "sitemap_index": everyone(200, 200),
    "django.contrib.sitemaps.views.sitemap": everyone(
        200, 200, lambda world: {name: {"section": name} for name in SITEMAPS}
    ),
    # the secretaries' workspace
    "workspace:login": by_role({"anonymous": (200, 200), "*": (302, 302)}),
    "workspace:logout": everyone(405, LOGIN),
    "workspace:home": login_required(200, 405),
    "workspace:overview": by_role(
        {"anonymous": (LOGIN, LOGIN), **dict.fromkeys(COMMITTEE, (200, 405)), "*": (403, 403)}
    ),
    "workspace:overview_xlsx": by_role(
        {"anonymous": (LOGIN, LOGIN), **dict.fromkeys(COMMITTEE, (200, 405)), "*": (403, 403)}
    ),
    "workspace:review": by_role(
        {"anonymous": (LOGIN, LOGIN), **dict.fromkeys(COMMITTEE, (200, 405)), "*": (403, 403)}
    ),
    "workspace:review_published": by_role(
        {"anonymous": (LOGIN, LOGIN), **dict.fromkeys(COMMITTEE, (200, 405)), "*": (403, 403)}
    ),
    # An empty POST: approving the waiting proposal publishes it; a second decision on the
    # published one, a send back without a reason, withdrawing what is not online: a message.
    "workspace:review_approve": committee_action({"pending": [PUBLIC_VERSION, AUDIT]}),
    "workspace:review_send_back": committee_action({}),
    "workspace:review_withdraw": committee_action({"published": [PUBLIC_VERSION, AUDIT]}),
    "workspace:alliance": workspace(200, 405),
    "workspace:meeting_new": workspace(200, 400),
    "workspace:meeting_edit": workspace(200, 400, record="meeting"),
    "workspace:meeting_propose": workspace(405, 400, record="meeting"),
    "workspace:meeting_delete": workspace(
        200, 302, record="meeting", post_writes=[*RECORD_TABLES["meeting"], AUDIT]
    ),
    "workspace:activity_new": workspace(200, 400),
    "workspace:activity_edit": workspace(200, 400, record="activity"),
    "workspace:activity_propose": workspace(405, 400, record="activity"),
    "workspace:activity_delete": workspace(
        200, 302, record="activity", post_writes=[*RECORD_TABLES["activity"], AUDIT]
    ),
    "workspace:photo_delete": workspace(
        405, 302, record="photo", post_writes=["alliances_photo", AUDIT]
    ),
    "workspace:plan": workspace(200, 400, extra={"year": 2025}),
    "workspace:report": workspace(200, 400, extra={"year": 2025, "phase": "plan"}),
    "workspace:ledger": workspace(200, 405, extra={"year": 2025}),
    "workspace:ledger_xlsx": workspace(200, 405, extra={"year": 2025}),
    # Feedback on plans and reports, reference list, showcase (issue 16). An empty POST marks
    # a document 已阅 (the comment is optional), is a form error when sending it back (the
    # comment is required), showcases the published activity; removing a mark not set is a
    # message.
    "workspace:feedback_documents": committee_page(200, 405),
    "workspace:feedback_document": committee_page(200, 405, feedback_documents),
    "workspace:feedback_document_read": committee_page(
        405, 302, feedback_documents, ["alliances_documentreview", AUDIT]
    ),
    "workspace:feedback_document_return": committee_page(405, 400, feedback_documents),
    "workspace:feedback_reference": committee_page(200, 400),
    "workspace:feedback_reference_edit": committee_page(200, 400, reference_items),
    "workspace:feedback_showcase": committee_page(200, 405),
    "workspace:feedback_showcase_add": committee_page(
        405, 302, published_activity, ["alliances_showcase", AUDIT]
    ),
    "workspace:feedback_showcase_remove": committee_page(405, 302, published_activity),
    # 评先评优 (issue 16): an empty POST is a form error, nothing saved
    "workspace:evaluation": evaluation_page(200, 405),
    "workspace:evaluation_xlsx": evaluation_page(200, 405),
    "workspace:evaluation_criteria": evaluation_page(200, 400),
    "workspace:evaluation_notice": evaluation_page(200, 400),
    "workspace:evaluation_adjust": evaluation_page(200, 400, evaluated_alliances),
    # Self-service (issue 16). An empty POST: a form with its errors, or, for decisions, a
    # refusal without a reason is a message; approving the waiting application or founding
    # decides it. Cancelling the keeper's booking of next month deletes it (rolled back).
    "alliances:room": with_rooms(public_or_hidden((200, 405), (404, 405), public_rooms)),
    "workspace:rooms": workspace(200, 405),
    "workspace:room_week": with_rooms(workspace(200, 400, record="room")),
    "workspace:booking_cancel": with_rooms(
        workspace(200, 302, record="booking", post_writes=["alliances_booking", AUDIT])
    ),
    "workspace:applications": workspace(200, 400),
    "workspace:application_queue": with_rooms(by_role(COMMITTEE_PAGE)),
    "workspace:application_approve": decision(
        {"pending": ["alliances_membership", "alliances_rotationslot", AUDIT]}, applications
    ),
    "workspace:application_refuse": decision({}, applications),
    "workspace:founding_new": by_role(
        {"anonymous": (LOGIN, LOGIN), **dict.fromkeys(COMMITTEE, (200, 400)), "*": (403, 403)}
    ),
    "workspace:founding_approve": decision(
        {"proposed": ["alliances_alliance", "alliances_membership", AUDIT]}, foundings
    ),
    "workspace:founding_refuse": decision({}, foundings),
}

# ------------------------------------------------------------------------------------------
# The admin: rules by model permission. "a" add, "c" change, "d" delete, "v" view, "p" the
# publish permission of articles.
# ------------------------------------------------------------------------------------------

# Every model registered in the admin, with what its admin allows anyone at all: the audit
# trail and the rotation history are read-only, the site settings are one record, the
# login-attempt records of django-axes cannot be added by hand.
ADMIN_MODELS = {
    "axes.accessattempt": "cdv",
    "axes.accesslog": "cdv",
    "axes.accessfailurelog": "cdv",
    "portal.auditentry": "v",
    "portal.sitesettings": "cv",
    "portal.friendlylink": "acdv",
    "portal.errorreport": "cdv",  # reports come from readers, through the form on the site
    "auth.user": "acdv",
    "auth.group": "acdv",
    "articles.category": "acdv",
    "articles.article": "acdvp",
    **{
        f"alliances.{model}": "acdv"
        for model in [
            "building",
            "branch",
            "alliance",
            "membership",
            "jointmeeting",
            "activity",
            "facility",
            "booking",
            "annualplan",
            "phasereport",
        ]
    },
    "alliances.rotationslot": "v",
    "alliances.publicversion": "v",  # decisions are taken in the workspace's review queue
}
# Admins of alliances.admin.KeptOnlyMixin: querysets cut down to the user's own alliances.
ALLIANCE_SCOPED = {
    f"alliances.{model}"
    for model in [
        "alliance",
        "membership",
        "jointmeeting",
        "activity",
        "annualplan",
        "phasereport",
        "publicversion",
    ]
}
HISTORY_MODELS = {"portal.sitesettings", "articles.category", "articles.article"}
# The groups' permissions (README: 编辑, 审核, 机关工委). Non-staff users never enter the admin.
ROLE_PERMISSIONS = {
    "superuser": dict.fromkeys(ADMIN_MODELS, "acdvp"),
    "editor": {"articles.article": "acv", "articles.category": "v"},
    "reviewer": {
        "articles.article": "acdvp",
        "articles.category": "acv",
        "portal.sitesettings": "cv",
        "portal.friendlylink": "acdv",
        "portal.errorreport": "cv",
        "portal.auditentry": "v",
    },
    "committee": {
        **{
            model: "acdv"
            for model in ADMIN_MODELS
            if model.startswith("alliances.")
            and model not in {"alliances.rotationslot", "alliances.publicversion"}
        },
        "alliances.rotationslot": "v",
        "alliances.publicversion": "v",
        "portal.auditentry": "v",
    },
}
# django-axes shows every field of a login record read-only: saving the form changes nothing
# the user typed, so an empty POST is a valid save (a redirect).
SAVES_EMPTY_FORM = {"axes.accessattempt", "axes.accesslog", "axes.accessfailurelog"}
ADMIN_VIEW = re.compile(
    r"^admin:(?P<app>[a-z]+)_(?P<model>[a-z]+?)_"
    r"(?P<view>changelist|add|change|delete|history|simple_history|password_change)$"
)
UNNAMED_ADMIN_REDIRECT = re.compile(r"^admin:(?P<app>[a-z]+)/(?P<model>[a-z]+)/<path:object_id>/$")


def allowed(role, model, variant=""):
    """What ``role`` may do with ``model`` in the admin (its own permissions ∩ the admin's)."""
    mine = ROLE_PERMISSIONS.get(role, {}).get(model, "")
    rights = set(mine) & set(ADMIN_MODELS[model])
    if model == "articles.article" and variant == "published" and "p" not in rights:
        rights.discard("c")  # a published article is changed by reviewers only
    return rights


def admin_model_expect(model, view):
    def expect(role, variant, method):
        if role not in STAFF:
            return answer(ADMIN_LOGIN)
        rights = allowed(role, model, variant)
        sees = bool(rights & {"v", "c"})
        if view == "changelist":
            shown = 302 if model == "portal.sitesettings" else 200  # straight to the one record
            return answer(shown if sees else 403)
        if view == "add":
            return answer(200 if "a" in rights else 403)
        if view == "delete":
            return answer(200 if "d" in rights else 403)  # an empty POST only asks to confirm
        if view == "history":
            if not sees and model in ALLIANCE_SCOPED:
                # Their admin lists only the alliances one keeps: to anyone else the object
                # does not exist, and the history page says so before it checks permissions.
                return answer(ADMIN_INDEX)
            return answer(200 if sees else 403)
        if method == "get":  # change, simple_history (an old version), password_change
            return answer(200 if (sees if view != "password_change" else "c" in rights) else 403)
        if "c" not in rights:
            return answer(403)
        if view == "change" and model in SAVES_EMPTY_FORM:
            return answer(302, [model.replace(".", "_"), "django_admin_log"])
        return answer(200)  # the form with its errors

    return expect


def admin_objects(model, view):
    def variants(world):
        if model == "articles.article":
            objects = {"published": world.published, "draft": world.draft}
        else:
            objects = {"": world.admin_objects[model]}
        if view in {"changelist", "add"}:
            return {"": {}}
        if view == "simple_history":
            return {
                label: {"args": [obj.pk, obj.history.latest().history_id]}
                for label, obj in objects.items()
            }
        key = "id" if view == "password_change" else "object_id"
        return {label: {key: obj.pk} for label, obj in objects.items()}

    return variants


def app_labels(world):
    return {app: {"app_label": app} for app in sorted({m.split(".")[0] for m in ADMIN_MODELS})}


def app_list_expect(role, variant, method):
    if role not in STAFF:
        return answer(ADMIN_LOGIN)
    models = ROLE_PERMISSIONS[role]
    return answer(200 if any(m.startswith(f"{variant}.") for m in models) else 404)


def autocomplete_variants(world):
    query = {"app_label": "alliances", "model_name": "jointmeeting", "field_name": "alliance"}
    return {"bare": {}, "alliance": {"query": urlencode(query)}}


def view_on_site(world):
    content_type = ContentType.objects.get_for_model(Article)
    return {"": {"content_type_id": content_type.pk, "object_id": world.published.pk}}


def staff_only(staff_get, staff_post, non_staff=(ADMIN_LOGIN, ADMIN_LOGIN), variants=single):
    return by_role({**dict.fromkeys(STAFF, (staff_get, staff_post)), "*": non_staff}, variants)


ADMIN_MATRIX = {
    "admin:index": staff_only(200, 200),
    "admin:login": by_role(
        {"anonymous": (200, 200), **dict.fromkeys(STAFF, (ADMIN_INDEX, 200)), "*": (200, 200)}
    ),
    # Non-staff users are sent to the admin's index (and from there to its login page); staff
    # are logged out with a POST only, then land on the workspace login (LOGOUT_REDIRECT_URL).
    "admin:logout": staff_only(405, LOGIN, non_staff=(ADMIN_INDEX, ADMIN_INDEX)),
    "admin:password_change": staff_only(200, 200),
    "admin:password_change_done": staff_only(200, 405),
    "admin:jsi18n": staff_only(200, 405),
    "admin:view_on_site": staff_only(302, 302, variants=view_on_site),
    "admin:autocomplete": Entry(
        autocomplete_variants,
        lambda role, variant, method: answer(
            ADMIN_LOGIN
            if role not in STAFF
            else 405
            if method == "post"
            else 200
            if variant == "alliance" and role in COMMITTEE
            else 403
        ),
    ),
    "admin:app_list": Entry(app_labels, app_list_expect),
    # The admin's answer to any other address under it: 404 for staff, the login for others.
    "admin:(?P<url>.*)$": staff_only(
        404, 404, variants=lambda world: {"": {"url": "no-such-page/"}}
    ),
}


def admin_entry(key):
    match = ADMIN_VIEW.match(key)
    if match:
        model = f"{match['app']}.{match['model']}"
        view = match["view"]
        known = (
            model in ADMIN_MODELS
            and (view != "simple_history" or model in HISTORY_MODELS)
            and (view != "password_change" or model == "auth.user")
        )
        if known:
            return Entry(admin_objects(model, view), admin_model_expect(model, view))
        return None
    match = UNNAMED_ADMIN_REDIRECT.match(key)
    if match and f"{match['app']}.{match['model']}" in ADMIN_MODELS:
        model = f"{match['app']}.{match['model']}"

        def variants(world):
            obj = world.admin_objects[model]
            return {"": {"url": f"{match['app']}/{match['model']}/{obj.pk}/"}}

        return staff_only(302, 302, variants=variants)  # on to the change page
    return ADMIN_MATRIX.get(key)


# ------------------------------------------------------------------------------------------
# Walking the URLconf
# ------------------------------------------------------------------------------------------


@dataclass
class Pattern:
    key: str  # "namespace:name", or the route where a pattern has no name
    name: str | None  # for reverse()
    route: str


def url_patterns(resolver=None, namespace=None, prefix=""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            inner = pattern.namespace
            full = f"{namespace}:{inner}" if namespace and inner else inner or namespace
            yield from url_patterns(pattern, full, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            route = prefix + str(pattern.pattern)
            name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            if pattern.name:
                key = name
            elif namespace == "admin":
                key = "admin:" + route.removeprefix(settings.ADMIN_URL)
            else:
                key = route
            yield Pattern(key, name if pattern.name else None, route)


def entry_for(key):
    if key.startswith("admin:"):
        return admin_entry(key)
    return MATRIX.get(key)


def build_url(pattern, arguments):
    arguments = dict(arguments)
    query = arguments.pop("query", "")
    if "url" in arguments:  # an unnamed admin pattern: the address under the admin's root
        url = reverse("admin:index") + arguments["url"]
    elif "args" in arguments:
        url = reverse(pattern.name, args=arguments["args"])
    elif pattern.name:
        url = reverse(pattern.name, kwargs=arguments)
    else:
        url = "/" + pattern.route
    return f"{url}?{query}" if query else url


@dataclass
class Cell:
    key: str
    variant: str
    url: str


def all_cells(world):
    add_public_versions(world)
    for pattern in url_patterns():
        entry = entry_for(pattern.key)
        assert entry is not None, f"新增 URL 未列入权限矩阵: {pattern.key} ({pattern.route})"
        for variant, arguments in entry.variants(world).items():
            yield Cell(pattern.key, variant, build_url(pattern, arguments)), entry


# ------------------------------------------------------------------------------------------
# Running it
# ------------------------------------------------------------------------------------------


class WriteRecorder:
    """Collects the tables that the SQL run inside it inserts into, updates or deletes from."""

    def __init__(self):
        self.tables = set()

    def __call__(self, execute, sql, params, many, context):
        match = WRITE.match(sql)
        if match and not UNCHECKED_TABLES.match(match[1]):
            self.tables.add(match[1])
        return execute(sql, params, many, context)


def classify(response):
    if response.status_code == 302:
        location = response["Location"]
        if location.startswith(reverse("workspace:login")):
            return LOGIN
        if location.startswith(reverse("admin:login")):
            return ADMIN_LOGIN
        if location == reverse("admin:index"):
            return ADMIN_INDEX
    return response.status_code


def run_cell(client, method, url):
    """One request inside a savepoint that is rolled back: (status, tables written)."""
    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    recorder = WriteRecorder()
    savepoint = transaction.savepoint()
    try:
        with connection.execute_wrapper(recorder):
            response = getattr(client, method)(url)
    finally:
        transaction.savepoint_rollback(savepoint)
    client.cookies = cookies  # a logout does not carry over to the next cell
    return classify(response), recorder.tables


def is_leak(expected, status, tables):
    wider = expected.status in DENIED and status not in DENIED and status < 400
    return wider or bool(tables - expected.writes)


def test_every_url_answers_every_role_as_the_matrix_says(security_world, settings):
    settings.DEBUG = False
    cells = list(all_cells(security_world))
    mismatches, leaks, count = [], [], 0
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(security_world.users[role])
        for cell, entry in cells:
            for method in ("get", "post"):
                expected = entry.expect(role, cell.variant, method)
                status, tables = run_cell(client, method, cell.url)
                count += 1
                if status != expected.status or tables - expected.writes:
                    line = (
                        f"{role:<12} {method.upper():<4} {cell.key} [{cell.variant}] {cell.url}: "
                        f"应为 {expected.status}，实为 {status}"
                        + (f"，写入了 {sorted(tables - expected.writes)}" if tables else "")
                    )
                    mismatches.append(line)
                    if is_leak(expected, status, tables):
                        leaks.append(line)
    patterns = {cell.key for cell, _ in cells}
    print(
        f"\n权限矩阵：{len(patterns)} 个 URL 模式，{len(cells)} 个 URL，{len(ROLES)} 种角色，"
        f"2 种方法，共 {count} 格；不符 {len(mismatches)}，越权 {len(leaks)}"
    )
    others = [line for line in mismatches if line not in leaks]
    report = "\n".join(["越权：", *leaks, "其他不符：", *others])
    assert (len(leaks), len(mismatches)) == (0, 0), report


def test_every_matrix_entry_is_a_url_of_the_site():
    keys = {pattern.key for pattern in url_patterns()}
    stale = sorted(set(MATRIX) - keys) + sorted(key for key in ADMIN_MATRIX if key not in keys)
    assert not stale, f"权限矩阵中的 URL 已不存在: {stale}"


# ------------------------------------------------------------------------------------------
# The key cells with real bodies, not just empty ones
# ------------------------------------------------------------------------------------------

PUBLISHERS = {"superuser", "reviewer"}


def login(client, world, role):
    if role != "anonymous":
        client.force_login(world.users[role])


@pytest.mark.parametrize("role", ROLES)
def test_only_reviewers_publish_from_the_article_list(client, security_world, role):
    login(client, security_world, role)
    draft = security_world.draft
    client.post(
        reverse("admin:articles_article_changelist"),
        {"action": "publish", "_selected_action": [draft.pk], "index": "0"},
    )
    draft.refresh_from_db()
    expected = Article.Status.PUBLISHED if role in PUBLISHERS else Article.Status.DRAFT
    assert draft.status == expected


@pytest.mark.parametrize("role", ["editor", "committee", "secretary_a", "anonymous"])
def test_nobody_but_reviewers_can_publish_through_the_article_form(client, security_world, role):
    login(client, security_world, role)
    draft = security_world.draft
    client.post(
        reverse("admin:articles_article_change", args=[draft.pk]),
        {
            "title": draft.title,
            "category": draft.category_id,
            "kind": draft.kind,
            "status": Article.Status.PUBLISHED,
            "summary": "摘要",
            "body": "<p>正文</p>",
            "attachments-TOTAL_FORMS": "0",
            "attachments-INITIAL_FORMS": "0",
        },
    )
    draft.refresh_from_db()
    assert draft.status == Article.Status.DRAFT


@pytest.mark.parametrize("role", ["editor", "committee"])
def test_an_old_version_cannot_be_saved_by_who_may_not_change_the_record(
    client, security_world, role
):
    """The history page of django-simple-history saves a posted old version; those who may
    only view the record (an editor and sections, anyone and a published article) must not."""
    login(client, security_world, role)
    section = security_world.section
    version = section.history.latest().history_id
    response = client.post(
        reverse("admin:articles_category_simple_history", args=[section.pk, version]),
        {"name": "被改掉的栏目", "slug": section.slug, "position": 0, "column_type": "news"},
    )
    section.refresh_from_db()
    assert response.status_code == 403
    assert section.name == "基层党建"


def valid_bodies(world):
    """Well-formed bodies for alliance B's pages, as its own secretary would post them."""
    b = world.alliances["B"]
    lead = world.leads["B"]
    record = {"held_on": "2025-06-01", "venue": "会议室", "host": lead.pk, f"heads_{lead.pk}": "5"}
    meeting = {**record, "topics": "研究工作", "is_regular": "on"}
    activity = {**record, "title": "联学活动", "line": "study", "status": "held"}
    slug, m, a = b.slug, world.meetings["B"].pk, world.activities["B"].pk
    return {
        "meeting_new": (reverse("workspace:meeting_new", args=[slug]), meeting),
        "meeting_edit": (reverse("workspace:meeting_edit", args=[slug, m]), meeting),
        "meeting_delete": (reverse("workspace:meeting_delete", args=[slug, m]), {}),
        "activity_new": (reverse("workspace:activity_new", args=[slug]), activity),
        "activity_edit": (reverse("workspace:activity_edit", args=[slug, a]), activity),
        "activity_delete": (reverse("workspace:activity_delete", args=[slug, a]), {}),
        "photo_delete": (
            reverse("workspace:photo_delete", args=[slug, world.photos["B"].pk]),
            {},
        ),
        "plan": (reverse("workspace:plan", args=[slug, 2025]), {"themes": "改掉的主题"}),
        "report": (
            reverse("workspace:report", args=[slug, 2025, "plan"]),
            {"text": "改掉的报告", "activities_held": "1", "participants": "9"},
        ),
        # Alliance A's address with B's records in it.
        "meeting_edit via A": (
            reverse("workspace:meeting_edit", args=[world.alliances["A"].slug, m]),
            meeting,
        ),
        "activity_delete via A": (
            reverse("workspace:activity_delete", args=[world.alliances["A"].slug, a]),
            {},
        ),
        "photo_delete via A": (
            reverse(
                "workspace:photo_delete", args=[world.alliances["A"].slug, world.photos["B"].pk]
            ),
            {},
        ),
    }


def alliance_b_state(world):
    b = world.alliances["B"]
    return (
        list(JointMeeting.objects.filter(alliance=b).values()),
        list(Activity.objects.filter(alliance=b).values()),
        list(Photo.objects.filter(activity__alliance=b).values()),
        list(b.plans.values()),
        list(b.phase_reports.values()),
    )


@pytest.mark.parametrize(
    "page",
    [
        "meeting_new",
        "meeting_edit",
        "meeting_delete",
        "activity_new",
        "activity_edit",
        "activity_delete",
        "photo_delete",
        "plan",
        "report",
        "meeting_edit via A",
        "activity_delete via A",
        "photo_delete via A",
    ],
)
def test_secretary_a_cannot_write_alliance_b_records_with_a_valid_form(
    client, security_world, page
):
    client.force_login(security_world.users["secretary_a"])
    url, body = valid_bodies(security_world)[page]
    before = alliance_b_state(security_world)
    recorder = WriteRecorder()
    with connection.execute_wrapper(recorder):
        response = client.post(url, body)
    assert response.status_code == 404
    assert recorder.tables == set()
    assert alliance_b_state(security_world) == before


def test_secretary_b_can_write_with_the_same_forms(client, security_world):
    """The bodies above are valid: B's own secretary saves them (so the 404s mean something)."""
    client.force_login(security_world.users["secretary_b"])
    bodies = valid_bodies(security_world)
    for page in ["meeting_edit", "activity_edit", "plan", "report"]:
        url, body = bodies[page]
        response = client.post(url, body)
        assert response.status_code == 302, (page, response.content.decode()[:2000])
