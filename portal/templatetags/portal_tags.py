from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from portal import pagecache, renditions
from portal.models import SiteSettings

register = template.Library()


@register.simple_tag(takes_context=True)
def site_footer(context):
    """The footer, cached under the content version."""
    request = context["request"]
    return mark_safe(  # noqa: S308 - rendered by the template engine, escaped there
        pagecache.fragment(
            "site-footer",
            lambda: render_to_string("includes/footer.html", {"site": SiteSettings.load(request)}),
            request=request,
        )
    )


@register.simple_tag
def picture(file, width, height, *, sizes, alt, lazy=True, priority=False):
    """An uploaded image at the size the screen needs (portal/renditions.py)::

    {% picture article.cover article.cover_width article.cover_height sizes="160px" alt=… %}
    """
    if not file:
        return ""
    return renditions.picture(
        file.storage, file.name, width, height, sizes=sizes, alt=alt, lazy=lazy, priority=priority
    )
