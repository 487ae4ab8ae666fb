"""评先评优: the committee's yearly evaluation of the alliances, computed from the ledger.

Each criterion measures one thing the seed plan asks of an alliance and earns its weight in
proportion to how far the alliance reached the criterion's target, never more than the
weight: score = weight × min(measured ÷ target, 1), rounded to 0.01. An alliance's computed
score is the sum of its criteria; the committee may adjust it, only with a written reason
(``score_adjust``), and the ranking shows both.

All alliances of a year are evaluated with a fixed number of queries: the quarterly
compliance of alliances/selectors.py (meetings, studies, activities per line, head counts)
and one query each for members, head counts per branch, reports, photos and adjustments.
"""

from collections import defaultdict
from copy import copy
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from articles.models import Article, Category
from articles.services import article_save
from portal import audit

from .access import is_committee
from .feedback import DEADLINES
from .models import (
    Alliance,
    Attendance,
    Criterion,
    Line,
    Membership,
    PhaseReport,
    ScoreAdjustment,
)
from .selectors import compliance, held_activities

Key = Criterion.Key
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Measure:
    """What a criterion measures: its default weight and target, its unit, how it is read."""

    weight: int
    target: Decimal
    unit: str
    explanation: str


# The seed plan's defaults (DOMAIN.md): a regular meeting and a centralised study every
# quarter, activities on all six lines, every member at a joint activity once a quarter,
# the three phase reports on time, and each activity's evidence on file.
MEASURES = {
    Key.MEETINGS: Measure(20, Decimal(100), "%", "召开季度例会的季度数 ÷ 应召开的季度数"),
    Key.STUDIES: Measure(20, Decimal(100), "%", "开展集中学习的季度数 ÷ 应开展的季度数"),
    Key.LINES: Measure(20, Decimal(6), "条", "开展过活动的六联类别数（共6条）"),
    Key.PARTICIPATION: Measure(
        20, Decimal(4), "次/人", "联办活动参加人次 ÷ 成员单位党员人数（人均参加次数）"
    ),
    Key.REPORTS: Measure(
        10, Decimal(3), "份", "按期报送的阶段报告数（4月计划、11月实施、12月总结）"
    ),
    Key.PHOTOS: Measure(10, Decimal(100), "%", "有照片的活动数 ÷ 已开展的活动数"),
}

SORTS = {"total": "总分", "name": "联盟名称", **dict(Key.choices)}


def _require_committee(user):
    if not is_committee(user):
        raise PermissionDenied("只有机关工委工作人员可以开展评先评优。")


# Criteria ----------------------------------------------------------------------------------


def criteria_for(year):
    """The year's criteria in the order of ``Criterion.Key``; the defaults on first use."""
    found = {criterion.key: criterion for criterion in Criterion.objects.filter(year=year)}
    missing = [key for key in Key if key not in found]
    if missing:
        Criterion.objects.bulk_create(
            [
                Criterion(
                    year=year,
                    key=key,
                    label=key.label,
                    weight=MEASURES[key].weight,
                    target=MEASURES[key].target,
                )
                for key in missing
            ],
            ignore_conflicts=True,  # a second committee member opening the year at once
        )
        found = {criterion.key: criterion for criterion in Criterion.objects.filter(year=year)}
    return [found[key] for key in Key]


@transaction.atomic
def criteria_save(*, criteria, changes, by):
    """``changes``: {key: {"label", "weight", "target"}} for the year's ``criteria``."""
    _require_committee(by)
    changed = {}
    for criterion in criteria:
        before = copy(criterion)
        for name, value in changes[criterion.key].items():
            setattr(criterion, name, value)
        diff = audit.changed_fields(before, criterion, ["label", "weight", "target"])
        if diff:
            criterion.full_clean()
            criterion.save()
            changed[criterion.key] = diff
    if changed:
        year = criteria[0].year
        audit.record(
            by=by,
            action="evaluation.criteria",
            obj=criteria[0],
            summary=f"修改{year}年评先评优评价指标",
            year=year,
            changed=changed,
        )
    return changed


