from django.core.management.base import BaseCommand

from portal.backup import restore_backup


class Command(BaseCommand):
    help = (
        "从 backup_site 生成的备份文件恢复整个网站，"
        "只能恢复到 migrate 过的空数据库和空的上传文件目录（portal/backup.py）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("archive", help="备份文件路径，例如 backups/dangjian-backup-….tar.gz")

    def handle(self, *args, archive, **options):
        restore_backup(archive, say=self.stdout.write)
