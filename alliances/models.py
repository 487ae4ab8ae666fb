"""Building federations ("1+N" 楼宇联创共建) and office alliances (机关党建联盟).

An alliance is non-establishment: member branches keep their own organisation and only
join in; the model therefore links existing branches through memberships rather than
owning them. The rules that must never break are database constraints: one lead per
alliance, one open membership per branch, one regular joint meeting per quarter, no
overlapping bookings of a room (an exclusion constraint on PostgreSQL).
"""

from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils import timezone

from portal.links import reverse_one
from portal.richtext import RichTextField
from portal.uploads import RandomName, SafeImageField

RESERVED_SLUGS = {"login", "logout", "overview", "review", "activities", "meetings"}


def validate_slug_not_reserved(value):
    """These names are pages of the workspace and of the alliances section, not alliances."""
    if value in RESERVED_SLUGS:
        raise ValidationError(f"“{value}”是系统保留的网址，请换一个。")


# The earliest year a meeting, activity, ledger or filter may name. Building federations
# and office alliances of this kind began in 2015; an earlier date is a typing slip.
FIRST_YEAR = 2015


def quarter_of(day):
    """1 to 4: the quarter of the year ``day`` falls in."""
    return (day.month - 1) // 3 + 1


class Building(models.Model):
    """An office building or office area (楼宇 / 办公区) whose resident offices work together."""

    name = models.CharField("名称", max_length=60, unique=True)
    address = models.CharField("地址", max_length=200, blank=True)
    description = models.TextField("简介", blank=True)
    photo = SafeImageField(
        "照片",
        upload_to=RandomName("buildings"),
        blank=True,
        width_field="photo_width",
        height_field="photo_height",
    )
    photo_width = models.PositiveIntegerField(editable=False, null=True)
    photo_height = models.PositiveIntegerField(editable=False, null=True)
    photo_alt = models.CharField("照片说明", max_length=120, blank=True)

    class Meta:
        verbose_name = "楼宇/办公区"
        verbose_name_plural = "楼宇/办公区"
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(photo="") | ~Q(photo_alt=""),
                name="building_photo_has_alt",
                violation_error_message="上传了楼宇照片，请填写照片说明（供看不见图片的读者）。",
            )
        ]

    def __str__(self):
        return self.name


class Branch(models.Model):
    """A party organisation of one office (单位): the unit that joins alliances."""

    class Kind(models.TextChoices):
        COMMITTEE = "committee", "党委"
        GENERAL = "general", "党总支"
        BRANCH = "branch", "党支部"

    name = models.CharField("党组织名称", max_length=100, unique=True)
    unit = models.CharField("所在单位", max_length=100)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.BRANCH)
    building = models.ForeignKey(
        Building,
        verbose_name="所在楼宇",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="branches",
    )
    member_count = models.PositiveIntegerField("党员人数", default=0)
    secretary_name = models.CharField("书记", max_length=30, blank=True)
    contact = models.CharField(
        "联系方式", max_length=60, blank=True, help_text="仅工作人员可见，不在网站上公开。"
    )

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"
        ordering = ["unit", "pk"]

    def __str__(self):
        return self.name


class AllianceQuerySet(models.QuerySet):
    def public(self):
        """What readers see: approved alliances, running or dissolved."""
        return self.filter(status__in=[Alliance.Status.ACTIVE, Alliance.Status.DISSOLVED])


