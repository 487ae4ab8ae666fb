import django_filters
from django import forms

from portal.widgets import QuickSelect

from .models import Article
from .search import MAX_TERMS, answerable, search_terms


class ArticleFilter(django_filters.FilterSet):
    """Filters of a section page. Values outside the choices make the form invalid (a 400)."""

    category = django_filters.TypedChoiceFilter(
        label="子栏目", coerce=int, empty_value=None, widget=QuickSelect
    )
    kind = django_filters.ChoiceFilter(
        label="类型", choices=Article.Kind.choices, empty_label="全部类型", widget=QuickSelect
    )
    year = django_filters.ChoiceFilter(
        label="年份",
        field_name="published_at",
        lookup_expr="year",
        empty_label="全部年份",
        widget=QuickSelect,
    )

    class Meta:
        model = Article
        fields = ["category", "kind", "year"]

    def __init__(self, *args, subsections, years, **kwargs):
        super().__init__(*args, **kwargs)
        if subsections:
            # Choices from the already-built section tree: no query to render or validate.
            self.filters["category"].extra["choices"] = [
                ("", "全部子栏目"),
                *((sub.pk, sub.name) for sub in subsections),
            ]
        else:
            del self.filters["category"]
        self.filters["year"].extra["choices"] = [(year, f"{year}年") for year in years]
        for form_field in self.form.fields.values():
            form_field.widget.attrs.setdefault("class", "filter-select")

    @property
    def is_filtered(self):
        return (
            any(self.form.cleaned_data.get(name) for name in self.filters)
            if self.is_bound
            else False
        )


class SearchForm(forms.Form):
    q = forms.CharField(label="关键词", max_length=60, required=False, strip=True)

    def clean_q(self):
        """Only what an index can answer (articles/search.py); a clear word about the rest."""
        terms = search_terms(self.cleaned_data["q"])
        if len(terms) > MAX_TERMS:
            raise forms.ValidationError(f"最多输入 {MAX_TERMS} 个词，请用空格分开。")
        if short := [term for term in terms if not answerable(term)]:
            raise forms.ValidationError(
                f"“{'”“'.join(short)}”太短，请输入至少两个汉字，或三个字母、数字"
                "（例如“党建”“联盟”“1+N”）；几个词之间用空格分开。"
            )
        return " ".join(terms)
