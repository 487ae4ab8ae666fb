"""Forms of the committee's feedback, the reference list and the showcase, and the reference
list's choice in the secretary's activity form (``ReferencePick``)."""

from django import forms

from . import feedback
from .models import ReferenceActivity

REQUIRED_LINE = "请选择六联类别，或从活动参考清单中选择一项。"


class ReadForm(forms.Form):
    comment = forms.CharField(
        label="意见（可不填）",
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ReturnForm(forms.Form):
    comment = forms.CharField(
        label="退回意见（必填，联络员会看到）",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "退回修改时请写明意见，联络员会看到。"},
    )


class ReferenceForm(forms.ModelForm):
    class Meta:
        model = ReferenceActivity
        fields = ["line", "title", "description", "position", "is_active"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        error_messages = {
            "line": {"required": "请选择六联类别。"},
            "title": {"required": "请填写活动名称。"},
        }


class ShowcaseForm(forms.Form):
    reason = forms.CharField(
        label="推广理由（可不填）",
        max_length=200,
        required=False,
        help_text="一句话说明值得推广之处，读者不会看到。",
    )


class ReferenceChoiceField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(coerce=int, empty_value=None, **kwargs)


class ReferencePick:
    """For the activity form: pick an item of the reference list (grouped by 六联 line, a plain
    select that works without JavaScript). The item fills the title when none is typed and
    the line when none is chosen; an item of another line than the one chosen is an error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = feedback.reference_choices()
        if not choices:
            return
        self.fields["reference"] = ReferenceChoiceField(
            label="从活动参考清单选择",
            choices=[("", "不选，自己填写"), *choices],
            required=False,
            help_text="机关工委发布的活动参考清单。选择后，活动名称未填写时按清单填写。",
            error_messages={"invalid_choice": "这一项已不在活动参考清单中，请重新选择。"},
        )
        self.fields["title"].required = False
        self.fields["line"].required = False
        self.order_fields(["reference", *self.fields])

    def clean(self):
        cleaned = super().clean()
        item = None
        if cleaned.get("reference"):
            item = feedback.reference_items().filter(pk=cleaned["reference"]).first()
            if item is None:
                self.add_error("reference", "这一项已不在活动参考清单中，请重新选择。")
        if item and cleaned.get("line") and cleaned["line"] != item.line:
            self.add_error(
                "reference",
                f"“{item.title}”属于“{item.get_line_display()}”，与所选的六联类别不同，请核对。",
            )
        elif item:
            cleaned["line"] = cleaned.get("line") or item.line
            cleaned["title"] = cleaned.get("title") or item.title
        if "title" in self.fields and not cleaned.get("title") and "title" not in self.errors:
            self.add_error("title", "请填写活动名称，或从活动参考清单中选择一项。")
        if "line" in self.fields and not cleaned.get("line") and "line" not in self.errors:
            self.add_error("line", REQUIRED_LINE)
        return cleaned
