"""Moving in: the articles of the site this portal replaces (``manage.py import_site``).

The old site comes as a folder saved by a recursive download, or as a list of its article
addresses fetched one at a time. A TOML mapping names the CSS selectors of an article page
and which folder goes to which section. Each page becomes an article through
``services.article_import`` (history and audit trail say 导入 and the old address); its body
passes the editor's sanitiser, its images ``clean_image`` like any upload, and its links to
other imported pages point at their new addresses.

An article remembers its old address (``import_source``) and the digest of what the import
wrote (``import_digest``): a second run updates instead of duplicating, leaves what did not
change untouched, and skips an article edited here since, whatever the old page says now.
"""

import codecs
import copy
import hashlib
import json
import re
import time
import tomllib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit, urlunsplit
from urllib.request import Request, urlopen

import soupsieve
from bs4 import BeautifulSoup
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from wcmatch import glob

from portal.richtext import sanitize_html
from portal.uploads import IMAGE_FORMATS, clean_image

from . import services
from .models import Article, Category

MAX_PAGE_BYTES = 5 * 1024 * 1024
MAX_VIEWS = 2**31 - 1  # the column's limit on every database
SELECTOR_KEYS = ("title", "body", "date", "views", "source", "unit")
REQUIRED_SELECTORS = ("title", "body", "date")
ARTICLE_KEYS = {*SELECTOR_KEYS, "encoding"}
MEDIA_FOLDER = "imported"
# The second save of a page whose links lead to pages imported after it in the same run.
LINKS_REASON = "导入：改写站内链接"
# A folder saved without the old host's name: its pages are keyed by their path under it.
NO_HOST = "http://old-site.invalid"
PAGE_SUFFIXES = {".html", ".htm", ".shtml", ".xhtml", ".asp", ".aspx", ".php", ".jsp"}
GLOB_FLAGS = glob.GLOBSTAR | glob.BRACE

DATE = re.compile(
    r"(?<!\d)(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?"
    r"(?:\s*(\d{1,2})\s*[:：]\s*(\d{2}))?"
)
VIEWS = re.compile(r"(?:浏览|瀏覽|阅读|閱讀|点击|點擊)(?:量|数|數|次数|次數)?\s*[:：]?\s*(\d+)")
SOURCE_LABEL = re.compile(r"^(?:文章)?(?:来源|來源)\s*[:：]?\s*")
UNIT_LABEL = re.compile(r"^(?:申报单位|申報單位)\s*[:：]?\s*")
META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
# Old Chinese sites declare GB2312 or GBK and use characters only GB18030 (their superset) has.
GB_ALIASES = {"gb2312", "gbk", "x-gbk", "gb_2312-80", "cp936", "euc-cn", "hz-gb-2312"}
# Checked by the model's own validation before an article is written (lengths, required).
CHECKED_FIELDS = {"title", "category", "body", "source", "submitting_unit"}
LINK_MARK = "data-import-link"
ACTIVE_CONTENT = ("script", "style", "iframe", "object", "embed", "form")


class MappingError(Exception):
    """The command cannot start: the message says what to fix (in Chinese)."""


class PageError(Exception):
    """One page or image cannot be used; the report shows the message."""


@dataclass
class Mapping:
    selectors: dict
    sections: list  # [(pattern, Category)]
    encoding: str | None = None
    host: str | None = None

    def section_for(self, path):
        return next(
            (category for pattern, category in self.sections if _matches(path, pattern)), None
        )


def _matches(path, pattern):
    return glob.globmatch(path, pattern.lstrip("/"), flags=GLOB_FLAGS)