class Alliance(models.Model):
    """A federation or alliance of branches, led by one of them, hosts taking turns."""

    class Kind(models.TextChoices):
        FEDERATION = "federation", "楼宇联创共建（1+N）"
        OFFICE = "office", "机关党建联盟"
        PAIRING = "pairing", "结对共建"

    class Status(models.TextChoices):
        PROPOSED = "proposed", "申请成立"
        ACTIVE = "active", "运行中"
        REJECTED = "rejected", "未获批准"
        DISSOLVED = "dissolved", "已撤销"

    class Rotation(models.TextChoices):
        QUARTER = "quarter", "按季度轮值"
        MONTH = "month", "按月轮值"
        ACTIVITY = "activity", "按活动轮值"

    NON_ESTABLISHMENT_MEANING = (
        "非建制性：不纳入党内统计，成员党组织和党员的组织关系不转移、党费不另交，"
        "不替代、不干扰各支部自身的组织生活。"
    )

    name = models.CharField("名称", max_length=60, unique=True)
    slug = models.SlugField(
        "网址标识", max_length=40, unique=True, validators=[validate_slug_not_reserved]
    )
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.ACTIVE)
    building = models.ForeignKey(
        Building,
        verbose_name="楼宇/办公区",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="alliances",
        help_text="楼宇联创共建必填。",
    )
    founded_on = models.DateField("成立日期", default=date.today)
    elected_on = models.DateField(
        "党总支选举日期", null=True, blank=True, help_text="由各驻楼支部全体党员大会选举产生。"
    )
    term_years = models.PositiveSmallIntegerField("任期（年）", default=3)
    non_establishment = models.BooleanField(
        "非建制性", default=True, help_text=NON_ESTABLISHMENT_MEANING
    )
    rotation = models.CharField(
        "轮值方式", max_length=10, choices=Rotation.choices, default=Rotation.QUARTER
    )
    description = models.TextField("简介", blank=True)
    lead_secretary_name = models.CharField(
        "党总支书记（公开）",
        max_length=30,
        blank=True,
        help_text="在网站的联盟页面上公开显示的书记姓名；联系方式另行保存，不公开。",
    )
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)
    position = models.PositiveSmallIntegerField(
        "排序",
        null=True,
        blank=True,
        help_text="数字小的排在前面（第一联盟在第二联盟之前）；不填的排在最后。",
    )
    secretaries = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name="台账维护人（书记、联络员）",
        blank=True,
        related_name="kept_alliances",
    )

    objects = AllianceQuerySet.as_manager()

    class Meta:
        verbose_name = "党建联盟"
        verbose_name_plural = "党建联盟"
        # An explicit order (第一, 第二, … 第十): names sorted by character code put 第十
        # before 第二. The directory, the workspace, the overview and the admin all use it.
        ordering = [F("position").asc(nulls_last=True), "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="federation") | Q(building__isnull=False),
                name="federation_has_building",
                violation_error_message="楼宇联创共建须选择所在的楼宇。",
            ),
            models.CheckConstraint(
                condition=~Q(status="dissolved") | Q(dissolved_on__isnull=False),
                name="dissolved_alliance_has_date",
                violation_error_message="已撤销的联盟须填写撤销日期。",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse_one("alliances:detail", self.slug)

    @property
    def lead_secretary_title(self):
        """What readers call the person named in lead_secretary_name."""
        return "党总支书记" if self.kind == self.Kind.FEDERATION else "联盟书记"

    @property
    def term_ends_on(self):
        if self.elected_on is None:
            return None
        try:
            return self.elected_on.replace(year=self.elected_on.year + self.term_years)
        except ValueError:  # 29 February
            return self.elected_on.replace(year=self.elected_on.year + self.term_years, day=28)


class AllianceRule(models.Model):
    """One of the alliance's systems (制度), as a short document."""

    class Kind(models.TextChoices):
        STUDY = "study", "学习教育制度"
        VENUE = "venue", "阵地共建共享制度"
        ACTIVITY = "activity", "载体活动联办制度"
        FUNDING = "funding", "党建经费保障制度"
        ARCHIVE = "archive", "档案分类管理制度"
        MEETING = "meeting", "联席会议制度"
        OTHER = "other", "其他制度"

    alliance = models.ForeignKey(
        Alliance, verbose_name="联盟", on_delete=models.CASCADE, related_name="rules"
    )
    kind = models.CharField("类别", max_length=10, choices=Kind.choices)
    title = models.CharField("标题", max_length=80)
    body = RichTextField("内容")
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "联盟制度"
        verbose_name_plural = "联盟制度"
        ordering = ["alliance", "position", "pk"]

    def __str__(self):
        return self.title


class Membership(models.Model):
    """A branch in an alliance: from its application to its leaving, kept for history."""

    class Status(models.TextChoices):
        APPLIED = "applied", "申请中"
        ACTIVE = "active", "成员"
        REJECTED = "rejected", "未批准"
        LEFT = "left", "已退出"

    OPEN = [Status.APPLIED, Status.ACTIVE]

    alliance = models.ForeignKey(
        Alliance, verbose_name="联盟", on_delete=models.CASCADE, related_name="memberships"
    )
    branch = models.ForeignKey(
        Branch, verbose_name="党组织", on_delete=models.PROTECT, related_name="memberships"
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.APPLIED)
    is_lead = models.BooleanField("牵头单位", default=False, help_text="“1+N”中的“1”。")
    rotation_order = models.PositiveSmallIntegerField(
        "轮值顺序", default=0, help_text="牵头单位总是第一个，其余按数字从小到大轮流。"
    )
    joined_on = models.DateField("加入日期", null=True, blank=True)
    left_on = models.DateField("退出日期", null=True, blank=True)
    reason = models.TextField("申请理由", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审批人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_at = models.DateTimeField("审批时间", null=True, blank=True)
    decision_note = models.TextField("审批意见", blank=True)

    class Meta:
        verbose_name = "成员单位"
        verbose_name_plural = "成员单位（入盟申请）"
        ordering = ["alliance", "-is_lead", "rotation_order", "pk"]
        permissions = [("decide_membership", "可以审批入盟申请和成立联盟申请")]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance"],
                condition=Q(is_lead=True, status__in=["applied", "active"]),
                name="one_lead_per_alliance",
                violation_error_message="一个联盟只能有一个牵头单位。",
            ),
            models.UniqueConstraint(
                fields=["alliance", "branch"],
                condition=Q(status__in=["applied", "active"]),
                name="one_open_membership_per_branch",
                violation_error_message="这个党组织已经加入或正在申请加入该联盟。",
            ),
            models.CheckConstraint(
                condition=~Q(status="active") | Q(joined_on__isnull=False),
                name="active_member_has_join_date",
                violation_error_message="成员单位须填写加入日期。",
            ),
            models.CheckConstraint(
                condition=~Q(status="left") | Q(left_on__isnull=False),
                name="former_member_has_leave_date",
                violation_error_message="已退出的单位须填写退出日期。",
            ),
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=F("joined_on")),
                name="membership_leaves_after_joining",
                violation_error_message="退出日期不能早于加入日期。",
            ),
        ]

    def __str__(self):
        return f"{self.alliance} · {self.branch}"

    def served_on(self, day):
        """Was this branch a member on ``day``? (joined by then, not yet left)."""
        return (
            self.joined_on is not None
            and self.joined_on <= day
            and (self.left_on is None or self.left_on > day)
        )


