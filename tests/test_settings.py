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


# --- Scaling out (ADR 0014): pooling, the read replica, the file store -------------------------

SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "from django.core.files.storage import storages; "
    "print(json.dumps({'databases': s.DATABASES, 'routers': getattr(s, 'DATABASE_ROUTERS', []), "
    "'private': s.STORAGES['private'], 'private_class': type(storages['private']).__name__, "
    "'bucket': getattr(storages['private'], 'bucket_name', None)}, default=str))"
)


def settings_with(env: dict[str, str]) -> dict:
    import json

    result = run(["-c", SHOW], {"DATABASE_URL": TEST_DATABASE_URL, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_django_pools_connections_by_default_in_production():
    shown = settings_with(PRODUCTION)
    default = shown["databases"]["default"]
    assert default["OPTIONS"]["pool"] == {"min_size": 2, "max_size": 4, "timeout": 10}
    assert default["CONN_MAX_AGE"] == 0  # the pool keeps them; Django refuses both
    assert default["ATOMIC_REQUESTS"] is True
    assert "jit=off" in default["OPTIONS"]["options"]


def test_pool_sizes_are_read_and_pooling_can_be_off():
    shown = settings_with(
        {"DATABASE_POOL": "django", "DATABASE_POOL_MIN_SIZE": "0", "DATABASE_POOL_MAX_SIZE": "8"}
    )
    assert shown["databases"]["default"]["OPTIONS"]["pool"]["max_size"] == 8
    off = settings_with({"DB_CONN_MAX_AGE": "30"})  # development: off
    assert "pool" not in off["databases"]["default"]["OPTIONS"]
    assert off["databases"]["default"]["CONN_MAX_AGE"] == 30


def test_behind_pgbouncer_django_keeps_no_pool_and_no_server_side_cursors():
    default = settings_with({"DATABASE_POOL": "pgbouncer"})["databases"]["default"]
    assert "pool" not in default["OPTIONS"]
    assert default["DISABLE_SERVER_SIDE_CURSORS"] is True
    assert "options" not in default["OPTIONS"]  # PgBouncer refuses startup options it does not track


def test_a_replica_url_adds_the_replica_and_its_router():
    shown = settings_with({"DATABASE_REPLICA_URL": "postgres://reader@replica.example:5432/casework"})
    replica = shown["databases"]["replica"]
    assert (replica["HOST"], replica["USER"], replica["NAME"]) == ("replica.example", "reader", "casework")
    assert replica["TEST"]["MIRROR"] == "default"
    assert replica["ATOMIC_REQUESTS"] is False
    assert shown["routers"] == ["config.db_router.ReplicaRouter"]
    without = settings_with({})
    assert set(without["databases"]) == {"default"} and without["routers"] == []


def test_files_are_kept_on_this_machine_by_default():
    shown = settings_with({})
    assert shown["private"] == {"BACKEND": "casework.storage.PrivateFileSystemStorage"}
    assert shown["private_class"] == "PrivateFileSystemStorage"


def test_files_can_be_kept_in_an_s3_compatible_bucket():
    shown = settings_with(
        {
            "FILE_STORAGE": "s3",
            "AWS_STORAGE_BUCKET_NAME": "casework-files",
            "AWS_S3_ENDPOINT_URL": "https://objects.example.net",
            "AWS_S3_REGION_NAME": "uk-london-1",
            "AWS_LOCATION": "hampshire",
        }
    )
    options = shown["private"]["OPTIONS"]
    assert shown["private"]["BACKEND"] == "storages.backends.s3.S3Storage"
    assert options["endpoint_url"] == "https://objects.example.net"
    assert (options["region_name"], options["location"]) == ("uk-london-1", "hampshire")
    assert options["file_overwrite"] is False
    # Built without reaching the bucket (nothing is fetched until a file is kept or read).
    assert (shown["private_class"], shown["bucket"]) == ("S3Storage", "casework-files")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DATABASE_POOL": "yes"}, "DATABASE_POOL must be off, django or pgbouncer, not 'yes'"),
        ({"DATABASE_POOL": "django", "DB_CONN_MAX_AGE": "60"}, "DB_CONN_MAX_AGE must be 0 or unset"),
        ({"DATABASE_POOL_MAX_SIZE": "0"}, "DATABASE_POOL_MIN_SIZE must be from 0 to DATABASE_POOL_MAX_SIZE"),
        ({"DATABASE_POOL_MIN_SIZE": "5", "DATABASE_POOL_MAX_SIZE": "4"}, "DATABASE_POOL_MIN_SIZE must be"),
        ({"DATABASE_POOL_MAX_SIZE": "many"}, "DATABASE_POOL_MAX_SIZE must be a whole number"),
        ({"DATABASE_POOL_TIMEOUT_SECONDS": "0"}, "DATABASE_POOL_TIMEOUT_SECONDS must be 1 or more"),
        ({"FILE_STORAGE": "ftp"}, "FILE_STORAGE must be local or s3, not 'ftp'"),
        ({"FILE_STORAGE": "s3"}, "FILE_STORAGE=s3 needs AWS_STORAGE_BUCKET_NAME"),
    ],
)
def test_bad_scaling_settings_stop_startup(env, message):
    result = run(["-c", SETUP], {"DATABASE_URL": TEST_DATABASE_URL, **env})
    assert result.returncode != 0
    assert message in result.stderr


POOL_PROBE = (
    "import json, django; django.setup(); from django.db import connection; pids = set()\n"
    "for _ in range(5):\n"
    "    with connection.cursor() as cursor:\n"
    "        cursor.execute('SELECT pg_backend_pid()'); pids.add(cursor.fetchone()[0])\n"
    "    connection.close()  # the end of a request: back to the pool, or closed\n"
    "print(json.dumps({'backends': len(pids), 'pool': type(connection.pool).__name__}))"
)


@pytest.mark.django_db
def test_the_django_pool_reuses_its_connections_across_requests():
    import json

    from django.db import connection

    found = connection.settings_dict
    if not found["HOST"] or found["HOST"].startswith("/"):
        pytest.skip("needs a PostgreSQL server over TCP")
    url = f"postgres://{found['USER']}:{found['PASSWORD'] or ''}@{found['HOST']}:{found['PORT'] or 5432}/{found['NAME']}"

    def backends(env: dict[str, str]) -> dict:
        result = run(["-c", POOL_PROBE], {"DATABASE_URL": url, **env})
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)

    pooled = backends(
        {"DATABASE_POOL": "django", "DATABASE_POOL_MIN_SIZE": "1", "DATABASE_POOL_MAX_SIZE": "1"}
    )
    assert pooled == {"backends": 1, "pool": "ConnectionPool"}
    unpooled = backends({"DATABASE_POOL": "off", "DB_CONN_MAX_AGE": "0"})
    assert unpooled == {"backends": 5, "pool": "NoneType"}
