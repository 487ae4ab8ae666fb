from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import F
from django.utils import timezone
from django.utils.html import format_html

from portal import renditions
from portal.admin import AuditedModelAdmin, HistoryAdmin

from . import services
from .models import Article, Attachment, Category
from .selectors import (
    SCHEDULED_SOON,
    category_freshness,
    freshness_conditions,
    scheduled_condition,
)

Status = Article.Status


class FreshnessFilter(admin.SimpleListFilter):
    """空白栏目 and 超期未更新 are failed inspection items: let staff find them in one click."""

    title = "更新情况"
    parameter_name = "freshness"

    def lookups(self, request, model_admin):
        return [("empty", "空白栏目"), ("stale", "超期未更新"), ("ok", "正常")]

    def queryset(self, request, queryset):
        if condition := freshness_conditions().get(self.value()):
            return queryset.filter(condition)
        return queryset


@admin.register(Category)
class CategoryAdmin(AuditedModelAdmin, HistoryAdmin):
    list_display = [
        "name",
        "parent",
        "slug",
        "position",
        "show_in_nav",
        "column_type",
        "published_count_display",
        "last_published_display",
        "freshness",
    ]
    list_display_links = ["name"]
    list_editable = ["position", "show_in_nav"]
    list_filter = [
        FreshnessFilter,
        "column_type",
        "needs_final_review",
        ("parent", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    fields = [
        "name",
        "slug",
        "parent",
        "position",
        "column_type",
        "is_topic",
        "show_in_nav",
        "needs_final_review",
        "description",
    ]

    def get_queryset(self, request):
        return category_freshness(super().get_queryset(request))

    @admin.display(description="已发布", ordering="published_count")
    def published_count_display(self, obj):
        return obj.published_count

    @admin.display(description="最近发布", ordering="last_published_at")
    def last_published_display(self, obj):
        if obj.last_published_at is None:
            return "—"
        return f"{timezone.localtime(obj.last_published_at):%Y-%m-%d}"

    @admin.display(description="更新情况")
    def freshness(self, obj):
        if not obj.published_count:
            return format_html('<span class="badge badge-danger">{}</span>', "空白栏目")
        period = obj.update_period
        if period and obj.last_published_at < timezone.now() - period:
            days = (timezone.now() - obj.last_published_at).days
            return format_html('<span class="badge badge-warning">超期未更新（{}天）</span>', days)
        return format_html('<span class="badge badge-ok">{}</span>', "正常")

    class Media:
        css = {"all": ["css/admin.css"]}


class AttachmentInline(admin.TabularInline):
    model = Attachment
    extra = 1
    fields = ["title", "file", "position"]


class MineFilter(admin.SimpleListFilter):
    """An editor's own articles: the admin index links here for 被退回 and 我的草稿."""

    title = "创建人"
    parameter_name = "mine"

    def lookups(self, request, model_admin):
        return [("1", "我创建的")]

    def queryset(self, request, queryset):
        return queryset.filter(created_by=request.user) if self.value() == "1" else queryset


class ScheduleFilter(admin.SimpleListFilter):
    """Articles set to publish themselves later (status 已发布, time not reached)."""

    title = "定时发布"
    parameter_name = "scheduled"

    def lookups(self, request, model_admin):
        return [("week", f"{SCHEDULED_SOON.days}天内发布"), ("all", "全部定时发布")]

    def queryset(self, request, queryset):
        if self.value() in ("week", "all"):
            within = SCHEDULED_SOON if self.value() == "week" else None
            return queryset.filter(scheduled_condition(within=within))
        return queryset


class ArticleAdminForm(forms.ModelForm):
    user = None  # set per request by ArticleAdmin.get_form

    def clean(self):
        cleaned = super().clean()
        status = cleaned.get("status")
        # 发布时间 left empty means "now" (its help text says so). Filled in here, before the
        # form checks the database rule that a published article has a date; the service
        # still moves a first publication's time up to the moment it happens.
        if status == Status.PUBLISHED and not cleaned.get("published_at"):
            cleaned["published_at"] = timezone.now()
        if (
            status == Status.RETURNED
            and "review_comment" in self.fields
            and not cleaned.get("review_comment", "").strip()
        ):
            self.add_error("review_comment", services.COMMENT_REQUIRED)
        if status and cleaned.get("category") and self.user is not None:
            # The service's rule, as a form error: the section chosen may need 二审.
            moved = Article(status=status, category=cleaned["category"])
            previous = services.saved_status(self.instance)
            if message := services.refusal(by=self.user, article=moved, previous=previous):
                self.add_error("status", message)
        return cleaned


@admin.register(Article)
class ArticleAdmin(AuditedModelAdmin, HistoryAdmin):
    """Saves go through ``services.article_save`` (which writes the audit entry); deletes and
    attachment changes are recorded by ``AuditedModelAdmin``."""

    form = ArticleAdminForm

    list_display = [
        "thumbnail",
        "title",
        "category",
        "kind",
        "status_badge",
        "published_at",
        "pinned",
        "headline",
        "view_count",
        "updated_by",
    ]
    list_display_links = ["title"]
    list_filter = ["status", MineFilter, ScheduleFilter, "kind", "pinned", "headline", "category"]
    # Drafts have no date yet: first on every database (SQLite would put NULL last).
    ordering = [F("published_at").desc(nulls_first=True), "-pk"]
    list_select_related = ["category", "category__parent", "updated_by"]
    list_per_page = 50
    search_fields = ["title", "summary", "author", "source", "submitting_unit"]
    date_hierarchy = "published_at"
    autocomplete_fields = ["category"]
    inlines = [AttachmentInline]
    readonly_fields = [
        "first_published_at",
        "view_count",
        "created_by",
        "created_at",
        "updated_by",
        "updated_at",
        "import_source",
    ]
    fieldsets = [
        (
            None,
            {"fields": ["title", "category", "kind", "status", "review_comment", "published_at"]},
        ),
        (
            "内容",
            {"fields": ["summary", "body", "source", "author", "submitting_unit", "keywords"]},
        ),
        ("图片", {"fields": ["cover", "cover_alt", "headline", "pinned"]}),
        ("视频（类型为“视频”时填写）", {"fields": ["video_file", "video_url", "video_poster"]}),
        (
            "记录",
            {
                "classes": ["collapse"],
                "fields": [
                    "first_published_at",
                    "view_count",
                    "created_by",
                    "created_at",
                    "updated_by",
                    "updated_at",
                    "import_source",
                ],
            },
        ),
    ]
    actions = [
        "submit_for_review",
        "approve_for_final_review",
        "publish",
        "withdraw",
        "pin",
        "unpin",
    ]
    FINAL_REVIEW_NOTE = "本栏目须经二审：审核人员初审通过后选“待终审”，由终审人员发布。"
    RETURNED_NOTE = "审核人员退回了这篇文章。请按退回意见修改，改好后把状态改为“待审核”重新提交。"

    class Media:
        css = {"all": ["css/admin.css"]}

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.resolver_match and request.resolver_match.url_name.endswith("changelist"):
            queryset = queryset.defer("body", *Article.SEARCH_FIELDS)
        return queryset

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.user = request.user
        if "status" in form.base_fields:
            form.base_fields["status"].choices = services.status_choices_for(request.user, obj)
            if obj is not None and services.needs_final_review(obj):
                form.base_fields["status"].help_text = self.FINAL_REVIEW_NOTE
        if "review_comment" in form.base_fields:
            form.base_fields["review_comment"].widget.attrs["rows"] = 3
        if not services.can_publish(request.user):
            for name in ("pinned", "headline"):
                form.base_fields.pop(name, None)
        return form

    def get_readonly_fields(self, request, obj=None):
        readonly = super().get_readonly_fields(request, obj)
        if services.can_publish(request.user):
            return readonly
        return [*readonly, "review_comment"]  # editors read it; reviewers write it

    def get_fieldsets(self, request, obj=None):
        reviewer = services.can_publish(request.user)
        returned = obj is not None and obj.status == Status.RETURNED
        # Editors see the comment only while it is theirs to act on, at the top of the form.
        hidden = set() if reviewer else {"pinned", "headline"}
        if returned or not reviewer:
            hidden.add("review_comment")
        fieldsets = [
            (title, {**options, "fields": [f for f in options["fields"] if f not in hidden]})
            for title, options in super().get_fieldsets(request, obj)
        ]
        if returned:
            note = {"fields": ["review_comment"], "description": self.RETURNED_NOTE}
            fieldsets.insert(0, ("退回意见", {**note, "classes": ["returned-note"]}))
        return fieldsets

    def has_change_permission(self, request, obj=None):
        if (
            obj is not None
            and obj.status in services.LOCKED
            and not services.may_publish(request.user, obj)
        ):
            return False
        return super().has_change_permission(request, obj)

    def has_publish_permission(self, request):
        return services.can_publish(request.user)

    def save_model(self, request, obj, form, change):
        # Who may change what is the service's rule, checked against the saved status (``obj``
        # already carries the form's).
        try:
            services.article_save(article=obj, by=request.user, reason=self.restoring(request))
        except ValidationError as error:
            # A race (someone published meanwhile) can still break a rule the form checked.
            raise PermissionDenied(" ".join(error.messages)) from error

    @admin.display(description="封面")
    def thumbnail(self, obj):
        if not obj.cover:
            return "—"
        cover = obj.cover
        return renditions.picture(
            cover.storage, cover.name, obj.cover_width, obj.cover_height, sizes="64px", alt=""
        )

    @admin.display(description="状态", ordering="status")
    def status_badge(self, obj):
        label = obj.get_status_display()
        if obj.status == Status.PUBLISHED and not obj.is_public:
            label = "定时发布"
        badge = format_html('<span class="badge status-{}">{}</span>', obj.status, label)
        if obj.status == Status.RETURNED:
            return format_html(
                '{}<div class="review-comment">退回意见：{}</div>', badge, obj.review_comment
            )
        return badge

    def _move(self, request, queryset, to, label):
        done, refused = 0, []
        for article in queryset.select_related("category__parent"):
            try:
                services.article_move(article=article, to=to, by=request.user)
                done += 1
            except (PermissionDenied, ValidationError) as error:
                refused.append(
                    f"《{article.title}》：{' '.join(getattr(error, 'messages', [str(error)]))}"
                )
        if done:
            self.message_user(request, f"已{label} {done} 篇文章。", messages.SUCCESS)
        for line in refused:
            self.message_user(request, f"未能{label}{line}", messages.WARNING)

    @admin.action(description="提交审核", permissions=["change"])
    def submit_for_review(self, request, queryset):
        self._move(request, queryset, Status.REVIEW, "提交审核")

    @admin.action(description="初审通过（需要二审的栏目）", permissions=["publish"])
    def approve_for_final_review(self, request, queryset):
        self._move(request, queryset, Status.FINAL_REVIEW, "初审通过")

    @admin.action(description="发布", permissions=["publish"])
    def publish(self, request, queryset):
        self._move(request, queryset, Status.PUBLISHED, "发布")

    @admin.action(description="撤回", permissions=["publish"])
    def withdraw(self, request, queryset):
        self._move(request, queryset, Status.WITHDRAWN, "撤回")

    def _set_pinned(self, request, queryset, pinned):
        articles = list(queryset)
        for article in articles:
            services.article_set_pinned(article=article, pinned=pinned, by=request.user)
        self.message_user(request, f"已{'置顶' if pinned else '取消置顶'} {len(articles)} 篇文章。")

    @admin.action(description="置顶", permissions=["publish"])
    def pin(self, request, queryset):
        self._set_pinned(request, queryset, True)

    @admin.action(description="取消置顶", permissions=["publish"])
    def unpin(self, request, queryset):
        self._set_pinned(request, queryset, False)
