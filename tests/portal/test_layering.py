"""portal/ is the project package and the shared infrastructure: it knows no app."""

import ast
from pathlib import Path

PORTAL = Path(__file__).resolve().parents[2] / "portal"
APPS = ("articles", "alliances")
ALLOWED = {"urls.py", "settings.py"}  # where a project wires its apps together


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


def test_portal_imports_no_app_module_outside_urls_and_settings():
    offenders = [
        f"{path.relative_to(PORTAL.parent)}: {module}"
        for path in sorted(PORTAL.rglob("*.py"))
        if path.name not in ALLOWED or path.parent != PORTAL
        for module in imported_modules(path)
        if module.split(".")[0] in APPS
    ]
    assert offenders == []


def test_the_check_reads_imports_inside_functions_too(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from articles import viewcounts\n")
    assert list(imported_modules(sample)) == ["articles"]
