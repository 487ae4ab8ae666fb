"""Tools some tests fetch on first use (Chromium and axe-core for tests/browser, the Nu Html
Checker for tests/portal/test_html_valid.py), into ``.cache/`` (not in the repository).

Outside CI a tool that is missing and cannot be installed skips its tests with the reason;
with CI=true it fails them, so a CI run cannot pass without having run them.
"""

import contextlib
import fcntl
import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CACHE = REPO / ".cache"
NPM_INSTALL = ["npm", "install", "--no-save", "--no-audit", "--no-fund"]


def in_ci():
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def unavailable(what, reason):
    """Fail under CI (``what`` must run there), skip elsewhere."""
    if in_ci():
        pytest.fail(f"{what}无法运行：{reason}", pytrace=False)
    pytest.skip(reason)


@contextlib.contextmanager
def install_lock(name):
    """xdist workers start at once: let one of them install while the others wait."""
    CACHE.mkdir(exist_ok=True)
    with open(CACHE / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def run_installer(command):
    """Run an install command; None when it worked, else the end of its output."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=900, check=False)
    except (OSError, subprocess.TimeoutExpired) as error:
        return str(error)
    return None if result.returncode == 0 else (result.stderr or result.stdout)[-2000:]
