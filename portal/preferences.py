"""Reader preferences kept in cookies, so they work without JavaScript and without an account."""

FONT_SIZE_COOKIE = "fontsize"
FONT_SIZES = {"large": "大", "medium": "中", "small": "小"}
DEFAULT_FONT_SIZE = "medium"
COOKIE_AGE = 365 * 24 * 3600


def font_size(request):
    value = request.COOKIES.get(FONT_SIZE_COOKIE)
    return value if value in FONT_SIZES else DEFAULT_FONT_SIZE
