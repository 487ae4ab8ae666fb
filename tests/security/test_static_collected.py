"""What ``collectstatic`` puts under STATIC_ROOT, where nginx serves every file to anyone
(issue 14, item 5): none of CKEditor's sample or manual-test pages — HTML that runs script on
our origin and that the editor never loads — but everything the editor does load."""

import re
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[2]
# Loaded by the admin's editor (django-ckeditor's widget, CKEditor 4 with our config).
EDITOR_FILES = [
    "ckeditor/ckeditor-init.js",
    "ckeditor/ckeditor/ckeditor.js",
    "ckeditor/ckeditor/config.js",
    "ckeditor/ckeditor/styles.js",
    "ckeditor/ckeditor/contents.css",
    "ckeditor/ckeditor/lang/zh-cn.js",
    "ckeditor/ckeditor/skins/moono-lisa/editor.css",
    "ckeditor/ckeditor/plugins/image/dialogs/image.js",
    "ckeditor/ckeditor/plugins/table/dialogs/table.js",
    "ckeditor/ckeditor/plugins/specialchar/dialogs/specialchar.js",
]


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    root = tmp_path_factory.mktemp("static")
    with override_settings(STATIC_ROOT=root):
        call_command("collectstatic", interactive=False, verbosity=0)
    return sorted(path.relative_to(root).as_posix() for path in root.rglob("*") if path.is_file())


def test_no_html_page_of_ckeditor_is_collected(collected):
    pages = [name for name in collected if name.startswith("ckeditor/") and ".htm" in name]
    print(f"\nckeditor 下收集的 HTML 文件：{len(pages)} 个")
    assert pages == []


def test_no_sample_test_or_file_browser_folder_of_ckeditor_is_collected(collected):
    unused = [
        name
        for name in collected
        if name.startswith("ckeditor/")
        and ({"samples", "tests", "galleriffic"} & set(name.split("/")))
    ]
    assert unused == []


def test_everything_the_editor_loads_is_still_collected(collected):
    assert [name for name in EDITOR_FILES if name not in collected] == []


def test_nginx_serves_static_and_media_from_the_folders_the_readme_names():
    """collectstatic writes where nginx reads: the README once said /srv/dangjian/static
    while nginx served /srv/dangjian/staticfiles, and every stylesheet was a 404."""
    conf = (ROOT / "deploy" / "nginx" / "dangjian.conf").read_text()
    readme = (ROOT / "README.md").read_text()
    aliases = dict(re.findall(r"location (\S+) \{\s*alias (\S+);", conf))
    env = dict(re.findall(r"^\s*(MEDIA_ROOT|DJANGO_STATIC_ROOT)=(\S+)$", readme, re.M))
    assert aliases["/static/"] == env["DJANGO_STATIC_ROOT"] + "/"
    assert aliases["/media/"] == env["MEDIA_ROOT"] + "/"
