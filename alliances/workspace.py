"""The secretaries' workspace (书记 / 联络员): log meetings and activities, keep the plan and
reports, print and download the ledger. Committee staff see every alliance and the overview.

Every view below the home page is scoped by ``KeptAllianceMixin``: an alliance the user does
not keep, or a record of another alliance, is a 404.
"""

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from portal.charts import bar_chart
from portal.excel import Sheet, xlsx_response

from . import feedback, publishing, selectors, services
from .access import is_committee, kept_alliances
from .forms import (
    ActivityForm,
    AnnualPlanForm,
    MeetingForm,
    NoteForm,
    OverviewSortForm,
    PhaseReportForm,
    PublicVersionForm,
    SendBackForm,
)
from .ledger import ledger_rows, ledger_sheets
from .models import (
    FIRST_YEAR,
    Activity,
    Alliance,
    AnnualPlan,
    JointMeeting,
    Membership,
    PhaseReport,
    Photo,
    PublicPhoto,
    PublicVersion,
    quarter_of,
)
from .recovery import RecoverFormMixin


class LoginView(auth_views.LoginView):
    template_name = "workspace/login.html"
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Django's LoginView adds its own "site" (a RequestSite); without it the template
        # gets ours (SiteSettings), so the header, title and footer show the site's name.
        context.pop("site", None)
        context.pop("site_name", None)
        return context


def _year_or_404(year):
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404("没有这一年的台账")
    return year


class KeptAllianceMixin(LoginRequiredMixin):
    """Loads ``self.alliance`` from the URL among the alliances the user keeps, else 404."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.alliance = get_object_or_404(
                kept_alliances(request.user).select_related("building"), slug=kwargs["slug"]
            )
        return super().dispatch(request, *args, **kwargs)

    def context(self, **extra):
        return {"alliance": self.alliance, "committee": is_committee(self.request.user), **extra}


class HomeView(LoginRequiredMixin, View):
    """Each kept alliance with this quarter's state; committee staff also get the overview."""

    def get(self, request):
        today = timezone.localdate()
        alliances = list(kept_alliances(request.user).select_related("building"))
        statuses = selectors.compliance(alliances, today.year, today)
        quarter = quarter_of(today)
        cards = [(alliance, statuses[alliance.pk][quarter - 1]) for alliance in alliances]
        committee = is_committee(request.user)
        return render(
            request,
            "workspace/home.html",
            {
                "cards": cards,
                "committee": committee,
                "year": today.year,
                "waiting_review": _pending().count() if committee else None,
                **_public_todo(Alliance.objects.filter(secretaries=request.user)),
                **feedback.home_context(request.user, today),
            },
        )


def _pending():
    return PublicVersion.objects.filter(status=PublicVersion.Status.PENDING)


def _public_todo(alliances):
    """The secretary's side of 先审后发: what came back with a reason, and what is waiting."""
    return {
        "returned": list(publishing.awaiting_fix(alliances)),
        "waiting": list(
            _pending()
            .filter(alliance__in=alliances)
            .select_related("alliance")
            .order_by("proposed_at", "pk")
        ),
    }


class AllianceHomeView(KeptAllianceMixin, View):
    """This quarter at a glance and the next steps, as links."""

    def get(self, request, slug):
        alliance = self.alliance
        today = timezone.localdate()
        status = selectors.compliance([alliance], today.year, today)[alliance.pk][
            quarter_of(today) - 1
        ]
        host_id = services.default_host(alliance, today)
        memberships = alliance.memberships.select_related("branch")
        plan = alliance.plans.filter(year=today.year).first()
        reports = set(
            alliance.phase_reports.filter(year=today.year).values_list("phase", flat=True)
        )
        context = self.context(
            today=today,
            status=status,
            host=next((m.branch for m in memberships if m.branch_id == host_id), None),
            members=[m for m in memberships if m.status == Membership.Status.ACTIVE],
            applications=[m for m in memberships if m.status == Membership.Status.APPLIED],
            planned=alliance.activities.filter(status=Activity.Status.PLANNED).select_related(
                "host"
            ),
            recent_meetings=alliance.meetings.select_related("host")[:5],
            recent_activities=alliance.activities.exclude(
                status=Activity.Status.PLANNED
            ).select_related("host")[:8],
            plan=plan,
            missing_reports=[
                (phase, label)
                for phase, label in PhaseReport.Phase.choices
                if phase not in reports and _report_due(phase, today)
            ],
            **_public_todo(Alliance.objects.filter(pk=alliance.pk)),
        )
        return render(request, "workspace/alliance_home.html", context)


