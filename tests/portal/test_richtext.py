"""The sanitiser: what an editor's HTML may keep, and what never reaches a page."""

import pytest

from portal.richtext import sanitize_html
from tests.factories import ArticleFactory


@pytest.mark.parametrize(
    ("dirty", "clean"),
    [
        ("<p>正文</p><script>alert(1)</script>", "<p>正文</p>"),
        (
            '<img src="/media/a.jpg" onerror="alert(1)" alt="图">',
            '<img src="/media/a.jpg" alt="图">',
        ),
        ('<a href="javascript:alert(1)">链接</a>', '<a rel="noopener noreferrer">链接</a>'),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<img src="data:image/png;base64,AAAA">', "<img>"),
        ('<a href="//evil.example/">x</a>', '<a rel="noopener noreferrer">x</a>'),
        ('<a href="/\\evil.example/">x</a>', '<a rel="noopener noreferrer">x</a>'),
        (
            '<p style="color:red" class="text-center evil">居中</p>',
            '<p class="text-center">居中</p>',
        ),
        (
            '<a href="https://www.gov.cn/" target="_blank">政府网</a>',
            '<a href="https://www.gov.cn/" rel="noopener noreferrer">政府网</a>',
        ),
        (
            '<a href="/article/1/">站内</a>',
            '<a href="/article/1/" rel="noopener noreferrer">站内</a>',
        ),
        ("<iframe src='https://x'></iframe><p>留下</p>", "<p>留下</p>"),
        ("<svg><g onload=alert(1)></g></svg>", ""),
        ("<style>p{}</style><p>a</p>", "<p>a</p>"),
        ("<!-- 注释 --><p>a</p>", "<p>a</p>"),
        (
            '<table><tr><td colspan="2" onclick="x()">格</td></tr></table>',
            '<table><tbody><tr><td colspan="2">格</td></tr></tbody></table>',
        ),
    ],
)
def test_sanitiser_keeps_the_allowlist_only(dirty, clean):
    assert sanitize_html(dirty) == clean


@pytest.mark.parametrize(
    "html",
    [
        '<p><a href="/x">a</a></p>',
        '<img src="x" alt="&lt;b&gt;">',
        "<p>&amp;amp; &lt;</p>",
        "<b><i>x</b></i>",
    ],
)
def test_sanitising_twice_changes_nothing(html):
    once = sanitize_html(html)
    assert sanitize_html(once) == once


def test_article_body_is_sanitised_on_save(subsection):
    article = ArticleFactory(
        category=subsection, body='<p onclick="x()">好</p><script>bad()</script>'
    )
    article.refresh_from_db()
    assert article.body == "<p>好</p>"