class RotationSlot(models.Model):
    """The host of one period, fixed once the period has begun.

    Before any change to an alliance's members, the due periods are written here
    (services.rotation_freeze), so later joins, leaves or reorders never rewrite history.
    """

    alliance = models.ForeignKey(
        Alliance, verbose_name="联盟", on_delete=models.CASCADE, related_name="rotation_slots"
    )
    starts_on = models.DateField("起始日期")
    host = models.ForeignKey(Branch, verbose_name="轮值单位", on_delete=models.PROTECT)

    class Meta:
        verbose_name = "轮值记录"
        verbose_name_plural = "轮值记录"
        ordering = ["alliance", "starts_on", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "starts_on"],
                name="one_host_per_period",
                violation_error_message="这一期的轮值单位已经确定，不能再添加。",
            )
        ]

    def __str__(self):
        return f"{self.alliance} {self.starts_on:%Y-%m-%d} {self.host}"


class Line(models.TextChoices):
    """六联: the six joint lines of an office alliance's work."""

    STUDY = "study", "政治理论联学"
    RESOURCES = "resources", "优势资源联享"
    PRACTICE = "practice", "实践活动联办"
    TEAM = "team", "党员队伍联建"
    CORE = "core", "中心工作联促"
    DISCIPLINE = "discipline", "作风纪律联抓"


class AllianceRecord(models.Model):
    """What a joint meeting and a joint activity share: when, where, who hosted, who logged it.

    ``year`` and ``quarter`` are derived from ``held_on`` on save; they are stored because
    the quarterly rules (one regular meeting per quarter) are constraints on them.
    """

    alliance = models.ForeignKey(Alliance, verbose_name="联盟", on_delete=models.CASCADE)
    held_on = models.DateField("日期")
    year = models.PositiveSmallIntegerField("年度", editable=False)
    quarter = models.PositiveSmallIntegerField("季度", editable=False)
    venue = models.CharField("地点", max_length=100)
    host = models.ForeignKey(
        Branch, verbose_name="轮值（主办）单位", on_delete=models.PROTECT, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    submission_token = models.UUIDField(
        null=True, blank=True, unique=True, editable=False, help_text="防止同一表单重复提交。"
    )

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self._set_period()
        super().save(*args, **kwargs)

    def clean(self):
        # Before the constraints are validated: they are about the year and quarter.
        self._set_period()

    def _set_period(self):
        if self.held_on:
            self.year, self.quarter = self.held_on.year, quarter_of(self.held_on)

    @property
    def total_attendance(self):
        return sum(row.head_count for row in self.attendance.all())


class JointMeeting(AllianceRecord):
    """联席会议: the regular quarterly work meeting (or an extra one)."""

    is_regular = models.BooleanField(
        "季度例会", default=True, help_text="每季度一次的工作例会；临时召开的会议取消勾选。"
    )
    topics = models.TextField("议题")
    decisions = models.TextField("议定事项", blank=True)
    minutes = RichTextField("会议纪要", blank=True)

    class Meta:
        verbose_name = "联席会议"
        verbose_name_plural = "联席会议"
        ordering = ["-held_on", "-pk"]
        default_related_name = "meetings"
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "year", "quarter"],
                condition=Q(is_regular=True),
                name="one_regular_meeting_per_quarter",
                violation_error_message="本季度的例会已经登记过了；临时会议请取消勾选“季度例会”。",
            ),
        ]

    def __str__(self):
        kind = "例会" if self.is_regular else "会议"
        return f"{self.alliance} {self.year}年第{self.quarter}季度{kind}"

    def get_absolute_url(self):
        return reverse_one("alliances:meeting", self.pk)


