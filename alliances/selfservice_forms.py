"""Forms of the workspace's self-service pages: booking a shared room, a unit's application to
join, the committee's decisions, a proposal to found an alliance. They only read and check
what the user typed; the writes are the services' (alliances.services)."""

import re
from datetime import date, datetime, timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.admin import SafeModelMultipleChoiceField

from .models import FIRST_YEAR, Alliance, Branch, Membership

WEEK = re.compile(r"^(\d{4})-W(\d{1,2})$")
# How far ahead a room may be booked: a slip of the year (2062 for 2026) is refused.
BOOK_AHEAD = timedelta(days=366)


def week_label(monday):
    """The ISO week of ``monday`` as the URLs write it: 2026-W10."""
    year, week, _ = monday.isocalendar()
    return f"{year}-W{week:02d}"


def monday_of(day):
    return day - timedelta(days=day.weekday())


class WeekForm(forms.Form):
    """?week=YYYY-Www of a room's week; none is this week."""

    week = forms.CharField(label="周次", required=False, max_length=10)

    def clean_week(self):
        value = self.cleaned_data["week"].strip()
        if not value:
            return monday_of(timezone.localdate())
        match = WEEK.match(value)
        if not match:
            raise ValidationError("周次的格式应为“年份-W周数”，例如 2026-W10。")
        year, week = int(match[1]), int(match[2])
        this_year = timezone.localdate().year
        if not FIRST_YEAR <= year <= this_year + 1:
            raise ValidationError(f"只能查看 {FIRST_YEAR} 年至 {this_year + 1} 年的安排。")
        try:
            return date.fromisocalendar(year, week, 1)
        except ValueError:
            raise ValidationError(f"{year}年没有第{week}周。") from None

    def monday(self):
        return self.cleaned_data["week"]


def _aware(day, at):
    return timezone.make_aware(datetime.combine(day, at))


class BookingForm(forms.Form):
    """A booking of one room on one day, for one of the alliance's member units."""

    day = forms.DateField(
        label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    starts = forms.TimeField(
        label="开始时间", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    ends = forms.TimeField(
        label="结束时间", widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
    )
    branch = forms.ModelChoiceField(
        label="使用单位", queryset=Branch.objects.none(), empty_label="请选择成员单位"
    )
    purpose = forms.CharField(
        label="用途",
        max_length=100,
        help_text="例如“支部主题党日”。只有工作人员看得到，网站上只显示联盟名称和时间。",
    )

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["branch"].queryset = members

    def clean(self):
        cleaned = super().clean()
        day, starts, ends = cleaned.get("day"), cleaned.get("starts"), cleaned.get("ends")
        if not (day and starts and ends):
            return cleaned
        if ends <= starts:
            self.add_error("ends", "结束时间须晚于开始时间。")
            return cleaned
        cleaned["starts_at"], cleaned["ends_at"] = _aware(day, starts), _aware(day, ends)
        now = timezone.now()
        if cleaned["starts_at"] < now:
            self.add_error("day", "不能预约已经过去的时间，请检查日期和开始时间。")
        elif cleaned["starts_at"] > now + BOOK_AHEAD:
            self.add_error("day", "最多只能预约一年以内的时间，请检查年份。")
        return cleaned


class ApplicationForm(forms.Form):
    """入盟申请: an existing party organisation (党组织) that is not yet in, with a reason."""

    branch = forms.ModelChoiceField(
        label="申请加入的党组织",
        queryset=Branch.objects.none(),
        empty_label="请选择党组织",
        help_text="列表中是已登记、尚未加入或申请加入本联盟的党组织。"
        "如果找不到，请联系机关工委先登记该单位的党组织。",
    )
    reason = forms.CharField(
        label="申请理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="例如：同在一个办公区、已和牵头单位商定。机关工委审批时会看到。",
    )

    def __init__(self, *args, alliance, **kwargs):
        super().__init__(*args, **kwargs)
        inside = alliance.memberships.filter(status__in=Membership.OPEN).values("branch")
        self.fields["branch"].queryset = Branch.objects.exclude(pk__in=inside).order_by(
            "unit", "pk"
        )

    def clean_reason(self):
        reason = self.cleaned_data["reason"].strip()
        if not reason:
            raise ValidationError("请填写申请理由。")
        return reason


class RefuseForm(forms.Form):
    note = forms.CharField(
        label="不予批准的理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "不予批准时请写明理由，申请单位会看到。"},
    )


class FoundingForm(forms.ModelForm):
    """申请成立联盟, registered by committee staff for the units that apply together."""

    lead = forms.ModelChoiceField(
        label="牵头单位",
        queryset=Branch.objects.order_by("unit", "pk"),
        empty_label="请选择牵头单位的党组织",
    )
    members = SafeModelMultipleChoiceField(
        label="成员单位",
        queryset=Branch.objects.order_by("unit", "pk"),
        widget=forms.CheckboxSelectMultiple,
        help_text="勾选一同申请的其他单位（牵头单位不用再勾选）。",
    )
    reason = forms.CharField(
        label="申请理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    class Meta:
        model = Alliance
        fields = ["name", "slug", "kind", "building", "rotation", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "slug": "网址中使用的英文字母、数字或连字符，例如 lianmeng-4；不填则自动生成。"
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slug"].required = False
        self.fields["kind"].choices = [("", "请选择类型"), *Alliance.Kind.choices]
        self.fields["building"].empty_label = "（不在同一楼宇可不选）"

    def clean_slug(self):
        slug = self.cleaned_data["slug"]
        if slug:
            return slug
        taken = set(Alliance.objects.values_list("slug", flat=True))
        return next(
            f"lianmeng-{n}"
            for n in range(len(taken) + 1, 2 * len(taken) + 2)
            if f"lianmeng-{n}" not in taken
        )
