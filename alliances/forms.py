"""Workspace forms. The alliance always comes from the URL, never from the form, and every
branch a form accepts (host, attendance) is one of that alliance's members.

The admin's forms of meetings and activities share the checks of the workspace's
(``RecordChecks``, ``ActivityChecks``), so a record is refused for the same reasons there."""

import uuid
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone

from portal.richtext import RichTextWidget
from portal.uploads import clean_image

from . import plausibility, selectors
from .feedback_forms import ReferencePick
from .filters import YEAR_ERROR
from .models import FIRST_YEAR, Activity, AnnualPlan, Branch, JointMeeting, PhaseReport, Photo
from .publishing import news_sections

MAX_PHOTOS = 12


class MultipleImageInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several images at once; each verified and re-encoded like every other upload."""

    widget = MultipleImageInput(attrs={"accept": "image/jpeg,image/png,image/webp,image/gif"})

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        uploads = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if len(uploads) > MAX_PHOTOS:
            raise ValidationError(f"一次最多上传 {MAX_PHOTOS} 张照片，您选择了 {len(uploads)} 张。")
        cleaned, errors = [], []
        for upload in uploads:
            upload = super().clean(upload, initial)
            try:
                cleaned.append(clean_image(upload))
            except ValidationError as error:
                errors.append(f"“{upload.name}”：{' '.join(error.messages)}")
        if errors:
            raise ValidationError(errors)
        return cleaned


def _year_is_sane(day):
    this_year = timezone.localdate().year
    if not date(FIRST_YEAR, 1, 1) <= day <= date(this_year + 1, 12, 31):
        raise ValidationError(f"日期应在 {FIRST_YEAR} 年至 {this_year + 1} 年之间。")


class RecordChecks:
    """What a meeting or activity must pass wherever it is entered (workspace and admin)."""

    def _post_clean(self):
        super()._post_clean()
        # ModelForm skips constraints on fields it does not show (alliance, year, quarter);
        # the one-regular-meeting-per-quarter rule is exactly such a constraint.
        try:
            self.instance.validate_constraints()
        except ValidationError as error:
            self._update_errors(error)

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        _year_is_sane(day)
        return day


class ActivityChecks(RecordChecks):
    def clean(self):
        cleaned = super().clean()
        errors = plausibility.activity_date_errors(cleaned.get("held_on"), cleaned.get("status"))
        if errors and "status" in self.fields:
            self.add_error(None, errors)
        return cleaned


class MeetingAdminForm(RecordChecks, forms.ModelForm):
    pass


class ActivityAdminForm(ActivityChecks, forms.ModelForm):
    pass


class RecordForm(RecordChecks, forms.ModelForm):
    """Shared by meetings and activities: host, attendance per branch, photos, a one-time token."""

    photos = PhotosField(
        label="照片",
        help_text=f"可一次选择多张（最多 {MAX_PHOTOS} 张），仅限 JPEG、PNG、WebP、GIF。",
    )
    photo_caption = forms.CharField(
        label="照片说明",
        max_length=120,
        required=False,
        help_text="一句话说明照片内容，供读屏软件朗读；不填则用活动名称。",
    )
    form_token = forms.UUIDField(widget=forms.HiddenInput, required=False)
    guests_confirmed = forms.BooleanField(
        label="有列席人员",
        required=False,
        help_text="某单位参加的人数超过了它的党员人数（例如邀请了群众、外单位人员）时勾选；"
        "超出的人数记为列席人员，不计入党员参加人次。",
    )
    guests_reason = forms.CharField(
        label="列席人员说明",
        max_length=200,
        required=False,
        help_text="例如“邀请社区群众代表3人”。",
    )

    def __init__(self, *args, alliance, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.alliance = alliance
        self.instance.alliance = alliance
        self.members = members
        self.fields["host"].queryset = Branch.objects.filter(pk__in=[m.branch_id for m in members])
        self.fields["held_on"].widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        if not self.is_bound:
            self.initial.setdefault("form_token", uuid.uuid4())
        existing = list(self.instance.attendance.all()) if self.instance.pk else []
        for row in existing:
            row.total = row.head_count + row.guests  # people who came, as the form asks
        self._stored = {row.branch_id: row for row in existing}
        counts = {row.branch_id: row.total for row in existing}
        reasons = [row.guests_reason for row in existing if row.guests]
        if reasons:
            self.initial.setdefault("guests_confirmed", True)
            self.initial.setdefault("guests_reason", reasons[0])
        for membership in members:
            self.fields[self.attendance_field(membership.branch_id)] = forms.IntegerField(
                label=membership.branch.unit,
                min_value=0,
                max_value=9999,
                required=False,
                initial=counts.get(membership.branch_id),
                widget=forms.NumberInput(attrs={"inputmode": "numeric", "class": "count-input"}),
            )
        for name in ("minutes", "description"):
            if name in self.fields:
                self.fields[name].widget = RichTextWidget(config_name="simple")

    @staticmethod
    def attendance_field(branch_id):
        return f"heads_{branch_id}"

    def attendance_fields(self):
        return [self[self.attendance_field(m.branch_id)] for m in self.members]

    def people(self):
        """{branch id: people who came from it}, as typed."""
        return {
            m.branch_id: self.cleaned_data.get(self.attendance_field(m.branch_id)) or 0
            for m in self.members
        }

    def over(self):
        """[(branch, people)] typed above the branch's party members; a count left as it was
        is not (the branch may have shrunk since the record was made)."""
        typed = {
            branch: people
            for branch, people in self.people().items()
            if branch not in self._stored or people != self._stored[branch].total
        }
        return plausibility.over_members({m.branch_id: m.branch for m in self.members}, typed)

    def clean(self):
        cleaned = super().clean()
        confirmed = cleaned.get("guests_confirmed")
        over = self.over()
        for branch, people in over if not confirmed else []:
            self.add_error(
                self.attendance_field(branch.pk),
                plausibility.over_message(branch, people)
                + "请勾选下方的“有列席人员”并写明情况，或改正人数。",
            )
        if confirmed and over and not cleaned.get("guests_reason", "").strip():
            self.add_error(
                "guests_reason", "请说明列席人员是哪些人（例如邀请的群众、外单位人员）。"
            )
        return cleaned

    def _split(self):
        """{branch id: (party members, guests)}: a count left as it was keeps its split; a
        branch confirmed to have sent more than its members sent guests beyond them."""
        over = {branch.pk for branch, _ in self.over()}
        if not self.cleaned_data.get("guests_confirmed"):
            over = set()
        members = {m.branch_id: m.branch.member_count for m in self.members}
        split = {}
        for branch, people in self.people().items():
            row = self._stored.get(branch)
            if row and people == row.total:
                split[branch] = (row.head_count, row.guests)
            elif branch in over:
                split[branch] = (members[branch], people - members[branch])
            else:
                split[branch] = (people, 0)
        return split

    def attendance(self):
        """{branch id: party members who came}, for services.record_save."""
        return {branch: members for branch, (members, _) in self._split().items()}

    def guests(self):
        """{branch id: (guests, reason)}, for services.record_save."""
        reason = self.cleaned_data.get("guests_reason", "").strip()
        return {
            branch: (count, reason or self._stored[branch].guests_reason)
            for branch, (_, count) in self._split().items()
            if count
        }

    def new_photos(self):
        """The uploaded photos, to be numbered after the record's others by the service."""
        caption = self.cleaned_data["photo_caption"]
        return [
            Photo(image=image, caption=caption, position=None)
            for image in self.cleaned_data["photos"]
        ]


