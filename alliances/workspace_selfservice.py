"""Self-service in the workspace: a secretary books the building's shared rooms (功能室) and
files a unit's application to join; committee staff decide applications and register and
decide proposals to found an alliance. Every write is a service of alliances.services, the
same the admin calls."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from . import services
from .access import is_committee
from .forms import NoteForm
from .models import Alliance, Booking, Branch, Facility, Membership
from .rooms import room_week, week_or_400
from .selfservice_forms import (
    ApplicationForm,
    BookingForm,
    FoundingForm,
    RefuseForm,
    monday_of,
    week_label,
)
from .workspace import CommitteeOnlyMixin, KeptAllianceMixin

# Rooms ------------------------------------------------------------------------------------


def _bookings_of(alliance):
    return Booking.objects.filter(alliance=alliance).select_related(
        "facility", "branch", "booked_by"
    )


def _mark_cancellable(bookings, user, now):
    for booking in bookings:
        try:
            services.check_cancel(booking, user, now)
        except (PermissionDenied, ValidationError) as refusal:
            booking.cancellable = False
            booking.refusal = " ".join(getattr(refusal, "messages", None) or [str(refusal)])
        else:
            booking.cancellable, booking.refusal = True, ""
    return bookings


class RoomListView(KeptAllianceMixin, View):
    """The rooms of the alliance's building and the alliance's bookings to come."""

    def get(self, request, slug):
        building = self.alliance.building
        rooms = building.facilities.all() if building else Facility.objects.none()
        now = timezone.now()
        upcoming = _bookings_of(self.alliance).filter(ends_at__gte=now).order_by("starts_at", "pk")
        page = Paginator(upcoming, 20).get_page(request.GET.get("page"))
        _mark_cancellable(page, request.user, now)
        return render(
            request,
            "workspace/booking_rooms.html",
            self.context(rooms=rooms, page_obj=page),
        )


class RoomWeekView(KeptAllianceMixin, View):
    """One room's week (?week=2026-W10) with the booking form below it."""

    def dispatch(self, request, *args, **kwargs):
        self.facility = None
        return super().dispatch(request, *args, **kwargs)

    def room(self, pk):
        building = self.alliance.building_id
        self.facility = get_object_or_404(Facility, pk=pk, building_id=building or -1)
        return self.facility

    def members(self):
        active = self.alliance.memberships.filter(status=Membership.Status.ACTIVE)
        return Branch.objects.filter(pk__in=active.values("branch")).order_by("unit", "pk")

    def get(self, request, slug, pk):
        self.room(pk)
        monday, refused = week_or_400(request)
        if refused:
            return refused
        today = timezone.localdate()
        day = monday if monday > today else today
        return self.render(monday, BookingForm(members=self.members(), initial={"day": day}))

    def post(self, request, slug, pk):
        facility = self.room(pk)
        form = BookingForm(request.POST, members=self.members())
        if not form.is_valid():
            return self.render(self.shown_week(form), form, status=400)
        data = form.cleaned_data
        booking = Booking(
            facility=facility,
            alliance=self.alliance,
            branch=data["branch"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            purpose=data["purpose"],
        )
        same = Booking.objects.filter(
            facility=facility,
            branch=booking.branch,
            starts_at=booking.starts_at,
            ends_at=booking.ends_at,
            booked_by=request.user,
        ).first()
        if same:  # the Back button and 保存 again: the first one is kept, no error
            messages.info(request, "这次预约已经保存过了，没有重复预约。")
            return self.back_to(same)
        try:
            services.booking_save(booking=booking, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(self.shown_week(form), form, status=400)
        local = timezone.localtime(booking.starts_at)
        messages.success(
            request,
            f"已预约{facility.name}：{local:%Y年%m月%d日 %H:%M}—"
            f"{timezone.localtime(booking.ends_at):%H:%M}，{booking.branch.unit}。",
        )
        return self.back_to(booking)

    def shown_week(self, form):
        day = form.cleaned_data.get("day") if hasattr(form, "cleaned_data") else None
        return monday_of(day or timezone.localdate())

    def back_to(self, booking):
        url = reverse("workspace:room_week", args=[self.alliance.slug, booking.facility_id])
        return redirect(
            f"{url}?week={week_label(monday_of(timezone.localdate(booking.starts_at)))}"
        )

    def render(self, monday, form, status=200):
        now = timezone.now()
        week = room_week(
            self.facility, monday, Booking.objects.select_related("alliance", "branch", "booked_by")
        )
        for day in week.days:
            _mark_cancellable(day.bookings, self.request.user, now)
            for booking in day.bookings:
                booking.ours = booking.alliance_id == self.alliance.pk
        return render(
            self.request,
            "workspace/booking_week.html",
            self.context(
                facility=self.facility,
                week=week,
                form=form,
                can_book=form.fields["branch"].queryset.exists(),
                this_week=reverse(
                    "workspace:room_week", args=[self.alliance.slug, self.facility.pk]
                ),
            ),
            status=status,
        )


class BookingCancelView(KeptAllianceMixin, View):
    """取消预约: asked once more, then cancelled by whoever booked it or by committee staff."""

    def booking(self, pk):
        return get_object_or_404(
            Booking.objects.select_related("facility", "branch", "booked_by"),
            pk=pk,
            alliance=self.alliance,
        )

    def get(self, request, slug, pk):
        booking = self.booking(pk)
        _mark_cancellable([booking], request.user, timezone.now())
        return self.render(booking)

    def post(self, request, slug, pk):
        booking = self.booking(pk)
        try:
            services.booking_cancel(booking=booking, by=request.user)
        except ValidationError as error:
            booking.cancellable, booking.refusal = False, " ".join(error.messages)
            return self.render(booking, status=400)
        local = timezone.localtime(booking.starts_at)
        messages.success(
            request, f"已取消{booking.facility.name}{local:%m月%d日 %H:%M}的预约，操作已留存记录。"
        )
        url = reverse("workspace:room_week", args=[self.alliance.slug, booking.facility_id])
        return redirect(f"{url}?week={week_label(monday_of(local.date()))}")

    def render(self, booking, status=200):
        return render(
            self.request,
            "workspace/booking_cancel.html",
            self.context(booking=booking),
            status=status,
        )


# Applications to join ---------------------------------------------------------------------


def _filed(alliances):
    """What was filed for ``alliances``: waiting applications, and decisions of the last
    90 days (an approval or a refusal with its reason), newest first."""
    since = timezone.now() - timedelta(days=90)
    return (
        Membership.objects.filter(alliance__in=alliances, alliance__status=Alliance.Status.ACTIVE)
        .filter(
            Q(status=Membership.Status.APPLIED)
            | Q(
                decided_at__gte=since,
                status__in=[Membership.Status.ACTIVE, Membership.Status.REJECTED],
            )
        )
        .select_related("alliance", "branch")
        .order_by("-decided_at", "-pk")
    )


class ApplicationView(KeptAllianceMixin, View):
    """入盟申请 for the alliance: the form, and what has been filed and how it was decided."""

    def get(self, request, slug):
        return self.render(ApplicationForm(alliance=self.alliance))

    def post(self, request, slug):
        form = ApplicationForm(request.POST, alliance=self.alliance)
        if not form.is_valid():
            return self.render(form, status=400)
        application = Membership(
            alliance=self.alliance,
            branch=form.cleaned_data["branch"],
            reason=form.cleaned_data["reason"],
        )
        try:
            services.membership_apply(membership=application, by=request.user)
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(form, status=400)
        messages.success(
            request, f"已提交{application.branch.unit}的入盟申请，机关工委审批后会在这里显示结果。"
        )
        return redirect("workspace:applications", slug=self.alliance.slug)

    def render(self, form, status=200):
        history = (
            self.alliance.memberships.filter(
                Q(status__in=[Membership.Status.APPLIED, Membership.Status.REJECTED])
                | Q(decided_at__isnull=False)
            )
            .select_related("branch")
            .order_by("-pk")
        )
        page = Paginator(history, 20).get_page(self.request.GET.get("page"))
        return render(
            self.request,
            "workspace/application_form.html",
            self.context(
                form=form,
                page_obj=page,
                open=self.alliance.status == Alliance.Status.ACTIVE,
            ),
            status=status,
        )


# The committee's decisions ----------------------------------------------------------------


class DecideMixin(CommitteeOnlyMixin):
    denied = "只有机关工委工作人员可以审批入盟申请和成立联盟申请。"


def _waiting_applications():
    return Membership.objects.filter(
        status=Membership.Status.APPLIED, alliance__status=Alliance.Status.ACTIVE
    )


def _waiting_foundings():
    return Alliance.objects.filter(status=Alliance.Status.PROPOSED)


def waiting_count():
    """Applications and founding proposals waiting for the committee (the home page's count)."""
    return _waiting_applications().count() + _waiting_foundings().count()


class ApplicationQueueView(DecideMixin, View):
    """入盟和成立申请: applications oldest first, then proposals to found an alliance."""

    def get(self, request):
        applications = _waiting_applications().select_related("alliance", "branch").order_by("pk")
        foundings = (
            _waiting_foundings()
            .select_related("building")
            .prefetch_related(
                Prefetch(
                    "memberships",
                    Membership.objects.select_related("branch").order_by(
                        "-is_lead", "rotation_order", "pk"
                    ),
                )
            )
            .order_by("founded_on", "pk")
        )
        return render(
            request,
            "workspace/application_queue.html",
            {
                "page_obj": Paginator(applications, 20).get_page(request.GET.get("page")),
                "foundings": foundings,
                "committee": True,
            },
        )


class DecisionView(DecideMixin, View):
    """One decision (POST only); the message says what happened, the queue is shown again."""

    form_class = NoteForm
    model = None

    def post(self, request, pk):
        target = self.lookup(pk)
        form = self.form_class(request.POST)
        if target is None:
            messages.error(request, "这份申请已不存在，可能已被删除。")
        elif not form.is_valid():
            messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        else:
            try:
                self.decide(target, form.cleaned_data["note"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, self.done.format(target=target))
        return redirect("workspace:application_queue")


class ApplicationDecisionView(DecisionView):
    def lookup(self, pk):
        return Membership.objects.select_related("alliance", "branch").filter(pk=pk).first()


class ApplicationApproveView(ApplicationDecisionView):
    done = "已批准{target.branch.unit}加入{target.alliance.name}。"

    def decide(self, membership, note):
        services.membership_approve(membership=membership, by=self.request.user, note=note)


class ApplicationRefuseView(ApplicationDecisionView):
    form_class = RefuseForm
    done = "已不予批准{target.branch.unit}加入{target.alliance.name}，理由已告知联盟联络员。"

    def decide(self, membership, note):
        services.membership_reject(membership=membership, by=self.request.user, note=note)


class FoundingDecisionView(DecisionView):
    def lookup(self, pk):
        return Alliance.objects.filter(pk=pk).first()


class FoundingApproveView(FoundingDecisionView):
    done = "已批准成立{target.name}，各申请单位已成为成员单位。"

    def decide(self, alliance, note):
        services.alliance_found_decide(
            alliance=alliance, approve=True, by=self.request.user, note=note
        )


class FoundingRefuseView(FoundingDecisionView):
    form_class = RefuseForm
    done = "已不予批准成立{target.name}。"

    def decide(self, alliance, note):
        services.alliance_found_decide(
            alliance=alliance, approve=False, by=self.request.user, note=note
        )


class FoundingNewView(DecideMixin, View):
    """登记成立联盟申请: the units that apply together, their lead and reason."""

    def get(self, request):
        return self.render(FoundingForm())

    def post(self, request):
        form = FoundingForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        data = form.cleaned_data
        try:
            alliance = services.alliance_found(
                alliance=form.save(commit=False),
                lead=data["lead"],
                members=list(data["members"]),
                reason=data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(form, status=400)
        messages.success(request, f"已登记成立{alliance.name}的申请，请在下方审批。")
        return redirect("workspace:application_queue")

    def render(self, form, status=200):
        return render(
            self.request,
            "workspace/application_found.html",
            {"form": form, "committee": True},
            status=status,
        )


def home_todo(user):
    """The workspace home's part: the committee's waiting count, a secretary's filings."""
    if is_committee(user):
        return {"applications_waiting": waiting_count()}
    return {"filed": list(_filed(Alliance.objects.filter(secretaries=user))[:10])}
