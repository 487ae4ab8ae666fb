"""Shared office computers (issue 14, item 5): no page or download of the workspace stays in
the browser's cache for the next person at the desk. Every workspace address of the URL
matrix, for a secretary, the 机关工委 and an anonymous visitor, GET and POST, answers with
``Cache-Control: no-store`` — the login page and its redirects, the ledger and the overview
workbooks, the forms with their errors and the 404s of other alliances alike."""

from http.cookies import SimpleCookie

from django.db import transaction
from django.test import Client

from tests.security.test_url_matrix import all_cells

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ROLES = ["anonymous", "secretary_a", "committee"]


def answer(client, method, url):
    """One request inside a savepoint that is rolled back (a delete deletes nothing), its
    cookies put back after it (a logout does not carry over to the next request)."""
    cookies = SimpleCookie()
    cookies.load(client.cookies.output(header="", sep=";"))
    savepoint = transaction.savepoint()
    try:
        return getattr(client, method)(url)
    finally:
        transaction.savepoint_rollback(savepoint)
        client.cookies = cookies


def test_every_workspace_address_tells_the_browser_not_to_store_it(security_world, settings):
    settings.DEBUG = False
    cells = [cell for cell, _ in all_cells(security_world) if cell.key.startswith("workspace:")]
    stored, downloads, count = [], set(), 0
    for role in ROLES:
        client = Client(raise_request_exception=False)
        if role != "anonymous":
            client.force_login(security_world.users[role])
        for cell in cells:
            for method in ("get", "post"):
                response = answer(client, method, cell.url)
                count += 1
                if response.get("Content-Type") == XLSX:
                    downloads.add(cell.key)
                if "no-store" not in response.get("Cache-Control", ""):
                    stored.append(
                        f"{role} {method.upper()} {cell.url} {response.status_code}: "
                        f"{response.get('Cache-Control', '（无 Cache-Control）')}"
                    )
    patterns = len({cell.key for cell in cells})
    print(f"\n工作台：{patterns} 个 URL 模式，{count} 次请求，缺 no-store {len(stored)}")
    assert downloads == {
        "workspace:ledger_xlsx",
        "workspace:overview_xlsx",
        "workspace:evaluation_xlsx",  # issue 16, 评先评优
    }
    assert stored == [], "\n".join(stored)
