"""Committee pages of the workspace for the yearly cycle: reading the alliances' plans and
reports (已阅 / 退回修改), keeping the reference list of activities, choosing the showcase
(经验推广). Every page is for committee staff only; the others get 403. The writes are the
services of alliances.feedback."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views import View

from . import feedback, selectors
from .feedback_forms import ReadForm, ReferenceForm, ReturnForm, ShowcaseForm
from .models import Activity, AnnualPlan, Line, PhaseReport, ReferenceActivity, Showcase
from .workspace import CommitteeOnlyMixin

PAGE_SIZE = 20
DOCUMENTS = {"plan": AnnualPlan, "report": PhaseReport}
SHOWN_FIELDS = {
    "plan": ["themes", "rotation_method", "liaison", "planned_activities"],
    "report": ["text", "activities_held", "participants"],
}


def _page(request, items, size=PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get("page"))


def _back(name, request, **kwargs):
    """The list again, on the page the form was sent from."""
    page = request.POST.get("page", "")
    url = reverse(name, kwargs=kwargs)
    return f"{url}?page={page}" if page.isdigit() and int(page) > 1 else url


# Plans and reports ------------------------------------------------------------------------


class DocumentsMixin(CommitteeOnlyMixin):
    denied = "只有机关工委工作人员可以审阅联盟的计划和报告。"


class DocumentQueueView(DocumentsMixin, View):
    """The plans and reports waiting to be read, longest waiting first."""

    def get(self, request):
        return render(
            request,
            "workspace/feedback_queue.html",
            {"page_obj": _page(request, feedback.waiting_documents()), "committee": True},
        )


class DocumentView(DocumentsMixin, View):
    """One plan or report as the committee reads it: its text, its rounds, the two decisions."""

    def document(self, kind, pk):
        if kind not in DOCUMENTS:
            raise Http404("没有这类文件")
        return get_object_or_404(DOCUMENTS[kind].objects.select_related("alliance"), pk=pk)

    def get(self, request, kind, pk):
        return self.render(self.document(kind, pk))

    def render(self, document, read_form=None, return_form=None, status=200):
        kind = feedback.kind_of(document)
        latest = feedback.latest_round(document)
        return render(
            self.request,
            "workspace/feedback_document.html",
            {
                "committee": True,
                "document": document,
                "kind": kind,
                "fields": [
                    (document._meta.get_field(name).verbose_name, getattr(document, name))
                    for name in SHOWN_FIELDS[kind]
                ],
                "rounds": feedback.rounds_of(document),
                "waiting": latest is None or latest.decision in feedback.DocumentReview.WAITING,
                "latest": latest,
                "fix_url": feedback.fix_url(document),
                "read_form": read_form or ReadForm(),
                "return_form": return_form or ReturnForm(),
            },
            status=status,
        )


class DecisionMixin:
    http_method_names = ["post", "options"]
    form_class = None

    def post(self, request, kind, pk):
        document = self.document(kind, pk)
        form = self.form_class(request.POST)
        if not form.is_valid():
            return self.render(document, **{self.form_name: form}, status=400)
        try:
            self.decide(document, form.cleaned_data["comment"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(feedback.review_url(document))
        messages.success(request, self.done.format(document=document))
        return redirect("workspace:feedback_documents")


class DocumentReadView(DecisionMixin, DocumentView):
    form_class, form_name = ReadForm, "read_form"
    done = "已阅：{document}。"

    def decide(self, document, comment):
        feedback.document_read(document=document, by=self.request.user, comment=comment)


class DocumentReturnView(DecisionMixin, DocumentView):
    form_class, form_name = ReturnForm, "return_form"
    done = "已退回修改：{document}。联络员会在工作台首页看到您的意见。"

    def decide(self, document, comment):
        feedback.document_return(document=document, by=self.request.user, comment=comment)


# The reference list (活动参考清单) ---------------------------------------------------------


class ReferenceMixin(CommitteeOnlyMixin):
    denied = "只有机关工委工作人员可以维护活动参考清单。"

    def save(self, form):
        try:
            return feedback.reference_save(
                item=form.save(commit=False), by=self.request.user, changed=form.changed_data
            )
        except ValidationError as error:
            form.add_error(None, error)
            return None


class ReferenceListView(ReferenceMixin, View):
    """The list by 六联 line, retired items last in each; a form to add an item."""

    def get(self, request):
        return self.render(ReferenceForm())

    def post(self, request):
        form = ReferenceForm(request.POST)
        if form.is_valid() and (item := self.save(form)):
            messages.success(request, f"已添加：{item}（{item.get_line_display()}）。")
            return redirect("workspace:feedback_reference")
        return self.render(form, status=400)

    def render(self, form, status=200):
        items = list(ReferenceActivity.objects.order_by("line", "-is_active", "position", "pk"))
        groups = [
            (label, [item for item in items if item.line == line]) for line, label in Line.choices
        ]
        return render(
            self.request,
            "workspace/feedback_reference.html",
            {"committee": True, "groups": groups, "form": form},
            status=status,
        )


class ReferenceEditView(ReferenceMixin, View):
    def get(self, request, pk):
        item = get_object_or_404(ReferenceActivity, pk=pk)
        return self.render(ReferenceForm(instance=item), item)

    def post(self, request, pk):
        item = get_object_or_404(ReferenceActivity, pk=pk)
        form = ReferenceForm(request.POST, instance=item)
        if form.is_valid() and self.save(form):
            state = "" if item.is_active else "，已停用，不再向联络员推荐"
            messages.success(request, f"已保存：{item}{state}。")
            return redirect("workspace:feedback_reference")
        return self.render(form, item, status=400)

    def render(self, form, item, status=200):
        return render(
            self.request,
            "workspace/feedback_reference_edit.html",
            {"committee": True, "form": form, "item": item},
            status=status,
        )


# The showcase (经验推广) ------------------------------------------------------------------


class ShowcaseMixin(CommitteeOnlyMixin):
    denied = "只有机关工委工作人员可以设置经验推广。"


class ShowcaseListView(ShowcaseMixin, View):
    """The activities marked now, and every published activity with a button to mark it."""

    def get(self, request):
        marked = list(
            Showcase.objects.select_related("activity__alliance", "marked_by").order_by(
                "-marked_at", "-pk"
            )
        )
        online = set(
            selectors.published_activities()
            .filter(activity__in=[mark.activity_id for mark in marked])
            .values_list("activity_id", flat=True)
        )
        for mark in marked:
            mark.online = mark.activity_id in online
        versions = selectors.published_activities().select_related("alliance", "activity")
        page = _page(request, versions)
        chosen = {mark.activity_id for mark in marked}
        for version in page:
            version.marked = version.activity_id in chosen
        return render(
            request,
            "workspace/feedback_showcase.html",
            {"committee": True, "marked": marked, "page_obj": page},
        )


class ShowcaseActionView(ShowcaseMixin, View):
    http_method_names = ["post", "options"]

    def post(self, request, pk):
        activity = Activity.objects.filter(pk=pk).first()
        form = ShowcaseForm(request.POST)
        if activity is None:
            messages.error(request, "这项活动已不存在。")
        elif not form.is_valid():
            messages.error(request, " ".join(m for ms in form.errors.values() for m in ms))
        else:
            try:
                self.act(activity, form.cleaned_data["reason"])
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, self.done.format(activity=activity))
        return redirect(_back("workspace:feedback_showcase", request))


class ShowcaseAddView(ShowcaseActionView):
    done = "已将“{activity}”设为经验推广，读者可在“党建联盟”栏目看到。"

    def act(self, activity, reason):
        feedback.showcase_add(activity=activity, by=self.request.user, reason=reason)


class ShowcaseRemoveView(ShowcaseActionView):
    done = "已取消“{activity}”的经验推广。"

    def act(self, activity, reason):
        feedback.showcase_remove(activity=activity, by=self.request.user)
