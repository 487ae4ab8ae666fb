from datetime import date, timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from articles.models import Article, Category


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def groups(self, create, names, **kwargs):
        if create and names:
            self.groups.add(*Group.objects.filter(name__in=names))


class StaffFactory(UserFactory):
    is_staff = True


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"栏目{n}")
    slug = factory.Sequence(lambda n: f"section-{n}")
    position = factory.Sequence(int)


class ArticleFactory(factory.django.DjangoModelFactory):
    """A published article, an hour old, unless told otherwise."""

    class Meta:
        model = Article

    title = factory.Sequence(lambda n: f"测试文章{n}")
    category = factory.SubFactory(CategoryFactory)
    summary = "测试摘要"
    body = "<p>正文内容。</p>"
    status = Article.Status.PUBLISHED
    published_at = factory.LazyFunction(lambda: timezone.now() - timedelta(hours=1))
    first_published_at = factory.LazyAttribute(
        lambda article: article.published_at if article.status == Article.Status.PUBLISHED else None
    )


class BuildingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alliances.Building"

    name = factory.Sequence(lambda n: f"测试大厦{n}")


class BranchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alliances.Branch"

    name = factory.Sequence(lambda n: f"测试单位{n}党支部")
    unit = factory.Sequence(lambda n: f"测试单位{n}")
    member_count = 10
    contact = "13800000000"


class AllianceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alliances.Alliance"

    name = factory.Sequence(lambda n: f"测试联盟{n}")
    slug = factory.Sequence(lambda n: f"alliance-{n}")
    kind = "office"
    building = factory.SubFactory(BuildingFactory)
    founded_on = date(2025, 1, 1)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alliances.Membership"

    alliance = factory.SubFactory(AllianceFactory)
    branch = factory.SubFactory(BranchFactory)
    status = "active"
    joined_on = date(2025, 1, 1)
    rotation_order = factory.Sequence(int)


class ActivityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alliances.Activity"

    alliance = factory.SubFactory(AllianceFactory)
    held_on = date(2025, 5, 10)
    venue = "党员活动室"
    host = factory.SubFactory(BranchFactory)
    line = "study"
    title = factory.Sequence(lambda n: f"联办活动{n}")
    status = "held"


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "alliances.JointMeeting"

    alliance = factory.SubFactory(AllianceFactory)
    held_on = date(2025, 4, 15)
    venue = "会议室"
    host = factory.SubFactory(BranchFactory)
    topics = "研究季度工作"


def publish(record, *, title=None, text="公开的介绍。", photos=(), held_on=None):
    """Give a meeting or activity an approved public version, through the service a secretary
    and committee staff use (alliances.publishing). ``photos``: (Photo, alt) pairs."""
    from alliances import publishing

    committee = StaffFactory(username="committee", groups=["机关工委"])
    version = publishing.propose(
        record=record,
        title=title or str(record),
        held_on=held_on or record.held_on,
        text=text,
        photos=photos,
        by=committee,
    )
    return publishing.approve(version=version, by=committee)