class Activity(AllianceRecord):
    """联办活动: a joint activity on one of the six lines."""

    class Status(models.TextChoices):
        PLANNED = "planned", "计划中"
        HELD = "held", "已开展"
        CANCELLED = "cancelled", "已取消"

    line = models.CharField("六联类别", max_length=12, choices=Line.choices)
    title = models.CharField("活动名称", max_length=100)
    description = RichTextField("活动内容", blank=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.HELD)
    is_central_study = models.BooleanField(
        "季度集中学习", default=False, help_text="本季度面向全体党员的集中学习。"
    )

    class Meta:
        verbose_name = "联办活动"
        verbose_name_plural = "联办活动"
        ordering = ["-held_on", "-pk"]
        default_related_name = "activities"
        constraints = [
            # DOMAIN.md: at least one centralised study per quarter; a second one ticked is a
            # slip that would count the quarter twice. A cancelled one makes way for another.
            models.UniqueConstraint(
                fields=["alliance", "year", "quarter"],
                condition=Q(is_central_study=True) & ~Q(status="cancelled"),
                name="one_central_study_per_quarter",
                violation_error_message=(
                    "本季度的集中学习已经登记过了；其他学习活动请取消勾选“季度集中学习”。"
                ),
            ),
        ]
        indexes = [
            models.Index(fields=["alliance", "year", "quarter"], name="activity_alliance_quarter"),
            # The public list's order, with the alliance its filter reads: its pages are
            # walked in the index alone (portal.mixins.PagedByIdMixin).
            models.Index(fields=["-held_on", "-id", "alliance"], name="activity_listing"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse_one("alliances:activity", self.pk)


class Attendance(models.Model):
    """Head count of one branch at one meeting or activity.

    ``head_count`` counts the branch's party members and so never exceeds its member count
    (services.check_attendance); people beyond them (guests, 列席人员) are ``guests``, kept
    apart with the secretary's reason, so that participation (÷ members) is not inflated.
    """

    meeting = models.ForeignKey(
        JointMeeting, null=True, blank=True, on_delete=models.CASCADE, related_name="attendance"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="attendance"
    )
    branch = models.ForeignKey(Branch, verbose_name="党组织", on_delete=models.PROTECT)
    head_count = models.PositiveIntegerField("参加人数")
    guests = models.PositiveIntegerField(
        "列席人数", default=0, help_text="超出该单位党员人数的参加人员，如邀请的群众、外单位人员。"
    )
    guests_reason = models.CharField("列席说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "参加情况"
        verbose_name_plural = "参加情况"
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=True) ^ Q(activity__isnull=True),
                name="attendance_of_meeting_or_activity",
                violation_error_message="参加人数须属于一次会议或一项活动。",
            ),
            models.UniqueConstraint(
                fields=["meeting", "branch"],
                name="one_attendance_per_meeting_branch",
                violation_error_message="同一单位的参加人数只能填写一次。",
            ),
            models.UniqueConstraint(
                fields=["activity", "branch"],
                name="one_attendance_per_activity_branch",
                violation_error_message="同一单位的参加人数只能填写一次。",
            ),
            models.CheckConstraint(
                condition=Q(guests=0) | ~Q(guests_reason=""),
                name="attendance_guests_have_reason",
                violation_error_message="有列席人员时，请说明是哪些人员参加。",
            ),
        ]

    def __str__(self):
        if self.guests:
            return f"{self.branch}：{self.head_count}人（另列席{self.guests}人）"
        return f"{self.branch}：{self.head_count}人"


