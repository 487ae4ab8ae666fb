"""Reader preferences kept in cookies, so they work without JavaScript and without an account.

Each one is a cookie with a few allowed values; anything else in the cookie reads as the
default. A cached page is kept once per combination of the values read (portal/pagecache.py),
so junk in a cookie cannot make copies of its own.
"""

from dataclasses import dataclass

COOKIE_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class Preference:
    cookie: str
    choices: dict  # value: what the reader sees
    default: str

    def read(self, request):
        value = request.COOKIES.get(self.cookie)
        return value if value in self.choices else self.default


FONT_SIZE = Preference("fontsize", {"large": "大", "medium": "中", "small": "小"}, "medium")
# 关怀模式 (适老化): larger text, higher contrast, more line spacing and bigger targets at once.
CARE = Preference("care", {"on": "开", "off": "关"}, "off")
# 简 / 繁: pages converted to traditional characters on the way out (portal/zh.py).
SCRIPT = Preference("zh", {"hans": "简", "hant": "繁"}, "hans")

# By the name in the address /prefs/<name>/<value>/ (portal/urls.py).
PREFERENCES = {"font-size": FONT_SIZE, "care": CARE, "script": SCRIPT}
ALL = tuple(PREFERENCES.values())


def care_mode(request):
    return CARE.read(request) == "on"


def traditional(request):
    return SCRIPT.read(request) == "hant"
