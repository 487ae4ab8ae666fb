"""评先评优 in the workspace, for committee staff: the year's criteria, the ranking (page,
print and Excel), an adjustment with its reason, and the 公示 drafted for article review."""

from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from portal.excel import Sheet, xlsx_response

from . import evaluation
from .models import FIRST_YEAR
from .workspace import CommitteeOnlyMixin, _year_or_404

NUMBER_ERRORS = {
    "required": "请填写数字。",
    "invalid": "请填写数字，例如 5 或 2.5。",
    "min_value": "不能小于 %(limit_value)s。",
    "max_value": "不能大于 %(limit_value)s。",
    "max_digits": "数字太长了，请检查。",
    "max_decimal_places": "最多保留两位小数。",
    "max_whole_digits": "数字太大了，请检查。",
}


class SortForm(forms.Form):
    sort = forms.ChoiceField(
        label="排序",
        choices=evaluation.SORTS.items(),
        required=False,
        error_messages={"invalid_choice": "没有这种排序方式，请按总分或某一项指标排序。"},
    )


class CriteriaForm(forms.Form):
    """Label, weight and target of each of the year's criteria, one row each."""

    def __init__(self, *args, criteria, **kwargs):
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            key = criterion.key
            self.fields[f"label_{key}"] = forms.CharField(
                label="指标名称",
                max_length=40,
                initial=criterion.label,
                error_messages={
                    "required": "请填写指标名称。",
                    "max_length": "指标名称最多40个字。",
                },
            )
            self.fields[f"weight_{key}"] = forms.IntegerField(
                label="分值",
                min_value=0,
                max_value=100,
                initial=criterion.weight,
                error_messages={**NUMBER_ERRORS, "invalid": "分值请填写整数，例如 20。"},
            )
            self.fields[f"target_{key}"] = forms.DecimalField(
                label="满分标准",
                min_value=Decimal("0.01"),
                max_value=Decimal("9999"),
                max_digits=6,
                decimal_places=2,
                initial=evaluation.number(criterion.target),
                error_messages=NUMBER_ERRORS,
            )

    def rows(self):
        """(criterion, its measure, label field, weight field, target field) for the template."""
        return [
            (
                criterion,
                evaluation.MEASURES[criterion.key],
                self[f"label_{criterion.key}"],
                self[f"weight_{criterion.key}"],
                self[f"target_{criterion.key}"],
            )
            for criterion in self.criteria
        ]

    def changes(self):
        return {
            c.key: {
                "label": self.cleaned_data[f"label_{c.key}"],
                "weight": self.cleaned_data[f"weight_{c.key}"],
                "target": self.cleaned_data[f"target_{c.key}"],
            }
            for c in self.criteria
        }


class AdjustForm(forms.Form):
    points = forms.DecimalField(
        label="调整分数",
        min_value=Decimal(-100),
        max_value=Decimal(100),
        max_digits=5,
        decimal_places=2,
        help_text="加分填正数，减分填负数（如 -2），取消调整填 0。",
        error_messages=NUMBER_ERRORS,
    )
    reason = forms.CharField(
        label="调整理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="必填。写明依据，例如台账之外核实的情况；理由显示在得分旁并记入操作记录。",
        error_messages={
            "required": "调整得分须写明理由。",
            "max_length": "理由最多1000字。",
        },
    )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("调整得分须写明理由。")
        return reason


