"""The week of a shared room (功能室), for readers and for the workspace.

Readers see when a room is in use and by which alliance, never who booked it, which unit
or what for: a booking's purpose is typed by a secretary and may name people. The
workspace shows the details of the user's own alliance's bookings only.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.shortcuts import get_object_or_404, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views import View

from portal.pagecache import cached_page

from .models import FIRST_YEAR, Alliance, Booking, Facility
from .selfservice_forms import WeekForm, week_label

PUBLIC_STATUSES = [Alliance.Status.ACTIVE, Alliance.Status.DISSOLVED]
WEEKDAYS = "一二三四五六日"


@dataclass
class Day:
    date: date
    today: bool
    bookings: list = field(default_factory=list)

    @property
    def weekday(self):
        return f"星期{WEEKDAYS[self.date.weekday()]}"


@dataclass
class Week:
    monday: date
    days: list

    @property
    def label(self):
        return week_label(self.monday)

    @property
    def sunday(self):
        return self.monday + timedelta(days=6)

    @property
    def previous(self):
        """The label of the week before, or None where WeekForm would refuse it."""
        return _within(self.monday - timedelta(days=7))

    @property
    def next(self):
        return _within(self.monday + timedelta(days=7))

    @property
    def empty(self):
        return not any(day.bookings for day in self.days)


def _within(monday):
    year = monday.isocalendar().year
    return week_label(monday) if FIRST_YEAR <= year <= timezone.localdate().year + 1 else None


def _midnight(day):
    return timezone.make_aware(datetime.combine(day, time.min))


def room_week(facility, monday, bookings=None):
    """The seven days from ``monday``, each with the bookings of ``facility`` that begin that
    day (one that began the week before is shown on Monday)."""
    today = timezone.localdate()
    days = [Day(monday + timedelta(days=n), monday + timedelta(days=n) == today) for n in range(7)]
    start, end = _midnight(monday), _midnight(monday + timedelta(days=7))
    bookings = (bookings or Booking.objects.all()).filter(
        facility=facility, starts_at__lt=end, ends_at__gt=start
    )
    for booking in bookings.order_by("starts_at", "pk"):
        first = max(timezone.localdate(booking.starts_at), monday)
        booking.crosses_days = timezone.localdate(booking.ends_at) != timezone.localdate(
            booking.starts_at
        )
        days[(first - monday).days].bookings.append(booking)
    return Week(monday, days)


def public_name(alliance):
    """Who the public schedule says uses the room: an approved alliance's name, else nobody."""
    if alliance is not None and alliance.status in PUBLIC_STATUSES:
        return alliance.name
    return ""


def public_rooms():
    """Rooms readers may look at: those of a building that has an approved alliance."""
    return Facility.objects.filter(building__alliances__status__in=PUBLIC_STATUSES).distinct()


def week_or_400(request):
    """(monday, None) from ?week=, or (None, a 400 response) for a week that cannot be."""
    form = WeekForm(request.GET)
    if form.is_valid():
        return form.monday(), None
    return None, render(request, "bad_request.html", {"form": form}, status=400)


@cached_page(query=["week"])
class RoomScheduleView(View):
    """功能室使用安排: a room's week as readers see it (time and alliance, nothing personal)."""

    def get(self, request, pk):
        facility = get_object_or_404(public_rooms().select_related("building"), pk=pk)
        monday, refused = week_or_400(request)
        if refused:
            return refused
        bookings = Booking.objects.select_related("alliance").only(
            "starts_at", "ends_at", "facility_id", "alliance__name", "alliance__status"
        )
        week = room_week(facility, monday, bookings)
        for day in week.days:
            for booking in day.bookings:
                booking.public_name = public_name(booking.alliance)
        alliances = Alliance.objects.filter(
            building=facility.building_id, status__in=PUBLIC_STATUSES
        ).order_by("name", "pk")
        return render(
            request,
            "alliances/room_schedule.html",
            {
                "facility": facility,
                "week": week,
                "alliances": alliances,
                "directory_trail": [
                    ("党建联盟", reverse_lazy("alliances:directory")),
                    (alliances[0].name, alliances[0].get_absolute_url()),
                ],
                "this_week": reverse("alliances:room", args=[facility.pk]),
            },
        )
