"""Demo sections and articles for `manage.py load_demo`. Idempotent: what exists is left alone,
so an editor's changes to the demo site survive running it again."""

import io
import math
import random
from datetime import timedelta
from pathlib import Path

from django.core.files.base import ContentFile
from django.utils import timezone
from openpyxl import Workbook
from PIL import Image, ImageDraw

from . import services
from .demo_content import ARTICLES
from .models import Article, Attachment, Category

ASSETS = Path(__file__).resolve().parent / "demo_assets"
Kind = Article.Kind
Type = Category.ColumnType

# (name, slug, column type, article kind, sub-sections); DOMAIN.md's navigation, in order.
NAVIGATION = [
    ("领导讲话", "ldjh", Type.NEWS, Kind.SPEECH, []),
    ("调查研究", "dcyj", Type.REFERENCE, Kind.REPORT, []),
    (
        "基层党建",
        "jcdj",
        Type.NEWS,
        Kind.NEWS,
        [
            ("机关党建", "jgdj", Type.NEWS, Kind.NEWS),
            ("牧区党建", "mqdj", Type.NEWS, Kind.NEWS),
            ("社区党建", "sqdj", Type.NEWS, Kind.NEWS),
            ("非公企业党建", "fgqydj", Type.NEWS, Kind.NEWS),
            ("党建制度改革", "djzdgg", Type.NOTICE, Kind.NEWS),
        ],
    ),
    (
        "干部队伍",
        "gbdw",
        Type.NEWS,
        Kind.NEWS,
        [
            ("选拔任免", "xbrm", Type.NOTICE, Kind.NOTICE),
            ("监督考核", "jdkh", Type.NEWS, Kind.NEWS),
            ("干部教育", "gbjy", Type.NEWS, Kind.NEWS),
        ],
    ),
    (
        "人才天地",
        "rctd",
        Type.NEWS,
        Kind.NEWS,
        [
            ("人才动态", "rcdt", Type.NEWS, Kind.NEWS),
            ("政策文件", "zcwj", Type.NOTICE, Kind.POLICY),
        ],
    ),
    (
        "党员之家",
        "dyzj",
        Type.NEWS,
        Kind.NEWS,
        [
            ("党内知识", "dnzs", Type.REFERENCE, Kind.NEWS),
            ("党员教育管理", "dyjygl", Type.NEWS, Kind.NEWS),
            ("时代先锋", "sdxf", Type.NEWS, Kind.NEWS),
            ("党代表工作", "ddbgz", Type.NEWS, Kind.NEWS),
        ],
    ),
    (
        "远程教育",
        "ycjy",
        Type.NEWS,
        Kind.NEWS,
        [
            ("远教动态", "yjdt", Type.NEWS, Kind.NEWS),
            ("远教视频", "yjsp", Type.REFERENCE, Kind.VIDEO),
        ],
    ),
    (
        "专题活动",
        "zthd",
        Type.REFERENCE,
        Kind.NEWS,
        [
            ("“两学一做”", "lxyz", Type.REFERENCE, Kind.NEWS),
            ("三严三实", "syss", Type.REFERENCE, Kind.NEWS),
            ("干部下基层", "gbxjc", Type.REFERENCE, Kind.NEWS),
        ],
    ),
    ("他山之石", "tszs", Type.REFERENCE, Kind.NEWS, []),
]
# A news section left without news for three weeks, so the admin's 超期未更新 filter has
# something to show on the demo site.
STALE_DEMO_SECTION = "ddbgz"
HEADLINE_SECTIONS = {"ldjh", "jgdj", "sqdj", "mqdj", "yjdt"}
# Sections whose articles a 终审 user publishes after the reviewer's approval (二审).
FINAL_REVIEW_SECTIONS = {"ldjh", "xbrm"}
PALETTES = [
    ((168, 20, 27), (125, 14, 19), (233, 196, 106)),
    ((150, 28, 30), (90, 12, 14), (250, 214, 120)),
    ((178, 34, 34), (120, 24, 20), (255, 228, 160)),
    ((140, 40, 20), (80, 20, 10), (240, 200, 90)),
]