class Photo(models.Model):
    """A photo of a meeting or an activity."""

    meeting = models.ForeignKey(
        JointMeeting, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    activity = models.ForeignKey(
        Activity, null=True, blank=True, on_delete=models.CASCADE, related_name="photos"
    )
    image = SafeImageField(
        "照片", upload_to=RandomName("alliances"), width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(editable=False, null=True)
    height = models.PositiveIntegerField(editable=False, null=True)
    caption = models.CharField(
        "说明", max_length=120, help_text="一句话说明照片内容，供读屏软件朗读。"
    )
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "照片"
        verbose_name_plural = "照片"
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=True) ^ Q(activity__isnull=True),
                name="photo_of_meeting_or_activity",
                violation_error_message="照片须属于一次会议或一项活动。",
            ),
        ]

    def __str__(self):
        return self.caption


class PublicVersion(models.Model):
    """公开版本: what readers may see of a meeting or an activity (先审后发).

    A record a secretary logs is internal. To put it on the public site they propose a
    version written for readers — title, date, a short text and chosen photos — and committee
    staff approve it or send it back with a reason. Each proposal is a row of its own: a new
    proposal waits for review while the approved one stays online, and approving it retires
    the old one. Minutes, decisions and attendance have no place here, so they are never public.
    """

    class Status(models.TextChoices):
        PENDING = "pending", "待审核"
        PUBLISHED = "published", "已公开"
        RETURNED = "returned", "已退回"
        REPLACED = "replaced", "已被新版本替换"
        WITHDRAWN = "withdrawn", "已撤回"

    meeting = models.ForeignKey(
        JointMeeting,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="public_versions",
    )
    activity = models.ForeignKey(
        Activity,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="public_versions",
    )
    # The record's alliance, copied on save: public lists filter and order on this table alone.
    alliance = models.ForeignKey(
        Alliance, verbose_name="联盟", on_delete=models.CASCADE, editable=False, related_name="+"
    )
    title = models.CharField("公开标题", max_length=100)
    held_on = models.DateField("日期")
    text = models.TextField(
        "公开内容",
        max_length=2000,
        help_text="写给读者的简短介绍。会议纪要、议定事项和各单位参加人数不会公开。",
    )
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.PENDING)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="申请人",
        null=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    proposed_at = models.DateTimeField("申请时间", auto_now_add=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="审核人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    reviewed_at = models.DateTimeField("审核时间", null=True, blank=True, editable=False)
    review_note = models.TextField("审核意见", blank=True, help_text="退回时必填，申请人会看到。")

    class Meta:
        verbose_name = "公开版本"
        verbose_name_plural = "公开版本"
        ordering = ["-proposed_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(meeting__isnull=True) ^ Q(activity__isnull=True),
                name="public_version_of_meeting_or_activity",
                violation_error_message="公开版本须属于一次会议或一项活动。",
            ),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=Q(status="published"),
                name="one_published_version_per_meeting",
                violation_error_message="这次会议已有一个公开版本。",
            ),
            models.UniqueConstraint(
                fields=["activity"],
                condition=Q(status="published"),
                name="one_published_version_per_activity",
                violation_error_message="这项活动已有一个公开版本。",
            ),
            models.UniqueConstraint(
                fields=["meeting"],
                condition=Q(status="pending"),
                name="one_pending_version_per_meeting",
                violation_error_message="这次会议已有一个公开申请在等待审核。",
            ),
            models.UniqueConstraint(
                fields=["activity"],
                condition=Q(status="pending"),
                name="one_pending_version_per_activity",
                violation_error_message="这项活动已有一个公开申请在等待审核。",
            ),
        ]
        indexes = [
            # The public activity list and the alliance page: published, newest first, with
            # the alliance its filter reads, so deep pages are walked in the index alone.
            models.Index(
                fields=["-held_on", "-id", "alliance"],
                condition=Q(status="published", activity__isnull=False),
                name="published_activity_listing",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        self.alliance_id = self.record.alliance_id
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        # From the ids: a list of versions need not load their records for the links.
        if self.activity_id is not None:
            return reverse_one("alliances:activity", self.activity_id)
        return reverse_one("alliances:meeting", self.meeting_id)

    @property
    def record(self):
        return self.meeting or self.activity


class PublicPhoto(models.Model):
    """A photo of the record chosen for its public version, with the text read out for it."""

    version = models.ForeignKey(PublicVersion, on_delete=models.CASCADE, related_name="photos")
    photo = models.ForeignKey(
        Photo, verbose_name="照片", on_delete=models.CASCADE, related_name="+"
    )
    alt = models.CharField(
        "照片说明", max_length=120, help_text="一句话说明照片内容，供读屏软件朗读。"
    )
    position = models.PositiveSmallIntegerField("排序", default=0)

    class Meta:
        verbose_name = "公开照片"
        verbose_name_plural = "公开照片"
        ordering = ["position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["version", "photo"],
                name="one_public_photo_per_version",
                violation_error_message="同一张照片只能选一次。",
            ),
        ]

    def __str__(self):
        return self.alt


class Facility(models.Model):
    """A shared room (功能室) of a building, run by the general branch for all resident offices."""

    class Kind(models.TextChoices):
        ACTIVITY = "activity", "党员活动室"
        TRAINING = "training", "学习培训中心"
        READING = "reading", "阅览室"
        STAFF_HOME = "staff_home", "职工之家"
        ARCHIVE = "archive", "档案室"
        FITNESS = "fitness", "健身娱乐室"
        MULTIMEDIA = "multimedia", "多媒体室"
        EDUCATION = "education", "党性教育基地"

    building = models.ForeignKey(
        Building, verbose_name="楼宇", on_delete=models.CASCADE, related_name="facilities"
    )
    name = models.CharField("名称", max_length=60)
    kind = models.CharField("类型", max_length=12, choices=Kind.choices)
    capacity = models.PositiveSmallIntegerField("容纳人数", default=0)
    location = models.CharField("位置", max_length=60, blank=True, help_text="例如“三楼东侧”。")

    class Meta:
        verbose_name = "功能室"
        verbose_name_plural = "功能室"
        ordering = ["building", "kind", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["building", "name"],
                name="facility_name_per_building",
                violation_error_message="这座楼宇已有同名的功能室，请换一个名称。",
            )
        ]

    def __str__(self):
        return f"{self.building} {self.name}"


