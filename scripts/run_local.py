"""`make run`: the site with demo data on a private embedded PostgreSQL (or DATABASE_URL if set).

This process owns the embedded server: it starts it, hands its address to migrate, seed_demo and
runserver through DATABASE_URL, and stops it when the site stops (Ctrl-C or SIGTERM), so no
PostgreSQL is left running behind a newcomer's back.

Two database roles, as in production (ADR 0006): the embedded superuser owns the tables, migrates,
seeds and sets up the application role (`setup_db_roles`); the site and the reminder sweep connect
as that role, which may add to the audit trail but not change or erase it.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

APP_ROLE = "casework_app"
# The private server trusts its own socket, so this guards nothing there; the role still gets one,
# like production's.
APP_PASSWORD = "casework-app-local"  # noqa: S105


def app_url(owner_url: str) -> str:
    """The owner's URL with the application role's name and password instead."""
    parts = urlsplit(owner_url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{APP_ROLE}:{APP_PASSWORD}@{host}"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="Seed without the demo's year of panel history (quicker to start; see README)",
    )
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not env.get("DATABASE_URL"):
        from config.embedded_db import embedded_database_url

        data_dir = Path(env.get("EMBEDDED_PG_DIR") or ROOT / ".data" / "postgres")
        owner_url = embedded_database_url(data_dir)  # stopped by its exit hook
        env["DATABASE_MIGRATE_URL"] = owner_url
        env["DATABASE_URL"] = app_url(owner_url)
        print(f"Private PostgreSQL running from {data_dir}")
    site = f"http://{args.host}:{args.port}"
    # E-mails link to the address the site is served on (`make run PORT=8001` too), unless the
    # environment names another.
    env.setdefault("SITE_URL", site)
    # The owner migrates and seeds; the site and the sweep never see the owner's URL.
    app_env = {name: value for name, value in env.items() if name != "DATABASE_MIGRATE_URL"}
    owner_env = {**app_env, "DATABASE_URL": env.get("DATABASE_MIGRATE_URL") or env["DATABASE_URL"]}

    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        if stopping:
            return  # a second signal must not interrupt the shutdown
        stopping = True
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    manage = [sys.executable, str(ROOT / "manage.py")]
    server = reminders = reports = None
    try:
        subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True)
        if env.get("DATABASE_MIGRATE_URL"):
            subprocess.run([*manage, "setup_db_roles"], env=env, check=True)
        seed = [*manage, "seed_demo", "--site-url", site, *(["--no-history"] if args.no_history else [])]
        subprocess.run(seed, env=owner_env, check=True)
        # No beat in the embedded default: the reminder sweep runs beside the site instead.
        reminders = subprocess.Popen([*manage, "send_reminders", "--every", "60"], env=app_env)
        # ... and the reports' summaries follow the writes the same way (reporting.summaries).
        reports = subprocess.Popen([*manage, "refresh_reports", "--every", "60"], env=app_env)
        server = subprocess.Popen([*manage, "runserver", f"{args.host}:{args.port}"], env=app_env)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for process in (server, reminders, reports):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    sys.exit(main())
