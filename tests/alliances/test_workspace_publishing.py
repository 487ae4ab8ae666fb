"""先审后发 in the workspace: a secretary proposes a public version of a meeting or activity,
committee staff publish it or send it back with a reason, and may withdraw it later."""

import io
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db.models import F
from django.urls import reverse
from PIL import Image

from alliances import publishing
from alliances.models import Photo, PublicVersion
from articles.models import Article, Category
from portal.models import AuditEntry
from tests.factories import (
    ActivityFactory,
    AllianceFactory,
    BranchFactory,
    CategoryFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)

Status = PublicVersion.Status


def jpeg_bytes(color="red"):
    out = io.BytesIO()
    Image.new("RGB", (120, 90), color).save(out, "JPEG")
    return out.getvalue()


@pytest.fixture
def alliance(db):
    alliance = AllianceFactory(name="甲联盟", slug="a", founded_on=date(2025, 1, 1))
    MembershipFactory(alliance=alliance, is_lead=True, branch=BranchFactory(unit="审计局"))
    return alliance


@pytest.fixture
def secretary(alliance):
    user = UserFactory(username="sec-a", first_name="甲联盟联络员")
    alliance.secretaries.add(user)
    return user


@pytest.fixture
def other_secretary(db):
    other = AllianceFactory(name="乙联盟", slug="b")
    user = UserFactory(username="sec-b")
    other.secretaries.add(user)
    return user


@pytest.fixture
def activity(alliance):
    activity = ActivityFactory(
        alliance=alliance,
        host=alliance.memberships.get().branch,
        title="红色观影",
        held_on=date(2025, 5, 10),
        description="<p>内部记录：经费三千元。</p>",
    )
    for n, color in enumerate(["red", "blue"]):
        photo = Photo(activity=activity, caption=f"观影现场{n + 1}", position=n)
        photo.image.save(f"p{n}.jpg", ContentFile(jpeg_bytes(color)), save=True)
    return activity


@pytest.fixture
def meeting(alliance):
    return MeetingFactory(
        alliance=alliance,
        host=alliance.memberships.get().branch,
        held_on=date(2025, 4, 15),
        minutes="<p>纪要：内部讨论。</p>",
    )


def edit_url(record):
    kind = "activity" if record._meta.model_name == "activity" else "meeting"
    return reverse(f"workspace:{kind}_edit", args=[record.alliance.slug, record.pk])


def propose_url(record):
    kind = "activity" if record._meta.model_name == "activity" else "meeting"
    return reverse(f"workspace:{kind}_propose", args=[record.alliance.slug, record.pk])


def proposal(record, **overrides):
    data = {
        "title": "甲联盟组织党员观看红色电影",
        "held_on": "2025-05-10",
        "text": "五月十日，甲联盟各成员单位党员共同观看红色电影。",
    }
    for photo in record.photos.all():
        data[f"alt_{photo.pk}"] = photo.caption
    return {**data, **overrides}


def propose(client, record, **overrides):
    return client.post(propose_url(record), proposal(record, **overrides))


def decide(client, action, version, **data):
    return client.post(reverse(f"workspace:review_{action}", args=[version.pk]), data)


def test_a_proposal_approved_by_the_committee_is_published(client, secretary, committee, activity):
    first = activity.photos.first()
    client.force_login(secretary)
    response = propose(client, activity, **{f"photo_{first.pk}": "on"})
    assert response.status_code == 302
    assert response["Location"] == edit_url(activity) + "#public"
    version = publishing.pending_version(activity)
    assert [(p.photo, p.alt) for p in version.photos.all()] == [(first, "观影现场1")]
    assert publishing.published_version(activity) is None

    client.force_login(committee)
    queue = client.get(reverse("workspace:review"))
    assert "甲联盟组织党员观看红色电影" in queue.content.decode()
    assert "内部记录：经费三千元" in queue.content.decode()  # the record beside it, to check
    response = decide(client, "approve", version)
    assert response.status_code == 302 and response["Location"] == reverse("workspace:review")
    assert publishing.published_version(activity) == version
    followed = client.get(response["Location"])
    assert "已公开“甲联盟组织党员观看红色电影”" in followed.content.decode()
    assert "目前没有等待审核的公开申请" in followed.content.decode()
    assert AuditEntry.objects.filter(action="public_version.approve", user=committee).exists()


