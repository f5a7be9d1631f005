"""`make run`: the site with demo data on a private embedded PostgreSQL (or DATABASE_URL if set).

This process owns the embedded server: it starts it, hands its address to migrate, seed_demo and
runserver through DATABASE_URL, and stops it when the site stops (Ctrl-C or SIGTERM), so no
PostgreSQL is left running behind a newcomer's back.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", default="8000")
    args = parser.parse_args()

    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "casework.settings")
    if not env.get("DATABASE_URL"):
        from casework.embedded_db import embedded_database_url

        data_dir = Path(env.get("EMBEDDED_PG_DIR") or ROOT / ".data" / "postgres")
        env["DATABASE_URL"] = embedded_database_url(data_dir)  # stopped by its exit hook
        print(f"Private PostgreSQL running from {data_dir}")

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
    site = f"http://{args.host}:{args.port}"
    server = reminders = None
    try:
        subprocess.run([*manage, "migrate", "--no-input"], env=env, check=True)
        subprocess.run([*manage, "seed_demo", "--site-url", site], env=env, check=True)
        # No beat in the embedded default: the reminder sweep runs beside the site instead.
        reminders = subprocess.Popen([*manage, "send_reminders", "--every", "300"], env=env)
        server = subprocess.Popen([*manage, "runserver", f"{args.host}:{args.port}"], env=env)
        return server.wait()
    except KeyboardInterrupt:
        return 0
    except subprocess.CalledProcessError as exc:
        return exc.returncode
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for process in (server, reminders):
            if process is not None and process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    process.kill()


if __name__ == "__main__":
    sys.exit(main())