class NoticeForm(forms.Form):
    section = forms.ModelChoiceField(
        label="发布栏目",
        queryset=None,
        empty_label="请选择栏目",
        error_messages={
            "required": "请选择公示发布到哪个栏目。",
            "invalid_choice": "请从列表中选择一个通知公告类栏目。",
        },
    )
    alliances = forms.IntegerField(
        label="公示先进联盟数",
        min_value=1,
        max_value=50,
        initial=3,
        error_messages={**NUMBER_ERRORS, "invalid": "请填写整数，例如 3。"},
    )
    units = forms.IntegerField(
        label="公示积极单位数",
        min_value=0,
        max_value=50,
        initial=5,
        help_text="按人均参加活动次数从高到低；填 0 则不列单位。",
        error_messages={**NUMBER_ERRORS, "invalid": "请填写整数，例如 5。"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        sections = evaluation.notice_sections()
        self.fields["section"].queryset = sections
        if len(sections) == 1:
            self.fields["section"].initial = sections[0].pk


class EvaluationMixin(CommitteeOnlyMixin):
    """The year from the URL, its criteria (the defaults on first visit) and its results."""

    denied = "只有机关工委工作人员可以开展评先评优。"

    def load(self, year):
        self.year = _year_or_404(year)
        self.criteria = evaluation.criteria_for(self.year)

    def results(self):
        return evaluation.evaluate(self.year, self.criteria)

    def context(self, **extra):
        return {"year": self.year, "criteria": self.criteria, "committee": True, **extra}

    def ranking_url(self, anchor=""):
        return reverse("workspace:evaluation", args=[self.year]) + anchor


def _sort_or_400(request):
    form = SortForm(request.GET)
    if not form.is_valid():
        return None, render(request, "bad_request.html", {"form": form}, status=400)
    return form.cleaned_data["sort"] or "total", None


class SortedResultsMixin(EvaluationMixin):
    """The year's results in the order ``?sort=`` asks for; junk is a 400 page."""

    def sorted_results(self, request, year):
        self.load(year)
        sort, refusal = _sort_or_400(request)
        if refusal:
            return sort, None, refusal
        return sort, evaluation.ordered(self.results(), sort), None


class RankingView(SortedResultsMixin, View):
    def get(self, request, year):
        sort, results, refusal = self.sorted_results(request, year)
        if refusal:
            return refusal
        this_year = timezone.localdate().year
        return render(
            request,
            "workspace/evaluation_ranking.html",
            self.context(
                results=results,
                sort=sort,
                sort_label=evaluation.SORTS[sort],
                full_marks=sum(c.weight for c in self.criteria),
                years=[y for y in (year - 1, year + 1) if FIRST_YEAR <= y <= this_year],
            ),
        )


EXCEL_RANKING = [("名次", 6), ("联盟", 24), ("牵头单位", 18)]
BREAKDOWN_COLUMNS = [
    ("联盟", 24),
    ("指标", 18),
    ("完成情况", 40),
    ("满分标准", 12),
    ("分值", 8),
    ("得分", 8),
]
BRANCH_COLUMNS = [
    ("联盟", 24),
    ("单位", 22),
    ("党员人数", 10),
    ("参加人次", 10),
    ("人均参加次数", 12),
]


def ranking_sheets(year, criteria, results):
    """The ranking, each alliance's breakdown and each member branch's participation."""
    ranking = Sheet(
        title=f"{year}年评先评优",
        heading=f"{year}年度机关党建联盟评先评优得分排名",
        columns=[
            *EXCEL_RANKING,
            ("总分", 10),
            *((f"{c.label}（{c.weight}分）", 12) for c in criteria),
            ("计算得分", 10),
            ("调整", 8),
            ("调整理由", 30),
        ],
        rows=[
            [
                r.rank,
                r.alliance.name,
                r.lead,
                float(r.total),
                *(float(m.score) for m in r.marks),
                float(r.computed),
                float(r.adjustment.points) if r.adjustment else 0.0,
                r.adjustment.reason if r.adjustment else "",
            ]
            for r in results
        ],
    )
    breakdown = Sheet(
        title="得分明细",
        heading=f"{year}年度各联盟得分明细",
        columns=BREAKDOWN_COLUMNS,
        rows=[
            [
                r.alliance.name,
                m.criterion.label,
                m.shown,
                m.target,
                m.criterion.weight,
                float(m.score),
            ]
            for r in results
            for m in r.marks
        ],
    )
    branches = Sheet(
        title="成员单位参与情况",
        heading=f"{year}年度各成员单位参加联办活动情况",
        columns=BRANCH_COLUMNS,
        rows=[
            [
                share.alliance.name,
                share.unit,
                share.members,
                share.attendance,
                float(share.rate) if share.rate is not None else "未登记党员人数",
            ]
            for r in results
            for share in r.branches
        ],
    )
    return [ranking, breakdown, branches]


class RankingExcelView(SortedResultsMixin, View):
    def get(self, request, year):
        _, results, refusal = self.sorted_results(request, year)
        if refusal:
            return refusal
        return xlsx_response(
            f"{self.year}年评先评优得分.xlsx", ranking_sheets(self.year, self.criteria, results)
        )


class CriteriaView(EvaluationMixin, View):
    template_name = "workspace/evaluation_criteria.html"

    def get(self, request, year):
        self.load(year)
        return self.render(CriteriaForm(criteria=self.criteria))

    def post(self, request, year):
        self.load(year)
        form = CriteriaForm(request.POST, criteria=self.criteria)
        if not form.is_valid():
            return self.render(form, status=400)
        changes = form.changes()
        if evaluation.criteria_save(criteria=self.criteria, changes=changes, by=request.user):
            messages.success(request, f"已保存{self.year}年评价指标，得分已按新指标重新计算。")
        else:
            messages.info(request, "评价指标没有改动。")
        return redirect(self.ranking_url())

    def render(self, form, status=200):
        return render(self.request, self.template_name, self.context(form=form), status=status)


class AdjustView(EvaluationMixin, View):
    """Adjust one alliance's score: the computed breakdown beside the form, reason required."""

    template_name = "workspace/evaluation_adjust.html"

    def find(self, year, slug):
        self.load(year)
        self.all_results = self.results()
        for result in self.all_results:
            if result.alliance.slug == slug:
                return result
        raise Http404("这一年没有参加评价的这个联盟")

    def get(self, request, year, slug):
        result = self.find(year, slug)
        initial = (
            {"points": result.adjustment.points, "reason": result.adjustment.reason}
            if result.adjustment
            else {}
        )
        return self.render(result, AdjustForm(initial=initial))

    def post(self, request, year, slug):
        result = self.find(year, slug)
        form = AdjustForm(request.POST)
        if not form.is_valid():
            return self.render(result, form, status=400)
        points = form.cleaned_data["points"]
        evaluation.score_adjust(
            result=result,
            year=self.year,
            points=points,
            reason=form.cleaned_data["reason"],
            by=request.user,
        )
        messages.success(
            request,
            f"已调整{result.alliance.name}的得分：计算得分{result.computed}，"
            f"调整{points:+}，总分{result.computed + points}。理由已记入操作记录。",
        )
        return redirect(self.ranking_url(f"#alliance-{result.alliance.slug}"))

    def render(self, result, form, status=200):
        return render(
            self.request,
            self.template_name,
            self.context(result=result, form=form, alliance_count=len(self.all_results)),
            status=status,
        )


class NoticeView(EvaluationMixin, View):
    """生成公示稿: an article in a notice section, 待审核, through the normal article review."""

    template_name = "workspace/evaluation_notice.html"

    def get(self, request, year):
        self.load(year)
        return self.render(NoticeForm())

    def post(self, request, year):
        self.load(year)
        form = NoticeForm(request.POST)
        if not form.is_valid():
            return self.render(form, status=400)
        try:
            article = evaluation.notice_draft(
                year=self.year,
                results=self.results(),
                category=form.cleaned_data["section"],
                alliances=form.cleaned_data["alliances"],
                units=form.cleaned_data["units"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
            return self.render(form, status=400)
        messages.success(
            request,
            f"公示稿《{article.title}》已送到“{article.category}”栏目，状态为待审核；"
            "审核人员审核通过后才会在网站上发布。",
        )
        return redirect(self.ranking_url())

    def render(self, form, status=200):
        return render(self.request, self.template_name, self.context(form=form), status=status)
