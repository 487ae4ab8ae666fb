"""Fill an empty database with generated content for the benchmark (bench/run.py).

Fast rather than pretty: bulk inserts, generated Chinese text from a small vocabulary in
which a few words are common (党建 in about a third of the articles) and others rare, so
search is measured on both. Never run it on a database with real content: it refuses
unless the database holds no articles yet.
"""

import random
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from alliances.models import (
    Activity,
    Alliance,
    Attendance,
    Branch,
    Building,
    JointMeeting,
    Line,
    Membership,
    PublicVersion,
)
from articles.demo import load_categories
from articles.models import Article
from articles.search import search_tokens

COMMON = ["党建", "工作", "组织", "党员", "学习", "服务", "群众", "发展", "建设", "推进"]
RARE = ["联盟", "楼宇", "牧区", "嘎查", "先锋", "廉政", "调研", "志愿", "阵地", "轮值"]
FILLER = list(
    "的一是在不了有和人这中大为上个国我以要他时来用们生到作地于出就分对成会可主年动同"
    "工也能下过子说产种面而方后多定行学法所民得经十三之进着等部度家电力里如水化高自二"
    "理起小物现实加量都两体制机当使点从业本去把性好应开它合还因由其些然前外天政四日那"
    "社义事平形相全表间样与关各重新线内数正心反你明看原又么利比或但质气第向道命此变条"
    "只没结解问意建月公无系军很情者最立代想已通并提直题党程展五果料象员革位入常文总次"
    "品式活设及管特件长求老头基资边流路级少图山统接知较将组见计别她手角期根论运农指几"
    "九区强放决西被干做必战先回则任取据处队南给色光门即保治北造百规热领七海口东导器压"
    "志世金增争济阶油思术极交受联什认六共权收证改清己美再采转更单风切打白教速花带安场"
    "身车例真务具万每目至达走积示议声报斗完类八离华名确才科张信马节话米整空元况今集温"
    "传土许步群广石记需段研界拉林律叫且究观越织装影算低持音众书布复容儿须际商非验连断"
    "深难近矿千周委素技备半办青省列习响约支般史感劳便团往酸历市克何除消构府称太准精值"
    "号率族维划选标写存候毛亲快效斯院查江型眼王按格养易置派层片始却专状育厂京识适属圆"
    "包火住调满县局照参红细引听该铁价严龙飞"
)


