from io import StringIO

from django.core.management import call_command
from django.db.models import Count
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

    from alliances.models import PublicVersion

    # 先审后发: most past records public, a few waiting, one sent back with its reason.
    statuses = dict(PublicVersion.objects.values_list("status").annotate(n=Count("pk")).order_by())
    assert statuses["published"] > 10 * statuses["pending"] >= 10 * 3
    assert statuses["returned"] == 1
    assert PublicVersion.objects.get(status="returned").review_note
    assert PublicVersion.objects.filter(status="published", photos__isnull=False).exists()
    assert PublicVersion.objects.filter(status="published", meeting__isnull=False).exists()
    assert "纪要" not in "".join(PublicVersion.objects.values_list("text", flat=True))
    assert "公开版本：已公开" in out.getvalue()

    counts = (
        Category.objects.count(),
        Article.objects.count(),
        Alliance.objects.count(),
        PublicVersion.objects.count(),
    )
    call_command("load_demo", stdout=StringIO())
    assert (
        Category.objects.count(),
        Article.objects.count(),
        Alliance.objects.count(),
        PublicVersion.objects.count(),
    ) == counts

    home = client.get(reverse("portal:home")).content.decode()
    for name in [*sections, "党建联盟"]:
        assert f">{name}</a>" in home
    for alliance in Alliance.objects.all():
        page = client.get(alliance.get_absolute_url()).content.decode()
        assert "牵头单位" in page and "轮值安排" in page
        # The compliance figures are public only when the committee switches them on.
        assert "季度工作落实情况" not in page
