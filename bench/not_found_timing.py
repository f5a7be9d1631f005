"""Missing and forbidden answer the same 404 in the same time (issue 12): for every detail endpoint
of the URL conf (pages and API), time many requests for a record that does not exist and for
another partnership's record that does, and say whether the two timings can be told apart.

    .venv/bin/python bench/not_found_timing.py                  # every endpoint, 30 of each
    .venv/bin/python bench/not_found_timing.py --repeat 60 --only referrals

It runs as a pytest module on the test settings and its own test database (TEST_DATABASE_NAME,
default test_not_found_bench, created and dropped by pytest-django), so it builds the access
sweep's Hampshire world (tests/test_access_sweep.py) and asks as the Leicester outsider. The
endpoints are the sweep's doors naming a Hampshire record, one per URL pattern. Each endpoint is
asked with the method its view takes (GET, else the first write that is not a 405), missing and
existing interleaved (ABAB...) after warm-up requests, every request in a savepoint rolled back.

Per endpoint: the median and p90 of each, and the Mann-Whitney U test's two-sided p (normal
approximation with a tie correction). "same" when the distributions overlap: p >= 0.01, or the
medians differ by less than the spread (the larger interquartile range); otherwise "DIFFERENT":
that endpoint does more work for a record that exists, and an outsider could tell the two apart
by the clock. Not part of the test suite.
"""

from __future__ import annotations

import logging
import math
import os
import statistics
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def main() -> int:
    import argparse

    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=30, help="timed requests of each kind per endpoint")
    parser.add_argument("--only", default="", help="only endpoints whose URL name or path contains this")
    args = parser.parse_args()
    os.environ["NOT_FOUND_REPEAT"] = str(args.repeat)
    os.environ["NOT_FOUND_ONLY"] = args.only
    os.environ.setdefault("TEST_DATABASE_NAME", "test_not_found_bench")
    os.chdir(ROOT)
    return pytest.main([__file__, "-q", "-s", "-p", "no:cacheprovider", "-W", "ignore"])


# Run as a script: hand over to pytest, which sets Django up on the test settings and imports this
# module again for the part below.
if __name__ == "__main__":
    sys.exit(main())

from tests.conftest import *  # noqa: E402,F403  (the personas)
from tests.conftest import _force_login_finishes_two_step_verification  # noqa: E402,F401  (autouse)
from tests.panels.conftest import *  # noqa: E402,F403  (the IRAP panel, its members and the clock)
from tests.test_access_sweep import (  # noqa: E402,F401,F811  (world is the sweep's fixture)
    DIRECTORY_RECORDS,
    WRITES,
    _as,
    ask,
    doors,
    world,
)

REPEAT = int(os.environ.get("NOT_FOUND_REPEAT", "30"))
WARM_UP = 3
ONLY = os.environ.get("NOT_FOUND_ONLY", "")
SAME_P = 0.01


def mann_whitney_p(a: list[float], b: list[float]) -> float:
    """Two-sided p of the Mann-Whitney U test, normal approximation with the tie correction."""
    values = sorted([(v, 0) for v in a] + [(v, 1) for v in b])
    ranks = [0.0] * len(values)
    ties = 0.0
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1][0] == values[i][0]:
            j += 1
        for k in range(i, j + 1):
            ranks[k] = (i + j) / 2 + 1
        size = j - i + 1
        ties += size**3 - size
        i = j + 1
    n1, n2 = len(a), len(b)
    r1 = sum(rank for rank, (_v, group) in zip(ranks, values, strict=True) if group == 0)
    u = r1 - n1 * (n1 + 1) / 2
    n = n1 + n2
    sigma = math.sqrt(n1 * n2 / 12 * ((n + 1) - ties / (n * (n - 1))))
    if sigma == 0:
        return 1.0
    z = (abs(u - n1 * n2 / 2) - 0.5) / sigma
    return math.erfc(max(z, 0) / math.sqrt(2))


def iqr(values: list[float]) -> float:
    quartiles = statistics.quantiles(values, n=4)
    return quartiles[2] - quartiles[0]


def p90(values: list[float]) -> float:
    return statistics.quantiles(values, n=10)[-1]


def _method(client, door) -> str:
    method = "get"
    response = ask(client, "get", door.missing(door.records))
    for write in WRITES:
        if response.status_code != 405:
            break
        method, response = write, ask(client, write, door.missing(door.records))
    return method


def _timed(client, method: str, url: str) -> tuple[float, int]:
    began = time.perf_counter()
    response = ask(client, method, url)
    return (time.perf_counter() - began) * 1000, response.status_code


def test_not_found_timing(world, settings):  # noqa: F811  (the sweep's fixture)
    settings.SESSION_SAVE_EVERY_REQUEST = False  # the session write is the same for both; it is noise
    logging.getLogger("django.request").setLevel(logging.ERROR)  # a line per 404 would drown the table
    made, unknown = doors(world)
    assert not unknown, unknown
    endpoints = [
        door
        for door in made
        if door.first_word and door.records - DIRECTORY_RECORDS and ONLY in door.name + door.url
    ]
    client = _as(world.people.outsider)
    rows = []
    for door in endpoints:
        method = _method(client, door)
        missing_url = door.missing(door.records)
        for _ in range(WARM_UP):
            _timed(client, method, missing_url)
            _timed(client, method, door.url)
        missing, existing, statuses = [], [], set()
        for _ in range(REPEAT):
            took, status = _timed(client, method, missing_url)
            missing.append(took)
            statuses.add(("missing", status))
            took, status = _timed(client, method, door.url)
            existing.append(took)
            statuses.add(("existing", status))
        p = mann_whitney_p(missing, existing)
        gap = statistics.median(existing) - statistics.median(missing)
        same = p >= SAME_P or abs(gap) < max(iqr(missing), iqr(existing))
        codes = "/".join(str(s) for _w, s in sorted(statuses))
        rows.append((door, method, missing, existing, p, gap, same, codes))

    print(f"\n{len(rows)} endpoints, {REPEAT} of each after {WARM_UP} warm-ups, as the Leicester outsider")
    print(f"load average at the end: {os.getloadavg()[0]:.1f}\n")
    header = f"{'endpoint':58} {'method':6} {'missing p50/p90':>16} {'other p50/p90':>16} {'p':>6}  answer"
    print(header)
    print("-" * len(header))
    for door, method, missing, existing, p, _gap, same, codes in rows:
        print(
            f"{door.name[:58]:58} {method.upper():6} "
            f"{statistics.median(missing):7.2f}/{p90(missing):<7.2f} "
            f"{statistics.median(existing):7.2f}/{p90(existing):<7.2f} "
            f"{p:6.3f}  {'same' if same else 'DIFFERENT'} ({codes})"
        )
    different = [row for row in rows if not row[6]]
    print(f"\n{len(rows) - len(different)} of {len(rows)} endpoints: the same answer in the same time")
    for door, *_rest in different:
        print(f"  DIFFERENT: {door.name} {door.url}")
