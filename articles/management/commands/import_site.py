import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from articles.importer import FolderSource, Importer, MappingError, URLSource, load_mapping
from articles.models import Article

STATUSES = {
    "draft": Article.Status.DRAFT,
    "review": Article.Status.REVIEW,
    "published": Article.Status.PUBLISHED,
}


class Command(BaseCommand):
    help = (
        "把旧党建网的文章迁移进来。SOURCE 是旧网站保存下来的文件夹，或每行一个文章网址的"
        "文本文件；--mapping 指定的 TOML 文件说明如何读取文章页、各路径归入哪个栏目。"
        "可以重复运行：按原地址更新，不会重复；导入后在本站改过的文章不覆盖。"
    )

    def add_arguments(self, parser):
        parser.add_argument("source", metavar="SOURCE", help="旧网站的文件夹，或网址列表文件")
        parser.add_argument(
            "--mapping", required=True, metavar="MAPPING.toml", help="选择器和栏目对应关系"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="只显示将会做什么，不写入任何内容"
        )
        parser.add_argument(
            "--status",
            choices=sorted(STATUSES),
            default="draft",
            help="新导入文章的状态（默认 draft 草稿，按“先审后发”由审核人员发布；"
            "published 直接发布，review 提交审核）。再次导入时不改变已有文章的状态。",
        )
        parser.add_argument(
            "--pause",
            type=float,
            default=1.0,
            help="按网址下载时两次请求之间的间隔秒数（默认 1）",
        )
        parser.add_argument(
            "--timeout", type=float, default=20, help="按网址下载时每次请求的超时秒数（默认 20）"
        )

    def handle(self, *args, source, mapping, dry_run, status, pause, timeout, **options):
        path = Path(source)
        if path.is_dir():
            reader = None
        elif path.is_file():
            reader = URLSource(path, pause=max(pause, 0.0), timeout=timeout)
        else:
            raise CommandError(f"找不到 SOURCE：{source}（须为文件夹或网址列表文件）。")
        try:
            loaded = load_mapping(mapping)
            reader = reader or FolderSource(path, loaded.host)
            importer = Importer(
                loaded, reader, status=STATUSES[status], dry_run=dry_run, log=self._log
            )
            report = importer.run(progress=self._progress)
        except MappingError as error:
            raise CommandError(str(error)) from error
        for line in report.lines():
            self.stdout.write(line)

    def _progress(self, pages):
        # To stderr, so the report on stdout stays clean when it is saved to a file.
        return tqdm(pages, desc="导入", unit="页", file=sys.stderr, disable=None)

    def _log(self, message):
        tqdm.write(message, file=sys.stderr)