class MeetingForm(RecordForm):
    class Meta:
        model = JointMeeting
        fields = ["held_on", "is_regular", "venue", "host", "topics", "decisions", "minutes"]
        widgets = {
            "topics": forms.Textarea(attrs={"rows": 3}),
            "decisions": forms.Textarea(attrs={"rows": 3}),
        }


class ActivityForm(ReferencePick, ActivityChecks, RecordForm):
    class Meta:
        model = Activity
        fields = [
            "title",
            "line",
            "held_on",
            "status",
            "is_central_study",
            "venue",
            "host",
            "description",
        ]


class AnnualPlanForm(forms.ModelForm):
    class Meta:
        model = AnnualPlan
        fields = ["themes", "rotation_method", "liaison", "planned_activities"]
        widgets = {
            name: forms.Textarea(attrs={"rows": 4})
            for name in ("themes", "rotation_method", "planned_activities")
        }


class PhaseReportForm(forms.ModelForm):
    class Meta:
        model = PhaseReport
        fields = ["text", "activities_held", "participants"]
        widgets = {"text": forms.Textarea(attrs={"rows": 8})}


class OverviewSortForm(forms.Form):
    SORTS = {
        "name": "联盟顺序",
        "-activities": "活动数（多到少）",
        "-participation": "参加人次（多到少）",
        "-meetings": "按时召开例会（多到少）",
        "meetings": "按时召开例会（少到多）",
    }
    year = forms.TypedChoiceField(
        label="年度", coerce=int, required=False, empty_value=None, error_messages=YEAR_ERROR
    )
    sort = forms.ChoiceField(label="排序", choices=SORTS.items(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, f"{y}年") for y in selectors.record_years()]


