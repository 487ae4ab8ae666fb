"""Demo alliances for `manage.py load_demo`: DOMAIN.md's three buildings as "1+N" federations
and the first batch of three office alliances, two years of meetings and activities (with
a few quarters deliberately left empty), shared rooms, bookings and a pending application.

Idempotent: an alliance that exists is left alone. All texts are written for this demo.
Public versions (先审后发) come last, once the secretaries and committee staff exist.
"""

import io
import random
from datetime import date, datetime, time, timedelta

from django.core.files.base import ContentFile
from django.db.models import Sum
from django.utils import timezone
from PIL import Image, ImageDraw

from . import feedback, publishing, services
from .models import (
    Activity,
    Alliance,
    AllianceRule,
    AnnualPlan,
    Attendance,
    Booking,
    Branch,
    Building,
    Facility,
    JointMeeting,
    Line,
    Membership,
    PhaseReport,
    Photo,
    PublicVersion,
)

Kind = Alliance.Kind
Rotation = Alliance.Rotation

BUILDINGS = {
    "文体大厦": ("红柳旗文化路18号", ["activity", "reading", "multimedia", "fitness"]),
    "住建大厦": ("红柳旗建设街6号", ["activity", "training", "archive"]),
    "农牧业大厦": ("红柳旗草原大道52号", ["activity", "staff_home", "education", "reading"]),
    "机关行政中心办公区": ("红柳旗政府街1号", ["training", "multimedia"]),
    "行政服务中心办公区": ("红柳旗迎宾路9号", ["activity"]),
    "人防大楼办公区": ("红柳旗人民路33号", ["activity"]),
}

# (alliance name, slug, kind, building, rotation, lead unit, [member units]); units with
# a (unit, joined-late, left) tuple join or leave part-way, to show rotation skipping them.
ALLIANCES = [
    (
        "文体大厦楼宇联创共建党总支",
        "wenti",
        Kind.FEDERATION,
        "文体大厦",
        Rotation.QUARTER,
        "文体大厦楼宇联创共建党总支",
        ["旗文化旅游体育局", "旗文联", "旗图书馆", "旗融媒体中心", "旗档案馆"],
    ),
    (
        "住建大厦楼宇联创共建党总支",
        "zhujian",
        Kind.FEDERATION,
        "住建大厦",
        Rotation.QUARTER,
        "住建大厦楼宇联创共建党总支",
        ["旗住房和城乡建设局", "旗自然资源局", "旗城市管理综合执法局", "旗不动产登记中心"],
    ),
    (
        "农牧业大厦楼宇联创共建党总支",
        "nongmu",
        Kind.FEDERATION,
        "农牧业大厦",
        Rotation.QUARTER,
        "农牧业大厦楼宇联创共建党总支",
        [
            "旗农牧局",
            "旗林业和草原局",
            "旗水利局",
            "旗农牧业技术推广中心",
            ("旗动物疫病预防控制中心", False, True),
        ],
    ),
    (
        "机关党建第一联盟",
        "lianmeng-1",
        Kind.OFFICE,
        "机关行政中心办公区",
        Rotation.QUARTER,
        "旗委直属机关工委",
        ["旗审计局", "旗总工会", "旗妇联", "团旗委"],
    ),
    (
        "机关党建第二联盟",
        "lianmeng-2",
        Kind.OFFICE,
        "行政服务中心办公区",
        Rotation.ACTIVITY,
        "旗政务服务中心",
        ["旗委党史研究室", "旗投资促进服务中心", "旗城市建设中心", ("旗科协", True, False)],
    ),
    (
        "机关党建第三联盟",
        "lianmeng-3",
        Kind.OFFICE,
        "人防大楼办公区",
        Rotation.MONTH,
        "旗委编办",
        ["旗水建中心", "旗金融服务中心", "旗供销联社"],
    ),
]
# (alliance slug, year offset, quarter): gaps the compliance grid should show as 未开展.
MISSING_MEETINGS = {("lianmeng-3", -1, 2), ("nongmu", 0, 1)}
MISSING_STUDIES = {("zhujian", -1, 3), ("lianmeng-2", 0, 2)}
PENDING_APPLICATION = ("lianmeng-1", "旗统计局")
# The secretary each alliance names on its public page (invented for the demo).
LEAD_SECRETARIES = {
    "wenti": "王建华",
    "zhujian": "刘海燕",
    "nongmu": "巴特尔",
    "lianmeng-1": "张立新",
    "lianmeng-2": "陈晓梅",
    "lianmeng-3": "赵国庆",
}