# Scores ------------------------------------------------------------------------------------


@dataclass
class Mark:
    """One criterion of one alliance: what was measured, in words, and the points earned."""

    criterion: Criterion
    value: Decimal
    shown: str
    score: Decimal

    @property
    def target(self):
        """The full-marks target with its unit, e.g. "100%", "6条"."""
        return target_shown(self.criterion)


@dataclass
class BranchShare:
    """A member branch's participation: its people at the year's joint activities."""

    alliance: Alliance
    unit: str
    members: int
    attendance: int

    @property
    def rate(self):
        """Participations per party member, or None for a branch with no members recorded."""
        if not self.members:
            return None
        return (Decimal(self.attendance) / self.members).quantize(CENT, ROUND_HALF_UP)


@dataclass
class Result:
    alliance: Alliance
    lead: str
    marks: list
    branches: list
    adjustment: ScoreAdjustment | None
    rank: int = 0
    scores: dict = field(default_factory=dict)

    def __post_init__(self):
        self.scores = {mark.criterion.key: mark.score for mark in self.marks}

    @property
    def computed(self):
        return sum((mark.score for mark in self.marks), Decimal(0))

    @property
    def total(self):
        return self.computed + (self.adjustment.points if self.adjustment else 0)


def score(weight, value, target):
    """weight × min(value ÷ target, 1), to the cent."""
    share = min(value / target, Decimal(1)) if target > 0 else Decimal(0)
    return (weight * share).quantize(CENT, ROUND_HALF_UP)


def _ratio(part, whole):
    return Decimal(part) * 100 / whole if whole else Decimal(0)


def _percent(value):
    return f"{value.quantize(CENT, ROUND_HALF_UP).normalize():f}%"


def number(value):
    return f"{value.quantize(CENT, ROUND_HALF_UP).normalize():f}"


def target_shown(criterion):
    return f"{number(criterion.target)}{MEASURES[criterion.key].unit}"


def _measured(key, facts):
    """(value, words) of criterion ``key`` for one alliance's ``facts``."""
    if key in (Key.MEETINGS, Key.STUDIES):
        held, due = facts[key]
        if not due:
            return Decimal(0), "尚无应开展的季度"
        value = _ratio(held, due)
        return value, f"{held}/{due}个季度（{_percent(value)}）"
    if key == Key.LINES:
        lines = facts["lines"]
        names = "、".join(label for value, label in Line.choices if value in lines)
        return Decimal(len(lines)), f"{len(lines)}条" + (f"（{names}）" if names else "")
    if key == Key.PARTICIPATION:
        people, members = facts["attendance"], facts["members"]
        if not members:
            return Decimal(0), f"{people}人次，成员单位未登记党员人数"
        value = Decimal(people) / members
        return value, f"人均{number(value)}次（{people}人次 ÷ {members}名党员）"
    if key == Key.REPORTS:
        on_time, sent = facts["reports"]
        return Decimal(on_time), f"按期{on_time}份（已报送{sent}份）"
    with_photos, held = facts["photos"], facts["activities"]
    if not held:
        return Decimal(0), "没有已开展的活动"
    value = _ratio(with_photos, held)
    return value, f"{with_photos}/{held}项（{_percent(value)}）"


def _report_counts(ids, year):
    """{alliance id: (on time, sent)} of the year's phase reports."""
    counts = defaultdict(lambda: [0, 0])
    reports = PhaseReport.objects.filter(alliance_id__in=ids, year=year)
    for alliance_id, phase, submitted_at in reports.values_list(
        "alliance_id", "phase", "submitted_at"
    ):
        counts[alliance_id][1] += 1
        counts[alliance_id][0] += timezone.localdate(submitted_at) <= DEADLINES[phase].due_on(year)
    return {alliance_id: tuple(pair) for alliance_id, pair in counts.items()}


