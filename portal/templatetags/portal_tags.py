from django import template
from django.template.loader import render_to_string
from django.utils import timezone
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


@register.filter
def one_line(value):
    """Text as one line, its runs of spaces and line breaks made one space (meta tags)."""
    return " ".join(str(value).split())


@register.filter
def machine_time(value):
    """A date and time for ``<time datetime>``: ISO 8601 in the site's time zone, to the
    second (HTML allows at most three digits of a fraction; Django's ``date:'c'`` gives six)."""
    if not value:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return value.replace(microsecond=0).isoformat()
