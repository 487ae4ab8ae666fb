"""Writes to articles. The admin's form, its bulk actions and the tests all come through here,
so the publishing rules hold however an article is changed.

Editors (编辑) write and submit for review; reviewers (审核) send back with a comment
(退回修改), publish, withdraw and pin. In a section that needs 二审 a reviewer's approval
makes the article 待终审 and a user of the 终审 group publishes it.
Every save is recorded by django-simple-history with the user and a reason.
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from portal import audit

from . import viewcounts
from .models import Article

PUBLISH_PERMISSION = "articles.publish_article"
FINAL_REVIEW_PERMISSION = "articles.final_review_article"
Status = Article.Status

# (from, to) moves an editor may make; reviewers may make these and the ones below.
EDITOR_MOVES = {
    (None, Status.DRAFT),
    (None, Status.REVIEW),
    (Status.DRAFT, Status.REVIEW),
    (Status.REVIEW, Status.DRAFT),
    (Status.RETURNED, Status.DRAFT),
    (Status.RETURNED, Status.REVIEW),
    (Status.WITHDRAWN, Status.DRAFT),
    (Status.WITHDRAWN, Status.REVIEW),
}
PUBLISH_MOVES = {
    (None, Status.PUBLISHED),
    (Status.DRAFT, Status.PUBLISHED),
    (Status.REVIEW, Status.PUBLISHED),
    (Status.FINAL_REVIEW, Status.PUBLISHED),
    (Status.WITHDRAWN, Status.PUBLISHED),
}
# A reviewer of a section without 二审 (where 待终审 is left only if 二审 was switched off).
REVIEWER_MOVES = (
    EDITOR_MOVES
    | PUBLISH_MOVES
    | {
        (Status.REVIEW, Status.RETURNED),
        (Status.FINAL_REVIEW, Status.RETURNED),
        (Status.PUBLISHED, Status.WITHDRAWN),
    }
)
# In a section that needs 二审: a reviewer approves once, a 终审 user publishes.
FIRST_REVIEWER_MOVES = (
    REVIEWER_MOVES - PUBLISH_MOVES - {(Status.FINAL_REVIEW, Status.RETURNED)}
) | {(Status.REVIEW, Status.FINAL_REVIEW)}
FINAL_REVIEWER_MOVES = REVIEWER_MOVES | {(Status.REVIEW, Status.FINAL_REVIEW)}
# Changed only by who may publish the article: what readers see, and what was approved.
LOCKED = {Status.PUBLISHED, Status.FINAL_REVIEW}

MOVE_REASONS = {
    Status.DRAFT: "改回草稿",
    Status.REVIEW: "提交审核",
    Status.RETURNED: "退回修改",
    Status.FINAL_REVIEW: "初审通过，提交终审",
    Status.PUBLISHED: "发布",
    Status.WITHDRAWN: "撤回",
}
NEW_REASONS = {Status.DRAFT: "新建草稿", Status.REVIEW: "新建并提交审核"}
COMMENT_REQUIRED = "退回修改时请写明退回意见，编辑据此修改。"


def can_publish(user):
    """Whether ``user`` is a reviewer at all (publishes somewhere, withdraws, pins)."""
    return user.has_perm(PUBLISH_PERMISSION)


def needs_final_review(article):
    return article.category_id is not None and article.category.requires_final_review


def moves_for(user, article):
    """The (from, to) moves ``user`` may make on ``article`` in its (new) section."""
    if not can_publish(user):
        return EDITOR_MOVES
    if not needs_final_review(article):
        return REVIEWER_MOVES
    if user.has_perm(FINAL_REVIEW_PERMISSION):
        return FINAL_REVIEWER_MOVES
    return FIRST_REVIEWER_MOVES


def may_publish(user, article):
    return (Status.REVIEW, Status.PUBLISHED) in moves_for(user, article)


def status_choices_for(user, article=None):
    """The statuses ``user`` may pick for ``article`` (a new one when None): its section's
    moves, or for a new article those of any section (the form checks the one chosen)."""
    current = article.status if article is not None and article.pk else None
    if article is not None and article.category_id:
        moves = moves_for(user, article)
    else:
        moves = (FINAL_REVIEWER_MOVES | FIRST_REVIEWER_MOVES) if can_publish(user) else EDITOR_MOVES
    allowed = {to for (frm, to) in moves if frm == current} | ({current} if current else set())
    return [(value, label) for value, label in Status.choices if value in allowed]


def saved_status(article):
    """The status ``article`` has in the database (None for a new one)."""
    if article.pk is None:
        return None
    return Article.objects.filter(pk=article.pk).values_list("status", flat=True).first()


def refusal(*, by, article, previous):
    """Why ``by`` may not save ``article`` with its status now over ``previous``, or None."""
    if previous == article.status:
        if previous in LOCKED and not may_publish(by, article):
            return (
                f"{Status(previous).label}的文章只有能发布它的人员可以修改，"
                "请先联系审核人员撤回或退回。"
            )
        return None
    if (previous, article.status) in moves_for(by, article):
        return None
    if article.status == Status.PUBLISHED and can_publish(by):
        return (
            f"“{article.category}”栏目的文章须经二审：初审通过请把状态改为“待终审”，"
            "由终审人员发布。"
        )
    return (
        f"不能把文章从“{Status(previous).label if previous else '新建'}”"
        f"改为“{Status(article.status).label}”。发布、撤回和退回须由审核人员操作。"
    )


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


def _reason(previous, status):
    if previous is None:
        return NEW_REASONS.get(status) or MOVE_REASONS[status]
    return MOVE_REASONS[status] if previous != status else "修改"


@transaction.atomic
def article_save(*, article, by, reason=""):
    """Save ``article`` as user ``by``, enforcing who may move it to its new status.

    ``reason`` names the change in the history and the audit trail; by default the move
    (新建草稿, 提交审核, 退回修改, 发布 …) or 修改."""
    previous = saved_status(article)
    if message := refusal(by=by, article=article, previous=previous):
        raise PermissionDenied(message)
    if article.status == Status.RETURNED and not article.review_comment.strip():
        raise ValidationError({"review_comment": COMMENT_REQUIRED})
    if article.status == Status.REVIEW and previous != Status.REVIEW:
        article.review_comment = ""  # answered by resubmitting; the history keeps it
    if article.status == Status.PUBLISHED:
        _stamp_publication(article, timezone.now())
    if article.pk is None:
        article.created_by = by
    article.updated_by = by
    article._history_user = by
    article._change_reason = reason or _reason(previous, article.status)
    article.save()
    audit.record(
        by=by,
        action=f"article.{article.status}" if previous != article.status else "article.change",
        obj=article,
        summary=f"{article._change_reason}《{article.title}》",
        status=[previous, article.status],
    )
    return article


IMPORT_REASON = "导入"


@transaction.atomic
def article_import(*, article, source, published_at, reason=IMPORT_REASON):
    """Save ``article`` moved in from the site this portal replaces (``manage.py import_site``).

    The one place a past publish date may be set: the old site's date becomes both the date
    shown and the first publication, so a reviewer who later publishes an imported draft keeps
    it (``_stamp_publication`` moves only the date of what was never published). History and
    audit trail say 导入 (or ``reason``) and the old address; no user is recorded, as for other
    commands."""
    previous = saved_status(article)
    article.published_at = article.first_published_at = published_at
    article.import_source = source
    article._history_user = None
    article._change_reason = reason
    article.save()
    audit.record(
        by=None,
        action="article.import",
        obj=article,
        summary=f"{reason}《{article.title}》",
        source=source,
        status=[previous, article.status],
    )
    return article


def article_move(*, article, to, by):
    """Change one article's status (submit, approve, publish, withdraw)."""
    article.status = to
    return article_save(article=article, by=by)


def article_send_back(*, article, by, comment):
    """退回修改: back to the editor with ``comment``, which they see on the article and in
    the list until they submit it again."""
    if not comment.strip():
        raise ValidationError({"review_comment": COMMENT_REQUIRED})
    article.status = Status.RETURNED
    article.review_comment = comment.strip()
    return article_save(article=article, by=by)


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
