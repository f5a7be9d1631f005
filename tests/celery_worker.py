"""A real Redis broker and a real `celery worker` process, for the tests that check the task path
for real rather than in eager mode (tests/casework/test_celery_worker.py,
tests/panels/test_pack_worker.py), and the kit the fault tests (tests/faults/) break things with.

`redis_broker` / `worker`: the Redis on 127.0.0.1:6379 (database 15, emptied first) that the machine
and CI provide; set TEST_REDIS_URL to point elsewhere. The tests are skipped only when no Redis
answers there. The worker is the same `celery worker` command production runs (solo pool, the
"default" and "pdf" queues), pointed at the test database and at the test's private storage; its
log goes to TEST_WORKER_LOG. Import the fixtures into a test module (`from tests.celery_worker
import redis_broker_fixture, worker_fixture`; they are named `redis_broker` and `worker`).

The fault kit, each piece the real thing and each one the test can break:
- `PrivateRedis`: a `redis-server` of the test's own on a free port, which the test stops (Redis
  unreachable) and starts again; nobody else's test can take its messages.
- `Worker`: a `celery worker` the test kills with SIGKILL (the main process, or a prefork pool
  child) and starts again, with a short visibility timeout so a lost message comes back in seconds.
- `SmtpSink`: an SMTP server (aiosmtpd) in a thread that counts every message by its Message-ID; it
  can call the test back while a message is in, before it answers the sender.
- `TcpProxy`: the worker's way to PostgreSQL; stopping it is a database outage (every connection
  cut, new ones refused), starting it again is the database coming back.
- `publishing_to(url)`: the test process's own Celery app queues to that broker, not eagerly, so
  pages and the relay queue work the way they do in production.
- `relay_until_done()`: what beat does every minute, run from the test until no job is open.

Mark the tests `django_db(transaction=True)`: the worker reads and writes through its own
connection, so the test's data must be committed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import email
import logging
import os
import selectors
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from tests.celery_broker import broker_at

ROOT = Path(__file__).resolve().parents[1]
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
QUEUES = "default,pdf"
# A message whose worker died comes back after this (production: 15 minutes; settings.py).
FAULT_VISIBILITY_TIMEOUT_SECONDS = 3


@pytest.fixture(name="redis_broker")
def redis_broker_fixture():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip(f"No Redis at {REDIS_URL}")
    client.flushdb()
    saved = app.conf.task_always_eager
    app.conf.task_always_eager = False
    yield client
    app.conf.task_always_eager = saved
    client.flushdb()


def database_url(*, port: int | None = None) -> str:
    """The URL of the database the test (or the bench) is using, optionally through another port
    (a TcpProxy's)."""
    db = connection.settings_dict
    user = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    host = "127.0.0.1" if port else db["HOST"]
    return f"postgres://{user}@{host}:{port or db['PORT']}/{db['NAME']}"


@pytest.fixture(name="worker")
def worker_fixture(redis_broker):
    process = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", "solo", "-Q", QUEUES],
        cwd=ROOT,
        env=worker_env(broker_url=REDIS_URL, email_backend="django.core.mail.backends.locmem.EmailBackend"),
        stdout=subprocess.DEVNULL,
        stderr=open(os.environ.get("TEST_WORKER_LOG", os.devnull), "w"),  # noqa: SIM115
    )
    yield process
    process.terminate()  # warm shutdown: a task under way finishes first
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def worker_env(*, broker_url: str, email_backend: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    env.update(
        DATABASE_URL=database_url(),
        CELERY_BROKER_URL=broker_url,
        EMAIL_BACKEND=email_backend,
        # The test's storage (tests/panels/conftest.py points it at tmp_path), so files the test
        # stores are the worker's and the other way round.
        PRIVATE_STORAGE_ROOT=str(settings.PRIVATE_STORAGE_ROOT),
    )
    env.update(extra)
    return env


def wait_for(condition: Callable[[], bool], timeout: float = 120.0, *, worker=None) -> bool:
    """Poll `condition` until it holds (True) or `timeout` seconds pass (False); give up early if
    the worker process has died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        if worker is not None and worker.poll() is not None:
            return condition()
        time.sleep(0.2)
    return False


def enqueue(task, *args) -> None:
    """Queue `task` on the Redis broker through an explicit connection: the app's own producer pool
    may already be bound to another broker (the one in the settings). Routing (CELERY_TASK_ROUTES)
    still picks the queue."""
    with app.connection(REDIS_URL) as broker:
        task.apply_async(args=args, connection=broker)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- The test process's own Celery app ---------------------------------------------------------


@contextlib.contextmanager
def publishing_to(url: str) -> Iterator[None]:
    """The test process queues to `url` as production does (not eagerly): `transaction.on_commit`
    queueing, the outbox's `enqueue` and the relay all reach that broker, or fail to. The app's
    pools are forgotten on the way in and out, never closed (tests/celery_broker.py says why)."""
    with broker_at(url):
        yield


# --- A Redis of the test's own ------------------------------------------------------------------


class PrivateRedis:
    """A `redis-server` on a free port, no persistence: stop() is Redis unreachable (connections
    refused), start() brings it back on the same port."""

    def __init__(self, folder: Path) -> None:
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.folder = folder
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--dir", str(self.folder), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self._answers, 10):
            raise RuntimeError(f"redis-server did not start on port {self.port}")

    def _answers(self) -> bool:
        try:
            return bool(self.client().ping())
        except redis.exceptions.ConnectionError:
            return False

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=1)

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None


@pytest.fixture
def private_redis(tmp_path):
    """A started PrivateRedis, and the test process's Celery app publishing to it."""
    server = PrivateRedis(tmp_path / "redis")
    if not Path(server.binary).exists():
        pytest.skip("No redis-server (scripts/system-deps.sh installs it)")
    server.start()
    try:
        with publishing_to(server.url):
            yield server
    finally:
        server.stop()


# --- A worker the test can kill -----------------------------------------------------------------


class Worker:
    """`celery worker` on the default and pdf queues, in a process group of its own. kill() is
    SIGKILL of the main process (a machine or container lost); kill_pool_child() is SIGKILL of the
    prefork child running the task (out of memory). start() again is a restart."""

    def __init__(
        self, *, env: dict[str, str], log: Path, pool: str = "solo", concurrency: int = 1, name: str = "fault"
    ) -> None:
        self.env, self.log, self.pool, self.concurrency, self.name = env, log, pool, concurrency, name
        self.process: subprocess.Popen | None = None
        self.starts = 0

    def start(self, *, timeout: float = 60.0) -> None:
        self.starts += 1
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("a") as log:
            log.write(f"\n--- start {self.starts} ---\n")
        self._log_from = self.log.stat().st_size
        if self.starts == 1:
            self._first_log_from = self._log_from
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "config", "worker", "--pool", self.pool]
            + ["--concurrency", str(self.concurrency), "-Q", QUEUES, "--loglevel", "INFO"]
            + ["--without-gossip", "--without-mingle", "-n", f"{self.name}{self.starts}@%h"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("a"),  # noqa: SIM115 - the child keeps it
            start_new_session=True,
        )
        if not wait_for(self._ready, timeout, worker=self.process):
            raise RuntimeError(f"The worker did not start:\n{self.log_tail()}")

    def _ready(self) -> bool:
        with self.log.open() as log:
            log.seek(self._log_from)
            return " ready." in log.read()

    def poll(self) -> int | None:
        return None if self.process is None else self.process.poll()

    def pool_children(self) -> list[int]:
        """The pids of the prefork pool's children (none for the solo pool)."""
        assert self.process is not None
        found = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                # pid (comm) state ppid ...: comm may hold spaces, so split after its ")".
                ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
                if ppid == self.process.pid:
                    found.append(int(stat.parent.name))
        return found

    def kill(self) -> None:
        """SIGKILL of the whole worker (its pool children with it), as a lost machine."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def kill_pool_child(self) -> int:
        """SIGKILL of the pool child, as the kernel's out-of-memory killer would; returns its pid."""
        children = self.pool_children()
        assert children, "no pool child to kill (is the pool prefork?)"
        os.kill(children[0], signal.SIGKILL)
        return children[0]

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # warm shutdown
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_text(self) -> str:
        """This worker's log since its first start (the log file may be shared: TEST_WORKER_LOG)."""
        with self.log.open(errors="replace") as log:
            log.seek(self._first_log_from)
            return log.read()

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def fault_worker(
    *,
    broker_url: str,
    smtp_port: int,
    log: Path,
    pool: str = "solo",
    concurrency: int = 1,
    database_port: int | None = None,
    **env: str,
) -> Worker:
    """A Worker (not started yet) on `broker_url`, e-mailing through the SMTP server on `smtp_port`,
    reaching PostgreSQL directly or through a TcpProxy's `database_port`."""
    return Worker(
        env=worker_env(
            broker_url=broker_url,
            email_backend="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=str(smtp_port),
            DATABASE_URL=database_url(port=database_port),
            **env,
        ),
        log=log,
        pool=pool,
        concurrency=concurrency,
    )