class Booking(models.Model):
    """A branch's use of a facility for a time span. Two bookings of one room never overlap."""

    facility = models.ForeignKey(
        Facility, verbose_name="功能室", on_delete=models.CASCADE, related_name="bookings"
    )
    branch = models.ForeignKey(
        Branch, verbose_name="使用单位", on_delete=models.PROTECT, related_name="bookings"
    )
    starts_at = models.DateTimeField("开始时间")
    ends_at = models.DateTimeField("结束时间")
    purpose = models.CharField("用途", max_length=100, help_text="仅工作人员可见，不在网站上公开。")
    alliance = models.ForeignKey(
        Alliance,
        verbose_name="联盟",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bookings",
        help_text="以哪个联盟的名义使用；网站上的功能室使用安排只显示联盟名称和时间。",
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="登记人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )

    class Meta:
        verbose_name = "功能室预约"
        verbose_name_plural = "功能室预约"
        ordering = ["starts_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="booking_ends_after_start",
                violation_error_message="结束时间须晚于开始时间。",
            ),
        ]
        # The exclusion constraint "no two bookings of a facility overlap" is added by
        # migration 0002 on PostgreSQL; clean() enforces the same rule on every database.

    def __str__(self):
        return f"{self.facility} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "结束时间必须晚于开始时间。"})
        if self.facility_id and self.starts_at and self.ends_at:
            clash = (
                Booking.objects.filter(
                    facility_id=self.facility_id,
                    starts_at__lt=self.ends_at,
                    ends_at__gt=self.starts_at,
                )
                .exclude(pk=self.pk)
                .select_related("branch")
                .first()
            )
            if clash:
                # In the site's time zone (not UTC), and without the purpose: the one who
                # reads this may be of another unit, and a purpose may name people.
                starts, ends = (
                    timezone.localtime(clash.starts_at),
                    timezone.localtime(clash.ends_at),
                )
                raise ValidationError(
                    f"该时段已被{clash.branch.unit}预约（{starts:%m月%d日 %H:%M}—{ends:%H:%M}），"
                    "请换一个时间。"
                )


