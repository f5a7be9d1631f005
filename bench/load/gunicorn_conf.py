"""gunicorn hooks for the load test (bench/load.py): each request's CPU time in its worker.

The machine is shared, so response times say how busy it was as much as what a page costs; the CPU
a sync worker spends on one request (time.process_time around it: a sync worker serves one request
at a time) does not depend on the others. One line a request is appended to LOAD_CPU_LOG:
"<method> <path>?<query> <status> <cpu ms> <worker pid>". Lines are shorter than PIPE_BUF, so the workers'
appends do not interleave.
"""

from __future__ import annotations

import os
import time

_LOG = os.environ.get("LOAD_CPU_LOG")


def pre_request(worker, req) -> None:
    worker.load_cpu_started = time.process_time()


def post_request(worker, req, environ, resp) -> None:
    if not _LOG:
        return
    cpu_ms = 1000 * (time.process_time() - worker.load_cpu_started)
    status = (resp.status or "0").split()[0] if isinstance(resp.status, str) else resp.status
    line = f"{req.method} {req.path}?{req.query or ''} {status} {cpu_ms:.1f} {os.getpid()}\n"
    fd = os.open(_LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line.encode()[:500])
    finally:
        os.close(fd)
