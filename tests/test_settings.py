"""Settings read from the environment: production strictness, `check --deploy`, strict parsing.

Each test starts a fresh Python in a subprocess with a clean environment (no TESTING, no pytest in
sys.modules), because settings are read once per process.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SETUP = "import django; django.setup()"
# check --deploy does not connect, but the URL must be a real one in case a check ever does.
TEST_DATABASE_URL = os.environ.get("DATABASE_URL") or "postgres://postgres@127.0.0.1:5432/casework"

PRODUCTION = {
    "ENVIRONMENT": "production",
    "SECRET_KEY": secrets.token_urlsafe(64),
    "ALLOWED_HOSTS": "casework.example.nhs.uk",
    "DATABASE_URL": TEST_DATABASE_URL,
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "LANG": "C.UTF-8",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL"])
def test_production_refuses_to_start_without(missing):
    env = {name: value for name, value in PRODUCTION.items() if name != missing}

    result = run(["-c", SETUP], env)

    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert missing in result.stderr


def test_production_refuses_a_blank_value():
    result = run(["-c", SETUP], {**PRODUCTION, "SECRET_KEY": "   "})

    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_starts_with_the_three_variables():
    result = run(["-c", SETUP + "; from django.conf import settings; print(settings.DEBUG)"], PRODUCTION)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_check_deploy_is_clean_with_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("DEBUG", "maybe", "DEBUG must be true or false, not 'maybe'"),
        ("EMAIL_USE_TLS", "sometimes", "EMAIL_USE_TLS must be true or false"),
        (
            "SESSION_IDLE_TIMEOUT_MINUTES",
            "half an hour",
            "SESSION_IDLE_TIMEOUT_MINUTES must be a whole number",
        ),
        ("ENVIRONMENT", "staging", "ENVIRONMENT must be"),
    ],
)
def test_a_bad_value_stops_startup_with_a_clear_message(name, value, message):
    # A DATABASE_URL keeps the embedded PostgreSQL out of it; parsing fails before any connection.
    result = run(["-c", SETUP], {"DATABASE_URL": TEST_DATABASE_URL, name: value})

    assert result.returncode != 0
    assert message in result.stderr


def test_every_variable_settings_reads_is_documented():
    source = (ROOT / "config" / "settings.py").read_text()
    read = set(
        re.findall(r"""(?:env_\w+|os\.environ\.get|os\.getenv)\(\s*["']([A-Z][A-Z0-9_]*)["']""", source)
    )
    assert {"SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"} <= read  # the pattern still matches

    readme = (ROOT / "README.md").read_text()
    example = (ROOT / ".env.example").read_text()
    example_names = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", example, flags=re.MULTILINE))

    assert sorted(n for n in read if f"`{n}`" not in readme) == [], "missing from README.md"
    assert sorted(read - example_names) == [], "missing from .env.example"
