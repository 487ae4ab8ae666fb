"""Every form a reader, a secretary or an editor can reach, sent empty and with junk: no
error message reads like machine text (Django's defaults: "确保该变量…", "输入一个有效的…",
"选择一个有效的选项…", "这个字段…").

The forms are found, not listed: every public and workspace page of the fuzz tests' world is
opened as each role and each form on it is taken with its fields (the header's search box,
the filters, the workspace's forms, the login), as is the add or change form of every model
of ours in the admin. Each is then sent once empty and once per junk value in every field the
user can type into or choose from (hidden fields keep their values, as a browser sends them).
The messages are read from the forms the page was rendered with, and the page itself must not
show a machine wording either. Every request runs in a savepoint that is rolled back.
"""

import ast
import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.db import transaction
from django.forms import BaseForm, BaseFormSet
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_filters import FilterSet

from .test_fuzz import PATTERN_KEYS, concrete_path

# Django's wordings that read as machine text, and English that a missing translation shows.
MACHINE_WORDING = [
    "该变量",
    "确保",
    "字段",
    "输入一个",
    "请输入一个",
    "输入整数",
    "请输入有效",
    "选择一个有效",
    "不在可用的选项中",
    "不允许是用",
    "的值应该",
    "错误的日期",
    "不是一个有效的",
    "具有 ",
    "已经存在",
    "约束",
    "他们都是",
    "ManagementForm",
    "内联值",
    "null",
    "%(",
    "Enter a",
    "Ensure this",
    "This field",
    "Select a valid",
    "is not a valid",
    "instance with",
]
# In a whole page, only the Chinese ones: the admin's scripts say null and "Enter a".
MACHINE_WORDING_ON_PAGES = [wording for wording in MACHINE_WORDING if not wording.isascii()]
JUNK = ["长" * 5000, "abc", "-1", "9" * 30, "a\x00b", "2025-02-30", " "]
ROLES = ["anonymous", "secretary_a", "committee"]
# The search box, the filters of both lists, the year of two pages, the login; the
# secretary's records, plan and report forms; the committee's overview.
FORMS_AT_LEAST = {"anonymous": 6, "secretary_a": 12, "committee": 12}
OUR_APPS = {"articles", "alliances", "portal"}
FOUND = defaultdict(set)  # form: messages, printed at the end of the run
CRASHES = set()


class Forms(HTMLParser):
    """The forms of a page: action, method, and each field's name, kind and value as sent."""

    def __init__(self):
        super().__init__()
        self.forms, self.current, self.select, self.textarea = [], None, None, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            method = (attrs.get("method") or "get").lower()
            self.current = {"action": attrs.get("action") or "", "method": method, "fields": []}
            self.forms.append(self.current)
        elif self.current is None or ("name" not in attrs and tag != "option"):
            return
        elif tag == "input":
            kind = attrs.get("type", "text")
            value = attrs.get("value", "")
            if kind in {"checkbox", "radio"}:
                kind, value = "choice", value if "checked" in attrs else None
            if kind not in {"submit", "button", "file", "image", "reset"}:
                self.field(attrs["name"], kind, value)
        elif tag == "select":
            picked = "admin-autocomplete" in attrs.get("class", "")  # chosen by search
            self.select = self.field(attrs["name"], "picked" if picked else "choice", None)
        elif tag == "option" and self.select is not None:
            if "selected" in attrs or self.select[2] is None:
                self.select[2] = attrs.get("value", "")
        elif tag == "textarea":
            self.textarea = self.field(attrs["name"], "text", "")

    def handle_data(self, data):
        if self.textarea is not None:
            self.textarea[2] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None
        elif tag == "select":
            self.select = None
        elif tag == "textarea":
            self.textarea = None

    def field(self, name, kind, value):
        field = [name, kind, value]
        self.current["fields"].append(field)
        return field


def forms_on(response, url):
    parser = Forms()
    parser.feed(response.content.decode())
    for form in parser.forms:
        action = urljoin(url, form["action"])
        if urlsplit(action).netloc or "logout" in action or not form["fields"]:
            continue
        yield action, form["method"], form["fields"]


def bodies(fields):
    """The form empty, then each junk value in every field the user fills in or picks from
    a list (hidden fields and the admin's search-to-pick fields keep their value)."""
    kept = {name: value or "" for name, kind, value in fields if kind in {"hidden", "picked"}}
    yield "空白", kept
    for junk in JUNK:
        filled = {name: junk for name, kind, _ in fields if kind not in {"hidden", "picked"}}
        yield repr(junk[:12]), {**kept, **filled}


def messages_of(response):
    """The error messages of every form, formset and filter the page was rendered with."""
    found, seen = [], set()

    def visit(thing):
        if id(thing) in seen:
            return
        seen.add(id(thing))
        if isinstance(thing, BaseForm) and thing.is_bound:
            found.extend(str(m) for errors in thing.errors.values() for m in errors)
        elif isinstance(thing, BaseFormSet) and thing.is_bound:
            found.extend(str(m) for m in thing.non_form_errors())
            for form in thing.forms:
                visit(form)
        elif isinstance(thing, FilterSet | helpers.AdminForm):
            visit(thing.form)
        elif isinstance(thing, helpers.InlineAdminFormSet):
            visit(thing.formset)
        elif isinstance(thing, list | tuple):
            for item in thing:
                visit(item)

    for context in response.context or []:
        for value in context.flatten().values():
            visit(value)
    return found


def submit(client, method, url, data):
    savepoint = transaction.savepoint()
    try:
        return getattr(client, method)(url, data)
    finally:
        transaction.savepoint_rollback(savepoint)