ACTIVITY_TITLES = {
    Line.STUDY: ["专题读书班", "“学习身边榜样”分享会", "理论宣讲进楼宇", "党章党规知识测试"],
    Line.RESOURCES: ["功能室开放日", "阅览室图书漂流活动", "阵地共建共享推进会"],
    Line.PRACTICE: ["党员志愿服务进社区", "结对走访嘎查牧户", "楼宇职工趣味运动会", "党史知识竞赛"],
    Line.TEAM: ["“党员先锋岗”评选", "入党积极分子联合培训", "支部书记工作交流会"],
    Line.CORE: ["优化营商环境联合调研", "联合开展防汛应急演练", "重点项目现场服务日"],
    Line.DISCIPLINE: ["廉政警示教育观影", "作风建设专题党课", "节前廉政提醒谈话"],
}
RULES = [
    (AllianceRule.Kind.MEETING, "联席会议制度", "每季度召开一次联席会议，由轮值单位召集，研究部署本季度联建工作，通报上季度活动情况，协调解决共性问题。会议形成纪要，报机关工委备案。"),
    (AllianceRule.Kind.STUDY, "学习教育制度", "坚持统分结合：各支部照常开展“三会一课”，联盟每季度至少组织一次全体党员集中学习，学习内容和参学人数记入台账。"),
    (AllianceRule.Kind.VENUE, "阵地共建共享制度", "楼内党员活动室、阅览室等功能室由党总支统一管理，成员单位提前预约、错时使用，使用后做好登记和整理。"),
    (AllianceRule.Kind.ACTIVITY, "载体活动联办制度", "围绕“六联”内容，成员单位轮流牵头策划联办活动，每次活动明确主题、时间、地点和参加人员，活动结束后及时整理图文资料。"),
    (AllianceRule.Kind.FUNDING, "党建经费保障制度", "联办活动经费由各成员单位按参加人数分担，从各自党建工作经费中列支，做到专款专用、账目清楚。"),
    (AllianceRule.Kind.ARCHIVE, "档案分类管理制度", "会议纪要、活动台账、照片资料按年度和类别归档，由联络员负责整理，每半年检查一次归档情况。"),
]  # fmt: skip


def _photo(seed):
    """A drawn stand-in for an activity photo: a meeting table with people around it."""
    rng = random.Random(seed)  # noqa: S311 - decoration, not security
    image = Image.new("RGB", (960, 640), (236, 228, 214))
    draw = ImageDraw.Draw(image)
    draw.rectangle([(0, 0), (960, 220)], fill=(200, 40, 40))
    draw.rectangle([(80, 60), (880, 170)], fill=(250, 236, 200))
    draw.ellipse([(260, 330), (700, 520)], fill=(140, 90, 50))
    for index in range(rng.randint(6, 10)):
        x = 230 + index * 60 + rng.randint(-8, 8)
        y = 300 if index % 2 else 520
        draw.ellipse([(x, y - 40), (x + 44, y + 4)], fill=(60, 45, 40))
        draw.rectangle(
            [(x - 6, y + 4), (x + 50, y + 70)], fill=rng.choice([(40, 60, 120), (90, 90, 90)])
        )
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return out.getvalue()


def _branch(unit, building):
    general = unit.endswith("党总支")
    branch, _ = Branch.objects.get_or_create(
        name=unit if general else f"{unit}党支部",
        defaults={
            "unit": unit,
            "kind": Branch.Kind.GENERAL if general else Branch.Kind.BRANCH,
            "building": building,
            "member_count": 9 + len(unit) * 3 % 17,
            "secretary_name": "",
            "contact": f"0400-66{len(unit):02d}{len(unit) * 7 % 100:02d}",
        },
    )
    return branch


def _facilities(building, kinds):
    labels = dict(Facility.Kind.choices)
    for floor, kind in enumerate(kinds, start=2):
        Facility.objects.get_or_create(
            building=building,
            name=labels[kind],
            defaults={"kind": kind, "capacity": 20 + floor * 10, "location": f"{floor}楼"},
        )


def _quarters(first_year, today):
    for year in (first_year, first_year + 1):
        for quarter in range(1, 5):
            start = date(year, 3 * quarter - 2, 1)
            if start <= today:
                yield year, quarter, start


