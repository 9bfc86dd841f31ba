"""SPEC §8: `manage.py check --deploy` passes, warnings included, with the production settings
(config.settings, configured only through the environment as README describes: TLS on, DEBUG
off, real keys, the host name). Without TLS it does not: the check is not a formality."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.test import override_settings

from dangjian.core import pii
from dangjian.core.checks import check_content_security_policy, check_pdf_fonts

ROOT = Path(__file__).resolve().parents[3]


def manage(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess:
    """`manage.py ARGS` in a fresh process with the production settings, configured only
    through the environment as README describes (new keys, the host name, `tmp_path` as the
    data directory), plus `env`."""
    production = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DANGJIAN_SECRET_KEY": secrets.token_urlsafe(50),
        "DANGJIAN_PII_KEY": pii.generate_key(),
        "DANGJIAN_ALLOWED_HOSTS": "dangjian.example.gov.cn",
        "DANGJIAN_VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def deploy_check(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    return manage(tmp_path, "check", "--deploy", "--fail-level", "WARNING", **env)


def test_check_deploy_passes_with_production_settings(tmp_path):
    done = deploy_check(tmp_path, DANGJIAN_TLS="true")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_without_tls_the_deploy_check_fails(tmp_path):
    done = deploy_check(tmp_path, DANGJIAN_TLS="false")
    assert done.returncode != 0
    for warning in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert warning in done.stderr, warning


def test_a_policy_that_allows_inline_scripts_is_reported():
    relaxed = {"default-src": "'self'", "script-src": "'self' 'unsafe-inline'"}
    with override_settings(CONTENT_SECURITY_POLICY=relaxed):
        assert [w.id for w in check_content_security_policy(None)] == ["dangjian.W001"]
    assert check_content_security_policy(None) == []


def test_missing_pdf_libraries_are_reported(monkeypatch):
    from dangjian.core import pdf

    assert check_pdf_fonts(None) == []  # the machine has both (scripts/setup installs them)
    monkeypatch.setattr(pdf, "harfbuzz_subset_installed", lambda: False)
    assert [w.id for w in check_pdf_fonts(None)] == ["dangjian.W003"]
    monkeypatch.setattr(pdf, "cjk_fonts_installed", lambda: False)
    assert [w.id for w in check_pdf_fonts(None)] == ["dangjian.W002", "dangjian.W003"]
