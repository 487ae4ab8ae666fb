"""Public alliance pages. Meetings and activities appear only as their approved public
versions (selectors.published_versions); the records themselves are internal."""

from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.generic import DetailView, ListView

from portal import pagecache
from portal.charts import bar_chart
from portal.mixins import FilteredListMixin, PagedByIdMixin
from portal.models import SiteSettings
from portal.pagecache import cached_page

from . import feedback, selectors
from .filters import ActivityFilter, YearForm
from .models import Alliance, Membership, PublicVersion

PAGE_SIZE = 20
TRAIL = [("党建联盟", reverse_lazy("alliances:directory"))]


def _year(request, alliance=None):
    """The ?year= of a page, or this year; junk, or a year without published records (of
    ``alliance``), makes the form invalid (a 400)."""
    this_year = timezone.localdate().year
    years = _published_years(request, alliance)
    if "year" not in request.GET:
        return this_year, YearForm(initial={"year": this_year}, years=years)
    form = YearForm(request.GET, years=years)
    if not form.is_valid():
        return None, form
    return form.cleaned_data["year"] or this_year, form


def _published_years(request, alliance=None):
    """selectors.published_years, once per content version: finding them reads every
    published record (40 ms for all alliances at 50 000 activities)."""
    name = f"published-years:{alliance.pk if alliance else 'all'}"
    return pagecache.fragment(name, lambda: selectors.published_years(alliance), request=request)


def _charts(year, prefix, alliance=None):
    """The year's two charts, drawn: kept as HTML in a fragment, since drawing them (some
    ninety numbers) cost about as much as counting."""
    figures = selectors.public_figures(year, alliance)
    charts = [
        bar_chart(
            f"{year}年各季度开展联办活动", figures["activities_per_quarter"], "项", f"{prefix}-q"
        ),
        bar_chart(f"{year}年“六联”各类活动", figures["activities_per_line"], "项", f"{prefix}-l"),
    ]
    return mark_safe(  # noqa: S308 - rendered by the template engine, escaped there
        "".join(render_to_string("includes/bar_chart.html", {"chart": c}) for c in charts)
    )


@cached_page(query=["year"])
def directory(request):
    """All approved alliances, grouped by kind and building, with this year's figures."""
    year, form = _year(request)
    if year is None:
        return render(request, "bad_request.html", {"form": form}, status=400)
    # The year's figures count the published activities of every alliance: the same for all
    # readers until something changes, so they are kept as a fragment under the content version.
    charts = pagecache.fragment(
        f"directory-charts:{year}", lambda: _charts(year, "all"), request=request
    )
    context = {
        "groups": selectors.directory(),
        "year": year,
        "year_form": form,
        "charts": charts,
        # Planning its six-table join costs more than running it: once per content version.
        "showcase": pagecache.fragment(
            "directory-showcase", lambda: list(feedback.showcased_versions()), request=request
        ),
    }
    return render(request, "alliances/directory.html", context)


def _compliance(request, alliance, year):
    """The year's held regular meetings and study sessions, as counts, if the committee has
    chosen to show them (SiteSettings.public_alliance_compliance); otherwise None."""
    if not SiteSettings.load(request).public_alliance_compliance:
        return None
    return selectors.overview([alliance], year)[0]


@cached_page(query=["year"])
def alliance_detail(request, slug):
    alliance = selectors.public_alliance(slug)
    if alliance is None:
        raise Http404("没有这个联盟")
    year, form = _year(request, alliance)
    if year is None:
        return render(request, "bad_request.html", {"form": form}, status=400)
    page = selectors.alliance_page(alliance, year)
    members = [m for m in page.memberships if m.status == Membership.Status.ACTIVE]
    context = {
        "alliance": alliance,
        "year": year,
        "year_form": form,
        "directory_trail": TRAIL,
        "lead": next((m for m in members if m.is_lead), None),
        "others": [m for m in members if not m.is_lead],
        "former": [m for m in page.memberships if m.status == Membership.Status.LEFT],
        "party_members": sum(m.branch.member_count for m in members),
        "rotation": selectors.rotation_table(alliance, year, page.memberships, page.slots),
        "compliance": _compliance(request, alliance, year),
        "activities": page.activities,
        "meetings": page.meetings,
        "rules": page.rules,
        "facilities": page.facilities,
        "charts": pagecache.fragment(
            f"alliance-charts:{alliance.pk}:{year}",
            lambda: _charts(year, "one", alliance),
            request=request,
        ),
    }
    return render(request, "alliances/alliance_detail.html", context)


@cached_page(query=["page", *ActivityFilter.base_filters])
class ActivityListView(FilteredListMixin, PagedByIdMixin, ListView):
    """Published activities of approved alliances, newest first. Paged by id over the public
    versions: the partial index published_activity_listing gives the order."""

    template_name = "alliances/activity_list.html"
    context_object_name = "versions"
    paginate_by = PAGE_SIZE
    filterset_class = ActivityFilter
    extra_context = {"directory_trail": TRAIL}

    def get_base_queryset(self):
        return selectors.published_activities()

    def get_filterset_kwargs(self):
        names = pagecache.fragment(
            "public-alliance-names",
            lambda: list(Alliance.objects.public().values_list("pk", "name")),
            request=self.request,
        )
        return {"years": _published_years(self.request), "alliances": names}

    def get_count_fragment(self):
        return "count:activities" if self.unfiltered else None

    def get_blank_form_fragment(self):
        return "blank-filters:activities"

    def get_page_queryset(self):
        return selectors.activity_rows


class RecordView(DetailView):
    """The public version of a meeting or an activity, at the record's address; a 404 while
    the record has no published version."""

    kind = None
    context_object_name = "version"
    extra_context = {"directory_trail": TRAIL}

    def get_object(self, queryset=None):
        try:
            return selectors.published_record(self.kind, self.kwargs["pk"])
        except PublicVersion.DoesNotExist:
            raise Http404("没有这条公开记录") from None

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            record=getattr(self.object, self.kind),
            paragraphs=selectors.paragraphs(self.object.text),
            **kwargs,
        )


@cached_page
class ActivityView(RecordView):
    kind = "activity"
    template_name = "alliances/activity_detail.html"


@cached_page
class MeetingView(RecordView):
    kind = "meeting"
    template_name = "alliances/meeting_detail.html"