def machine_wording(client, label, method, url, fields):
    """What reads as machine text in the answers to the form's bodies: [(body, text)]."""
    found = []
    for name, data in bodies(fields):
        response = submit(client, method, url, data)
        if response.status_code >= 500:  # no messages to read: see the crash test below
            CRASHES.add((label, name))
            continue
        messages = messages_of(response)
        FOUND[label].update(messages)
        page = "" if response.streaming else response.content.decode()
        found += [
            (name, message)
            for message in messages
            if any(wording in message for wording in MACHINE_WORDING)
        ]
        found += [(name, f"页面：{w}") for w in MACHINE_WORDING_ON_PAGES if w in page]
    return found


def client_as(world, role):
    client = Client(raise_request_exception=False)
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


@pytest.fixture
def world(security_world, settings):
    settings.PORTAL_PAGE_CACHE = False
    return security_world


@pytest.fixture(scope="module", autouse=True)
def _print_messages():
    yield
    shown = sorted({message for messages in FOUND.values() for message in messages})
    print(f"\n表单提示：{len(FOUND)} 个表单，{len(shown)} 种提示")
    for message in shown:
        print("  ", message[:120])
    for form, body in sorted(CRASHES):
        print(f"   服务器错误（见 test_junk_in_an_admin_choice_field…）：{form} {body}")


@pytest.mark.parametrize("role", ROLES)
def test_public_and_workspace_forms_speak_plainly(world, role):
    client = client_as(world, role)
    tried, found = set(), []
    for key in PATTERN_KEYS:
        try:
            url = concrete_path(world, key)
        except KeyError:  # an argument the fuzz tests' world has no value for
            continue
        response = client.get(url)
        if response.status_code != 200 or not response["Content-Type"].startswith("text/html"):
            continue
        for action, method, fields in forms_on(response, url):
            signature = (urlsplit(action).path, method, tuple(name for name, *_ in fields))
            if signature in tried:
                continue
            tried.add(signature)
            label = f"{role} {method.upper()} {signature[0]}"
            found += [
                (label, *hit) for hit in machine_wording(client, label, method, action, fields)
            ]
    assert len(tried) >= FORMS_AT_LEAST[role], tried
    assert not found, "\n".join(map(str, found))


def admin_forms(world):
    for model in admin.site._registry:
        label = model._meta.label_lower
        if model._meta.app_label not in OUR_APPS:
            continue
        info = (model._meta.app_label, model._meta.model_name)
        yield label, reverse("admin:{}_{}_add".format(*info))
        if label in world.admin_objects:
            obj = world.admin_objects[label]
            yield label, reverse("admin:{}_{}_change".format(*info), args=[obj.pk])


def test_admin_forms_of_our_models_speak_plainly(world):
    client = client_as(world, "superuser")
    tried, found = 0, []
    for label, url in admin_forms(world):
        response = client.get(url)
        if response.status_code != 200:
            continue
        forms = [(a, m, f) for a, m, f in forms_on(response, url) if m == "post"]
        for action, method, fields in forms[:1]:
            tried += 1
            where = f"admin {label} {url}"
            found += [
                (where, *hit) for hit in machine_wording(client, where, method, action, fields)
            ]
    assert tried >= 20, tried
    assert not found, "\n".join(map(str, found))


@pytest.mark.parametrize(
    ("model", "field", "junk"),
    [
        ("membership", "branch", "abc"),
        ("membership", "branch", "9" * 30),
        ("alliance", "secretaries", "9" * 30),
        ("alliance", "secretaries", "abc"),
        ("jointmeeting", "attendance-0-branch", "abc"),  # in an inline
        ("jointmeeting", "attendance-0-branch", "9" * 30),
    ],
)
def test_junk_in_an_admin_choice_field_is_a_form_error(world, model, field, junk):
    """Django's admin widgets queried with the value sent: 'abc' in a search-to-pick field
    was a ValueError, a 30-digit id in a several-choice field overflowed the integer."""
    client = client_as(world, "superuser")
    url = reverse(f"admin:alliances_{model}_add")
    fields = next(f for _, method, f in forms_on(client.get(url), url) if method == "post")
    data = {name: value or "" for name, kind, value in fields if kind in {"hidden", "picked"}}
    if field.startswith("attendance-"):  # one row of the inline
        data |= {"attendance-TOTAL_FORMS": "1", "attendance-0-head_count": "3"}
    response = submit(client, "post", url, {**data, field: junk})
    assert response.status_code == 200


def catalogue():
    """(msgid, msgid_plural or None, msgstr) of each entry of the site's .po file."""
    text = (Path(settings.LOCALE_PATHS[0]) / "zh_Hans/LC_MESSAGES/django.po").read_text()
    entry = re.compile(r'^(msgid|msgid_plural|msgstr(?:\[0\])?) ((?:".*"\n?)+)', re.MULTILINE)
    current, found = {}, []
    for keyword, strings in entry.findall(text):
        value = "".join(ast.literal_eval(line) for line in strings.split("\n") if line)
        if keyword == "msgid":
            current = {"msgid": value}
        current[keyword.removesuffix("[0]")] = value
        if keyword.startswith("msgstr") and current["msgid"]:
            found.append((current["msgid"], current.get("msgid_plural"), value))
    return found


def test_the_compiled_catalogue_is_the_po_file_and_overrides_django_s():
    """The .mo must be rebuilt after each edit of the .po (see its header); and ours must win
    over Django's catalogues, the admin's and auth's included."""
    entries = catalogue()
    assert len(entries) >= 50
    with translation.override("zh-hans"):
        for msgid, plural, msgstr in entries:
            shown = translation.ngettext(msgid, plural, 1) if plural else translation.gettext(msgid)
            assert shown == msgstr, msgid
