import re

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from simple_history.models import HistoricalRecords

from .uploads import RandomName, SafeImageField

MIIT_FILING_URL = "https://beian.miit.gov.cn/"
POLICE_FILING_URL = "https://beian.mps.gov.cn/#/query/webSearch?code={code}"
CONAC_URL = "https://bszs.conac.cn/sitename?method=show&id={id}"


class SiteSettings(models.Model):
    """The one record behind the footer and the government meta tags.

    Inspections check the footer (主办单位, 联系方式, ICP备案号, 公安机关备案号, 网站标识码),
    so staff keep it in the admin rather than in a template.
    """

    site_name = models.CharField("网站名称", max_length=60, default="党建网")
    site_domain = models.CharField(
        "网站域名",
        max_length=100,
        blank=True,
        help_text="例如 dj.example.gov.cn，用于页面元数据 SiteDomain。",
    )
    site_id_code = models.CharField(
        "网站标识码",
        max_length=20,
        blank=True,
        help_text="由政府网站信息报送系统分配，例如 1500000001。",
    )
    host_organization = models.CharField("主办单位", max_length=100, default="中共XX旗委员会组织部")
    organizer = models.CharField("承办单位", max_length=100, blank=True)
    phone = models.CharField("联系电话", max_length=40, blank=True)
    email = models.EmailField("电子邮箱", blank=True)
    address = models.CharField("地址", max_length=200, blank=True)
    icp_number = models.CharField(
        "ICP备案号",
        max_length=60,
        blank=True,
        help_text="例如 蒙ICP备00000000号-1，页脚链接到工信部备案系统。",
    )
    police_number = models.CharField(
        "公安机关备案号",
        max_length=60,
        blank=True,
        help_text="例如 蒙公网安备 15000000000000号，页脚链接到公安部备案查询。",
    )
    conac_id = models.CharField(
        "党政机关网站标识编号",
        max_length=60,
        blank=True,
        help_text="开办单位取得党政机关网站标识后填写，页脚显示标识链接。",
    )
    conac_image = SafeImageField(
        "党政机关网站标识图片",
        upload_to=RandomName("site"),
        blank=True,
        help_text="从党政机关网站标识管理系统下载的标识图片（红色标识），页脚显示为链接；"
        "不上传则显示文字链接。填写了标识编号才显示。",
    )
    error_report_url = models.URLField(
        "网站纠错服务网址",
        blank=True,
        help_text="网站已在外部纠错平台（如政府网站找错平台）登记时填写，页脚的“网站纠错”"
        "链接到那里；留空则使用本站的纠错表单，来信在后台“网站纠错”中处理。",
    )
    default_source = models.CharField(
        "默认来源", max_length=60, default="本网", help_text="文章未填写来源时显示。"
    )
    description = models.CharField(
        "网站简介", max_length=200, blank=True, help_text="搜索引擎和订阅源显示的一句话简介。"
    )
    public_alliance_compliance = models.BooleanField(
        "公开联盟例会和集中学习情况",
        default=False,
        help_text="打开后，联盟页面向读者显示各季度例会、集中学习已开展的次数。",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "站点设置"
        verbose_name_plural = "站点设置"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="site_settings_singleton")
        ]

    def __str__(self):
        return self.site_name

    def save(self, *args, **kwargs):
        self.pk = 1
        super().save(*args, **kwargs)

    @classmethod
    def load(cls, request=None):
        """The settings, from the shared cache under the content version (a save bumps it)."""
        from .pagecache import fragment

        return fragment("site-settings", cls._from_database, request=request)

    @classmethod
    def _from_database(cls):
        return cls.objects.get_or_create(pk=1)[0]

    @property
    def police_filing_url(self):
        code = "".join(re.findall(r"\d", self.police_number))
        return POLICE_FILING_URL.format(code=code) if code else ""

    @property
    def icp_filing_url(self):
        return MIIT_FILING_URL if self.icp_number else ""

    @property
    def conac_url(self):
        return CONAC_URL.format(id=self.conac_id) if self.conac_id else ""


class FriendlyLink(models.Model):
    name = models.CharField("名称", max_length=60)
    url = models.URLField("网址")
    position = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面。")
    is_active = models.BooleanField("显示", default=True)

    class Meta:
        verbose_name = "友情链接"
        verbose_name_plural = "友情链接"
        ordering = ["position", "pk"]

    def __str__(self):
        return self.name


class AuditEntry(models.Model):
    """One line of the audit trail: who did what to which record, when, with what data.

    Every service that changes content writes one (articles, alliances, the workspace), so
    committee staff can answer "who changed this?" for any record from one list.
    """

    at = models.DateTimeField("时间", auto_now_add=True, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="操作人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField("操作", max_length=40, db_index=True)
    content_type = models.ForeignKey(
        ContentType, verbose_name="对象类型", null=True, on_delete=models.SET_NULL
    )
    object_id = models.CharField("对象编号", max_length=40, blank=True)
    object_repr = models.CharField("对象", max_length=200, blank=True)
    summary = models.CharField("说明", max_length=300)
    data = models.JSONField("详细数据", default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = "操作记录"
        verbose_name_plural = "操作记录"
        ordering = ["-at", "-pk"]
        indexes = [models.Index(fields=["content_type", "object_id"], name="audit_object")]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.user} {self.summary}"


class ErrorReport(models.Model):
    """网站纠错: a reader's note that something on a page is wrong (a typo, a dead link, an
    outdated fact), kept in the committee's queue until it is handled with a reply.

    Inspections ask for a 纠错 entry on every page and for reports to be answered; the
    reporter's contact is optional, so the reply is first of all the committee's own record
    of what was done."""

    class Status(models.TextChoices):
        OPEN = "open", "待处理"
        HANDLED = "handled", "已处理"

    page_url = models.CharField(
        "页面地址", max_length=500, blank=True, help_text="出错页面在本站的地址。"
    )
    description = models.TextField("问题描述", max_length=2000)
    contact = models.CharField("联系方式", max_length=100, blank=True)
    status = models.CharField(
        "状态", max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    reply = models.TextField(
        "处理说明", blank=True, help_text="标记为已处理时必填：改了什么，或为什么不需要改。"
    )
    created_at = models.DateTimeField("提交时间", auto_now_add=True, db_index=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="处理人",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    handled_at = models.DateTimeField("处理时间", null=True, blank=True, editable=False)

    class Meta:
        verbose_name = "网站纠错"
        verbose_name_plural = "网站纠错"
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(reply=""),
                name="error_report_handled_has_reply",
                violation_error_message="标记为已处理时请填写处理说明。",
            )
        ]

    def __str__(self):
        text = " ".join(self.description.split())
        return text if len(text) <= 30 else f"{text[:30]}…"