class AnnualPlan(models.Model):
    """The April plan (年度计划) of an alliance: themes, rotation, liaison, planned activities."""

    alliance = models.ForeignKey(
        Alliance, verbose_name="联盟", on_delete=models.CASCADE, related_name="plans"
    )
    year = models.PositiveSmallIntegerField("年度")
    themes = models.TextField("活动主题")
    rotation_method = models.TextField("轮值方式说明", blank=True)
    liaison = models.CharField("联络员及联系方式", max_length=100, blank=True)
    planned_activities = models.TextField("计划开展的活动", blank=True)

    class Meta:
        verbose_name = "年度计划"
        verbose_name_plural = "年度计划"
        ordering = ["-year", "alliance", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "year"],
                name="one_plan_per_alliance_year",
                violation_error_message="该联盟这一年已有年度计划，请直接修改原来的计划。",
            )
        ]

    def __str__(self):
        return f"{self.alliance} {self.year}年度计划"


class PhaseReport(models.Model):
    """A report of one phase of the year, sent to the 机关工委."""

    class Phase(models.TextChoices):
        PLAN = "plan", "制定计划（4月）"
        CARRY_OUT = "carry_out", "组织实施（5—11月）"
        SUM_UP = "sum_up", "总结评估（12月）"

    alliance = models.ForeignKey(
        Alliance, verbose_name="联盟", on_delete=models.CASCADE, related_name="phase_reports"
    )
    year = models.PositiveSmallIntegerField("年度")
    phase = models.CharField("阶段", max_length=10, choices=Phase.choices)
    text = models.TextField("报告内容")
    activities_held = models.PositiveSmallIntegerField("开展活动数", default=0)
    participants = models.PositiveIntegerField("参加人次", default=0)
    submitted_at = models.DateTimeField("报送时间", auto_now_add=True)

    class Meta:
        verbose_name = "阶段报告"
        verbose_name_plural = "阶段报告"
        ordering = ["-year", "alliance", "phase", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "year", "phase"],
                name="one_report_per_phase",
                violation_error_message="该联盟这一阶段已有报告，请直接修改原来的报告。",
            )
        ]

    def __str__(self):
        return f"{self.alliance} {self.year}年{self.get_phase_display()}"


# Feedback on plans and reports, the reference list, the showcase (issue 16) ---------------


class DocumentReview(models.Model):
    """One round in the life of an annual plan or a phase report: the secretary's submission,
    the committee's 已阅 or 退回修改 (with the comment the secretary must read), a resubmission.

    Rounds are appended, never changed, so the history under a document is the list of its
    rows; the document's state is its newest round (alliances.feedback.document_state).
    """

    class Decision(models.TextChoices):
        SUBMITTED = "submitted", "报送"
        RESUBMITTED = "resubmitted", "修改后重新报送"
        READ = "read", "已阅"
        RETURNED = "returned", "退回修改"

    WAITING = [Decision.SUBMITTED, Decision.RESUBMITTED]

    plan = models.ForeignKey(
        AnnualPlan,
        verbose_name="年度计划",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    report = models.ForeignKey(
        PhaseReport,
        verbose_name="阶段报告",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="reviews",
    )
    decision = models.CharField("环节", max_length=12, choices=Decision.choices)
    comment = models.TextField("意见", max_length=1000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="经办人",
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField("时间", auto_now_add=True)

    class Meta:
        verbose_name = "计划和报告审阅记录"
        verbose_name_plural = "计划和报告审阅记录"
        ordering = ["at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(plan__isnull=True) ^ Q(report__isnull=True),
                name="review_of_plan_or_report",
                violation_error_message="审阅记录须属于一份年度计划或一份阶段报告。",
            ),
            models.CheckConstraint(
                condition=~Q(decision="returned") | ~Q(comment=""),
                name="returned_document_has_comment",
                violation_error_message="退回修改时请写明意见，联络员会看到。",
            ),
        ]

    def __str__(self):
        return f"{self.document} {self.get_decision_display()}"

    @property
    def document(self):
        return self.plan or self.report

    @property
    def state_class(self):
        """The workspace's colour of this round (site.css .state--*)."""
        return {"read": "held", "returned": "missing"}.get(self.decision, "upcoming")


class ReferenceActivity(models.Model):
    """An item of the committee's reference list of activities (活动参考清单), on one 六联
    line. Secretaries planning the year pick from it or write their own. A retired item is
    kept (not deleted) but no longer offered."""

    line = models.CharField("六联类别", max_length=12, choices=Line.choices)
    title = models.CharField("活动名称", max_length=100)
    description = models.TextField(
        "做法提示", max_length=500, blank=True, help_text="一两句话说明怎么开展，联络员可参考。"
    )
    is_active = models.BooleanField(
        "在用", default=True, help_text="取消勾选即停用：不再向联络员推荐，已登记的活动不受影响。"
    )
    position = models.PositiveSmallIntegerField("排序", default=0)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="修改人",
        null=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    updated_at = models.DateTimeField("修改时间", auto_now=True)

    class Meta:
        verbose_name = "活动参考清单条目"
        verbose_name_plural = "活动参考清单"
        ordering = ["line", "position", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["line", "title"],
                name="one_reference_title_per_line",
                violation_error_message="这一类别中已有同名的参考活动。",
            )
        ]

    def __str__(self):
        return self.title