def load_mapping(path):
    """Read and check MAPPING.toml; resolve its section names (nothing is written before)."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise MappingError(f"找不到映射文件 {path}。") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise MappingError(f"无法读取映射文件 {path}（须为 UTF-8 文本）：{exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"映射文件 {path} 不是有效的 TOML：{exc}") from exc
    article = data.get("article")
    if not isinstance(article, dict):
        raise MappingError("映射文件缺少 [article] 部分（文章页的 CSS 选择器）。")
    if unknown := set(article) - ARTICLE_KEYS:
        raise MappingError(
            f"[article] 中有不认识的项：{'、'.join(sorted(unknown))}。"
            f"可用的项：{'、'.join(SELECTOR_KEYS)}、encoding。"
        )
    selectors = {}
    for key in SELECTOR_KEYS:
        value = article.get(key)
        if value is None:
            if key in REQUIRED_SELECTORS:
                raise MappingError(f"[article] 必须给出 {key} 的 CSS 选择器。")
            continue
        if not isinstance(value, str) or not value.strip():
            raise MappingError(f"[article] 的 {key} 须为 CSS 选择器文字。")
        try:
            soupsieve.compile(value)
        except soupsieve.SelectorSyntaxError as exc:
            raise MappingError(f"[article] 的 {key} 不是有效的 CSS 选择器“{value}”：{exc}") from exc
        selectors[key] = value
    encoding = article.get("encoding")
    if encoding is not None:
        try:
            encoding = _codec(encoding)
        except (LookupError, TypeError) as exc:
            raise MappingError(f"[article] 的 encoding “{encoding}” 不是已知的编码。") from exc
    return Mapping(
        selectors=selectors,
        sections=_sections(data.get("sections")),
        encoding=encoding,
        host=_host(data.get("host", article.get("host"))),
    )


def _host(value):
    if value is None:
        return None
    parts = urlsplit(value if "://" in str(value) else f"http://{value}")
    if not isinstance(value, str) or parts.scheme not in ("http", "https") or not parts.netloc:
        raise MappingError(f"host “{value}” 须为旧网站的地址，例如 http://www.example.gov.cn。")
    return f"{parts.scheme}://{parts.netloc.lower()}"


def _sections(table):
    if not isinstance(table, dict) or not table:
        raise MappingError("映射文件缺少 [sections] 部分（路径模式 = 栏目名称）。")
    categories = list(Category.objects.select_related("parent"))
    sections = []
    for pattern, name in table.items():
        if not isinstance(name, str):
            raise MappingError(f"[sections] 中 “{pattern}” 的栏目名称须为文字。")
        found = [c for c in categories if name.strip() in (c.name, str(c))]
        if not found:
            known = "、".join(str(c) for c in categories) or "（还没有栏目）"
            raise MappingError(
                f"栏目“{name}”不存在（[sections] 中 “{pattern}”），未导入任何内容。"
                f"请先在管理后台建立栏目，或改用已有的栏目：{known}。"
            )
        if len(found) > 1:
            raise MappingError(
                f"有 {len(found)} 个栏目名为“{name}”，请写成“上级栏目 > 子栏目”，例如“{found[0]}”。"
            )
        sections.append((pattern, found[0]))
    return sections


def _codec(name):
    name = name.strip().lower()
    return "gb18030" if name in GB_ALIASES else codecs.lookup(name).name


@dataclass
class Page:
    url: str  # its address on the old site (NO_HOST for a folder saved without host)
    key: str  # what the article keeps in import_source
    path: str  # matched against the section patterns
    label: str  # what the report names
    category: Category | None = None


@dataclass
class Report:
    dry_run: bool = False
    imported: list = field(default_factory=list)
    updated: list = field(default_factory=list)
    unchanged: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (label, reason)
    notes: list = field(default_factory=list)  # (label, note): imported, but worth knowing
    images_copied: int = 0
    images_reused: int = 0
    images_missing: list = field(default_factory=list)  # (label, src, reason)
    ignored: int = 0  # files of the folder no section pattern takes (lists, index pages)

    def note(self, page, note):
        if (page.label, note) not in self.notes:
            self.notes.append((page.label, note))

    def lines(self):
        verb = "将" if self.dry_run else ""
        head = "试运行，未写入任何内容。" if self.dry_run else "导入完成。"
        yield (
            f"{head}{verb}新建 {len(self.imported)} 篇，{verb}更新 {len(self.updated)} 篇，"
            f"未变 {len(self.unchanged)} 篇，跳过 {len(self.skipped)} 篇；"
            f"{verb}复制图片 {self.images_copied} 张，已有图片 {self.images_reused} 张，"
            f"缺失图片 {len(self.images_missing)} 张。"
        )
        if self.ignored:
            yield f"没有对应栏目的文件 {self.ignored} 个（不导入）。"
        if self.skipped:
            yield "跳过的页面："
            yield from (f"  {label}：{reason}" for label, reason in self.skipped)
        if self.images_missing:
            yield "缺失的图片（已从正文中去掉）："
            for label, src, reason in self.images_missing:
                yield f"  {label}：{src}（{reason}）"
        if self.notes:
            yield "说明："
            yield from (f"  {label}：{note}" for label, note in self.notes)


class FolderSource:
    """A saved copy of the old site: pages and images are files under ``root``."""

    def __init__(self, root, host):
        self.root = Path(root).resolve()
        self.base = host or NO_HOST

    def pages(self, mapping, report):
        found = sorted(
            p for p in self.root.rglob("*") if p.suffix.lower() in PAGE_SUFFIXES and p.is_file()
        )
        for file in found:
            path = file.relative_to(self.root).as_posix()
            category = mapping.section_for(path)
            if category is None:
                report.ignored += 1
                continue
            url = urljoin(self.base + "/", _quote_path(path))
            yield Page(url=url, key=self.key(url), path=path, label=path, category=category)

    def key(self, url):
        """A page's address: the old URL, or its path under the folder if no host is given."""
        local = _local_path(url)
        return local if self.base == NO_HOST else urljoin(self.base + "/", _quote_path(local))

    def owns(self, url):
        return _same_site(url, self.base)

    def read(self, url, limit, what):
        """The bytes of the file ``url`` names inside the folder (a saved download may also
        keep the host's name as its first folder)."""
        local = _local_path(url)
        host = urlsplit(url).netloc
        for candidate in (self.root / local, self.root / host / local):
            file = candidate.resolve()
            if file.is_relative_to(self.root) and file.is_file():
                size = file.stat().st_size
                if size > limit:
                    raise PageError(_too_large(what, size, limit))
                return file.read_bytes(), None
        raise PageError("文件不存在")