def _attendance(record, members, rng, field):
    for membership in members:
        if membership.served_on(record.held_on):
            heads = max(2, membership.branch.member_count - rng.randint(0, 4))
            Attendance.objects.create(**{field: record}, branch=membership.branch, head_count=heads)


def _records(alliance, members, first_year, today, rng):
    for year, quarter, start in _quarters(first_year, today):
        key = (alliance.slug, year - today.year, quarter)
        days = [start + timedelta(days=offset) for offset in (12, 30, 48, 66)]
        days = [day for day in days if day <= today - timedelta(days=1)]
        if not days:
            continue
        if key not in MISSING_MEETINGS:
            meeting = JointMeeting(
                alliance=alliance,
                held_on=days[0],
                is_regular=True,
                venue=f"{alliance.building.name}党员活动室",
                host_id=services.default_host(alliance, days[0]),
                topics=f"通报第{quarter - 1 or 4}季度联建工作情况；研究第{quarter}季度活动安排；协调功能室使用。",
                decisions=f"确定第{quarter}季度集中学习主题和时间；各成员单位于月底前报送活动图文资料。",
                minutes=(
                    f"<p>会议由轮值单位主持，各成员单位支部书记参加。会议听取了上季度活动开展情况汇报，"
                    f"逐项研究了第{quarter}季度联办活动安排。</p>"
                ),
            )
            meeting.save()
            _attendance(meeting, members, rng, "meeting")
        for index, day in enumerate(days[1:]):
            study = index == 0 and key not in MISSING_STUDIES
            line = Line.STUDY if study else rng.choice(list(Line))
            title = (
                f"{year}年第{quarter}季度全体党员集中学习"
                if study
                else rng.choice(ACTIVITY_TITLES[line])
            )
            host = services.default_host(alliance, day)
            activity = Activity(
                alliance=alliance,
                held_on=day,
                venue=f"{alliance.building.name}{rng.choice(['党员活动室', '多媒体室', '会议室'])}",
                host_id=host,
                line=line,
                title=title,
                is_central_study=study,
                status=Activity.Status.HELD,
                description=(
                    f"<p>本次活动由轮值单位牵头组织，联盟各成员单位党员参加。活动围绕“{Line(line).label}”"
                    f"开展，参加党员结合本单位工作交流了体会。</p>"
                ),
            )
            activity.save()
            _attendance(activity, members, rng, "activity")
    planned_on = today + timedelta(days=10)
    Activity.objects.create(
        alliance=alliance,
        held_on=planned_on,
        venue=f"{alliance.building.name}党员活动室",
        host_id=services.default_host(alliance, planned_on),
        line=Line.PRACTICE,
        title="冬季党员志愿服务活动",
        status=Activity.Status.PLANNED,
        description="<p>计划组织党员到结对社区开展冬季送温暖志愿服务。</p>",
    )


def _photos(alliance, seed):
    for offset, activity in enumerate(alliance.activities.filter(status="held")[:2]):
        for number in range(2):
            photo = Photo(
                activity=activity,
                caption="示意图：党员围坐在会议桌旁参加活动（演示用图）",
                position=number,
            )
            photo.image.save(
                f"{seed}.jpg", ContentFile(_photo(seed * 10 + offset * 2 + number)), save=False
            )
            photo.save()


def _plans(alliance, first_year, today):
    for year in (first_year, first_year + 1):
        AnnualPlan.objects.get_or_create(
            alliance=alliance,
            year=year,
            defaults={
                "themes": "深化“六联”机制，打造楼宇党建服务品牌。",
                "rotation_method": alliance.get_rotation_display()
                + "，牵头单位首轮值，其余成员依次轮换。",
                "liaison": "各成员单位组织委员",
                "planned_activities": "每季度联席会议1次、集中学习1次，联办活动不少于2项。",
            },
        )
        phases = [PhaseReport.Phase.PLAN]
        if year < today.year or today.month >= 5:
            phases.append(PhaseReport.Phase.CARRY_OUT)
        if year < today.year:
            phases.append(PhaseReport.Phase.SUM_UP)
        for phase in phases:
            held = alliance.activities.filter(year=year, status="held")
            report, created = PhaseReport.objects.get_or_create(
                alliance=alliance,
                year=year,
                phase=phase,
                defaults={
                    "text": f"{alliance.name}{year}年{PhaseReport.Phase(phase).label}阶段工作情况报告。",
                    "activities_held": held.count(),
                    "participants": Attendance.objects.filter(activity__in=held).aggregate(
                        n=Sum("head_count")
                    )["n"]
                    or 0,
                },
            )
            if created:  # sent a few days before its deadline, as a diligent secretary would
                due = feedback.DEADLINES[phase].due_on(year) - timedelta(days=5)
                sent = timezone.make_aware(datetime.combine(due, time(10, 0)))
                PhaseReport.objects.filter(pk=report.pk).update(
                    submitted_at=min(sent, timezone.now())
                )


