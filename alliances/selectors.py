"""Reads for alliance pages: directories, quarterly compliance, rotation schedules, figures.

Compliance is computed for many alliances at once with a fixed number of queries, so the
staff overview of 200 alliances costs the same as one alliance page. Compliance, the
ledger and the overview count every record: they are for secretaries and committee staff.
Public pages read meetings and activities only through ``published_versions()`` (先审后发):
what readers see of a record is its approved public version, never the record.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import NamedTuple

from django.db.models import Count, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import ExtractQuarter
from django.utils import timezone

from portal.links import reverse_one
from portal.precompiled import Many, Precompiled

from . import rotation
from .models import (
    FIRST_YEAR,
    Activity,
    Alliance,
    AllianceRule,
    Attendance,
    Building,
    Facility,
    JointMeeting,
    Line,
    Membership,
    PublicPhoto,
    PublicVersion,
    RotationSlot,
)

ACTIVE = Membership.Status.ACTIVE
PUBLISHED = PublicVersion.Status.PUBLISHED


class DirectoryBuilding(NamedTuple):
    pk: int
    name: str


class DirectoryCard(NamedTuple):
    """What the directory shows of an alliance (alliances_public.alliance_groups)."""

    name: str
    slug: str
    status: str
    rotation: str
    member_total: int
    party_members: int

    def get_absolute_url(self):
        return reverse_one("alliances:detail", self.slug)


# Compiled once per process (portal/precompiled.py): planning and compiling them cost more
# than running them. The approved alliances within a kind, in their own order (a building
# first where its first one is); the active members' count and party members of every
# alliance, summed apart: grouping the joined alliances by every column they show took
# PostgreSQL half again as long.
_directory_rows = Precompiled(
    lambda: (
        Alliance.objects.public()
        .order_by("kind", *Alliance._meta.ordering)
        .values_list(
            "pk", "kind", "building_id", "building__name", "name", "slug", "status", "rotation"
        )
    )
)
_directory_members = Precompiled(
    lambda: (
        Membership.objects.filter(status=ACTIVE)
        .values_list("alliance_id")
        .annotate(Count("pk"), Sum("branch__member_count"))
        .order_by()
    )
)


def directory():
    """[(kind label, [(building or None, [cards])])] in display order. Plain rows, not
    model instances: two hundred alliances with their buildings cost 20 ms as models."""
    members = {alliance: (count, total) for alliance, count, total in _directory_members()}
    grouped = defaultdict(lambda: defaultdict(list))
    buildings = {}
    for pk, kind, building_id, building_name, *card in _directory_rows():
        building = None
        if building_id is not None:
            building = buildings.setdefault(
                building_id, DirectoryBuilding(building_id, building_name)
            )
        grouped[kind][building].append(DirectoryCard(*card, *members.get(pk, (0, 0))))
    return [
        (label, list(grouped[kind].items()))
        for kind, label in Alliance.Kind.choices
        if kind in grouped
    ]


# What a link to a public version needs: its title, date and record (get_absolute_url).
LINKED = ("title", "held_on", "meeting_id", "activity_id")
RECENT_ACTIVITIES = 6


@dataclass
class AlliancePage:
    """What an alliance's public page shows of it, read by ``alliance_page``."""

    memberships: list  # with their branches, the lead first, then in rotation order
    rules: list
    facilities: list  # of its building
    slots: dict  # the frozen rotation: period start -> host branch id
    activities: list  # the most recent published ones
    meetings: list  # the year's published ones