class PublicVersionForm(forms.Form):
    """申请公开: what readers will see of a record. Starts from the record (title, date,
    captions) or from its last proposal; the text is written anew, for readers."""

    title = forms.CharField(label="公开标题", max_length=100)
    held_on = forms.DateField(
        label="日期", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    text = forms.CharField(
        label="公开内容",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "写给读者的简短介绍（2000字以内）：做了什么、有什么成效。"
            "会议纪要、议定事项和各单位参加人数不会公开。"
        ),
    )
    as_news = forms.BooleanField(
        label="同时作为新闻报送",
        required=False,
        help_text="勾选后，以上内容和选中的照片将作为一篇新闻稿送到所选栏目，由编辑审核后发布。",
    )
    news_category = forms.ModelChoiceField(
        label="报送栏目", queryset=None, required=False, empty_label="请选择栏目"
    )

    def __init__(self, data=None, *, record, photos, start=None):
        super().__init__(data)
        self.record, self.photos = record, photos
        chosen = {p.photo_id: p.alt for p in start.photos.all()} if start else {}
        self.initial = (
            {"title": start.title, "held_on": start.held_on, "text": start.text}
            if start
            else {"title": getattr(record, "title", None) or str(record), "held_on": record.held_on}
        )
        for photo in photos:
            self.fields[f"photo_{photo.pk}"] = forms.BooleanField(
                label="公开这张照片", required=False, initial=photo.pk in chosen
            )
            self.fields[f"alt_{photo.pk}"] = forms.CharField(
                label="照片说明",
                max_length=120,
                required=False,
                initial=chosen.get(photo.pk, photo.caption),
                help_text="一句话说明照片内容，供读屏软件朗读。",
            )
        if record._meta.model_name == "activity":
            self.fields["news_category"].queryset = news_sections()
        else:
            del self.fields["as_news"], self.fields["news_category"]

    def clean_held_on(self):
        day = self.cleaned_data["held_on"]
        _year_is_sane(day)
        return day

    def clean(self):
        cleaned = super().clean()
        for photo in self.photos:
            if cleaned.get(f"photo_{photo.pk}") and not cleaned.get(f"alt_{photo.pk}", "").strip():
                self.add_error(f"alt_{photo.pk}", "选中的照片要写一句说明，供读屏软件朗读。")
        if cleaned.get("as_news") and not cleaned.get("news_category"):
            self.add_error("news_category", "作为新闻报送时，请选择报送到哪个栏目。")
        return cleaned

    def photo_rows(self):
        """(photo, checkbox, alt text field) for the template."""
        return [(p, self[f"photo_{p.pk}"], self[f"alt_{p.pk}"]) for p in self.photos]

    def chosen_photos(self):
        return [
            (photo, self.cleaned_data[f"alt_{photo.pk}"])
            for photo in self.photos
            if self.cleaned_data[f"photo_{photo.pk}"]
        ]

    def chosen_news_category(self):
        if self.cleaned_data.get("as_news"):
            return self.cleaned_data["news_category"]
        return None


class NoteForm(forms.Form):
    """The reviewer's optional note when publishing or withdrawing."""

    note = forms.CharField(label="说明", max_length=1000, required=False)


class SendBackForm(forms.Form):
    note = forms.CharField(
        label="退回理由",
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "退回时请写明理由，联络员会看到。"},
    )
