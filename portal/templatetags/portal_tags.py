from django import template
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from portal import pagecache
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


@register.filter
def one_line(value):
    """Text as one line, its runs of spaces and line breaks made one space (meta tags)."""
    return " ".join(str(value).split())
