import re
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from portal.links import reverse_one
from portal.richtext import RichTextField, html_to_text, sanitize_html
from portal.uploads import AttachmentField, RandomName, SafeImageField, VideoField

from .search import normalise, search_tokens


class Category(models.Model):
    """A section (栏目) or sub-section (子栏目) of the public site: two levels, no deeper.

    Government inspections fail a site for empty sections and for sections not updated in
    time, so each section says what kind of column it is and how often it must be fed.
    """

    class ColumnType(models.TextChoices):
        NEWS = "news", "动态要闻类（2周内须更新）"
        NOTICE = "notice", "通知公告、政策文件类（6个月内须更新）"
        REFERENCE = "reference", "知识资料、专题类（不考核更新时效）"

    UPDATE_PERIODS = {ColumnType.NEWS: timedelta(days=14), ColumnType.NOTICE: timedelta(days=183)}
    # The ColumnType meta tag of government pages wants a short name, not the editor's hint.
    META_TYPES = {
        ColumnType.NEWS: "动态要闻",
        ColumnType.NOTICE: "通知公告",
        ColumnType.REFERENCE: "专题专栏",
    }

    parent = models.ForeignKey(
        "self",
        verbose_name="上级栏目",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        limit_choices_to={"parent__isnull": True},
        help_text="留空表示一级栏目；只支持两级。",
    )
    name = models.CharField("栏目名称", max_length=40)
    slug = models.SlugField(
        "网址标识",
        max_length=40,
        unique=True,
        help_text="用于网址，只能用小写字母、数字和连字符，例如 jcdj。",
    )
    position = models.PositiveSmallIntegerField("排序", default=0, help_text="数字小的排在前面。")
    description = models.TextField("栏目说明", blank=True)
    show_in_nav = models.BooleanField(
        "在导航中显示", default=True, help_text="没有已发布内容的栏目不论如何都不会向读者显示。"
    )
    column_type = models.CharField(
        "栏目类型", max_length=12, choices=ColumnType.choices, default=ColumnType.NEWS
    )
    is_topic = models.BooleanField(
        "专题栏目", default=False, help_text="勾选后，其子栏目在首页“专题专栏”中以图块显示。"
    )
    needs_final_review = models.BooleanField(
        "需要二审",
        default=False,
        help_text="勾选后，本栏目（含子栏目）的文章经审核人员初审通过后，"
        "还须由“终审”组的人员终审发布。",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "栏目"
        verbose_name_plural = "栏目"
        ordering = ["position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(parent=F("pk")),
                name="category_not_its_own_parent",
                violation_error_message="栏目不能做自己的上级栏目。",
            ),
        ]

    def __str__(self):
        return f"{self.parent.name} > {self.name}" if self.parent_id else self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # A sub-section moved to another section takes its articles along.
        Article.objects.filter(category=self).exclude(section_id=self.parent_id or self.pk).update(
            section_id=self.parent_id or self.pk
        )

    def get_absolute_url(self):
        return reverse_one("articles:category", self.slug)

    def clean(self):
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": "只支持两级栏目：上级栏目必须是一级栏目。"})
        if self.parent_id and self.pk and self.children.exists():
            raise ValidationError({"parent": "这个栏目下还有子栏目，不能再设为子栏目。"})

    @property
    def section(self):
        """The top-level section this category belongs to."""
        return self.parent if self.parent_id else self

    @property
    def requires_final_review(self):
        """二审 is set on a section or on one of its sub-sections and holds for what is below."""
        return self.needs_final_review or bool(self.parent_id and self.parent.needs_final_review)

    @property
    def update_period(self):
        return self.UPDATE_PERIODS.get(self.column_type)

    @property
    def meta_type(self):
        return self.META_TYPES[self.column_type]


class ArticleQuerySet(models.QuerySet):
    def published(self, now=None):
        """What readers may see: published, and its publish time reached (by ``now``)."""
        return self.filter(status=Article.Status.PUBLISHED, published_at__lte=now or timezone.now())

    def in_section(self, category):
        """Articles of a category and of its sub-sections (one indexed column either way)."""
        if category.parent_id:
            return self.filter(category=category)
        return self.filter(section=category)

    def for_listing(self):
        """Only the columns a list shows. No join: a list that names the section takes it
        from the cached section tree (``SiteTree.attach``)."""
        return self.only(*Article.LISTING_FIELDS)


