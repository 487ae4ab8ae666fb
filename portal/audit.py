"""The audit trail's one writer. Services call ``record()`` inside their transaction."""

from django.contrib.contenttypes.models import ContentType

from .models import AuditEntry


def record(*, by, action, obj=None, summary, **data):
    """Write who (``by``) did ``action`` to ``obj``; ``data`` holds the details (what changed)."""
    user = by if getattr(by, "is_authenticated", False) else None
    return AuditEntry.objects.create(
        user=user,
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        summary=summary[:300],
        data=data,
    )


def changed_fields(before, after, fields):
    """{field: [old, new]} for the fields whose value differs; for the ``data`` of an entry."""
    return {
        name: [getattr(before, name), getattr(after, name)]
        for name in fields
        if getattr(before, name) != getattr(after, name)
    }