@pytest.fixture
def start_worker(tmp_path, private_redis, smtp_sink):
    """Start a Worker on the private Redis, e-mailing through the SMTP sink, with a visibility
    timeout of seconds; every one is killed at the end. Keyword arguments: pool, concurrency,
    database_port (a TcpProxy's), and environment overrides."""
    made: list[Worker] = []

    def start(**options) -> Worker:
        options.setdefault("CELERY_VISIBILITY_TIMEOUT_SECONDS", str(FAULT_VISIBILITY_TIMEOUT_SECONDS))
        worker = fault_worker(
            broker_url=private_redis.url,
            smtp_port=smtp_sink.port,
            log=Path(os.environ.get("TEST_WORKER_LOG") or tmp_path / f"worker{len(made) + 1}.log"),
            **options,
        )
        made.append(worker)
        worker.start()
        return worker

    yield start
    for worker in made:
        worker.kill()  # the test is over: no need to wait for a warm shutdown


# --- An SMTP server that counts -----------------------------------------------------------------


class SmtpSink:
    """An SMTP server on a free port (aiosmtpd, in its own thread) that keeps every Message-ID it
    accepts, in order. `on_message(message_id)`, if set, runs while the message is in and before
    the sender hears "250": the window where the sender cannot know whether it was delivered. If it
    returns a number, the answer waits that many seconds (a mail server that stalls), while other
    connections are served."""

    def __init__(self) -> None:
        self.port = free_port()
        self.message_ids: list[str] = []
        self.last_at = 0.0  # time.monotonic() of the last message
        self.on_message: Callable[[str], float | None] | None = None
        self._lock = threading.Lock()
        self._controller = None

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd's hook
        message = email.message_from_bytes(envelope.original_content or envelope.content)
        message_id = str(message["Message-ID"])
        with self._lock:
            self.message_ids.append(message_id)
            self.last_at = time.monotonic()
        stall = self.on_message(message_id) if self.on_message is not None else None
        if stall:
            await asyncio.sleep(stall)
        return "250 Message accepted for delivery"

    def start(self) -> None:
        from aiosmtpd.controller import Controller

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # a line per connection otherwise
        self._controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self) -> int:
        with self._lock:
            return len(self.message_ids)

    def counts(self) -> collections.Counter[str]:
        with self._lock:
            return collections.Counter(self.message_ids)