class Article(models.Model):
    """Everything published in a section: news, reports, speeches, notices, policies, videos.

    ``published_at`` is the 发布日期 readers see; a future value schedules the article, and
    ``published()`` hides it until then, so no cron job is needed. ``first_published_at`` is
    stamped on first publication and a database constraint keeps ``published_at`` from
    ever being set before it: the publish date cannot be forged backwards.
    """

    class Kind(models.TextChoices):
        NEWS = "news", "新闻"
        REPORT = "report", "调研报告"
        SPEECH = "speech", "领导讲话"
        NOTICE = "notice", "通知公告"
        POLICY = "policy", "政策文件"
        VIDEO = "video", "视频"

    class Status(models.TextChoices):
        DRAFT = "draft", "草稿"
        REVIEW = "review", "待审核"
        RETURNED = "returned", "被退回"
        # First approval given in a section that needs 二审; a 终审 user publishes.
        FINAL_REVIEW = "final", "待终审"
        PUBLISHED = "published", "已发布"
        WITHDRAWN = "withdrawn", "已撤回"

    title = models.CharField("标题", max_length=120)
    category = models.ForeignKey(
        Category, verbose_name="栏目", on_delete=models.PROTECT, related_name="articles"
    )
    # The top-level section, copied from the category on save (and when a category moves),
    # so a section's list is one indexed equality instead of "category or its parent".
    section = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="+", editable=False, null=True
    )
    kind = models.CharField("类型", max_length=10, choices=Kind.choices, default=Kind.NEWS)
    summary = models.TextField(
        "摘要", blank=True, help_text="列表和搜索结果中显示；调研报告的摘要显示在正文之前。"
    )
    body = RichTextField("正文", blank=True)
    cover = SafeImageField(
        "封面图片",
        upload_to=RandomName("covers"),
        blank=True,
        width_field="cover_width",
        height_field="cover_height",
        help_text="头条和列表中显示。支持 JPEG、PNG、WebP、GIF，上传后自动去除拍摄位置等信息。",
    )
    cover_alt = models.CharField(
        "封面图片说明",
        max_length=120,
        blank=True,
        help_text="用一句话说明图片内容，供读屏软件朗读。有封面时必填。",
    )
    source = models.CharField("来源", max_length=60, blank=True)
    author = models.CharField("作者", max_length=60, blank=True)
    submitting_unit = models.CharField(
        "申报单位", max_length=100, blank=True, help_text="调研报告填写，显示在报告标题下。"
    )
    keywords = models.CharField(
        "关键词",
        max_length=100,
        blank=True,
        help_text="用逗号分隔，写入页面的 keywords 元数据供搜索引擎使用；不填则用所在栏目。",
    )
    video_file = VideoField(
        "视频文件", upload_to=RandomName("videos"), blank=True, help_text="MP4 或 WebM。"
    )
    video_url = models.URLField(
        "视频网址", blank=True, help_text="视频存放在其他平台时填写，读者点击后前往观看。"
    )
    video_poster = SafeImageField(
        "视频封面",
        upload_to=RandomName("posters"),
        blank=True,
        width_field="poster_width",
        height_field="poster_height",
        help_text="视频播放前显示的画面。",
    )
    # The stored images' sizes, kept by Django on upload: pages size the boxes and list the
    # renditions without opening the files (portal/renditions.py).
    cover_width = models.PositiveIntegerField(editable=False, null=True)
    cover_height = models.PositiveIntegerField(editable=False, null=True)
    poster_width = models.PositiveIntegerField(editable=False, null=True)
    poster_height = models.PositiveIntegerField(editable=False, null=True)
    status = models.CharField("状态", max_length=10, choices=Status.choices, default=Status.DRAFT)
    review_comment = models.TextField(
        "退回意见",
        max_length=500,
        blank=True,
        help_text="审核人员退回修改时填写（必填），写明要改什么。编辑在文章页和文章列表中都能看到；"
        "重新提交审核后清空，修改记录中保留。",
    )
    published_at = models.DateTimeField(
        "发布时间",
        null=True,
        blank=True,
        help_text="读者看到的发布日期。留空则在发布时取当前时间；填写将来的时间即定时发布。",
    )
    first_published_at = models.DateTimeField("首次发布时间", null=True, editable=False)
    pinned = models.BooleanField("置顶", default=False)
    headline = models.BooleanField(
        "头条", default=False, help_text="在首页头条区显示，需有封面图片。"
    )
    view_count = models.PositiveIntegerField("浏览量", default=0, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="创建人",
        null=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name="最后修改人",
        null=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField("创建时间", auto_now_add=True)
    updated_at = models.DateTimeField("修改时间", auto_now=True)
    search_text = models.TextField(editable=False, default="")
    search_tokens = models.TextField(editable=False, default="")
    # Set by ``manage.py import_site`` (articles/importer.py): the old site's address of the
    # page, so a second run updates instead of duplicating, and the digest of what that import
    # wrote, so an article edited here since is recognised and not overwritten.
    import_source = models.CharField(
        "导入来源", max_length=500, null=True, blank=True, unique=True, editable=False
    )
    import_digest = models.CharField(
        "导入内容摘要", max_length=64, blank=True, default="", editable=False
    )

    # What lists show: the link, title, date and 置顶 mark; covers for the headlines and videos.
    LISTING_FIELDS = (
        "pk",
        "title",
        "category",
        "section",
        "kind",
        "published_at",
        "pinned",
        "cover",
        "cover_alt",
        "cover_width",
        "cover_height",
        "video_poster",
        "poster_width",
        "poster_height",
    )
    # Large, and for search only: pages that show one article leave them out.
    SEARCH_FIELDS = ("search_text", "search_tokens")

    # The import's digest is bookkeeping: a history of it would only show a meaningless hash.
    history = HistoricalRecords(
        excluded_fields=["view_count", *SEARCH_FIELDS, "section", "import_digest"]
    )
    objects = ArticleQuerySet.as_manager()

    class Meta:
        verbose_name = "文章"
        verbose_name_plural = "文章"
        ordering = ["-published_at", "-pk"]
        permissions = [
            ("publish_article", "可以发布、撤回、置顶文章"),
            ("final_review_article", "可以终审发布需要二审的栏目的文章"),
        ]
        # The section and category lists, newest first with pinned on top: the order is the
        # index order, so page 1000 walks the index rather than sorting the section.
        indexes = [
            models.Index(fields=["status", "-published_at"], name="article_status_date"),
            models.Index(
                fields=["section", "status", "-pinned", "-published_at", "-id"],
                name="article_section_list",
            ),
            models.Index(
                fields=["category", "status", "-pinned", "-published_at", "-id"],
                name="article_category_list",
            ),
            # Newest first without pinning: the home page's blocks, an article's neighbours.
            models.Index(
                fields=["section", "status", "-published_at", "-id"], name="article_section_date"
            ),
            models.Index(
                fields=["category", "status", "-published_at", "-id"],
                name="article_category_date",
            ),
            models.Index(fields=["kind", "status", "-published_at"], name="article_kind_date"),
            models.Index(
                fields=["status", "-published_at"],
                condition=Q(headline=True),
                name="article_headline_date",
            ),
            # 要闻 on the home page: a hundred pinned among 100k would otherwise be a long walk.
            models.Index(
                fields=["status", "-published_at"],
                condition=Q(pinned=True),
                name="article_pinned_date",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="article_published_has_date",
                violation_error_message="已发布的文章须有发布时间。",
            ),
            models.CheckConstraint(
                condition=Q(first_published_at__isnull=True)
                | Q(published_at__gte=F("first_published_at")),
                name="article_date_not_before_first_publication",
                violation_error_message="发布日期不能早于首次发布的时间（发布日期不可倒签）。",
            ),
            models.CheckConstraint(
                condition=Q(cover="") | ~Q(cover_alt=""),
                name="article_cover_has_alt",
                violation_error_message="上传了封面图片，请填写图片说明（供看不见图片的读者）。",
            ),
            models.CheckConstraint(
                condition=~Q(status="returned") | ~Q(review_comment=""),
                name="article_returned_has_comment",
                violation_error_message="退回修改时请写明退回意见，编辑据此修改。",
            ),
        ]

    def __str__(self):
        return self.title

    def save(self, *args, update_fields=None, **kwargs):
        self.section_id = self.category.parent_id or self.category_id
        if update_fields is not None:
            update_fields = {*update_fields, "section"}
        # Whole seconds: the admin's date and time inputs cannot send back microseconds, and
        # an unchanged form must not look like a move before the first publication.
        for name in ("published_at", "first_published_at"):
            if value := getattr(self, name):
                setattr(self, name, value.replace(microsecond=0))
        if update_fields is None or {"title", "summary", "body"} & set(update_fields):
            self.body = sanitize_html(self.body)
            self.search_text = normalise(
                "\n".join(
                    part for part in (self.title, self.summary, html_to_text(self.body)) if part
                )
            )
            self.search_tokens = search_tokens(self.search_text, normalise(self.title))
            if update_fields is not None:
                update_fields = {*update_fields, "search_text", "search_tokens"}
        super().save(*args, update_fields=update_fields, **kwargs)

    def get_absolute_url(self):
        return reverse_one("articles:detail", self.pk)

    def clean(self):
        errors = {}
        if self.cover and not self.cover_alt.strip():
            errors["cover_alt"] = "上传了封面图片，请填写图片说明。"
        if self.headline and not self.cover:
            errors["headline"] = "头条需要封面图片。"
        if errors:
            raise ValidationError(errors)
        self.check_not_before_first_publication()

    def check_not_before_first_publication(self):
        """The shown date may move forward (an update), never before the first publication."""
        first = self.first_published_at
        if first and self.published_at and self.published_at < first:
            raise ValidationError(
                {
                    "published_at": "发布时间不能早于首次发布时间 "
                    f"{timezone.localtime(first):%Y-%m-%d %H:%M}。"
                }
            )

    @property
    def plain_text(self):
        """Abstract and body as plain text (``search_text`` without its title line)."""
        return self.search_text.removeprefix(normalise(self.title)).lstrip("\n")

    @property
    def published_date(self):
        """The day of publication in the site's time zone, as lists show it (YYYY-MM-DD)."""
        return timezone.localdate(self.published_at).isoformat() if self.published_at else ""

    @property
    def is_public(self):
        return (
            self.status == self.Status.PUBLISHED
            and self.published_at is not None
            and self.published_at <= timezone.now()
        )


class TitlePair(models.Model):
    """A pair of Chinese characters in a published article's title, with its date: the
    search's list of the articles whose title holds the pair, newest first, read from one
    index without visiting the articles (articles/search.py, ``_pair_title_hits``).

    On PostgreSQL a trigger (migration 0019) writes these rows whenever an article is
    written or deleted, from its ``search_tokens``; no Python code writes them. SQLite
    searches by substring and leaves the table empty."""

    # Its index, walked backwards from the end of a pair, lists the pair's newest first.
    pk = models.CompositePrimaryKey("pair", "published_at", "article")
    pair = models.CharField(max_length=11)  # as in search_tokens: "t" and two code points
    published_at = models.DateTimeField()
    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="+")

    def __str__(self):
        return f"{self.article_id} {self.pair}"