class URLSource:
    """A list of the old site's article addresses, fetched politely: one at a time, a pause
    between requests, a timeout."""

    def __init__(self, list_file, pause=1.0, timeout=20):
        self.list_file = Path(list_file)
        self.pause = pause
        self.timeout = timeout
        self.last_request = None

    def pages(self, mapping, report):
        try:
            lines = self.list_file.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise MappingError(
                f"无法读取网址列表 {self.list_file}（须为 UTF-8 文本）：{exc}"
            ) from exc
        seen = set()
        for number, line in enumerate(lines, 1):
            url = original = urldefrag(line.strip()).url
            if not url or url.startswith("#"):
                continue
            parts = urlsplit(url)
            if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
                report.skipped.append((f"第 {number} 行", f"“{url}”不是 http(s) 网址"))
                continue
            url = _normal_url(url)
            if url in seen:
                continue
            seen.add(url)
            path = unquote(parts.path).lstrip("/")
            category = mapping.section_for(path)
            if category is None:
                report.skipped.append((url, f"路径 {path} 不符合 [sections] 中的任何模式"))
                continue
            yield Page(url=url, key=url, path=path, label=original, category=category)

    def key(self, url):
        return _normal_url(url)

    def owns(self, url):
        return True  # the page's own host is checked by the caller

    def read(self, url, limit, what):
        if urlsplit(url).scheme not in ("http", "https"):
            raise PageError("不是 http(s) 网址")
        url = _normal_url(url)
        if self.last_request is not None:
            time.sleep(max(0.0, self.last_request + self.pause - time.monotonic()))
        request = Request(url, headers={"User-Agent": "dangjian-portal import_site"})  # noqa: S310
        try:
            # The scheme is checked above: http(s) only, never file: or ftp:.
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                data = response.read(limit + 1)
                charset = response.headers.get_content_charset()
        except HTTPError as exc:
            raise PageError(f"下载失败：HTTP {exc.code}") from exc
        except TimeoutError as exc:
            raise PageError(f"下载超时（{self.timeout} 秒）") from exc
        except (URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                raise PageError(f"下载超时（{self.timeout} 秒）") from exc
            raise PageError(f"下载失败：{reason}") from exc
        finally:
            self.last_request = time.monotonic()
        if len(data) > limit:
            raise PageError(f"{what}超过 {filesizeformat(limit)}，未读取")
        return data, charset


def _same_site(url, other):
    """Same host (http or https alike: old sites often served both)."""
    return urlsplit(url).netloc.lower() == urlsplit(other).netloc.lower()


def _normal_url(url):
    """One spelling of an address: host in lower case, the path percent-encoded once (old
    pages link to 栏目/1.html raw or encoded alike; urllib sends only ASCII)."""
    parts = urlsplit(url)
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~") or "/"
    query = quote(parts.query, safe="=&%+/?:@;,")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, query, ""))


