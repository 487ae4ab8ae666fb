"""Rich text: the one module that knows which editor the admin uses and how bodies are cleaned.

The design names django-ckeditor (CKEditor 4.22.1, unmaintained upstream). Everything the
rest of the project needs — the model field, the widget, the sanitiser — comes from here,
so replacing the editor is a change to this file alone. Whatever an editor sends, what is
stored is the nh3-sanitised HTML: an allowlist of tags and attributes, no ``style``, no
event handlers, only http(s)/mailto/tel links and no protocol-relative URLs.
"""

import html
import re

import nh3
from ckeditor.widgets import CKEditorWidget
from django.db import models
from django.forms.widgets import Media
from django.utils.html import strip_tags

from portal import renditions

ALLOWED_TAGS = {
    "p", "br", "hr", "h2", "h3", "h4", "strong", "b", "em", "i", "u", "s", "sub", "sup",
    "blockquote", "ul", "ol", "li", "a", "img", "figure", "figcaption",
    "table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    # Nothing on every tag: left out, nh3 would keep ammonia's generic "lang" and "title".
    "*": set(),
    "a": {"href", "title"},
    "img": {"src", "alt", "width", "height"},
    "th": {"colspan", "rowspan", "scope"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
ALIGN_CLASSES = {"text-left", "text-center", "text-right", "text-justify"}
ALLOWED_CLASSES = dict.fromkeys(("p", "h2", "h3", "h4", "figure"), ALIGN_CLASSES)
URL_SCHEMES = {"http", "https", "mailto", "tel"}
# Browsers read "/\host" and "\\host" like "//host": all of these leave the site.
_OFF_SITE = re.compile(r"^[\s\x00-\x1f]*[/\\]{2}|^[\s\x00-\x1f]*/\\")


def _relative_url(url):
    """Keep site-relative links, drop protocol-relative ones."""
    return None if _OFF_SITE.match(url) else url


def sanitize_html(value):
    """Return ``value`` reduced to the allowlist, with our own images at the sizes screens
    need (portal/renditions.py); applying it twice changes nothing."""
    if not value:
        return ""
    return renditions.in_body(_clean(value))


def _clean(value):
    return nh3.clean(
        value,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        url_relative=_relative_url,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def html_to_text(value):
    """Plain text of sanitised HTML, for search and excerpts."""
    text = strip_tags(re.sub(r"<(br|/p|/h\d|/li|/tr|/blockquote)[^>]*>", "\n", value or ""))
    return re.sub(r"[ \t\r\f\v]+", " ", html.unescape(text)).strip()


class RichTextWidget(CKEditorWidget):
    """CKEditor with the project's upload endpoint and CSRF header (static/js/editor.js)."""

    def __init__(self, *args, template_name="portal/richtext_widget.html", **kwargs):
        # Its own template: django-ckeditor's has an inline style (see portal/security.py).
        super().__init__(*args, template_name=template_name, **kwargs)

    @property
    def media(self):
        # One list, so editor.js is sure to run after ckeditor.js has defined CKEDITOR.
        media = super().media
        css = {**media._css, "all": [*media._css.get("all", []), "css/richtext.css"]}
        return Media(css=css, js=[*media._js, "js/editor.js"])


class RichTextField(models.TextField):
    """A text column holding sanitised HTML; sanitised again on every save."""

    def pre_save(self, model_instance, add):
        value = sanitize_html(getattr(model_instance, self.attname))
        setattr(model_instance, self.attname, value)
        return value

    def formfield(self, **kwargs):
        # Always the editor: the admin would otherwise swap in its plain textarea for TextField.
        return super().formfield(**{**kwargs, "widget": RichTextWidget(config_name="default")})