def _members(ids, year):
    """{alliance id: [(membership with branch)]}: the branches that were members in ``year``."""
    start, end = date(year, 1, 1), date(year, 12, 31)
    memberships = (
        Membership.objects.filter(
            alliance_id__in=ids,
            status__in=[Membership.Status.ACTIVE, Membership.Status.LEFT],
            joined_on__lte=end,
        )
        .exclude(left_on__lte=start)
        .select_related("branch")
        .order_by("-is_lead", "rotation_order", "pk")
    )
    found = defaultdict(dict)
    for membership in memberships:
        found[membership.alliance_id].setdefault(membership.branch_id, membership)
    return {alliance_id: list(rows.values()) for alliance_id, rows in found.items()}


def evaluate(year, criteria, today=None):
    """Every active alliance founded by the end of ``year``, scored and ranked by total."""
    today = today or timezone.localdate()
    alliances = list(
        Alliance.objects.filter(status=Alliance.Status.ACTIVE, founded_on__lte=date(year, 12, 31))
    )
    ids = [alliance.pk for alliance in alliances]
    quarters = compliance(alliances, year, today)
    held = held_activities(ids, year, today)
    heads = defaultdict(int)
    for alliance_id, branch_id, people in (
        Attendance.objects.filter(activity__in=held)
        .values_list("activity__alliance_id", "branch_id")
        .annotate(people=Sum("head_count"))
        .order_by()
    ):
        heads[alliance_id, branch_id] = people or 0
    photos = dict(
        held.filter(photos__isnull=False)
        .values_list("alliance_id")
        .annotate(n=Count("pk", distinct=True))
        .order_by()
    )
    reports = _report_counts(ids, year)
    members = _members(ids, year)
    adjustments = {
        adjustment.alliance_id: adjustment
        for adjustment in ScoreAdjustment.objects.filter(
            alliance_id__in=ids, year=year
        ).select_related("adjusted_by")
    }
    results = []
    for alliance in alliances:
        rows = members.get(alliance.pk, [])
        states = quarters[alliance.pk]
        facts = {
            Key.MEETINGS: _held_and_due([q.meeting for q in states]),
            Key.STUDIES: _held_and_due([q.study for q in states]),
            "lines": {line for q in states for line, n in q.by_line.items() if n},
            "attendance": sum(q.attendance_total for q in states),
            "members": sum(row.branch.member_count for row in rows),
            "reports": reports.get(alliance.pk, (0, 0)),
            "photos": photos.get(alliance.pk, 0),
            "activities": sum(q.activities for q in states),
        }
        marks = []
        for criterion in criteria:
            value, shown = _measured(criterion.key, facts)
            marks.append(
                Mark(criterion, value, shown, score(criterion.weight, value, criterion.target))
            )
        results.append(
            Result(
                alliance=alliance,
                lead=next((row.branch.unit for row in rows if row.is_lead), ""),
                marks=marks,
                branches=[
                    BranchShare(
                        alliance,
                        row.branch.unit,
                        row.branch.member_count,
                        heads[alliance.pk, row.branch_id],
                    )
                    for row in rows
                ],
                adjustment=adjustments.get(alliance.pk),
            )
        )
    return rank(results)


def _held_and_due(states):
    return sum(s == "held" for s in states), sum(s in ("held", "missing") for s in states)


def rank(results):
    """Ranks by total, highest first; equal totals share a rank (1, 1, 3)."""
    results = sorted(results, key=lambda r: -r.total)
    for position, result in enumerate(results, start=1):
        tied = position > 1 and result.total == results[position - 2].total
        result.rank = results[position - 2].rank if tied else position
    return results


def ordered(results, sort):
    """``results`` (ranked) in the order of ``sort``: a key of ``SORTS``."""
    if sort == "name":
        return results  # the alliances' own order; ranked lists are stable on it
    if sort == "total":
        return sorted(results, key=lambda r: r.rank)
    return sorted(results, key=lambda r: (-r.scores[sort], r.rank))


