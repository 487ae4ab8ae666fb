"""`.ci/run` with `make` replaced by a stub: what it does when PostgreSQL or Redis is away."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AWAY = {
    "CI_DATABASE_URL": "postgres://postgres@127.0.0.1:1/none",
    "CI_REDIS_URL": "redis://127.0.0.1:1/0",
}


def run_ci(tmp_path, **environ):
    stub = tmp_path / "make"
    stub.write_text('#!/bin/sh\necho "make $*" >> "$MAKE_CALLS"\n')
    stub.chmod(0o755)
    calls = tmp_path / "calls"
    env = {key: value for key, value in os.environ.items() if key not in ("CI", "DATABASE_URL")}
    env |= {"PATH": f"{tmp_path}:{env['PATH']}", "MAKE_CALLS": str(calls), **AWAY, **environ}
    result = subprocess.run(
        [str(ROOT / ".ci" / "run")], cwd=ROOT, env=env, capture_output=True, text=True
    )
    return result, calls.read_text().split("\n") if calls.exists() else []


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="needs .venv")
def test_in_ci_missing_postgresql_or_redis_fails_the_run(tmp_path):
    result, calls = run_ci(tmp_path, CI="true")
    assert result.returncode != 0
    assert "失败" in result.stdout
    assert "make test" in calls  # the first pass ran


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "python").exists(), reason="needs .venv")
def test_outside_ci_missing_services_skip_the_second_pass(tmp_path):
    result, _ = run_ci(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "跳过" in result.stdout
