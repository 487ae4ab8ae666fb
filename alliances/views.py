from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.generic import DetailView, ListView

from portal import pagecache
from portal.charts import bar_chart
from portal.mixins import FilteredListMixin, PagedByIdMixin
from portal.pagecache import cached_page

from . import selectors
from .filters import ActivityFilter, YearForm
from .models import Activity, Alliance, Attendance, JointMeeting, Membership, Photo

PAGE_SIZE = 20
TRAIL = [("党建联盟", reverse_lazy("alliances:directory"))]


def _year(request):
    """The ?year= of a page, or this year; junk makes the form invalid (a 400)."""
    this_year = timezone.localdate().year
    if "year" not in request.GET:
        return this_year, YearForm(initial={"year": this_year})
    form = YearForm(request.GET)
    if not form.is_valid():
        return None, form
    return form.cleaned_data["year"] or this_year, form


def _charts(figures, year, prefix):
    return [
        bar_chart(
            f"{year}年各季度开展联办活动", figures["activities_per_quarter"], "项", f"{prefix}-q"
        ),
        bar_chart(f"{year}年“六联”各类活动", figures["activities_per_line"], "项", f"{prefix}-l"),
        bar_chart(
            f"{year}年各季度召开联席会议", figures["meetings_per_quarter"], "次", f"{prefix}-m"
        ),
    ]


@cached_page(query=["year"])
def directory(request):
    """All approved alliances, grouped by kind and building, with this year's figures."""
    year, form = _year(request)
    if year is None:
        return render(request, "bad_request.html", {"form": form}, status=400)
    # The year's figures count every activity of every alliance: the same for all readers
    # until something changes, so they are kept as a fragment under the content version.
    charts = pagecache.fragment(
        f"directory-charts:{year}",
        lambda: _charts(selectors.figures(Alliance.objects.public(), year), year, "all"),
        request=request,
    )
    context = {
        "groups": selectors.directory(),
        "year": year,
        "year_form": form,
        "charts": charts,
    }
    return render(request, "alliances/directory.html", context)


@cached_page(query=["year"])
def alliance_detail(request, slug):
    try:
        alliance = selectors.alliance_for_page(slug)
    except Alliance.DoesNotExist:
        raise Http404("没有这个联盟") from None
    year, form = _year(request)
    if year is None:
        return render(request, "bad_request.html", {"form": form}, status=400)
    memberships = list(alliance.memberships.all())
    members = [m for m in memberships if m.status == Membership.Status.ACTIVE]
    lead = next((m for m in members if m.is_lead), None)
    branches = {m.branch_id: m.branch for m in memberships}
    meetings = list(alliance.meetings.filter(year=year))
    for meeting in meetings:  # hosts are members: no join needed
        meeting.host = branches.get(meeting.host_id) or meeting.host
    quarters = selectors.compliance([alliance], year, meetings=meetings)[alliance.pk]
    context = {
        "alliance": alliance,
        "year": year,
        "year_form": form,
        "directory_trail": TRAIL,
        "lead": lead,
        "others": [m for m in members if not m.is_lead],
        "former": [m for m in memberships if m.status == Membership.Status.LEFT],
        "party_members": sum(m.branch.member_count for m in members),
        "rotation": selectors.rotation_table(alliance, year),
        "quarters": quarters,
        "activities": selectors.recent_activities(alliance),
        "meetings": meetings,
        "charts": _charts(selectors.figures_from_compliance(quarters), year, "one"),
    }
    return render(request, "alliances/alliance_detail.html", context)


@cached_page(query=["page", *ActivityFilter.base_filters])
class ActivityListView(FilteredListMixin, PagedByIdMixin, ListView):
    """Activities of approved alliances, newest first. Paged by id: the index activity_listing
    gives the order and holds the alliance the public filter reads."""

    template_name = "alliances/activity_list.html"
    context_object_name = "activities"
    paginate_by = PAGE_SIZE
    filterset_class = ActivityFilter
    extra_context = {"directory_trail": TRAIL}

    def get_base_queryset(self):
        return Activity.objects.filter(alliance__in=Alliance.objects.public()).order_by(
            "-held_on", "-pk"
        )

    def get_page_queryset(self):
        return (
            Activity.objects.select_related("alliance", "host")
            .annotate(heads=selectors.head_count("activity"))
            .prefetch_related(Prefetch("photos", queryset=Photo.objects.order_by("position", "pk")))
        )


class RecordView(DetailView):
    """A meeting or an activity of an approved alliance, with attendance and photos."""

    extra_context = {"directory_trail": TRAIL}

    def get_queryset(self):
        return (
            self.model.objects.filter(alliance__in=Alliance.objects.public())
            .select_related("alliance", "host")
            .prefetch_related(
                Prefetch("attendance", queryset=Attendance.objects.select_related("branch")),
                "photos",
            )
        )


@cached_page
class ActivityView(RecordView):
    model = Activity
    template_name = "alliances/activity_detail.html"
    context_object_name = "activity"


@cached_page
class MeetingView(RecordView):
    model = JointMeeting
    template_name = "alliances/meeting_detail.html"
    context_object_name = "meeting"