def test_the_panel_says_where_the_record_stands(client, secretary, committee, activity):
    client.force_login(secretary)
    page = client.get(edit_url(activity)).content.decode()
    assert "未申请公开" in page and "申请公开" in page
    assert 'value="观影现场1"' in page  # the alt text starts from the caption
    propose(client, activity)
    assert "待审核" in client.get(edit_url(activity)).content.decode()
    publishing.approve(version=publishing.pending_version(activity), by=committee)
    page = client.get(edit_url(activity)).content.decode()
    assert "已公开" in page and "修改公开版本" in page
    assert f'href="{activity.get_absolute_url()}"' in page


def test_sending_back_without_a_reason_is_refused_with_a_message(
    client, secretary, committee, activity
):
    client.force_login(secretary)
    propose(client, activity)
    version = publishing.pending_version(activity)
    client.force_login(committee)
    response = decide(client, "send_back", version, note="  ")
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "退回时请写明理由" in page
    version.refresh_from_db()
    assert version.status == Status.PENDING


def test_a_proposal_sent_back_is_fixed_by_the_secretary_and_then_approved(
    client, secretary, committee, activity
):
    client.force_login(secretary)
    propose(client, activity)
    client.force_login(committee)
    decide(client, "send_back", publishing.pending_version(activity), note="请补充活动成效。")

    client.force_login(secretary)
    home = client.get(reverse("workspace:home")).content.decode()
    assert "请补充活动成效。" in home
    assert f'href="{edit_url(activity)}#public"' in home
    assert "请补充活动成效。" in client.get(edit_url(activity)).content.decode()
    propose(client, activity, text="观影后各支部开展了交流讨论，党员纷纷表示深受教育。")
    assert "请补充活动成效。" not in client.get(reverse("workspace:home")).content.decode()

    client.force_login(committee)
    decide(client, "approve", publishing.pending_version(activity))
    assert publishing.published_version(activity).text.startswith("观影后")


def test_an_edit_after_publication_keeps_the_old_version_public_until_approved(
    client, secretary, committee, meeting
):
    client.force_login(secretary)
    propose(client, meeting, title="第二季度例会")
    client.force_login(committee)
    decide(client, "approve", publishing.pending_version(meeting))
    old = publishing.published_version(meeting)

    client.force_login(secretary)
    response = propose(client, meeting, title="第二季度例会（修改）")
    assert (
        "审核期间，网站上仍显示原来的公开版本" in client.get(response["Location"]).content.decode()
    )
    assert publishing.published_version(meeting) == old
    new = publishing.pending_version(meeting)
    assert new.title == "第二季度例会（修改）"

    client.force_login(committee)
    assert "公开这份申请后将替换它" in client.get(reverse("workspace:review")).content.decode()
    decide(client, "approve", new)
    assert publishing.published_version(meeting) == new
    old.refresh_from_db()
    assert old.status == Status.REPLACED


def test_a_new_proposal_replaces_the_one_still_waiting_and_both_are_kept(
    client, secretary, activity
):
    client.force_login(secretary)
    propose(client, activity, title="第一稿")
    propose(client, activity, title="第二稿")
    assert list(publishing.versions_of(activity).values_list("title", "status")) == [
        ("第二稿", Status.PENDING),
        ("第一稿", Status.REPLACED),
    ]


def test_committee_staff_withdraw_a_published_record(client, secretary, committee, activity):
    client.force_login(secretary)
    propose(client, activity)
    client.force_login(committee)
    version = publishing.pending_version(activity)
    decide(client, "approve", version)
    listing = client.get(reverse("workspace:review_published")).content.decode()
    assert "甲联盟组织党员观看红色电影" in listing

    response = decide(client, "withdraw", version, note="照片涉及个人信息。")
    assert response["Location"] == reverse("workspace:review_published")
    assert publishing.published_version(activity) is None
    version.refresh_from_db()
    assert (version.status, version.review_note) == (Status.WITHDRAWN, "照片涉及个人信息。")
    client.force_login(secretary)
    page = client.get(edit_url(activity)).content.decode()
    assert "已撤回" in page and "照片涉及个人信息。" in page