def _bookings(alliance, branches, today):
    for offset, facility in enumerate(alliance.building.facilities.all()[:2]):
        start = timezone.make_aware(
            datetime.combine(today + timedelta(days=offset + 2), time(14, 30))
        )
        if not Booking.objects.filter(facility=facility, starts_at=start).exists():
            Booking.objects.create(
                facility=facility,
                branch=branches[offset % len(branches)],
                alliance=alliance,
                starts_at=start,
                ends_at=start + timedelta(hours=2),
                purpose="支部主题党日",
            )


def description(alliance, building_name, lead_unit):
    """The alliance's introduction, with its members counted as they are now (one may have
    left): a federation is its general branch and the resident branches, an office
    alliance its lead unit and the others."""
    members = alliance.memberships.filter(status=Membership.Status.ACTIVE).count()
    if alliance.kind == Kind.FEDERATION:
        return (
            f"由{building_name}的楼宇党总支和{members - 1}个驻楼单位党支部组成，"
            "党总支统筹协调、驻楼单位党支部共同参与，成员单位轮流主办活动。"
        )
    return f"由{building_name}的{members}个单位党组织组成，{lead_unit}牵头，成员单位轮流主办活动。"


def load_alliances(stdout):
    today = timezone.localdate()
    first_year = today.year - 1
    founded = date(first_year, 1, 1)
    buildings = {}
    for name, (address, kinds) in BUILDINGS.items():
        buildings[name], _ = Building.objects.get_or_create(
            name=name, defaults={"address": address}
        )
        _facilities(buildings[name], kinds)
    created = 0
    for seed, (name, slug, kind, building_name, mode, lead_unit, units) in enumerate(ALLIANCES):
        building = buildings[building_name]
        if Alliance.objects.filter(slug=slug).exists():
            continue
        alliance = Alliance.objects.create(
            name=name,
            slug=slug,
            kind=kind,
            building=building,
            rotation=mode,
            founded_on=founded,
            elected_on=founded if kind == Kind.FEDERATION else None,
            lead_secretary_name=LEAD_SECRETARIES.get(slug, ""),
            position=(seed + 1) * 10,  # as listed above: 第一, 第二, 第三联盟 in that order
        )
        lead = _branch(lead_unit, building)
        members = [
            Membership.objects.create(
                alliance=alliance, branch=lead, status="active", is_lead=True, joined_on=founded
            )
        ]
        for order, unit in enumerate(units, start=1):
            unit, late, leaves = unit if isinstance(unit, tuple) else (unit, False, False)
            joined = date(first_year, 7, 1) if late else founded
            left = date(today.year, 4, 1) if leaves and today >= date(today.year, 4, 2) else None
            members.append(
                Membership.objects.create(
                    alliance=alliance,
                    branch=_branch(unit, building),
                    status="left" if left else "active",
                    rotation_order=order,
                    joined_on=joined,
                    left_on=left,
                )
            )
        alliance.description = description(alliance, building_name, lead_unit)
        alliance.save(update_fields=["description"])
        for position, (rule_kind, title, text) in enumerate(RULES):
            AllianceRule.objects.create(
                alliance=alliance,
                kind=rule_kind,
                title=title,
                body=f"<p>{text}</p>",
                position=position,
            )
        rng = random.Random(seed)  # noqa: S311 - demo data, not security
        _records(alliance, members, first_year, today, rng)
        _photos(alliance, seed + 1)
        _plans(alliance, first_year, today)
        _bookings(alliance, [m.branch for m in members], today)
        services.rotation_freeze(alliance=alliance, today=today)
        created += 1
        others = alliance.memberships.filter(status=Membership.Status.ACTIVE).count() - 1
        stdout.write(f"  {name}：1+{others}，{alliance.activities.count()} 项活动")
    alliance_slug, unit = PENDING_APPLICATION
    alliance = Alliance.objects.get(slug=alliance_slug)
    branch = _branch(unit, alliance.building)
    if not alliance.memberships.filter(branch=branch).exists():
        Membership.objects.create(
            alliance=alliance,
            branch=branch,
            status="applied",
            reason="我局与第一联盟成员单位同在机关行政中心办公，希望加入联盟，共同开展学习和志愿服务。",
        )
    return created