def _report_due(phase, today):
    return feedback.report_open(phase, today)


class RecordFormView(RecoverFormMixin, KeptAllianceMixin, View):
    """Create (no ``pk``) or edit a meeting or activity of the alliance."""

    model = None
    form_class = None
    template_name = "workspace/record_form.html"

    def get_object(self, pk):
        if pk is None:
            return self.model(alliance=self.alliance)
        return get_object_or_404(self.model, pk=pk, alliance=self.alliance)

    def members(self, record):
        present = Q(status__in=[Membership.Status.ACTIVE])
        if record.pk:
            present |= Q(branch__in=record.attendance.values("branch")) | Q(branch=record.host_id)
        return list(
            self.alliance.memberships.filter(present)
            .select_related("branch")
            .order_by("-is_lead", "rotation_order", "pk")
        )

    def make_form(self, record, data=None, files=None):
        initial = {}
        if record.pk is None:
            today = timezone.localdate()
            initial = {
                "held_on": today,
                "host": services.default_host(self.alliance, today),
                "venue": f"{self.alliance.building.name}党员活动室"
                if self.alliance.building
                else "",
            }
            if self.model is Activity and self.request.GET.get("study"):
                initial |= {
                    "is_central_study": True,
                    "line": "study",
                    "title": f"{today.year}年第{quarter_of(today)}季度全体党员集中学习",
                }
        return self.form_class(
            data,
            files,
            instance=record,
            initial=initial,
            alliance=self.alliance,
            members=self.members(record),
        )

    def get(self, request, slug, pk=None):
        record = self.get_object(pk)
        return self.render(record, self.make_form(record, self.recovered()))

    def post(self, request, slug, pk=None):
        record = self.get_object(pk)
        form = self.make_form(record, request.POST, request.FILES)
        valid = form.is_valid()
        # A double click, or the browser's Back and 保存: the first submission is saved (and
        # would now fail as a second regular meeting of the quarter); show it.
        earlier = pk is None and services.duplicate_of(
            form.instance, form.attendance(), request.POST.get("form_token"), request.user
        )
        if earlier:
            messages.info(request, "这份记录已经保存过了，没有重复登记。")
            return redirect(self.edit_url(earlier))
        if not valid:
            return self.render(record, form, status=400)
        try:
            saved = services.record_save(
                record=form.save(commit=False),
                attendance=form.attendance(),
                guests=form.guests(),
                photos=form.new_photos(),
                token=form.cleaned_data["form_token"] if pk is None else None,
                by=request.user,
            )
        except services.DuplicateSubmission as duplicate:
            messages.info(request, "这份记录已经保存过了，没有重复登记。")
            return redirect(self.edit_url(duplicate.record))
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(record, form, status=400)
        messages.success(request, f"已保存：{saved}。")
        return redirect(self.edit_url(saved))

    def edit_url(self, record):
        name = "meeting_edit" if self.model is JointMeeting else "activity_edit"
        return reverse(f"workspace:{name}", args=[self.alliance.slug, record.pk])

    def render(self, record, form, status=200, public_form=None):
        photos = list(record.photos.all()) if record.pk else []
        public = publishing.state_of(record) if record.pk else None
        if record.pk and public_form is None:
            public_form = PublicVersionForm(record=record, photos=photos, start=public.draft_from)
        return render(
            self.request,
            self.template_name,
            self.context(
                form=form,
                record=record,
                kind=self.model._meta.verbose_name,
                photos=photos,
                public=public,
                public_form=public_form,
                propose_url=self.propose_url(record) if record.pk else None,
            ),
            status=status,
        )

    def propose_url(self, record):
        name = "meeting_propose" if self.model is JointMeeting else "activity_propose"
        return reverse(f"workspace:{name}", args=[self.alliance.slug, record.pk])


