"""简 / 繁: pages in traditional characters for readers who choose 繁 (cookie zh=hant).

Pages are written and rendered in simplified Chinese; a page for a 繁 reader is converted on
its way out, text only. Markup, addresses, form values, the CSRF token, scripts, styles and
the contents of a <textarea> (what a secretary is about to save) stay as they are; of the
attributes only those a reader sees or hears are converted (alt, title, aria-label,
placeholder). OpenCC converts by phrases (头发 → 頭髮, 发展 → 發展, 公里 stays 公里); its
tables load once per process, at the first use. A 20 KB page takes about a millisecond.

The page cache sits outside this middleware, so an anonymous reader's converted page is
stored under its cookie and converted once per content version.
"""

import functools
import re

import opencc
from django.conf import settings

from . import preferences

# What is not text: tags, and the content of elements that is not text for a reader (the
# opening tag of those in group 1, the rest in group 3), comments and the doctype.
_MARKUP = re.compile(
    r"(<(script|style|textarea)\b[^>]*>)(.*?</\2\s*>)|<!--.*?-->|<![^>]*>|<[^>]*>", re.S | re.I
)
_READABLE_ATTRIBUTE = re.compile(
    r"""\s(?:alt|title|aria-label|placeholder)\s*=\s*(?:"([^"]*)"|'([^']*)')""", re.I
)
_HTML_LANG = re.compile(r"""(<html\b[^>]*?\blang=)(["'])[^"']*\2""", re.I)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Pieces are converted in one call, joined by a character no text has; OpenCC treats it as
# a boundary, so no phrase is matched across two pieces.
_JOIN = "\ue000"


@functools.cache
def _converter(config):
    return opencc.OpenCC(config)


def to_traditional(text):
    return _converter("s2t").convert(text)


def to_simplified(text):
    return _converter("t2s").convert(text)


def traditional_html(html):
    """The page with its text in traditional characters and ``<html lang="zh-Hant">``."""
    pieces = []  # the page in order: markup as it is, or the index of a text in ``texts``
    texts = []

    def text(value):
        if _HAN.search(value):
            pieces.append(len(texts))
            texts.append(value)
        else:
            pieces.append(value)

    def tag(value):
        if not _HAN.search(value):
            pieces.append(value)
            return
        position = 0
        for match in _READABLE_ATTRIBUTE.finditer(value):
            group = 1 if match[1] is not None else 2
            pieces.append(value[position : match.start(group)])
            text(match[group])
            position = match.end(group)
        pieces.append(value[position:])

    position = 0
    for match in _MARKUP.finditer(html):
        text(html[position : match.start()])
        if match[1]:
            tag(match[1])
            pieces.append(match[3])
        elif match[0].startswith("<!"):
            pieces.append(match[0])
        else:
            tag(match[0])
        position = match.end()
    text(html[position:])

    if _JOIN in html:  # cannot be joined safely: one call per piece
        converted = [to_traditional(value) for value in texts]
    else:
        converted = to_traditional(_JOIN.join(texts)).split(_JOIN)
    page = "".join(converted[piece] if isinstance(piece, int) else piece for piece in pieces)
    return _HTML_LANG.sub(r"\1\2zh-Hant\2", page, count=1)


class TraditionalChineseMiddleware:
    """Converts HTML pages for readers whose cookie asks for 繁 (see the module docstring)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if preferences.traditional(request) and _convertible(request, response):
            charset = response.charset
            response.content = traditional_html(response.content.decode(charset)).encode(charset)
            if response.has_header("Content-Length"):
                response["Content-Length"] = str(len(response.content))
        return response


def _convertible(request, response):
    return (
        not response.streaming
        and response.get("Content-Type", "").startswith("text/html")
        and not response.has_header("Content-Encoding")
        # Staff edit the simplified originals in the admin; nothing there is converted.
        and not request.path.startswith("/" + settings.ADMIN_URL)
    )
