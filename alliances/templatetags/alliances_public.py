"""Tags of the public alliance pages."""

from html import escape

from django import template
from django.utils.safestring import mark_safe

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
