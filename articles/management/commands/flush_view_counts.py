from django.core.management.base import BaseCommand

from articles import viewcounts


class Command(BaseCommand):
    help = (
        "把 Redis 中缓冲的浏览量写入数据库（由定时器每分钟运行一次）。"
        "重复或同时运行都不会多算或漏算。"
    )

    def handle(self, *args, **options):
        added = viewcounts.flush()
        pruned = viewcounts.prune()
        self.stdout.write(f"写入浏览量 {added} 次；清理过期批次记录 {pruned} 条。")