class Command(BaseCommand):
    help = "为基准测试生成大量文章、联盟和活动（只用于空数据库）。"

    def add_arguments(self, parser):
        parser.add_argument("--articles", type=int, default=1000)
        parser.add_argument("--alliances", type=int, default=200)
        parser.add_argument("--activities", type=int, default=50000)
        parser.add_argument("--seed", type=int, default=7)

    def handle(self, *args, articles, alliances, activities, seed, **options):
        if min(articles, alliances, activities) < 0 or articles > 2_000_000:
            raise CommandError("数量必须是 0 到 2000000 之间的整数。")
        if Article.objects.exists():
            raise CommandError("数据库里已经有文章了：基准数据只能写入空数据库。")
        self.rng = random.Random(seed)  # noqa: S311 - generated text, not security
        with transaction.atomic():
            categories = load_categories()
        self._articles(articles, categories)
        self._alliances(alliances, activities)

    def _text(self, words, common=0.3, rare=0.01):
        rng = self.rng
        parts = []
        for _ in range(words):
            roll = rng.random()
            if roll < common / 8:
                parts.append(rng.choice(COMMON))
            elif roll < common / 8 + rare:
                parts.append(rng.choice(RARE))
            else:
                parts.append("".join(rng.choices(FILLER, k=rng.randint(1, 3))))
        return "".join(parts)

    def _articles(self, total, categories):
        """Articles of every leaf section, of its kind (videos, notices …); one in 500 a
        headline with a cover, as on the real home page."""
        leaves = [
            (category, kind)
            for category, kind in categories.values()
            if not category.children.exists()
        ]
        now = timezone.now()
        batch = []
        for number in range(total):
            category, kind = leaves[number % len(leaves)]
            headline = number % 500 == 1
            title = self._text(8)
            summary = self._text(20)
            body = "".join(f"<p>{self._text(40)}</p>" for _ in range(3))
            text = "\n".join([title, summary, body.replace("<p>", "").replace("</p>", "\n")])
            published = now - timedelta(minutes=self.rng.randint(60, 5 * 365 * 24 * 60))
            status = Article.Status.PUBLISHED if number % 20 else Article.Status.DRAFT
            batch.append(
                Article(
                    title=title[:120],
                    category=category,
                    section_id=category.parent_id or category.pk,
                    summary=summary,
                    body=body,
                    status=status,
                    published_at=published.replace(microsecond=0),
                    first_published_at=published.replace(microsecond=0)
                    if status == Article.Status.PUBLISHED
                    else None,
                    pinned=number % 997 == 0,
                    kind=kind,
                    headline=headline,
                    cover="covers/bench-cover.jpg" if headline else "",
                    cover_alt="基准测试封面" if headline else "",
                    # Sizes as an upload would have them, so pages list renditions.
                    cover_width=1280 if headline else None,
                    cover_height=720 if headline else None,
                    video_poster="posters/bench-poster.jpg" if kind == Article.Kind.VIDEO else "",
                    poster_width=1280 if kind == Article.Kind.VIDEO else None,
                    poster_height=720 if kind == Article.Kind.VIDEO else None,
                    search_text=text,
                    search_tokens=search_tokens(text, title[:120]),
                )
            )
            if len(batch) == 2000:
                Article.objects.bulk_create(batch)
                batch = []
                self.stdout.write(f"  文章 {number + 1}/{total}")
        Article.objects.bulk_create(batch)
        self.stdout.write(f"文章：{total} 篇")

    def _alliances(self, total, activities):
        if not total:
            return
        rng = self.rng
        today = timezone.localdate()
        founded = date(today.year - 1, 1, 1)
        buildings = Building.objects.bulk_create(
            Building(name=f"基准楼宇{n}") for n in range(max(total // 2, 1))
        )
        branches = Branch.objects.bulk_create(
            Branch(
                name=f"基准单位{n}党支部",
                unit=f"基准单位{n}",
                member_count=rng.randint(5, 40),
                building=buildings[n // 10 % len(buildings)],
            )
            for n in range(total * 5)
        )
        created = Alliance.objects.bulk_create(
            Alliance(
                name=f"基准联盟{n}",
                slug=f"bench-{n}",
                kind=Alliance.Kind.FEDERATION if n % 2 else Alliance.Kind.OFFICE,
                building=buildings[n % len(buildings)],
                rotation=Alliance.Rotation.QUARTER,
                founded_on=founded,
            )
            for n in range(total)
        )
        Membership.objects.bulk_create(
            Membership(
                alliance=alliance,
                branch=branches[n * 5 + k],
                status=Membership.Status.ACTIVE,
                is_lead=k == 0,
                rotation_order=k,
                joined_on=founded,
            )
            for n, alliance in enumerate(created)
            for k in range(5)
        )
        self.stdout.write(f"联盟：{total} 个，党组织 {len(branches)} 个")
        meetings = [
            JointMeeting(
                alliance=alliance,
                held_on=day,
                year=day.year,
                quarter=(day.month - 1) // 3 + 1,
                venue="会议室",
                host=branches[n * 5],
                topics=self._text(10),
            )
            for n, alliance in enumerate(created)
            for day in (date(today.year - 1, m, 10) for m in (1, 4, 7, 10))
        ]
        JointMeeting.objects.bulk_create(meetings, batch_size=2000)
        self._public_versions(meetings, "meeting")
        lines = list(Line)
        span = (today - founded).days
        position = {alliance.pk: n for n, alliance in enumerate(created)}
        studied = set()  # (alliance, year, quarter): one central study each, as the constraint asks
        for start in range(0, activities, 2000):
            chunk = []
            for number in range(start, min(start + 2000, activities)):
                n = number % total
                day = founded + timedelta(days=rng.randrange(max(span, 1)))
                quarter = (created[n].pk, day.year, (day.month - 1) // 3 + 1)
                study = number % 25 == 0 and quarter not in studied
                if study:
                    studied.add(quarter)
                chunk.append(
                    Activity(
                        alliance=created[n],
                        held_on=day,
                        year=day.year,
                        quarter=(day.month - 1) // 3 + 1,
                        venue="活动室",
                        host=branches[n * 5 + rng.randrange(5)],
                        line=lines[number % len(lines)],
                        title=self._text(6),
                        description=f"<p>{self._text(30)}</p>",
                        is_central_study=study,
                    )
                )
            saved = Activity.objects.bulk_create(chunk)
            self._public_versions(saved, "activity")
            Attendance.objects.bulk_create(
                Attendance(
                    activity=activity,
                    branch=branches[position[activity.alliance_id] * 5 + k],
                    head_count=rng.randint(2, 30),
                )
                for activity in saved
                for k in range(3)
            )
            self.stdout.write(f"  活动 {min(start + 2000, activities)}/{activities}")
        self.stdout.write(f"活动：{activities} 项（九成已公开）")

    def _public_versions(self, records, field):
        """先审后发: nine in ten records published, the tenth waiting for review."""
        published, pending = PublicVersion.Status.PUBLISHED, PublicVersion.Status.PENDING
        PublicVersion.objects.bulk_create(
            (
                PublicVersion(
                    **{field: record},
                    alliance_id=record.alliance_id,
                    title=getattr(record, "title", "") or f"第{record.quarter}季度联席会议",
                    held_on=record.held_on,
                    text=self._text(20),
                    status=pending if number % 10 == 9 else published,
                    reviewed_at=None if number % 10 == 9 else timezone.now(),
                )
                for number, record in enumerate(records)
            ),
            batch_size=2000,
        )
