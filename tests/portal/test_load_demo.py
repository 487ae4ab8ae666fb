from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from articles.models import Article, Category


def test_load_demo_builds_the_seed_site_and_is_idempotent(client, db):
    out = StringIO()
    call_command("load_demo", stdout=out)
    sections = list(Category.objects.filter(parent=None).values_list("name", flat=True))
    assert sections == [
        "领导讲话", "调查研究", "基层党建", "干部队伍", "人才天地",
        "党员之家", "远程教育", "专题活动", "他山之石",
    ]  # fmt: skip
    assert Category.objects.exclude(parent=None).count() == 19
    assert Article.objects.published().count() >= 5 * 22
    assert Article.objects.filter(kind="report").exclude(submitting_unit="").exists()
    assert Article.objects.filter(kind="video").exclude(video_file="").exists()
    assert Article.objects.filter(kind="policy", attachments__isnull=False).exists()
    assert "密码" in out.getvalue()

    from alliances.models import Alliance, Membership

    assert Alliance.objects.filter(kind="federation").count() == 3
    assert Alliance.objects.filter(kind="office").count() == 3
    assert Membership.objects.filter(status="applied").count() == 1
    assert Membership.objects.filter(status="left").exists()
    assert set(Alliance.objects.values_list("rotation", flat=True)) == {
        "quarter",
        "month",
        "activity",
    }

    for alliance in Alliance.objects.filter(status="active"):
        secretary = alliance.secretaries.get()
        assert secretary.username == f"sec-{alliance.slug}" and not secretary.is_staff
    assert "联盟书记台账工作台" in out.getvalue()

    counts = (Category.objects.count(), Article.objects.count(), Alliance.objects.count())
    call_command("load_demo", stdout=StringIO())
    assert (Category.objects.count(), Article.objects.count(), Alliance.objects.count()) == counts

    home = client.get(reverse("portal:home")).content.decode()
    for name in [*sections, "党建联盟"]:
        assert f">{name}</a>" in home
    for alliance in Alliance.objects.all():
        page = client.get(alliance.get_absolute_url()).content.decode()
        assert "牵头单位" in page and "轮值安排" in page and "季度工作落实情况" in page