def _local_path(url):
    return unquote(urlsplit(url).path).lstrip("/")


def _quote_path(path):
    return quote(path, safe="/")


def _too_large(what, size, limit):
    return f"{what}过大（{filesizeformat(size)}，上限 {filesizeformat(limit)}）"


def _decode(data, http_charset, mapped):
    """The page's text: the mapping's encoding, else the server's, else <meta charset>, else
    UTF-8; strict, so a wrong guess is reported rather than stored as mojibake."""
    declared = mapped or http_charset
    if data.startswith(codecs.BOM_UTF8):
        declared, data = "utf-8", data[len(codecs.BOM_UTF8) :]
    if declared is None and (meta := META_CHARSET.search(data[:4096])):
        declared = meta.group(1).decode("ascii")
    try:
        encoding = _codec(declared or "utf-8")
    except LookupError as exc:
        raise PageError(f"无法识别的编码“{declared}”，可在映射文件中设置 encoding") from exc
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise PageError(
            f"无法按 {encoding} 编码读取（第 {exc.start} 字节），可在映射文件中设置 encoding"
        ) from exc


def _text(element):
    return re.sub(r"\s+", " ", element.get_text(" ", strip=True)).strip() if element else ""


def _digest(article):
    """What the import wrote, so a later change made here is recognised."""
    values = [
        article.title,
        article.body,
        article.published_at.astimezone(UTC).isoformat() if article.published_at else "",
        article.source,
        article.submitting_unit,
        article.category_id,
    ]
    return hashlib.sha256(json.dumps(values, ensure_ascii=False).encode()).hexdigest()


@dataclass
class Parsed:
    page: Page
    title: str
    published_at: datetime
    body: object  # the body element, images already copied, links still to point
    links: list  # [(<a> element, key of an imported page)]
    views: int | None = None
    source: str = ""
    unit: str = ""


