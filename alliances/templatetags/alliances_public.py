"""Tags of the public alliance pages."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

from portal.templatetags.portal_tags import picture

from ..models import Alliance

register = template.Library()

DISSOLVED = " · <strong>已撤销</strong>"
ROTATIONS = dict(Alliance.Rotation.choices)


@register.simple_tag
def alliance_groups(buildings):
    """One kind's alliances of the directory, building by building (selectors.directory):
    each building's name, then its cards. Written out here rather than in the template: the
    directory prints two hundred cards in a hundred groups, which through the template
    engine cost more than all the rest of the page."""
    return mark_safe(  # noqa: S308 - every value escaped in alliance_cards and here
        "\n".join(
            (f'<h3 class="group-title">{escape(building.name)}</h3>\n' if building else "")
            + alliance_cards(cards)
            for building, cards in buildings
        )
    )


def alliance_cards(cards):
    """The cards of one group (selectors.DirectoryCard)."""
    items = "\n".join(
        '<li class="alliance-card">\n'
        f'  <a href="{escape(card.get_absolute_url())}">'
        f"{escape(card.name)}</a>\n"
        f"  <p>成员单位 {card.member_total:d} 个 · 党员 {card.party_members:d} 名</p>\n"
        f"  <p>{escape(str(ROTATIONS.get(card.rotation, card.rotation)))}"
        f"{DISSOLVED if card.status == Alliance.Status.DISSOLVED else ''}</p>\n"
        "</li>"
        for card in cards
    )
    # Every value is escaped above (stdlib html.escape, as django.utils.html.escape).
    return mark_safe(f'<ul class="alliance-cards">\n{items}\n</ul>')  # noqa: S308


@register.simple_tag
def activity_records(versions):
    """The rows of the public activity list (selectors.with_record, with ``chosen_photos``).
    Written out here for the reason of ``alliance_groups``: twenty rows through the template
    engine cost a quarter of the page."""
    if not versions:
        return mark_safe('<li class="empty">没有符合条件的活动。</li>')
    rows = []
    for version in versions:
        chosen = version.chosen_photos[0] if version.chosen_photos else None
        photo = (
            picture(
                chosen.photo.image,
                chosen.photo.width,
                chosen.photo.height,
                sizes="160px",
                alt=chosen.alt,
            )
            if chosen
            else ""
        )
        activity, day = version.activity, version.held_on.isoformat()
        rows.append(
            f'<li class="record">{photo}<div>\n'
            f'  <h2 class="record__title"><a href="{escape(version.get_absolute_url())}">'
            f"{escape(version.title)}</a></h2>\n"
            f'  <p class="record__meta"><time datetime="{day}">{day}</time>'
            f" · {escape(version.alliance.name)} · {escape(activity.get_line_display())}"
            f" · {escape(activity.host.unit)}主办</p>\n"
            "</div></li>"
        )
    # Every value is escaped above; the picture is built escaped (portal/renditions.py).
    return mark_safe("\n".join(rows))  # noqa: S308
