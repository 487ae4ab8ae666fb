"""网站纠错: the readers' form and the committee's handling of what it brings in.

No CAPTCHA service from outside: a form carries a signed timestamp (``issue_token``), and a
submission is refused when it comes back sooner than a person could have written anything
(MIN_SECONDS) or after the token has expired (MAX_SECONDS), or when a field no person sees
(``website``) is filled in. Submissions per client are limited in the view (django-ratelimit).
"""

import time
from urllib.parse import urlsplit

from django import forms
from django.core import signing

from .models import ErrorReport

SALT = "portal.error-report"
MIN_SECONDS = 3
MAX_SECONDS = 3600
PAGE_MAX_LENGTH = ErrorReport._meta.get_field("page_url").max_length


def issue_token(now=None):
    """A token for a form rendered now: the time, signed with the site's secret key."""
    return signing.dumps(now if now is not None else time.time(), salt=SALT)


def site_path(value, host):
    """``value`` as a path on this site (an address of this host, or a path), or None.

    The page field comes from a query parameter and the Referer header: only what names a
    page of this site is kept, and only its path and query, never another site's address."""
    value = (value or "").strip()
    if not value:
        return ""
    if len(value) > PAGE_MAX_LENGTH or any(ord(c) < 32 or c == "\\" for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme or parts.netloc:
        if parts.scheme not in ("http", "https") or parts.netloc != host:
            return None
    elif not value.startswith("/") or value.startswith("//"):
        return None
    path = parts.path or "/"
    return f"{path}?{parts.query}" if parts.query else path


class ErrorReportForm(forms.ModelForm):
    token = forms.CharField(widget=forms.HiddenInput)
    # The honeypot: hidden from people (CSS and aria-hidden), filled in by form-filling robots.
    website = forms.CharField(
        label="请勿填写此项",
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    class Meta:
        model = ErrorReport
        fields = ["page_url", "description", "contact"]
        labels = {"page_url": "出错页面地址", "contact": "联系方式（选填）"}
        help_texts = {
            "page_url": "本站页面的地址，例如 /article/12/；从页面底部的“网站纠错”进入时"
            "已自动填好。",
            "description": "请写明哪里有错、应当是什么，最多 2000 字。",
            "contact": "电话或电子邮箱，需要回复时填写；只有网站工作人员能看到。",
        }
        widgets = {"description": forms.Textarea(attrs={"rows": 6})}

    def __init__(self, *args, host, now=None, **kwargs):
        self.host = host
        self.now = now if now is not None else time.time()
        super().__init__(*args, **kwargs)
        self.fields["description"].error_messages["required"] = "请填写问题描述。"

    def clean_page_url(self):
        path = site_path(self.cleaned_data["page_url"], self.host)
        if path is None:
            raise forms.ValidationError("请填写本网站页面的地址，例如 /article/12/，或者留空。")
        return path

    def clean_description(self):
        text = self.cleaned_data["description"].strip()
        if not text:
            raise forms.ValidationError("请填写问题描述。")
        return text

    def clean_website(self):
        if self.cleaned_data["website"]:
            raise forms.ValidationError("提交未通过检查，请刷新页面后重新填写。")
        return ""

    def clean_token(self):
        try:
            issued = signing.loads(
                self.cleaned_data["token"], salt=SALT, max_age=MAX_SECONDS + MIN_SECONDS
            )
        except signing.SignatureExpired:
            raise forms.ValidationError("页面打开时间过长，请核对内容后重新提交。") from None
        except signing.BadSignature:
            raise forms.ValidationError("提交未通过检查，请刷新页面后重新填写。") from None
        if not isinstance(issued, (int, float)):
            raise forms.ValidationError("提交未通过检查，请刷新页面后重新填写。")
        age = self.now - issued
        if age < MIN_SECONDS:
            raise forms.ValidationError("提交太快了，请核对内容后几秒钟再提交。")
        if age > MAX_SECONDS:
            raise forms.ValidationError("页面打开时间过长，请核对内容后重新提交。")
        return self.cleaned_data["token"]