def test_a_secretary_of_another_alliance_cannot_propose_for_this_one(
    client, other_secretary, activity
):
    """The workspace does not show another alliance's pages at all (404, as everywhere there);
    the service refuses too, whatever calls it."""
    client.force_login(other_secretary)
    assert propose(client, activity).status_code == 404
    assert not PublicVersion.objects.exists()
    with pytest.raises(publishing.PermissionDenied):
        publishing.propose(
            record=activity, title="x", held_on=activity.held_on, text="x", by=other_secretary
        )


def test_a_secretary_cannot_open_the_queue_or_decide(client, secretary, committee, activity):
    client.force_login(secretary)
    propose(client, activity)
    version = publishing.pending_version(activity)
    assert client.get(reverse("workspace:review")).status_code == 403
    assert client.get(reverse("workspace:review_published")).status_code == 403
    for action in ("approve", "send_back", "withdraw"):
        assert decide(client, action, version, note="理由").status_code == 403
    version.refresh_from_db()
    assert version.status == Status.PENDING


def test_anonymous_visitors_are_sent_to_the_login(client, db):
    response = client.get(reverse("workspace:review"))
    assert response.status_code == 302 and "/workspace/login/" in response["Location"]


def test_deciding_twice_gives_a_message_not_an_error(client, secretary, committee, activity):
    client.force_login(secretary)
    propose(client, activity)
    version = publishing.pending_version(activity)
    client.force_login(committee)
    decide(client, "approve", version)
    response = decide(client, "send_back", version, note="晚了一步")  # a colleague, a second later
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "已经审核过了（已公开）" in page
    assert publishing.published_version(activity) == version


def test_deciding_a_proposal_replaced_meanwhile_says_so(client, secretary, committee, activity):
    client.force_login(secretary)
    propose(client, activity, title="第一稿")
    first = publishing.pending_version(activity)
    propose(client, activity, title="第二稿")
    client.force_login(committee)
    page = client.get(decide(client, "approve", first)["Location"]).content.decode()
    assert "联络员已重新提交了这份申请" in page
    assert publishing.published_version(activity) is None


def test_a_photo_chosen_without_alt_text_is_a_form_error(client, secretary, activity):
    photo = activity.photos.first()
    client.force_login(secretary)
    response = propose(client, activity, **{f"photo_{photo.pk}": "on", f"alt_{photo.pk}": " "})
    assert response.status_code == 400
    assert "选中的照片要写一句说明" in response.content.decode()
    assert not PublicVersion.objects.exists()


def test_minutes_and_attendance_are_not_in_a_public_version(client, secretary, meeting):
    client.force_login(secretary)
    page = client.get(edit_url(meeting)).content.decode()
    assert "纪要" in page  # the record's own form
    response = propose(client, meeting, title="例会", text="召开例会。")
    version = publishing.pending_version(meeting)
    fields = {field.name for field in PublicVersion._meta.get_fields()}
    assert response.status_code == 302
    assert not fields & {"minutes", "decisions", "attendance", "topics"}
    assert "纪要" not in version.text