def draw_cover(seed, size=(1280, 720)):
    """A decorative cover: red gradient, golden rays and a five-pointed star. No text."""
    rng = random.Random(seed)  # noqa: S311 - decoration, not security
    top, bottom, gold = PALETTES[seed % len(PALETTES)]
    width, height = size
    image = Image.new("RGB", size)
    draw = ImageDraw.Draw(image)
    for y in range(height):
        t = y / height
        draw.line(
            [(0, y), (width, y)],
            fill=tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True)),
        )
    cx, cy = rng.randint(width // 5, width // 2), rng.randint(height // 4, height // 2)
    for ray in range(24):
        angle = ray * math.pi / 12 + rng.random() * 0.05
        end = (cx + math.cos(angle) * width * 1.5, cy + math.sin(angle) * width * 1.5)
        draw.line([(cx, cy), end], fill=tuple(min(255, c + 18) for c in top), width=18)
    radius = rng.randint(height // 6, height // 4)
    points = [
        (
            cx + math.cos(math.pi / 2 + k * math.pi / 5) * (radius if k % 2 == 0 else radius * 0.4),
            cy - math.sin(math.pi / 2 + k * math.pi / 5) * (radius if k % 2 == 0 else radius * 0.4),
        )
        for k in range(10)
    ]
    draw.polygon(points, fill=gold)
    for band in range(3):
        y = height - 90 + band * 22
        draw.rectangle([(0, y), (width, y + 8)], fill=gold if band == 1 else bottom)
    for _ in range(5):
        r = rng.randint(8, 22)
        x, y = rng.randint(width // 2, width - 40), rng.randint(40, height // 2)
        draw.ellipse([(x - r, y - r), (x + r, y + r)], outline=gold, width=4)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=82)
    return out.getvalue()


def _policy_attachment():
    book = Workbook()
    sheet = book.active
    sheet.title = "申报表"
    sheet.append(["序号", "单位名称", "联系人", "联系电话", "申报项目", "备注"])
    for number in range(1, 6):
        sheet.append([number, "", "", "", "", ""])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _body_html(entry, kind):
    parts = [f"<p>{paragraph}</p>" for paragraph in entry["paragraphs"]]
    if kind == Kind.REPORT:
        parts.append("<h3>一、主要做法和成效</h3>")
        parts += [f"<p>{point}</p>" for point in entry.get("practices", [])]
        parts.append("<h3>二、思考与启示</h3>")
        parts += [f"<p>{point}</p>" for point in entry.get("insights", [])]
    return "".join(parts)


def load_categories():
    categories = {}
    for position, (name, slug, column_type, kind, children) in enumerate(NAVIGATION, start=1):
        section, _ = Category.objects.get_or_create(
            slug=slug,
            defaults={
                "name": name,
                "position": position * 10,
                "column_type": column_type,
                "is_topic": slug == "zthd",
                "needs_final_review": slug in FINAL_REVIEW_SECTIONS,
            },
        )
        categories[slug] = (section, kind)
        for sub_position, (sub_name, sub_slug, sub_type, sub_kind) in enumerate(children, start=1):
            sub, _ = Category.objects.get_or_create(
                slug=sub_slug,
                defaults={
                    "name": sub_name,
                    "parent": section,
                    "position": sub_position * 10,
                    "column_type": sub_type,
                    "needs_final_review": sub_slug in FINAL_REVIEW_SECTIONS,
                },
            )
            categories[sub_slug] = (sub, sub_kind)
    return categories


def load_articles(stdout):
    categories = load_categories()
    now = timezone.now()
    created = 0
    for section_index, (slug, entries) in enumerate(ARTICLES.items()):
        category, kind = categories[slug]
        for index, entry in enumerate(entries):
            if Article.objects.filter(category=category, title=entry["title"]).exists():
                continue
            days = index * 11 + section_index % 6 + (21 if slug == STALE_DEMO_SECTION else 0)
            published_at = now - timedelta(
                days=days, hours=section_index % 9 + 1, minutes=index * 7
            )
            article = Article(
                title=entry["title"],
                category=category,
                kind=kind,
                summary=entry["summary"],
                body=_body_html(entry, kind),
                source=entry.get("source", ""),
                author=entry.get("author", ""),
                submitting_unit=entry.get("submitting_unit", ""),
                status=Article.Status.PUBLISHED,
                published_at=published_at,
                first_published_at=published_at,
                headline=index == 0 and slug in HEADLINE_SECTIONS,
                pinned=index == 1 and section_index % 3 == 0,
            )
            seed = section_index * 10 + index
            if article.headline or index < 2:
                article.cover.save(f"{seed}.jpg", ContentFile(draw_cover(seed)), save=False)
                article.cover_alt = "红色渐变背景上的金色五角星与光芒装饰图"
            if kind == Kind.VIDEO:
                article.video_file.save(
                    "demo.webm", ContentFile((ASSETS / "demo-video.webm").read_bytes()), save=False
                )
                article.video_poster.save(
                    f"p{seed}.jpg", ContentFile(draw_cover(seed + 500)), save=False
                )
            article.save()
            if kind == Kind.POLICY and index == 0:
                attachment = Attachment(article=article, title="附件：项目申报表")
                attachment.file.save("form.xlsx", ContentFile(_policy_attachment()), save=False)
                attachment.save()
            created += 1
        stdout.write(f"  {category.name}：{len(entries)} 篇演示文章")
    return created


# Articles on their way through review, so the admin's 待办 has something in it:
# (section, title, summary, what happens to it after the editor writes it).
WORKFLOW = [
    ("jgdj", "旗直机关开展“四强”党支部创建观摩活动", "各机关党支部交流创建经验。", "draft"),
    ("sqdj", "社区“红色物业”服务站挂牌运行", "小区物业纳入社区党组织统一领导。", "review"),
    (
        "mqdj",
        "牧区流动党员“线上课堂”覆盖全部嘎查",
        "外出务工放牧的党员按时参加组织生活。",
        "returned",
    ),
    ("ldjh", "旗委书记在全旗组织工作会议上的讲话", "部署下半年组织工作重点任务。", "final"),
]
SEND_BACK_COMMENT = "请补充参加活动的嘎查数量和党员人数，并核实第二段的日期。"


def load_workflow(stdout, editor, reviewer):
    """A draft, one waiting for review, one sent back with a comment, one waiting for 终审;
    each written and moved by the demo editor and reviewer through the services."""
    for slug, title, summary, state in WORKFLOW:
        if Article.objects.filter(title=title).exists():
            continue
        category = Category.objects.get(slug=slug)
        article = Article(
            title=title,
            category=category,
            kind=Kind.SPEECH if slug == "ldjh" else Kind.NEWS,
            summary=summary,
            body=f"<p>{summary}</p>",
            status=Article.Status.DRAFT if state == "draft" else Article.Status.REVIEW,
        )
        services.article_save(article=article, by=editor)
        if state == "returned":
            services.article_send_back(article=article, by=reviewer, comment=SEND_BACK_COMMENT)
        elif state == "final":
            services.article_move(article=article, to=Article.Status.FINAL_REVIEW, by=reviewer)
    stdout.write("  审核流程中的演示文章：草稿、待审核、被退回、待终审各 1 篇")