# The page's seven small queries, compiled once per process (portal/precompiled.py):
# through the ORM each cost 0.5–1 ms of compiling, three times what running it takes.
# Its record lists read the versions of an alliance public_alliance found approved, so they
# need not ask published_versions() about the alliances again.
_ALLIANCE = Alliance._meta.pk
_HELD_ON = PublicVersion._meta.get_field("held_on")
_page_alliance = Precompiled(
    lambda slug: Alliance.objects.public().select_related("building").filter(slug=slug),
    slug=Alliance._meta.get_field("slug"),
)
_page_memberships = Precompiled(
    lambda alliance: (
        Membership.objects.filter(alliance_id=alliance)
        .select_related("branch")
        .order_by("-is_lead", "rotation_order", "pk")
    ),
    alliance=_ALLIANCE,
)
_page_rules = Precompiled(
    lambda alliance: AllianceRule.objects.filter(alliance_id=alliance).order_by("position", "pk"),
    alliance=_ALLIANCE,
)
_page_facilities = Precompiled(
    lambda building: Facility.objects.filter(building_id=building).order_by("kind", "pk"),
    building=Building._meta.pk,
)
_page_slots = Precompiled(
    lambda alliance: (
        RotationSlot.objects.filter(alliance_id=alliance)
        .values_list("starts_on", "host_id")
        .order_by()
    ),
    alliance=_ALLIANCE,
)
_page_activities = Precompiled(
    lambda alliance: (
        PublicVersion.objects.filter(status=PUBLISHED, alliance_id=alliance, activity__isnull=False)
        .only(*LINKED)
        .order_by("-held_on", "-id")[:RECENT_ACTIVITIES]
    ),
    alliance=_ALLIANCE,
)
_page_meetings = Precompiled(
    lambda alliance, start, end: (
        PublicVersion.objects.filter(
            status=PUBLISHED,
            alliance_id=alliance,
            meeting__isnull=False,
            held_on__gte=start,
            held_on__lt=end,
        )
        .only(*LINKED)
        .order_by("-held_on", "-id")
    ),
    alliance=_ALLIANCE,
    start=_HELD_ON,
    end=_HELD_ON,
)


def public_alliance(slug):
    """The approved alliance ``slug``, with its building; None if there is none."""
    found = _page_alliance(slug=slug)
    return found[0] if found else None


def alliance_page(alliance, year):
    """What the page of ``alliance`` (from ``public_alliance``) shows for ``year``."""
    start, end = year_bounds(year)
    return AlliancePage(
        memberships=_page_memberships(alliance=alliance.pk),
        rules=_page_rules(alliance=alliance.pk),
        facilities=_page_facilities(building=alliance.building_id) if alliance.building_id else [],
        slots=dict(_page_slots(alliance=alliance.pk)),
        activities=_page_activities(alliance=alliance.pk),
        meetings=_page_meetings(alliance=alliance.pk, start=start, end=end),
    )


def quarter_bounds(year, quarter):
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return start, end


def _state(held, year, quarter, today, founded_on):
    start, end = quarter_bounds(year, quarter)
    if held:
        return "held"
    if end <= founded_on:
        return "none"
    if end <= today:
        return "missing"
    return "due" if start <= today else "upcoming"


STATE_LABELS = {
    "held": "已开展",
    "missing": "未开展",
    "due": "本季度待开展",
    "upcoming": "未到期",
    "none": "未成立",
}


@dataclass
class QuarterStatus:
    quarter: int
    meeting: str
    study: str
    activities: int = 0
    by_line: dict = field(default_factory=dict)
    attendance_total: int = 0  # people at held activities

    @property
    def meeting_label(self):
        return STATE_LABELS[self.meeting]

    @property
    def study_label(self):
        return STATE_LABELS[self.study]


def held_activities(ids, year, today):
    return Activity.objects.filter(
        alliance_id__in=ids, year=year, status=Activity.Status.HELD, held_on__lte=today
    )


def compliance(alliances, year, today=None, meetings=None):
    """{alliance id: [QuarterStatus for Q1..Q4]} in two queries, however many alliances.

    A page that already has the year's meetings of these alliances passes them as
    ``meetings`` and saves the first query.
    """
    today = today or timezone.localdate()
    ids = [alliance.pk for alliance in alliances]
    if meetings is None:
        meetings = JointMeeting.objects.filter(alliance_id__in=ids, year=year).only(
            "alliance_id", "quarter", "is_regular", "held_on"
        )
    held_meetings = {
        (m.alliance_id, m.quarter) for m in meetings if m.is_regular and m.held_on <= today
    }
    rows = (
        held_activities(ids, year, today)
        .values_list("alliance_id", "quarter", "line", "is_central_study")
        .annotate(n=Count("pk", distinct=True), heads=Sum("attendance__head_count"))
        .order_by()
    )
    rows = list(rows)
    studies = {(alliance_id, quarter) for alliance_id, quarter, _, study, *_ in rows if study}
    result = {
        alliance.pk: [
            QuarterStatus(
                quarter=q,
                meeting=_state(
                    (alliance.pk, q) in held_meetings, year, q, today, alliance.founded_on
                ),
                study=_state((alliance.pk, q) in studies, year, q, today, alliance.founded_on),
            )
            for q in range(1, 5)
        ]
        for alliance in alliances
    }
    for alliance_id, quarter, line, _, count, heads in rows:
        status = result[alliance_id][quarter - 1]
        status.by_line[line] = status.by_line.get(line, 0) + count
        status.activities += count
        status.attendance_total += heads or 0
    return result