class MeetingFormView(RecordFormView):
    model = JointMeeting
    form_class = MeetingForm


class ActivityFormView(RecordFormView):
    model = Activity
    form_class = ActivityForm


class ProposeMixin:
    """申请公开 from the record's page: the public version goes to the committee's queue."""

    http_method_names = ["post", "options"]

    def post(self, request, slug, pk):
        record = self.get_object(pk)
        form = PublicVersionForm(request.POST, record=record, photos=list(record.photos.all()))
        if not form.is_valid():
            return self.render(record, self.make_form(record), status=400, public_form=form)
        was_public = publishing.published_version(record) is not None
        news = form.chosen_news_category()
        try:
            publishing.propose(
                record=record,
                title=form.cleaned_data["title"],
                held_on=form.cleaned_data["held_on"],
                text=form.cleaned_data["text"],
                photos=form.chosen_photos(),
                news_category=news,
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(record, self.make_form(record), status=400, public_form=form)
        done = ["已提交公开申请，机关工委审核通过后读者才能看到。"]
        if was_public:
            done.append("审核期间，网站上仍显示原来的公开版本。")
        if news:
            done.append(f"新闻稿已送到“{news}”栏目，等待编辑审核。")
        messages.success(request, "".join(done))
        return redirect(self.edit_url(record) + "#public")


class MeetingProposeView(ProposeMixin, MeetingFormView):
    pass


class ActivityProposeView(ProposeMixin, ActivityFormView):
    pass


class RecordDeleteView(KeptAllianceMixin, View):
    model = None

    def record(self, pk):
        return get_object_or_404(self.model, pk=pk, alliance=self.alliance)

    def get(self, request, slug, pk):
        return render(
            request,
            "workspace/record_delete.html",
            self.context(record=self.record(pk), kind=self.model._meta.verbose_name),
        )

    def post(self, request, slug, pk):
        record = self.record(pk)
        services.record_delete(record=record, by=request.user)
        messages.success(request, f"已删除：{record}。删除记录已留存在操作记录中。")
        return redirect("workspace:alliance", slug=self.alliance.slug)


class MeetingDeleteView(RecordDeleteView):
    model = JointMeeting


class ActivityDeleteView(RecordDeleteView):
    model = Activity


class PhotoDeleteView(KeptAllianceMixin, View):
    def post(self, request, slug, pk):
        photo = get_object_or_404(
            Photo.objects.select_related("meeting", "activity"),
            Q(meeting__alliance=self.alliance) | Q(activity__alliance=self.alliance),
            pk=pk,
        )
        record = photo.meeting or photo.activity
        services.photo_delete(photo=photo, by=request.user)
        messages.success(request, "已删除这张照片。")
        name = "meeting_edit" if photo.meeting_id else "activity_edit"
        return redirect(f"workspace:{name}", slug=self.alliance.slug, pk=record.pk)


class YearDocumentView(RecoverFormMixin, KeptAllianceMixin, View):
    """Edit one yearly document (the annual plan or a phase report) of the alliance."""

    form_class = None
    title = ""

    def lookup(self, year, **kwargs):
        raise NotImplementedError

    def get(self, request, slug, year, **kwargs):
        instance = self.lookup(_year_or_404(year), **kwargs)
        return self.render(self.form_class(self.recovered(), instance=instance), year, **kwargs)

    def post(self, request, slug, year, **kwargs):
        instance = self.lookup(_year_or_404(year), **kwargs)
        form = self.form_class(request.POST, instance=instance)
        if not form.is_valid():
            return self.render(form, year, status=400, **kwargs)
        document = services.document_save(form=form, by=request.user)
        messages.success(request, f"已保存：{document}。")
        return redirect("workspace:alliance", slug=self.alliance.slug)

    def render(self, form, year, status=200, **kwargs):
        return render(
            self.request,
            "workspace/document_form.html",
            self.context(
                form=form,
                year=year,
                title=self.title_for(year, **kwargs),
                rounds=feedback.rounds_of(form.instance) if form.instance.pk else None,
            ),
            status=status,
        )


class PlanView(YearDocumentView):
    form_class = AnnualPlanForm

    def lookup(self, year):
        return AnnualPlan.objects.filter(alliance=self.alliance, year=year).first() or AnnualPlan(
            alliance=self.alliance, year=year
        )

    def title_for(self, year):
        return f"{year}年度计划"


class ReportView(YearDocumentView):
    form_class = PhaseReportForm

    def lookup(self, year, phase):
        if phase not in PhaseReport.Phase.values:
            raise Http404("没有这个阶段")
        report = PhaseReport.objects.filter(alliance=self.alliance, year=year, phase=phase).first()
        if report:
            return report
        held = self.alliance.activities.filter(year=year, status=Activity.Status.HELD)
        return PhaseReport(
            alliance=self.alliance,
            year=year,
            phase=phase,
            activities_held=held.count(),
            participants=sum(row.total for row in ledger_rows(self.alliance, year)),
        )

    def title_for(self, year, phase):
        return f"{year}年{PhaseReport.Phase(phase).label}阶段报告"


def _ledger_year_or_404(alliance, year):
    """A year of the alliance's ledger: this year or one with its records."""
    years = selectors.record_years([alliance])
    if year not in years:
        raise Http404("没有这一年的台账")
    return year, years


class LedgerView(KeptAllianceMixin, View):
    def get(self, request, slug, year):
        year, years = _ledger_year_or_404(self.alliance, year)
        rows = ledger_rows(self.alliance, year)
        return render(
            request,
            "workspace/ledger.html",
            self.context(
                year=year,
                rows=rows,
                quarters=selectors.compliance([self.alliance], year)[self.alliance.pk],
                other_years=[other for other in years if other != year],
            ),
        )


class LedgerExcelView(KeptAllianceMixin, View):
    def get(self, request, slug, year):
        year, _ = _ledger_year_or_404(self.alliance, year)
        rows = ledger_rows(self.alliance, year)
        return xlsx_response(
            f"{self.alliance.name}{year}年台账.xlsx", ledger_sheets(self.alliance, year, rows)
        )


class CommitteeOnlyMixin(LoginRequiredMixin):
    """Committee staff only: the other users get 403, they have their own alliances."""

    denied = "只有机关工委工作人员可以查看全部联盟的汇总。"

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_committee(request.user):
            raise PermissionDenied(self.denied)
        return super().dispatch(request, *args, **kwargs)


class OverviewMixin(CommitteeOnlyMixin):
    def rows(self):
        form = OverviewSortForm(self.request.GET)
        if not form.is_valid():
            return form, None, None
        year = form.cleaned_data["year"] or timezone.localdate().year
        alliances = Alliance.objects.filter(status=Alliance.Status.ACTIVE)
        return form, year, selectors.overview(alliances, year, form.cleaned_data["sort"] or "name")


class OverviewView(OverviewMixin, View):
    def get(self, request):
        form, year, rows = self.rows()
        if rows is None:
            return render(request, "bad_request.html", {"form": form}, status=400)
        feedback.attach_slots(rows, year, timezone.localdate())
        chart = bar_chart(
            f"{year}年各联盟开展联办活动",
            [(row.alliance.name, row.activities) for row in rows],
            "项",
            "overview",
        )
        return render(
            request,
            "workspace/overview.html",
            {"form": form, "year": year, "rows": rows, "chart": chart, "committee": True},
        )


class OverviewExcelView(OverviewMixin, View):
    def get(self, request):
        form, year, rows = self.rows()
        if rows is None:
            return render(request, "bad_request.html", {"form": form}, status=400)
        columns = [("联盟", 26)]
        for quarter in range(1, 5):
            columns += [
                (f"Q{quarter}例会", 10),
                (f"Q{quarter}集中学习", 11),
                (f"Q{quarter}活动", 9),
            ]
        columns += [("活动合计", 10), ("参加人次", 10), ("按时召开例会", 12), ("集中学习", 10)]
        data = []
        for row in rows:
            cells = [row.alliance.name]
            for q in row.quarters:
                cells += [q.meeting_label, q.study_label, q.activities]
            cells += [
                row.activities,
                row.participation,
                f"{row.meetings}/{row.meetings_due}",
                row.studies,
            ]
            data.append(cells)
        sheet = Sheet(f"{year}年汇总", f"{year}年党建联盟工作汇总", columns, data)
        return xlsx_response(f"{year}年党建联盟工作汇总.xlsx", [sheet])


REVIEW_PAGE_SIZE = 10


class ReviewMixin(CommitteeOnlyMixin):
    denied = "只有机关工委工作人员可以审核公开申请。"


class ReviewQueueView(ReviewMixin, View):
    """先审后发: the proposals waiting, oldest first, each beside the record it stands for."""

    template_name = "workspace/review.html"

    def get(self, request):
        pending = (
            _pending()
            .select_related(
                "alliance", "proposed_by", "meeting__host", "activity__host", "meeting__alliance"
            )
            .prefetch_related(
                Prefetch("photos", PublicPhoto.objects.select_related("photo")),
                "meeting__attendance",
                "activity__attendance",
                "meeting__photos",
                "activity__photos",
            )
            .order_by("proposed_at", "pk")
        )
        page = Paginator(pending, REVIEW_PAGE_SIZE).get_page(request.GET.get("page"))
        online = _published_of([version.record for version in page])
        for version in page:
            version.online = online.get(_record_key(version.record))
        return render(
            request,
            self.template_name,
            {
                "page_obj": page,
                "committee": True,
                "published_count": PublicVersion.objects.filter(
                    status=PublicVersion.Status.PUBLISHED
                ).count(),
            },
        )


def _record_key(record):
    return ("meeting" if isinstance(record, JointMeeting) else "activity", record.pk)


def _published_of(records):
    """{record key: its published version} for the records of one page, in one query."""
    keys = [_record_key(record) for record in records]
    found = PublicVersion.objects.filter(
        Q(meeting__in=[pk for kind, pk in keys if kind == "meeting"])
        | Q(activity__in=[pk for kind, pk in keys if kind == "activity"]),
        status=PublicVersion.Status.PUBLISHED,
    )
    return {_record_key(version.record): version for version in found}


class PublishedListView(ReviewMixin, View):
    """What readers see of the alliances now, newest decision first, each with 撤回."""

    def get(self, request):
        published = (
            PublicVersion.objects.filter(status=PublicVersion.Status.PUBLISHED)
            .select_related("alliance", "reviewed_by", "meeting", "activity")
            .order_by("-reviewed_at", "-pk")
        )
        page = Paginator(published, 20).get_page(request.GET.get("page"))
        return render(
            request,
            "workspace/review_published.html",
            {"page_obj": page, "committee": True, "waiting": _pending().count()},
        )


class DecisionView(ReviewMixin, View):
    """One decision on one version; the message says what happened, the queue is shown again."""

    form_class = NoteForm
    back = "workspace:review"

    def post(self, request, pk):
        version = PublicVersion.objects.filter(pk=pk).select_related("meeting", "activity").first()
        form = self.form_class(request.POST)
        if version is None:
            messages.error(request, "这份申请已不存在，可能这条记录已被删除。")
        elif not form.is_valid():
            messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        else:
            try:
                self.decide(version, form.cleaned_data["note"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, self.done.format(title=version.title))
        return redirect(self.back_url(request))

    def back_url(self, request):
        page = request.POST.get("page", "")
        url = reverse(self.back)
        return f"{url}?page={page}" if page.isdigit() and int(page) > 1 else url


class ApproveView(DecisionView):
    done = "已公开“{title}”，读者现在可以看到。"

    def decide(self, version, note):
        publishing.approve(version=version, by=self.request.user, note=note)


class SendBackView(DecisionView):
    form_class = SendBackForm
    done = "已退回“{title}”，联络员会在工作台首页看到退回理由。"

    def decide(self, version, note):
        publishing.send_back(version=version, by=self.request.user, note=note)


class WithdrawView(DecisionView):
    back = "workspace:review_published"
    done = "已撤回“{title}”，读者不再能看到这条记录。"

    def decide(self, version, note):
        if version.status != PublicVersion.Status.PUBLISHED:
            raise ValidationError("这个版本已经不在网站上了，无需撤回。")
        publishing.withdraw(record=version.record, by=self.request.user, note=note)
