import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse

from alliances import demo as alliances_demo
from alliances.models import Alliance
from articles import demo as articles_demo
from portal.models import FriendlyLink, SiteSettings

DEMO_SITE = {
    "site_name": "红柳旗党建网",
    "site_domain": "dj.hongliu.example.gov.cn",
    "site_id_code": "1500000000",
    "host_organization": "中共红柳旗委员会组织部",
    "organizer": "红柳旗委组织部电化教育中心",
    "phone": "0400-0000000",
    "email": "djw@hongliu.example.gov.cn",
    "address": "红柳旗政务服务大楼三楼",
    "icp_number": "蒙ICP备00000000号-1",
    "police_number": "蒙公网安备 15000000000000号",
    "description": "红柳旗委组织部主办的党建工作门户：党建动态、调查研究、党员教育与党建联盟。",
}
DEMO_LINKS = [
    ("共产党员网", "https://www.12371.cn/"),
    ("中国政府网", "https://www.gov.cn/"),
    ("人民网", "https://www.people.com.cn/"),
    ("新华网", "https://www.xinhuanet.com/"),
]
# (username, full name, group or None for a superuser)
DEMO_USERS = [
    ("admin", "系统管理员", None),
    ("editor", "演示编辑", "编辑"),
    ("reviewer", "演示审核", "审核"),
    ("final", "演示终审", "终审"),
    ("committee", "演示机关工委", "机关工委"),
]


class Command(BaseCommand):
    help = "载入演示内容：栏目导航、站点设置、演示文章和演示账号。可重复运行，已有内容不会被改动。"

    def handle(self, *args, **options):
        with transaction.atomic():
            self.stdout.write("站点设置和友情链接……")
            self._site()
            self.stdout.write("栏目和文章……")
            created = articles_demo.load_articles(self.stdout)
            self.stdout.write(self.style.SUCCESS(f"新建演示文章 {created} 篇。"))
            self.stdout.write("党建联盟、会议和活动……")
            created = alliances_demo.load_alliances(self.stdout)
            self.stdout.write(self.style.SUCCESS(f"新建演示联盟 {created} 个。"))
            logins = self._users()
            secretaries = self._secretaries()
            users = get_user_model().objects.in_bulk(["editor", "reviewer"], field_name="username")
            articles_demo.load_workflow(self.stdout, users["editor"], users["reviewer"])
            self.stdout.write("联盟记录的公开版本（先审后发）……")
            alliances_demo.load_public_versions(
                self.stdout, get_user_model().objects.get(username="committee")
            )
        self._print_logins(logins, reverse("admin:index"), "管理后台")
        self._print_logins(secretaries, reverse("workspace:login"), "联盟书记台账工作台")

    def _site(self):
        settings = SiteSettings.load()
        if settings.site_name == SiteSettings._meta.get_field("site_name").default:
            for field, value in DEMO_SITE.items():
                setattr(settings, field, value)
            settings.save()
        for position, (name, url) in enumerate(DEMO_LINKS):
            FriendlyLink.objects.get_or_create(
                name=name, defaults={"url": url, "position": position}
            )

    def _user(self, username, full_name, **defaults):
        """(user, one-time password) — the password only when the user is new."""
        user, created = get_user_model().objects.get_or_create(
            username=username, defaults={"first_name": full_name, **defaults}
        )
        if not created:
            return user, None
        password = secrets.token_urlsafe(9)
        user.set_password(password)
        user.save()
        return user, password

    def _users(self):
        logins = []
        for username, full_name, group_name in DEMO_USERS:
            user, password = self._user(
                username, full_name, is_staff=True, is_superuser=group_name is None
            )
            if password and group_name:
                user.groups.add(Group.objects.get(name=group_name))
            logins.append((username, full_name, password))
        return logins

    def _secretaries(self):
        """One secretary per demo alliance: not staff, a workspace login only."""
        logins = []
        slugs = [entry[1] for entry in alliances_demo.ALLIANCES]
        for alliance in Alliance.objects.filter(slug__in=slugs):
            user, password = self._user(f"sec-{alliance.slug}", f"{alliance.name}联络员")
            alliance.secretaries.add(user)
            logins.append((user.username, user.first_name, password))
        return logins

    def _print_logins(self, logins, path, title):
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"{title}：http://127.0.0.1:8000{path}"))
        for username, full_name, password in logins:
            if password:
                self.stdout.write(
                    f"  {full_name}：用户名 {username}　密码 {password}（只显示这一次）"
                )
            else:
                self.stdout.write(
                    f"  {full_name}：用户名 {username}（已存在，密码未改动；忘记密码请运行 "
                    f"DJANGO_DEBUG=1 .venv/bin/python manage.py changepassword {username}）"
                )
