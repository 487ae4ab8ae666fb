import django_filters
from django import forms
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Activity, Alliance, Attendance, Branch, Line

FIRST_YEAR = 2015


def year_choices():
    return [
        (year, f"{year}年") for year in range(timezone.localdate().year + 1, FIRST_YEAR - 1, -1)
    ]


class ActivityFilter(django_filters.FilterSet):
    """Filters of the public activity list. Values outside the choices give a 400."""

    alliance = django_filters.ModelChoiceFilter(
        label="联盟",
        queryset=Alliance.objects.public().only("pk", "name"),
        empty_label="全部联盟",
    )
    line = django_filters.ChoiceFilter(
        label="六联类别", choices=Line.choices, empty_label="全部类别"
    )
    year = django_filters.ChoiceFilter(label="年度", choices=year_choices, empty_label="全部年度")
    quarter = django_filters.ChoiceFilter(
        label="季度", choices=[(q, f"第{q}季度") for q in range(1, 5)], empty_label="全部季度"
    )
    branch = django_filters.ModelChoiceFilter(
        label="党组织",
        queryset=Branch.objects.filter(memberships__status="active").distinct().only("pk", "name"),
        empty_label="全部党组织",
        method="hosted_or_attended",
    )

    class Meta:
        model = Activity
        fields = ["alliance", "line", "year", "quarter", "branch"]

    def hosted_or_attended(self, queryset, name, branch):
        attended = Attendance.objects.filter(activity=OuterRef("pk"), branch=branch)
        return queryset.filter(Q(Exists(attended)) | Q(host=branch))


class YearForm(forms.Form):
    year = forms.TypedChoiceField(
        label="年度", choices=year_choices, coerce=int, required=False, empty_value=None
    )
