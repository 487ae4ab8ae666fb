import django_filters
from django import forms

from portal.widgets import QuickSelect

from .models import FIRST_YEAR, Alliance, Branch, Line, PublicVersion
from .selectors import published_years

YEAR_ERROR = {
    "invalid_choice": f"没有“%(value)s”这个年度的记录：请从列表中选择年度（{FIRST_YEAR} 年起）。"
}


def year_choices(years=None):
    """(year, "2025年") for the years with published records (selectors.published_years)."""
    return [(year, f"{year}年") for year in (published_years() if years is None else years)]


class ActivityFilter(django_filters.FilterSet):
    """Filters of the public activity list, over the published versions of activities.
    Values outside the choices give a 400.

    The date filtered on is the public version's; the branch is the host only, which the
    page shows: who attended is internal, and a filter by it would tell."""

    alliance = django_filters.ModelChoiceFilter(
        label="联盟",
        queryset=Alliance.objects.public().only("pk", "name"),
        empty_label="全部联盟",
        widget=QuickSelect,
    )
    line = django_filters.ChoiceFilter(
        label="六联类别",
        field_name="activity__line",
        choices=Line.choices,
        empty_label="全部类别",
        widget=QuickSelect,
    )
    year = django_filters.ChoiceFilter(
        label="年度",
        field_name="held_on",
        lookup_expr="year",
        choices=year_choices,
        empty_label="全部年度",
        widget=QuickSelect,
        error_messages=YEAR_ERROR,
    )
    quarter = django_filters.ChoiceFilter(
        label="季度",
        field_name="held_on",
        lookup_expr="quarter",
        choices=[(q, f"第{q}季度") for q in range(1, 5)],
        empty_label="全部季度",
        widget=QuickSelect,
    )
    branch = django_filters.ModelChoiceFilter(
        label="主办党组织",
        field_name="activity__host",
        queryset=Branch.objects.filter(memberships__status="active").distinct().only("pk", "name"),
        empty_label="全部党组织",
        widget=QuickSelect,
    )

    class Meta:
        model = PublicVersion
        fields = ["alliance", "line", "year", "quarter", "branch"]

    def __init__(self, *args, years=None, alliances=None, **kwargs):
        """``years``: the years to offer (default: those with published records);
        ``alliances``: the (pk, name) of the alliances to offer (default: read them)."""
        super().__init__(*args, **kwargs)
        if years is not None:
            self.filters["year"].extra["choices"] = year_choices(years)
        if alliances is not None:
            # What is shown only: a chosen alliance is still checked against the queryset.
            field = self.form.fields["alliance"]
            field.widget.choices = [("", field.empty_label), *alliances]
        # Offer the branches of the chosen alliance only: a list of every branch of every
        # alliance is over a thousand options, useless to a reader and slow to render.
        # Any active branch is still accepted (a link may name one without its alliance).
        field = self.form.fields["branch"]
        data = self.data or {}
        alliance, branch = _pk(data.get("alliance")), _pk(data.get("branch"))
        shown = Branch.objects.none()
        if alliance:
            shown = Branch.objects.filter(
                memberships__alliance_id=alliance, memberships__status="active"
            )
        if branch:
            shown = shown | Branch.objects.filter(pk=branch, memberships__status="active")
        options = list(shown.distinct().order_by("unit", "name").values_list("pk", "name"))
        field.widget.choices = [("", field.empty_label), *options]
        if not options:
            field.help_text = "先选择联盟，再按主办党组织筛选"


def _pk(value):
    """A primary key from a query string, or None (the form reports what is wrong)."""
    value = str(value or "")
    # isascii(): "²" and "١٢٣" are digits to str.isdigit() but not (all) to int().
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


class YearForm(forms.Form):
    year = forms.TypedChoiceField(
        label="年度",
        choices=year_choices,
        coerce=int,
        required=False,
        empty_value=None,
        error_messages=YEAR_ERROR,
        widget=QuickSelect,
    )

    def __init__(self, *args, years=None, **kwargs):
        """``years``: the years to offer (default: those with published records)."""
        super().__init__(*args, **kwargs)
        if years is not None:
            self.fields["year"].choices = year_choices(years)
