"""``reverse()`` for the links that lists print by the dozen.

A home page links some eighty articles and sections; ``reverse()`` costs about 20 µs a
call (it tries every candidate pattern with a regular expression), a quarter of what the
whole page may cost. The addresses of a list differ only in one id or slug, so the address
is reversed once per URL name, URLconf and script prefix with a placeholder, which is then
replaced. Anything that is not a plain id or ASCII slug goes through ``reverse()``.
"""

import functools
import re

from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.urls import get_script_prefix, get_urlconf, reverse

PLACEHOLDER = "918273645546372819"  # matches both <int:…> and <slug:…>; in no real address
_PLAIN = re.compile(r"[-a-zA-Z0-9_]+")


@functools.lru_cache(maxsize=128)
def _template(viewname, urlconf, prefix):
    return reverse(viewname, urlconf=urlconf, args=[PLACEHOLDER])


def reverse_one(viewname, value):
    """``reverse(viewname, args=[value])`` for a URL with one id or slug, fast."""
    value = str(value)
    if not _PLAIN.fullmatch(value):
        return reverse(viewname, args=[value])
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _template(viewname, urlconf, get_script_prefix()).replace(PLACEHOLDER, value)


@receiver(setting_changed)
def _forget_templates(*, setting, **kwargs):
    """Tests that swap URLconfs get addresses from the new one."""
    if setting == "ROOT_URLCONF":
        _template.cache_clear()
