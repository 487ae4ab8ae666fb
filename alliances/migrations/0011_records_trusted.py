"""Records that can be trusted (issue 16): an explicit order of alliances, guests kept apart
from members in the attendance, and one centralised study per quarter.

Existing alliances are numbered in steps of ten (room to put one in between): within each
kind, those whose name holds a number (第一, 第二 … 第十一, or 1, 2 …) in that number's order,
then the others in their former order (by name). Where a quarter already has more than one
centralised study, the earliest keeps the mark and the others lose it, so that the new
constraint can be added; each keeps its record and the quarter still counts as studied.
"""

import re

from django.conf import settings
from django.db import migrations, models

DIGITS = {
    "〇": 0,
    "零": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
NUMBERED = re.compile(r"第([〇零一二两三四五六七八九十百]+|[0-9]+)")


def chinese_number(text):
    """1 for 一, 10 for 十, 12 for 十二, 21 for 二十一, 105 for 一百零五; None if not one."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in DIGITS:
            current = DIGITS[char]
        elif char == "十":
            total += (current or 1) * 10
            current = 0
        elif char == "百":
            total += (current or 1) * 100
            current = 0
    return total + current or None


def number_in(name):
    match = NUMBERED.search(name)
    return chinese_number(match.group(1)) if match else None


def number_alliances(apps, schema_editor):
    Alliance = apps.get_model("alliances", "Alliance")
    alliances = list(Alliance.objects.order_by("kind", "name", "pk"))

    def key(alliance):
        number = number_in(alliance.name)
        return (alliance.kind, number is None, number or 0, alliance.name, alliance.pk)

    for rank, alliance in enumerate(sorted(alliances, key=key), start=1):
        alliance.position = rank * 10
        alliance.save(update_fields=["position"])


def one_study_per_quarter(apps, schema_editor):
    Activity = apps.get_model("alliances", "Activity")
    seen = set()
    studies = Activity.objects.filter(is_central_study=True).exclude(status="cancelled")
    for study in studies.order_by("held_on", "pk"):
        quarter = (study.alliance_id, study.year, study.quarter)
        if quarter in seen:
            Activity.objects.filter(pk=study.pk).update(is_central_study=False)
        seen.add(quarter)


class Migration(migrations.Migration):
    dependencies = [
        ("alliances", "0010_published_listing_holds_alliance"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="alliance",
            options={
                "ordering": [models.OrderBy(models.F("position"), nulls_last=True), "pk"],
                "verbose_name": "党建联盟",
                "verbose_name_plural": "党建联盟",
            },
        ),
        migrations.AddField(
            model_name="alliance",
            name="position",
            field=models.PositiveSmallIntegerField(
                blank=True,
                help_text="数字小的排在前面（第一联盟在第二联盟之前）；不填的排在最后。",
                null=True,
                verbose_name="排序",
            ),
        ),
        migrations.AddField(
            model_name="attendance",
            name="guests",
            field=models.PositiveIntegerField(
                default=0,
                help_text="超出该单位党员人数的参加人员，如邀请的群众、外单位人员。",
                verbose_name="列席人数",
            ),
        ),
        migrations.AddField(
            model_name="attendance",
            name="guests_reason",
            field=models.CharField(blank=True, max_length=200, verbose_name="列席说明"),
        ),
        migrations.RunPython(number_alliances, migrations.RunPython.noop),
        migrations.RunPython(one_study_per_quarter, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="activity",
            constraint=models.UniqueConstraint(
                condition=models.Q(
                    ("is_central_study", True), models.Q(("status", "cancelled"), _negated=True)
                ),
                fields=("alliance", "year", "quarter"),
                name="one_central_study_per_quarter",
                violation_error_message="本季度的集中学习已经登记过了；其他学习活动请取消勾选“季度集中学习”。",
            ),
        ),
        migrations.AddConstraint(
            model_name="attendance",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("guests", 0), models.Q(("guests_reason", ""), _negated=True), _connector="OR"
                ),
                name="attendance_guests_have_reason",
                violation_error_message="有列席人员时，请说明是哪些人员参加。",
            ),
        ),
    ]
