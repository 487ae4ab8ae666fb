"""Form widgets of the public pages that are cheap to draw.

Django draws a ``<select>`` through its template engine: the select template, then for
every option an include of the option template and another of the attributes template.
A filter form of a list page (years, sections, 200 alliances) thus cost more than the
rest of the page; on the benchmark (2026-12-07) the filters were about two fifths of the
section page's rendering. ``QuickSelect`` writes the same markup in Python.
"""

from html import escape

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe


def _text(value):
    """``{{ value }}`` of a template: safe strings as they are, the rest escaped."""
    return value.__html__() if hasattr(value, "__html__") else escape(str(value))


def _attrs(attrs):
    if not attrs:
        return ""
    if attrs == {"selected": True}:
        return " selected"
    return flatatt(attrs)


class QuickSelect(forms.Select):
    """``forms.Select`` with the markup of Django's templates, written without them."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group, options, _ in widget["optgroups"]:
            if group:
                parts.append(format_html('\n  <optgroup label="{}">', group))
            parts.extend(
                f'\n  <option value="{escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
                for option in options
            )
            if group:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped above
