import re

from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

register = template.Library()


@register.filter
def highlight(text, query):
    """Escape ``text`` and wrap each case-insensitive occurrence of ``query`` in <mark>."""
    if not query:
        return escape(text or "")
    parts = re.split(f"({re.escape(query)})", text or "", flags=re.IGNORECASE)
    marked = "".join(
        f"<mark>{escape(part)}</mark>" if index % 2 else escape(part)
        for index, part in enumerate(parts)
    )
    return mark_safe(marked)  # noqa: S308 - every part is escaped above


@register.filter
def excerpt(text, query, width=70):
    """A window of ``text`` around the first occurrence of ``query``."""
    text = re.sub(r"\s+", " ", text or "")
    at = text.lower().find((query or "").lower()) if query else -1
    if at < 0:
        return text[: width * 2] + ("…" if len(text) > width * 2 else "")
    start = max(at - width, 0)
    end = min(at + len(query) + width, len(text))
    return ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