# 先审后发: what the demo's committee sent back, and how many of each alliance's newest
# records are still waiting for review (the records of the last week are not yet proposed).
SENT_BACK = (
    "lianmeng-2",
    "照片上能看清参会人员的工作证和手机号码，请换一张照片或不公开照片；公开内容请补充活动取得的成效。",
)
WAITING_PER_ALLIANCE = {"lianmeng-1": 2, "wenti": 1, "nongmu": 1}
LINE_TEXTS = {
    Line.STUDY: "联盟各成员单位党员围绕学习主题集中学习、交流体会，进一步坚定了理想信念。",
    Line.RESOURCES: "成员单位打开门共享活动室、阅览室等阵地，让楼内党员就近参加学习和活动。",
    Line.PRACTICE: "党员们走出机关、走进群众，用实际行动践行为民服务的承诺。",
    Line.TEAM: "活动为成员单位党员相互学习、取长补短搭建了平台，党员队伍建设得到加强。",
    Line.CORE: "成员单位发挥各自优势，围绕全旗中心工作协同发力，解决了一批实际问题。",
    Line.DISCIPLINE: "通过活动，党员干部进一步增强了纪律意识，筑牢了拒腐防变的思想防线。",
}


def _public_text(record):
    """A few sentences for readers: what, when, who hosted; never minutes or head counts."""
    day = f"{record.held_on.month}月{record.held_on.day}日"
    if isinstance(record, JointMeeting):
        return (
            f"{day}，{record.alliance.name}召开第{record.quarter}季度联席会议，"
            f"由轮值单位{record.host.unit}召集。会议总结了上季度联建工作，"
            "研究部署了本季度集中学习和联办活动。"
        )
    return (
        f"{day}，{record.alliance.name}在{record.venue}开展“{record.title}”活动，"
        f"由{record.host.unit}牵头组织。{LINE_TEXTS[record.line]}"
    )


def _public_title(record):
    if isinstance(record, JointMeeting):
        return f"{record.alliance.name}召开{record.year}年第{record.quarter}季度联席会议"
    return f"{record.alliance.name}开展“{record.title}”"


def _dated(version, day, *, reviewed):
    """Proposals and decisions dated a few days after the record, as they would have been."""
    proposed = timezone.make_aware(datetime.combine(day + timedelta(days=2), time(16)))
    fields = {"proposed_at": proposed}
    if reviewed:
        fields["reviewed_at"] = proposed + timedelta(days=1, hours=-6)
    PublicVersion.objects.filter(pk=version.pk).update(**fields)


def load_public_versions(stdout, committee):
    """Most past records published, a few of the newest waiting, one sent back (先审后发).

    Proposed by each alliance's secretary and decided by ``committee`` through the same
    service as in the workspace. Left alone when the demo alliances have any version already.
    """
    slugs = [entry[1] for entry in ALLIANCES]
    alliances = Alliance.objects.filter(slug__in=slugs).prefetch_related("secretaries")
    if PublicVersion.objects.filter(alliance__in=alliances).exists():
        return 0
    recent = timezone.localdate() - timedelta(days=7)
    counts = {"published": 0, "pending": 0, "returned": 0}
    for alliance in alliances:
        secretary = alliance.secretaries.first()
        records = sorted(
            [
                *alliance.meetings.filter(held_on__lt=recent).select_related("host", "alliance"),
                *alliance.activities.filter(status="held", held_on__lt=recent)
                .select_related("host", "alliance")
                .prefetch_related("photos"),
            ],
            key=lambda record: record.held_on,
        )
        waiting = WAITING_PER_ALLIANCE.get(alliance.slug, 0)
        for index, record in enumerate(records):
            photos = (
                [(photo, photo.caption) for photo in record.photos.all()]
                if isinstance(record, Activity)
                else []
            )
            version = publishing.propose(
                record=record,
                title=_public_title(record),
                held_on=record.held_on,
                text=_public_text(record),
                photos=photos[:2],
                by=secretary,
            )
            newest = index >= len(records) - waiting
            if newest:
                _dated(version, record.held_on, reviewed=False)
                counts["pending"] += 1
            elif alliance.slug == SENT_BACK[0] and index == len(records) - 1:
                publishing.send_back(version=version, by=committee, note=SENT_BACK[1])
                _dated(version, record.held_on, reviewed=True)
                counts["returned"] += 1
            else:
                publishing.approve(version=version, by=committee)
                _dated(version, record.held_on, reviewed=True)
                counts["published"] += 1
    stdout.write(
        f"  公开版本：已公开 {counts['published']} 条，待审核 {counts['pending']} 条，"
        f"已退回 {counts['returned']} 条"
    )
    load_feedback(stdout, committee)
    return counts["published"]