def top_units(results, count):
    """The member branches with the most participations per member, across all alliances."""
    shares = [
        share for result in results for share in result.branches if share.rate and share.attendance
    ]
    return sorted(shares, key=lambda s: (-s.rate, -s.attendance))[:count]


# Adjustments -------------------------------------------------------------------------------


@transaction.atomic
def score_adjust(*, result, year, points, reason, by):
    """Set the committee's adjustment of ``result``'s alliance for ``year``, with a reason."""
    _require_committee(by)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": "调整得分须写明理由。"})
    alliance = result.alliance
    previous = result.adjustment
    adjustment, _ = ScoreAdjustment.objects.update_or_create(
        alliance=alliance,
        year=year,
        defaults={"points": points, "reason": reason, "adjusted_by": by},
    )
    audit.record(
        by=by,
        action="evaluation.adjust",
        obj=adjustment,
        summary=f"{year}年评先评优：{alliance}得分调整{points:+}分（计算得分{result.computed}）",
        year=year,
        computed=result.computed,
        points=points,
        reason=reason,
        previous=[previous.points, previous.reason] if previous else None,
    )
    return adjustment


# The 公示 draft ---------------------------------------------------------------------------


def notice_sections():
    """Where the result may be announced: the sections of notices (通知公告类)."""
    return (
        Category.objects.filter(column_type=Category.ColumnType.NOTICE)
        .select_related("parent")
        .order_by("parent__position", "parent_id", "position", "pk")
    )


def _table(headers, rows):
    head = format_html_join("", '<th scope="col">{}</th>', ((h,) for h in headers))
    body = format_html_join(
        "",
        "<tr>{}</tr>",
        ((format_html_join("", "<td>{}</td>", ((cell,) for cell in row)),) for row in rows),
    )
    return format_html("<table><thead><tr>{}</tr></thead><tbody>{}</tbody></table>", head, body)


def notice_body(year, results, units):
    alliances = _table(
        ["名次", "联盟", "牵头单位", "得分"],
        [(r.rank, r.alliance.name, r.lead or "—", number(r.total)) for r in results],
    )
    branches = _table(
        ["序号", "单位", "所在联盟", "人均参加活动次数"],
        [(n, s.unit, s.alliance.name, number(s.rate)) for n, s in enumerate(units, start=1)],
    )
    return format_html(
        "<p>根据{}年度机关党建联盟评先评优评价指标，机关工委依据各联盟全年台账（季度例会、"
        "集中学习、六联活动、党员参与、阶段报告和活动照片）进行了综合评定，"
        "拟确定以下联盟和单位为{}年度先进，现予以公示。</p>"
        "<h3>一、先进党建联盟</h3>{}"
        "<h3>二、党员参与积极单位</h3>{}"
        "<p>公示期为5个工作日。如有异议，请在公示期内向机关工委反映。</p>",
        year,
        year,
        alliances,
        branches,
    )


@transaction.atomic
def notice_draft(*, year, results, category, alliances, units, by):
    """Draft the result as a 公示 in ``category``, 待审核: it is published only through the
    normal article review. ``alliances``: the last rank named; ``units``: how many units."""
    _require_committee(by)
    if category.column_type != Category.ColumnType.NOTICE:
        raise ValidationError(f"“{category}”不是通知公告类栏目，请另选一个。")
    # By rank, not by position: alliances tied at the last place named are all named.
    winners = sorted((r for r in results if r.rank <= alliances), key=lambda r: r.rank)
    article = Article(
        title=f"关于{year}年度机关党建联盟评先评优结果的公示",
        category=category,
        kind=Article.Kind.NOTICE,
        status=Article.Status.REVIEW,
        source="机关工委",
        author=(by.get_full_name() or by.username)[:60],
        body=notice_body(year, winners, top_units(results, units)),
    )
    article = article_save(article=article, by=by, reason="评先评优结果公示稿，提交审核")
    audit.record(
        by=by,
        action="evaluation.notice",
        obj=article,
        summary=f"生成{year}年评先评优公示稿《{article.title}》",
        year=year,
    )
    return article
