from django.core.management.base import BaseCommand

from portal.backup import create_backup


class Command(BaseCommand):
    help = "把整个网站（全部数据和上传文件）备份成一个 .tar.gz 文件（portal/backup.py）。"

    def add_arguments(self, parser):
        parser.add_argument(
            "--output-dir",
            default="backups",
            help="备份文件放在哪个目录（默认 backups/），也可以直接给出 .tar.gz 文件名。",
        )

    def handle(self, *args, output_dir, **options):
        create_backup(output_dir, say=self.stdout.write)