# Feedback on plans and reports, the reference list and the showcase (issue 16) ------------

REFERENCE_LIST = {
    Line.STUDY: [
        ("专题读书班", "围绕一个专题集中研读，成员单位轮流领学、交流体会。"),
        ("理论微宣讲", "各单位推荐青年党员，用十分钟讲清一个理论要点。"),
    ],
    Line.RESOURCES: [
        ("功能室共享开放日", "公布各单位可共用的会议室、活动室和开放时间。"),
        ("党建书屋图书互借", "成员单位的党建书籍统一编目，互借互换。"),
    ],
    Line.PRACTICE: [
        ("志愿服务进社区", "与所在社区对接需求清单，按月开展志愿服务。"),
        ("红色教育基地联学", "联合组织党员赴本地红色教育基地现场教学。"),
    ],
    Line.TEAM: [
        ("党员先锋岗联评", "各单位推荐先锋岗，联盟统一评议、集中展示。"),
        ("青年党员结对帮带", "老党员与青年党员跨单位结对，半年一交流。"),
    ],
    Line.CORE: [
        ("政务服务联动攻坚", "围绕一项群众关心的办事难题，成员单位联合攻坚。"),
    ],
    Line.DISCIPLINE: [
        ("廉政警示教育联学", "共同观看警示教育片，结合岗位查找风险点。"),
        ("作风建设互查互评", "成员单位之间交叉检查作风建设，互提意见。"),
    ],
}
RETURNED_COMMENT = "请补充各成员单位的轮值安排和联络员联系方式，再重新报送。"


def load_feedback(stdout, committee):
    """The committee's reference list, its reading of the plans and reports (last year's
    已阅, one of this year's sent back with a comment, the rest waiting) and two showcased
    activities, through the services of alliances.feedback. Left alone once any exists."""
    from .models import DocumentReview, ReferenceActivity

    if DocumentReview.objects.exists() or ReferenceActivity.objects.exists():
        return
    for line, items in REFERENCE_LIST.items():
        for position, (title, description) in enumerate(items):
            item = ReferenceActivity(
                line=line, title=title, description=description, position=position
            )
            feedback.reference_save(item=item, by=committee)
    this_year = timezone.localdate().year
    for model in (AnnualPlan, PhaseReport):
        for document in model.objects.filter(alliance__slug__in=[a[1] for a in ALLIANCES]):
            secretary = document.alliance.secretaries.first()
            feedback.document_submitted(document=document, by=secretary)
            if document.year < this_year:
                feedback.document_read(document=document, by=committee)
    sent_back = PhaseReport.objects.filter(
        alliance__slug=SENT_BACK[0], year=this_year, phase=PhaseReport.Phase.PLAN
    ).first()
    if sent_back:
        feedback.document_return(document=sent_back, by=committee, comment=RETURNED_COMMENT)
    shown = 0
    for alliance in Alliance.objects.filter(slug__in=[a[1] for a in ALLIANCES[:2]]):
        newest = (
            PublicVersion.objects.filter(
                alliance=alliance, status=PublicVersion.Status.PUBLISHED, activity__isnull=False
            )
            .select_related("activity")
            .first()
        )
        if newest:
            feedback.showcase_add(
                activity=newest.activity, by=committee, reason="形式新颖，成员单位参与面广。"
            )
            shown += 1
    stdout.write(f"  活动参考清单、计划和报告的审阅记录、经验推广 {shown} 项")
