"""Writes to articles. The admin's form, its bulk actions and the tests all come through here,
so the publishing rules hold however an article is changed.

Editors (编辑) write and submit for review; reviewers (审核) publish, withdraw and pin.
Every save is recorded by django-simple-history with the user and a reason.
"""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from portal import audit

from . import viewcounts
from .models import Article

PUBLISH_PERMISSION = "articles.publish_article"
Status = Article.Status

# (from, to) moves an editor may make; reviewers may make these and the ones below.
EDITOR_MOVES = {
    (None, Status.DRAFT),
    (None, Status.REVIEW),
    (Status.DRAFT, Status.REVIEW),
    (Status.REVIEW, Status.DRAFT),
    (Status.WITHDRAWN, Status.DRAFT),
    (Status.WITHDRAWN, Status.REVIEW),
}
REVIEWER_MOVES = EDITOR_MOVES | {
    (None, Status.PUBLISHED),
    (Status.DRAFT, Status.PUBLISHED),
    (Status.REVIEW, Status.PUBLISHED),
    (Status.PUBLISHED, Status.WITHDRAWN),
    (Status.WITHDRAWN, Status.PUBLISHED),
}
MOVE_REASONS = {
    Status.DRAFT: "退回草稿",
    Status.REVIEW: "提交审核",
    Status.PUBLISHED: "发布",
    Status.WITHDRAWN: "撤回",
}


def can_publish(user):
    return user.has_perm(PUBLISH_PERMISSION)


def status_choices_for(user, current=None):
    """The statuses ``user`` may pick for an article now in ``current``."""
    moves = REVIEWER_MOVES if can_publish(user) else EDITOR_MOVES
    allowed = {to for (frm, to) in moves if frm == current} | ({current} if current else set())
    return [(value, label) for value, label in Status.choices if value in allowed]


def _stamp_publication(article, now):
    """Set the publish times; the first publication is never dated before the moment it happens."""
    if article.published_at is None:
        article.published_at = now
    never_public = article.first_published_at is None or article.first_published_at > now
    if never_public:
        article.published_at = max(article.published_at, now)
        article.first_published_at = article.published_at
    else:
        article.check_not_before_first_publication()


@transaction.atomic
def article_save(*, article, by, reason=""):
    """Save ``article`` as user ``by``, enforcing who may move it to its new status."""
    previous = (
        Article.objects.filter(pk=article.pk).values_list("status", flat=True).first()
        if article.pk
        else None
    )
    if previous == Status.PUBLISHED and not can_publish(by):
        raise PermissionDenied("已发布的文章只有审核人员可以修改，请先联系审核人员撤回。")
    if previous != article.status:
        moves = REVIEWER_MOVES if can_publish(by) else EDITOR_MOVES
        if (previous, article.status) not in moves:
            raise PermissionDenied(
                f"不能把文章从“{Status(previous).label if previous else '新建'}”"
                f"改为“{Status(article.status).label}”。发布和撤回须由审核人员操作。"
            )
    if article.status == Status.PUBLISHED:
        _stamp_publication(article, timezone.now())
    if article.pk is None:
        article.created_by = by
    article.updated_by = by
    article._history_user = by
    article._change_reason = reason or (
        MOVE_REASONS[article.status] if previous != article.status else "修改"
    )
    article.save()
    audit.record(
        by=by,
        action=f"article.{article.status}" if previous != article.status else "article.change",
        obj=article,
        summary=f"{article._change_reason}《{article.title}》",
        status=[previous, article.status],
    )
    return article


def article_move(*, article, to, by):
    """Change one article's status (submit, publish, withdraw, send back)."""
    article.status = to
    return article_save(article=article, by=by, reason=MOVE_REASONS[to])


@transaction.atomic
def article_set_pinned(*, article, pinned, by):
    if not can_publish(by):
        raise PermissionDenied("只有审核人员可以置顶文章。")
    article.pinned = pinned
    article.updated_by = by
    article._history_user = by
    article._change_reason = "置顶" if pinned else "取消置顶"
    article.save(update_fields=["pinned", "updated_by", "updated_at"])
    audit.record(
        by=by,
        action="article.pin" if pinned else "article.unpin",
        obj=article,
        summary=f"{article._change_reason}《{article.title}》",
    )
    return article


def record_view(article, request):
    """Count ``request`` as a view of ``article`` (see viewcounts.py: GET only, once per
    client and window, added to the database within a minute)."""
    viewcounts.record(request, article.pk)
    article.view_count += 1