class Importer:
    def __init__(self, mapping, source, *, status=Article.Status.DRAFT, dry_run=False, log=None):
        self.mapping = mapping
        self.source = source
        self.status = status
        self.dry_run = dry_run
        self.log = log or (lambda message: None)
        self.report = Report(dry_run=dry_run)
        self.images = {}  # source address -> new URL, within this run

    def run(self, progress=lambda pages: pages):
        """Import every page and return the report.

        Each page is read (and its images copied) outside any transaction, then written in
        its own: a long import neither holds the database nor loses what it has done if it
        stops. With ``dry_run`` each page's writes are rolled back and no file is stored."""
        pages = list(self.source.pages(self.mapping, self.report))
        self.run_keys = {page.key for page in pages}
        self.addresses = dict(
            Article.objects.exclude(import_source=None).values_list("import_source", "pk")
        )
        waiting = []  # written with links to pages imported after them in this run
        for page in progress(pages):
            try:
                parsed = self._parse(page)
                with transaction.atomic():
                    article, outcome = self._save(parsed)
                    transaction.set_rollback(self.dry_run)
            except PageError as error:
                self._skip(page, str(error))
                continue
            except Exception as error:  # one odd page must not stop the move
                self._skip(page, f"无法处理（{type(error).__name__}：{error}）")
                continue
            getattr(self.report, outcome).append(page.label)
            if self.dry_run:
                continue
            self.addresses[page.key] = article.pk
            if self._waits(parsed):
                waiting.append((parsed, article))
        for parsed, article in waiting:
            self._point_links(parsed, article)
        return self.report

    def _waits(self, parsed):
        """Whether ``parsed`` links to a page of this run not imported yet."""
        return any(key not in self.addresses for key, *_ in parsed.links)

    def _point_links(self, parsed, article):
        body = self._body(parsed)
        if body == article.body:
            return
        try:
            with transaction.atomic():
                article.body = body
                self._write(article, parsed, reason=LINKS_REASON)
        except PageError as error:
            self._skip(parsed.page, f"未能改写站内链接：{error}")

    def _skip(self, page, reason):
        self.report.skipped.append((page.label, reason))
        self.log(f"跳过 {page.label}：{reason}")

    def _parse(self, page):
        data, charset = self.source.read(page.url, MAX_PAGE_BYTES, "页面文件")
        text = _decode(data, charset, self.mapping.encoding)
        soup = BeautifulSoup(text, "html.parser")
        found = {key: soup.select_one(sel) for key, sel in self.mapping.selectors.items()}
        title = _text(found["title"])
        if not title:
            raise PageError(f"找不到标题（选择器 {self.mapping.selectors['title']}）")
        if found["body"] is None:
            raise PageError(f"找不到正文（选择器 {self.mapping.selectors['body']}）")
        published_at = self._date(_text(found["date"]))
        views = VIEWS.search(_text(found.get("views")))
        parsed = Parsed(
            page=page,
            title=title,
            published_at=published_at,
            body=found["body"],
            links=[],
            views=min(int(views.group(1)), MAX_VIEWS) if views else None,
            source=SOURCE_LABEL.sub("", _text(found.get("source"))),
            unit=UNIT_LABEL.sub("", _text(found.get("unit"))),
        )
        self._clean_body(parsed)
        return parsed

    def _date(self, text):
        match = DATE.search(text)
        if match is None:
            raise PageError(f"找不到发布日期（选择器 {self.mapping.selectors['date']}）")
        year, month, day, hour, minute = (int(g) if g else 0 for g in match.groups())
        try:
            naive = datetime(year, month, day, hour, minute)
        except ValueError as exc:
            raise PageError(f"发布日期“{match.group(0).strip()}”无效") from exc
        return timezone.make_aware(naive)

    def _clean_body(self, parsed):
        body, page = parsed.body, parsed.page
        active = body.find_all(list(ACTIVE_CONTENT)) + [
            tag
            for tag in body.find_all(True)
            if any(name.lower().startswith("on") for name in tag.attrs)
            or str(tag.get("href", "")).strip().lower().startswith("javascript:")
        ]
        if active:
            self.report.note(page, "正文中的脚本、样式或嵌入内容已删除")
        for image in body.find_all("img"):
            src = str(image.get("src") or "").strip()
            try:
                image["src"] = self._image(page, src)
            except PageError as error:
                self.report.images_missing.append((page.label, src or "（无地址）", str(error)))
                image.decompose()
        for link in body.find_all("a", href=True):
            self._link(parsed, link)

    def _image(self, page, src):
        src = src.replace("\\", "/")  # old sites saved on Windows wrote "..\\images\\a.jpg"
        if not src or src.lower().startswith("data:"):
            raise PageError("没有图片地址" if not src else "内嵌的 data: 图片不导入")
        url = urldefrag(urljoin(page.url, src)).url
        if not (_same_site(url, page.url) and self.source.owns(url)):
            raise PageError("不在旧网站上的图片不复制")
        if url not in self.images:  # each image read once a run, found or not
            try:
                data, _ = self.source.read(url, settings.PORTAL_MAX_IMAGE_BYTES, "图片")
                self.images[url] = self._store_image(data)
            except PageError as error:
                self.images[url] = error
        if isinstance(self.images[url], PageError):
            raise self.images[url]
        return self.images[url]

    def _store_image(self, data):
        """The image's new URL: named by its content, so a second run finds it stored."""
        stem = f"{MEDIA_FOLDER}/{hashlib.sha256(data).hexdigest()[:32]}"
        for extension in set(IMAGE_FORMATS.values()):
            if default_storage.exists(f"{stem}.{extension}"):
                self.report.images_reused += 1
                return default_storage.url(f"{stem}.{extension}")
        try:
            image = clean_image(ContentFile(data, name="image"))
        except ValidationError as error:
            raise PageError(" ".join(error.messages)) from error
        name = f"{stem}.{image.name.rsplit('.', 1)[-1]}"
        if not self.dry_run:
            name = default_storage.save(name, image)
        self.report.images_copied += 1
        return default_storage.url(name)

    def _link(self, parsed, link):
        href = str(link["href"]).strip().replace("\\", "/")
        if not href or href.startswith("#") or re.match(r"^(mailto|tel|javascript):", href, re.I):
            return
        url = urldefrag(urljoin(parsed.page.url, href)).url
        if urlsplit(url).scheme not in ("http", "https"):
            return
        if not (_same_site(url, parsed.page.url) and self.source.owns(url)):
            return  # another site: the sanitiser keeps it as it is
        key = self.source.key(url)
        if key in self.run_keys or key in self.addresses:
            link[LINK_MARK] = str(len(parsed.links))  # pointed at its new address by _body
            parsed.links.append((key, href, url))
        else:
            self._not_imported(parsed, link, href, url)

    def _not_imported(self, parsed, link, href, url, note=True):
        """A link to a page of the old site that is not here: its old address if known."""
        if not _same_site(url, NO_HOST):
            link["href"] = url
        else:
            link.unwrap()
            if note:
                self.report.note(parsed.page, f"链接 {href} 指向未导入的页面，已去掉链接")

    def _body(self, parsed, final=True):
        """The body's HTML, its links to imported pages pointing at their new addresses, and
        those to pages not (yet) imported as ``_not_imported`` leaves them. Made from a copy:
        a page imported later in the run is pointed at when the body is made again, and only
        then (``final``) is a link to a page that never came reported."""
        body = copy.copy(parsed.body)
        for link in body.select(f"a[{LINK_MARK}]"):
            key, href, url = parsed.links[int(link[LINK_MARK])]
            del link[LINK_MARK]
            if key in self.addresses:
                link["href"] = Article(pk=self.addresses[key]).get_absolute_url()
            else:
                self._not_imported(parsed, link, href, url, note=final)
        return sanitize_html(body.decode_contents())

    def _save(self, parsed):
        """(article, outcome) with outcome one of imported, updated, unchanged."""
        page = parsed.page
        article = Article.objects.filter(import_source=page.key).first()
        outcome = "updated"
        if article is None:
            outcome = "imported"
            article = Article(
                import_source=page.key,
                status=self.status,
                view_count=parsed.views or 0,
                # 申报单位 belongs to research reports, and only they show it.
                kind=Article.Kind.REPORT if parsed.unit else Article.Kind.NEWS,
            )
        elif article.import_digest != _digest(article):
            raise PageError("导入后已在本站修改过，未覆盖")
        before = _digest(article) if article.pk else None
        article.title = parsed.title
        article.category = page.category
        article.body = self._body(parsed, final=not self._waits(parsed))
        article.published_at = parsed.published_at.replace(microsecond=0)
        article.source = parsed.source
        article.submitting_unit = parsed.unit
        if before == _digest(article):
            return article, "unchanged"
        self._write(article, parsed)
        return article, outcome

    def _write(self, article, parsed, reason=services.IMPORT_REASON):
        try:
            article.clean_fields(
                exclude=[f.name for f in Article._meta.fields if f.name not in CHECKED_FIELDS]
            )
        except ValidationError as error:
            raise PageError(
                "；".join(
                    f"{Article._meta.get_field(name).verbose_name}：{''.join(messages)}"
                    for name, messages in error.message_dict.items()
                )
            ) from error
        article.import_digest = _digest(article)
        services.article_import(
            article=article,
            source=parsed.page.key,
            published_at=article.published_at,
            reason=reason,
        )