def test_an_activity_sent_as_news_lands_in_review_with_copies_of_its_photos(
    client, secretary, activity
):
    section = CategoryFactory(name="基层党建", slug="jcdj")
    notices = CategoryFactory(name="通知公告", slug="tzgg", column_type=Category.ColumnType.NOTICE)
    first, second = activity.photos.all()
    client.force_login(secretary)
    page = client.get(edit_url(activity)).content.decode()
    assert "同时作为新闻报送" in page and "基层党建" in page and "通知公告" not in page

    response = propose(
        client,
        activity,
        text="第一段。\n第二段。",
        as_news="on",
        news_category=section.pk,
        **{f"photo_{first.pk}": "on", f"photo_{second.pk}": "on"},
    )
    assert response.status_code == 302
    assert "新闻稿已送到“基层党建”栏目" in client.get(response["Location"]).content.decode()
    article = Article.objects.get()
    assert (article.status, article.category, article.title) == (
        Article.Status.REVIEW,
        section,
        "甲联盟组织党员观看红色电影",
    )
    assert article.source == "甲联盟"
    assert "<p>第一段。</p><p>第二段。</p>" in article.body
    assert article.cover_alt == "观影现场1"
    assert article.cover.name != first.image.name
    assert 'alt="观影现场2"' in article.body and second.image.name not in article.body
    assert article.history.latest().history_user == secretary

    first.delete()  # the photo goes; the article keeps its copies
    second.delete()
    assert default_storage.exists(article.cover.name)
    body_image = article.body.split('src="/media/')[1].split('"')[0]
    assert default_storage.exists(body_image)

    refused = propose(client, activity, as_news="on", news_category=notices.pk)
    assert refused.status_code == 400
    assert Article.objects.count() == 1


def test_sending_as_news_needs_a_section(client, secretary, activity):
    client.force_login(secretary)
    response = propose(client, activity, as_news="on")
    assert response.status_code == 400
    assert "请选择报送到哪个栏目" in response.content.decode()
    assert not Article.objects.exists() and not PublicVersion.objects.exists()


def test_a_meeting_offers_no_news_option(client, secretary, meeting):
    client.force_login(secretary)
    assert "同时作为新闻报送" not in client.get(edit_url(meeting)).content.decode()


def test_home_pages_show_what_waits_for_whom(client, secretary, committee, activity):
    client.force_login(secretary)
    propose(client, activity)
    for url in (reverse("workspace:home"), reverse("workspace:alliance", args=["a"])):
        page = client.get(url).content.decode()
        assert "等待机关工委审核的（1）" in page
    client.force_login(committee)
    home = client.get(reverse("workspace:home")).content.decode()
    assert "1 条等待审核" in home
    assert f'href="{reverse("workspace:review")}"' in home


def test_the_queue_is_oldest_first_and_paged(client, secretary, committee, alliance):
    host = alliance.memberships.get().branch
    for n in range(12):
        record = ActivityFactory(alliance=alliance, host=host, title=f"活动{n:02}")
        publishing.propose(
            record=record, title=f"公开{n:02}", held_on=record.held_on, text="介绍", by=secretary
        )
    client.force_login(committee)
    first = client.get(reverse("workspace:review")).content.decode()
    assert first.index("公开00") < first.index("公开09")
    assert "公开10" not in first and "第 1 页 / 共 2 页" in first
    assert "公开11" in client.get(reverse("workspace:review"), {"page": 2}).content.decode()
    assert client.get(reverse("workspace:review"), {"page": "abc"}).status_code == 200


def test_the_queue_reads_in_a_fixed_number_of_queries(
    client, secretary, committee, alliance, django_assert_max_num_queries
):
    host = alliance.memberships.get().branch
    for n in range(8):
        if n % 2:
            record = ActivityFactory(alliance=alliance, host=host)
        else:
            record = MeetingFactory(alliance=alliance, host=host, is_regular=False)
        publishing.propose(
            record=record, title=f"公开{n}", held_on=record.held_on, text="介绍", by=secretary
        )
    client.force_login(committee)
    client.get(reverse("workspace:review"))
    with django_assert_max_num_queries(20):
        assert client.get(reverse("workspace:review")).status_code == 200


def test_the_bench_data_publishes_nine_records_in_ten(db):
    from django.core.management import call_command

    call_command("seed_bench", articles=5, alliances=4, activities=200, stdout=io.StringIO())
    versions = PublicVersion.objects.all()
    assert versions.filter(activity__isnull=False).count() == 200
    assert versions.filter(meeting__isnull=False).count() == 16
    assert versions.filter(status=Status.PUBLISHED).count() == 180 + 15
    assert not versions.exclude(alliance_id=F("activity__alliance_id")).filter(
        activity__isnull=False
    )
