"""What the bench scripts share: the bench database URL, the refusal to touch any other database,
and setting Django up against it.

The bench data set is large and synthetic, so it lives in its own database whose name ends in
"_bench"; both scripts refuse any other name, so a typo cannot load 500,000 children into (or time
requests against) the development or test database.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import dj_database_url

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/casework_bench"
BENCH_SUFFIX = "_bench"


def bench_database_url() -> str:
    """DATABASE_URL when set (it must name a *_bench database), else the default bench database."""
    url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    refuse_unless_bench(dj_database_url.parse(url)["NAME"])
    return url


def bench_url_or(default: str) -> str:
    """DATABASE_URL when set, else `default`; either must name a *_bench database."""
    url = os.environ.get("DATABASE_URL", "").strip() or default
    refuse_unless_bench(dj_database_url.parse(url)["NAME"])
    return url


def recreate_database(url: str) -> None:
    """Drop and create the (*_bench) database `url` names, empty, for a script that builds its own."""
    import psycopg
    from generate import connect_kwargs

    name = dj_database_url.parse(url)["NAME"]
    refuse_unless_bench(name)
    with psycopg.connect(**connect_kwargs(url, "postgres"), autocommit=True) as conn:
        ident = psycopg.sql.Identifier(name)
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(ident))
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(ident))


def refuse_unless_bench(name: str | None) -> None:
    if not name or not name.endswith(BENCH_SUFFIX):
        sys.exit(
            f"Refusing to run against database {name!r}: the bench only uses a database whose name "
            f"ends with {BENCH_SUFFIX!r}, e.g. DATABASE_URL={DEFAULT_DATABASE_URL}"
        )


def setup_django(url: str) -> None:
    """Point Django at the bench database and set it up; checks the name Django actually uses."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings

    refuse_unless_bench(settings.DATABASES["default"]["NAME"])
