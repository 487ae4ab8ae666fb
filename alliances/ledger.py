"""台账: every meeting and activity of an alliance in a year, one row each (page and Excel)."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Count, Prefetch

from portal.excel import Sheet
from portal.richtext import html_to_text

from .models import Activity, Attendance, JointMeeting
from .selectors import compliance

COLUMNS = [
    ("序号", 6),
    ("日期", 12),
    ("类型", 10),
    ("名称/议题", 28),
    ("六联类别", 14),
    ("地点", 18),
    ("轮值（主办）单位", 18),
    ("参加单位及人数", 34),
    ("参加人数", 9),
    ("列席人数", 9),
    ("主要内容", 44),
    ("成效/议定事项", 30),
    ("照片", 6),
]


@dataclass
class LedgerRow:
    number: int
    held_on: date
    kind: str
    title: str
    line: str
    venue: str
    host: str
    attendance: str
    total: int  # party members: the participation the committee counts
    guests: int  # 列席人员, beyond the branches' members
    content: str
    outcome: str
    photos: int
    url: str

    def cells(self):
        return [
            self.number,
            self.held_on,
            self.kind,
            self.title,
            self.line,
            self.venue,
            self.host,
            self.attendance,
            self.total,
            self.guests,
            self.content,
            self.outcome,
            self.photos,
        ]


def _attendance_rows():
    return Prefetch(
        "attendance", queryset=Attendance.objects.select_related("branch").order_by("pk")
    )


def _attended(row):
    """“审计局12人（另列席3人：邀请社区群众）”: guests beside, never inside, the members."""
    text = f"{row.branch.unit}{row.head_count}人"
    if row.guests:
        text += f"（另列席{row.guests}人：{row.guests_reason}）"
    return text


def ledger_rows(alliance, year):
    """The year's records, oldest first: four queries however many records there are."""
    meetings = (
        JointMeeting.objects.filter(alliance=alliance, year=year)
        .select_related("host")
        .prefetch_related(_attendance_rows())
        .annotate(photo_count=Count("photos"))
    )
    activities = (
        Activity.objects.filter(alliance=alliance, year=year)
        .select_related("host")
        .prefetch_related(_attendance_rows())
        .annotate(photo_count=Count("photos"))
    )
    entries = []
    for meeting in meetings:
        entries.append(
            (
                meeting,
                "联席会议" if meeting.is_regular else "临时会议",
                f"第{meeting.quarter}季度联席会议：{meeting.topics}",
                "",
                html_to_text(meeting.minutes) or meeting.topics,
                meeting.decisions,
            )
        )
    for activity in activities:
        outcome = activity.get_status_display()
        if activity.is_central_study:
            outcome += "（季度集中学习）"
        entries.append(
            (
                activity,
                "联办活动",
                activity.title,
                activity.get_line_display(),
                html_to_text(activity.description),
                outcome,
            )
        )
    entries.sort(key=lambda entry: (entry[0].held_on, entry[1] != "联席会议", entry[0].pk))
    rows = []
    for number, (record, kind, title, line, content, outcome) in enumerate(entries, start=1):
        attendance = list(record.attendance.all())
        rows.append(
            LedgerRow(
                number=number,
                held_on=record.held_on,
                kind=kind,
                title=title,
                line=line,
                venue=record.venue,
                host=record.host.unit,
                attendance="、".join(_attended(row) for row in attendance),
                total=sum(row.head_count for row in attendance),
                guests=sum(row.guests for row in attendance),
                content=content,
                outcome=outcome,
                photos=record.photo_count,
                url=record.get_absolute_url(),
            )
        )
    return rows


def ledger_sheets(alliance, year, rows):
    quarters = compliance([alliance], year)[alliance.pk]
    return [
        Sheet(
            title=f"{year}年台账",
            heading=f"{alliance.name}{year}年度党建工作台账",
            columns=COLUMNS,
            rows=[row.cells() for row in rows],
        ),
        Sheet(
            title="季度落实情况",
            heading=f"{alliance.name}{year}年季度工作落实情况",
            columns=[
                ("季度", 10),
                ("联席会议（例会）", 18),
                ("集中学习", 16),
                ("联办活动（项）", 16),
                ("参加人次", 12),
            ],
            rows=[
                [
                    f"第{q.quarter}季度",
                    q.meeting_label,
                    q.study_label,
                    q.activities,
                    q.attendance_total,
                ]
                for q in quarters
            ],
        ),
    ]