@pytest.fixture
def smtp_sink():
    pytest.importorskip("aiosmtpd")
    sink = SmtpSink()
    sink.start()
    yield sink
    sink.stop()


# --- A database outage --------------------------------------------------------------------------


class TcpProxy:
    """Forwards a local port to PostgreSQL, in one thread. stop() is an outage: every connection
    through it is cut at once and new ones are refused; start() is the database back."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()

    def start(self) -> None:
        listener = socket.create_server(("127.0.0.1", self.port))  # SO_REUSEADDR: the same port again
        listener.setblocking(False)
        self._stopping.clear()
        self._thread = threading.Thread(target=self._serve, args=(listener,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._stopping.set()
            self._thread.join()
            self._thread = None

    def _serve(self, listener: socket.socket) -> None:
        chooser = selectors.DefaultSelector()
        chooser.register(listener, selectors.EVENT_READ)
        peers: dict[socket.socket, socket.socket] = {}
        try:
            while not self._stopping.is_set():
                for key, _ in chooser.select(timeout=0.05):
                    if key.fileobj is listener:
                        self._accept(listener, chooser, peers)
                    else:
                        self._pump(key.fileobj, chooser, peers)
        finally:
            for sock in [listener, *peers]:
                with contextlib.suppress(OSError):
                    sock.close()
            chooser.close()

    def _accept(self, listener, chooser, peers) -> None:
        try:
            client, _ = listener.accept()
        except BlockingIOError:
            return
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        for sock in (client, upstream):
            sock.setblocking(True)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            chooser.register(sock, selectors.EVENT_READ)
        peers[client], peers[upstream] = upstream, client

    def _pump(self, sock, chooser, peers) -> None:
        other = peers.get(sock)
        if other is None:
            return
        try:
            data = sock.recv(65536)
            if data:
                other.sendall(data)
                return
        except OSError:
            pass
        for end in (sock, other):  # one side closed: close the pair
            chooser.unregister(end)
            peers.pop(end, None)
            end.close()


@pytest.fixture
def database_proxy():
    db = connection.settings_dict
    proxy = TcpProxy(db["HOST"] or "127.0.0.1", int(db["PORT"] or 5432))
    proxy.start()
    yield proxy
    proxy.stop()


# --- The relay, as beat runs it -----------------------------------------------------------------


def run_out_the_clock(*, leases_taken_before: dt.datetime) -> None:
    """Move the clock of the open jobs on, as time would, so a test takes seconds not minutes:
    a lease taken before `leases_taken_before` (by a worker since killed, or a run the database
    cut off) has expired, and every backoff and the relay's wait (RELAY_AFTER) have passed.
    Only times move; no status, attempt count or notice changes. Leases taken later (by a run that
    may still be going) are left alone."""
    from casework.models import BackgroundJob, JobStatus
    from casework.outbox import RELAY_AFTER, handlers

    now = timezone.now()
    for kind, handler in handlers().items():
        BackgroundJob.objects.filter(
            kind=kind, status=JobStatus.RUNNING, lease_expires_at__lte=leases_taken_before + handler.lease
        ).update(lease_expires_at=now - dt.timedelta(seconds=1))
    BackgroundJob.objects.filter(status=JobStatus.WAITING).update(
        not_before=now - RELAY_AFTER - dt.timedelta(seconds=1)
    )


def open_jobs() -> int:
    from casework.models import BackgroundJob
    from casework.outbox import OPEN

    return BackgroundJob.objects.filter(status__in=OPEN).count()


def queues_empty(client: redis.Redis) -> bool:
    return all(client.llen(queue) == 0 for queue in QUEUES.split(","))


def relay_until_done(
    *, broker: redis.Redis, leases_taken_before: dt.datetime, worker: Worker, timeout: float = 60.0
) -> int:
    """Run the relay from the test process, as beat does every minute, until no job is open: each
    round waits for the queues to drain, runs out the clock of the jobs left behind (see
    run_out_the_clock) and relays them. Returns the number of rounds; fails past `timeout`."""
    from casework.outbox import relay

    deadline = time.monotonic() + timeout
    rounds = 0
    while open_jobs():
        assert time.monotonic() < deadline, f"{open_jobs()} jobs still open\n{worker.log_tail()}"
        assert worker.poll() is None, f"the worker died\n{worker.log_tail()}"
        wait_for(lambda: queues_empty(broker) or not open_jobs(), 10, worker=worker)
        run_out_the_clock(leases_taken_before=leases_taken_before)
        relay()
        rounds += 1
        wait_for(lambda: not open_jobs(), 3, worker=worker)
    return rounds