class Showcase(models.Model):
    """经验推广: the committee marks a published activity as a practice worth spreading.

    The public showcase reads only published public versions, so an activity withdrawn from
    the site leaves the showcase with it; the mark itself stays until the committee removes it.
    """

    activity = models.OneToOneField(
        Activity, verbose_name="联办活动", on_delete=models.CASCADE, related_name="showcase"
    )
    reason = models.CharField("推广理由", max_length=200, blank=True)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="推荐人",
        null=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    marked_at = models.DateTimeField("推荐时间", auto_now_add=True)

    class Meta:
        verbose_name = "经验推广"
        verbose_name_plural = "经验推广"
        ordering = ["-marked_at", "-pk"]

    def __str__(self):
        return f"经验推广：{self.activity}"


class Criterion(models.Model):
    """One criterion of a year's evaluation (评先评优) and its weight, set by the 机关工委.

    What each criterion measures is fixed by its ``key`` (alliances/evaluation.py computes it
    from the ledger); the committee words it, weighs it and sets the target that earns the
    full weight. A year's criteria are created from the seed plan's defaults on its first
    visit, so each year keeps the rules it was scored by.
    """

    class Key(models.TextChoices):
        MEETINGS = "meetings", "季度例会按时召开"
        STUDIES = "studies", "季度集中学习"
        LINES = "lines", "六联活动覆盖"
        PARTICIPATION = "participation", "党员参与率"
        REPORTS = "reports", "阶段报告按时报送"
        PHOTOS = "photos", "活动照片佐证"

    year = models.PositiveSmallIntegerField("年度")
    key = models.CharField("指标", max_length=16, choices=Key.choices)
    label = models.CharField("指标名称", max_length=40)
    weight = models.PositiveSmallIntegerField("分值", help_text="达到满分标准时得到的分数。")
    target = models.DecimalField(
        "满分标准", max_digits=6, decimal_places=2, help_text="达到这个数得满分，不到按比例得分。"
    )

    class Meta:
        verbose_name = "评价指标"
        verbose_name_plural = "评价指标"
        ordering = ["year", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["year", "key"],
                name="one_criterion_per_year_key",
                violation_error_message="这一年已有这项指标。",
            ),
            models.CheckConstraint(
                condition=Q(target__gt=0),
                name="criterion_target_positive",
                violation_error_message="满分标准须大于0。",
            ),
        ]

    def __str__(self):
        return f"{self.year}年 {self.label}"


class ScoreAdjustment(models.Model):
    """A committee's change to an alliance's computed score for a year, always with a reason.

    One row per alliance and year holds the adjustment in force; every change of it is an
    entry in the audit trail, so the earlier rounds are kept there.
    """

    alliance = models.ForeignKey(
        Alliance, verbose_name="联盟", on_delete=models.CASCADE, related_name="score_adjustments"
    )
    year = models.PositiveSmallIntegerField("年度")
    points = models.DecimalField("调整分数", max_digits=5, decimal_places=2)
    reason = models.TextField("调整理由")
    adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="调整人",
        null=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    adjusted_at = models.DateTimeField("调整时间", auto_now=True)

    class Meta:
        verbose_name = "得分调整"
        verbose_name_plural = "得分调整"
        ordering = ["year", "alliance", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["alliance", "year"],
                name="one_score_adjustment_per_alliance_year",
                violation_error_message="该联盟这一年的得分已有调整，请直接修改。",
            ),
            models.CheckConstraint(
                condition=~Q(reason=""),
                name="score_adjustment_has_reason",
                violation_error_message="调整得分须写明理由。",
            ),
        ]

    def __str__(self):
        return f"{self.alliance} {self.year}年得分调整{self.points:+}"

    @property
    def who(self):
        """The name of the staff member who made it, as the ranking shows it."""
        user = self.adjusted_by
        return (user.get_full_name() or user.username) if user else "已删除的用户"
