"""QuickSelect writes the markup Django's select templates write, character for character."""

import pytest
from django import forms

from portal.widgets import QuickSelect

CHOICES = [
    ("", "全部"),
    (2025, "2025年"),
    ("a&b", '<引号 "与" 尖括号>'),
    ("组", [(1, "第一"), (2, "第二")]),
]


@pytest.mark.parametrize("value", [None, "", 2025, "a&b", 2, "没有这个值"])
@pytest.mark.parametrize("attrs", [{}, {"class": "filter-select", "id": "id_y", "disabled": True}])
def test_the_markup_is_that_of_djangos_select(value, attrs):
    quick = QuickSelect(choices=CHOICES).render("y", value, attrs=attrs)
    plain = forms.Select(choices=CHOICES).render("y", value, attrs=attrs)
    assert quick == plain


def test_a_bound_filter_form_marks_the_chosen_option(db):
    class Form(forms.Form):
        year = forms.ChoiceField(choices=CHOICES[:2], widget=QuickSelect)

    html = str(Form({"year": "2025"})["year"])
    assert '<option value="2025" selected>2025年</option>' in html