# Path separators, quotes and control characters: a browser would refuse or mangle them.
UNSAFE_IN_FILE_NAMES = re.compile(r'[\x00-\x1f\x7f/\\"]')


class Attachment(models.Model):
    """A downloadable file of an article (PDF, Word, Excel, WPS or an image).

    Readers download it through ``get_absolute_url()`` (articles/downloads.py), which checks
    the article is published; nginx serves nothing of ``FOLDER`` under /media/ itself.
    """

    FOLDER = "attachments"

    article = models.ForeignKey(
        Article, verbose_name="文章", on_delete=models.CASCADE, related_name="attachments"
    )
    title = models.CharField(
        "附件名称", max_length=120, help_text="读者看到的名称，例如“附件1：申报表”。"
    )
    file = AttachmentField("文件", upload_to=RandomName(FOLDER))
    size = models.PositiveBigIntegerField("大小（字节）", default=0, editable=False)
    position = models.PositiveSmallIntegerField("排序", default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "附件"
        verbose_name_plural = "附件"
        ordering = ["position", "pk"]

    def __str__(self):
        return self.title

    def save(self, *args, **kwargs):
        # Stored once, so listing attachments never asks the storage (disk or S3) for sizes.
        if self.file and not self.file._committed:
            self.size = self.file.size
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("articles:attachment", args=[self.article_id, self.pk])

    @property
    def extension(self):
        return self.file.name.rsplit(".", 1)[-1].upper() if "." in self.file.name else ""

    @property
    def download_name(self):
        """The title readers see as the saved file's name, e.g. 附件1：申报表.xlsx."""
        name = UNSAFE_IN_FILE_NAMES.sub("_", self.title).strip(" .") or "附件"
        suffix = f".{self.extension.lower()}" if self.extension else ""
        return name if name.lower().endswith(suffix) else name + suffix


class ViewCountBatch(models.Model):
    """A batch of buffered views already added to the articles (see articles/viewcounts.py).

    Its unique key is what makes a retried or overlapping flush add each batch only once.
    """

    key = models.CharField(max_length=80, unique=True)
    views = models.PositiveIntegerField(default=0)
    applied_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "浏览量批次"
        verbose_name_plural = "浏览量批次"
        ordering = ["-applied_at", "-pk"]

    def __str__(self):
        return self.key