def rotation_data(alliance):
    """Memberships and frozen slots: the inputs of every rotation computation."""
    return (
        list(alliance.memberships.all()),
        # No order (the model's first key, the alliance, would join its table for nothing).
        dict(alliance.rotation_slots.order_by().values_list("starts_on", "host_id")),
    )


def rotation_table(alliance, year, memberships, slots):
    """This year's periods with their host branches, for the alliance page; ``memberships``
    and ``slots`` as ``rotation_data`` gives them."""
    branches = {m.branch_id: m.branch for m in memberships}
    today = timezone.localdate()
    if alliance.rotation == Alliance.Rotation.ACTIVITY:
        last = alliance.activities.exclude(status=Activity.Status.CANCELLED).first()
        host = rotation.next_host(memberships, last.host_id if last else None, today)
        return {"per_activity": True, "next_host": branches.get(host), "last": last}
    rows = [
        {
            "period": period,
            "host": branches.get(host),
            "current": period.contains(today),
            "past": period.ends_on <= today,
        }
        for period, host in rotation.year_schedule(alliance, memberships, slots, year)
    ]
    return {"per_activity": False, "rows": rows}


def figures(alliances_qs, year):
    """Counts for the charts: held activities per quarter and per line, meetings per quarter."""
    activities = Activity.objects.filter(
        alliance__in=alliances_qs, year=year, status=Activity.Status.HELD
    )
    per_quarter = dict(activities.values_list("quarter").annotate(n=Count("pk")).order_by())
    per_line = dict(activities.values_list("line").annotate(n=Count("pk")).order_by())
    meetings = dict(
        JointMeeting.objects.filter(alliance__in=alliances_qs, year=year, is_regular=True)
        .values_list("quarter")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {
        "activities_per_quarter": [(f"第{q}季度", per_quarter.get(q, 0)) for q in range(1, 5)],
        "activities_per_line": [(label, per_line.get(value, 0)) for value, label in Line.choices],
        "meetings_per_quarter": [(f"第{q}季度", meetings.get(q, 0)) for q in range(1, 5)],
    }


@dataclass
class OverviewRow:
    """One alliance's year for the committee: the quarters and the figures for the awards."""

    alliance: Alliance
    quarters: list

    @property
    def activities(self):
        return sum(q.activities for q in self.quarters)

    @property
    def participation(self):
        return sum(q.attendance_total for q in self.quarters)

    @property
    def meetings(self):
        """Regular meetings held in their own quarter (a meeting is logged in its quarter)."""
        return sum(q.meeting == "held" for q in self.quarters)

    @property
    def meetings_due(self):
        return sum(q.meeting in ("held", "missing") for q in self.quarters)

    @property
    def studies(self):
        return sum(q.study == "held" for q in self.quarters)


OVERVIEW_SORTS = {
    "name": lambda row: 0,  # the alliances' own order (Alliance.position), kept by sorted()
    "-activities": lambda row: -row.activities,
    "-participation": lambda row: -row.participation,
    "-meetings": lambda row: -row.meetings,
    "meetings": lambda row: row.meetings,
}


def overview(alliances, year, sort="name", today=None):
    alliances = list(alliances)
    statuses = compliance(alliances, year, today)
    rows = [OverviewRow(alliance, statuses[alliance.pk]) for alliance in alliances]
    return sorted(rows, key=OVERVIEW_SORTS[sort or "name"])


def head_count(record_field):
    """The people a meeting or activity had, summed over its branches, for ``annotate()``:
    a subquery per row shown, not a join and GROUP BY over every record of the list."""
    return Subquery(
        Attendance.objects.filter(**{record_field: OuterRef("pk")})
        .values(record_field)
        .annotate(total=Sum("head_count"))
        .values("total")
    )


# Public reads (先审后发) -------------------------------------------------------------------


def published_versions():
    """The public versions of meetings and activities readers may see: approved, of an
    approved alliance. Every public page, list and chart reads records through this (the
    alliance page through its own queries above, of an alliance it has found public)."""
    return PublicVersion.objects.filter(status=PUBLISHED, alliance__in=Alliance.objects.public())


def published_activities():
    """Published activities, newest first: the order of the partial index
    published_activity_listing, which holds exactly these rows."""
    return published_versions().filter(activity__isnull=False).order_by("-held_on", "-id")


def published_meetings():
    return published_versions().filter(meeting__isnull=False).order_by("-held_on", "-id")


# What a public page may show of a record besides its version: the 六联 line and the host.
# Loading nothing else means a template that reached for minutes or a venue would find an
# extra query in the query-count tests rather than the text.
SHOWN_OF_RECORD = {"activity": ["line", "host__unit"], "meeting": ["host__unit"]}


def _shown_photos():
    return PublicPhoto.objects.select_related("photo").only(
        "version_id", "alt", "position", "photo__image", "photo__width", "photo__height"
    )


def with_record(versions, kind):
    """``versions`` with their record (``kind``: "activity" or "meeting"), the alliance and
    the chosen photos as the list ``chosen_photos``, loading only what a public page shows.
    (A list: ``photos.all.0`` in a template built a queryset a row, 26 µs.)"""
    return _with_record(versions, kind).prefetch_related(
        Prefetch("photos", queryset=_shown_photos(), to_attr="chosen_photos")
    )


def _with_record(versions, kind):
    return versions.select_related("alliance", f"{kind}__host").only(
        "title",
        "held_on",
        "text",
        "alliance__name",
        "alliance__slug",
        "meeting_id",
        "activity_id",
        *(f"{kind}__{name}" for name in SHOWN_OF_RECORD[kind]),
    )


_activity_rows = Precompiled(
    lambda ids: (
        _with_record(PublicVersion.objects.filter(pk__any=ids), "activity").defer("text").order_by()
    ),
    ids=Many(PublicVersion._meta.pk),
)
_photos_of = Precompiled(
    lambda ids: _shown_photos().filter(version__any=ids),
    ids=Many(PublicPhoto._meta.get_field("version")),
)


def activity_rows(ids):
    """The activity list's rows: the public versions ``ids`` as ``with_record`` gives them,
    without their text, in two queries compiled once."""
    rows = _activity_rows(ids=ids)
    photos = defaultdict(list)
    for photo in _photos_of(ids=ids):
        photos[photo.version_id].append(photo)
    for row in rows:
        row.chosen_photos = photos[row.pk]
    return rows


def published_record(kind, pk):
    """The published version of the meeting or activity ``pk``; PublicVersion.DoesNotExist
    when it has none (a pending, returned or withdrawn version is not public)."""
    # ``activity__id``, not ``activity``: the record's own id lookup turns an id beyond the
    # database's range into no rows, where the foreign key's would overflow (a 500).
    return with_record(published_versions().filter(**{f"{kind}__id": pk}), kind).get()


def paragraphs(text):
    """A public text's paragraphs: one a line, blank lines dropped."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def year_bounds(year):
    return date(year, 1, 1), date(year + 1, 1, 1)


def public_figures(year, alliance=None):
    """Counts for the public charts, of published activities only, in one query: per
    quarter and per 六联 line of ``year``, for all public alliances or one."""
    start, end = year_bounds(year)
    versions = published_activities().filter(held_on__gte=start, held_on__lt=end)
    if alliance is not None:
        versions = versions.filter(alliance=alliance)
    rows = (
        versions.annotate(q=ExtractQuarter("held_on"))
        .values_list("q", "activity__line")
        .annotate(n=Count("pk"))
        .order_by()
    )
    per_quarter, per_line = defaultdict(int), defaultdict(int)
    for quarter, line, count in rows:
        per_quarter[quarter] += count
        per_line[line] += count
    return {
        "activities_per_quarter": [(f"第{q}季度", per_quarter[q]) for q in range(1, 5)],
        "activities_per_line": [(label, per_line[value]) for value, label in Line.choices],
    }


def record_years(alliances=None):
    """The years a staff selector offers, newest first: this year and those in which
    ``alliances`` (all if None) have a meeting or activity, from FIRST_YEAR to next year.
    One query."""
    meetings, activities = JointMeeting.objects.order_by(), Activity.objects.order_by()
    if alliances is not None:
        meetings, activities = (
            meetings.filter(alliance__in=alliances),
            activities.filter(alliance__in=alliances),
        )
    found = meetings.values_list("year", flat=True).union(activities.values_list("year", flat=True))
    return _in_range(found)


def published_years(alliance=None):
    """The years a reader's selector offers, newest first: this year and those with a
    published meeting or activity (of ``alliance``, if given). One query."""
    versions = published_versions().order_by()
    if alliance is not None:
        versions = versions.filter(alliance=alliance)
    return _in_range(day.year for day in versions.dates("held_on", "year"))


def _in_range(years):
    this_year = timezone.localdate().year
    return sorted(
        {year for year in years if FIRST_YEAR <= year <= this_year + 1} | {this_year},
        reverse=True,
    )
