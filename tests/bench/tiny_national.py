"""The national data set (bench/national_data.py) at a tiny scale, loaded into the test database
straight from the generator, for the tests of the generator and of the scripts that read it."""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

from django.db import connection

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

import generate  # noqa: E402 - bench/ is a folder of scripts, put on the path above
import national_data  # noqa: E402


def first_nhs_numbers() -> list[str]:
    """The synthetic numbers 99900xxxx with a valid Modulus 11 check digit, as generate.py makes them
    (about 9,000: enough here, where all ~909,000 take seconds to list)."""
    numbers = []
    for n in range(10_000):
        body = f"99900{n:04d}"
        check = 11 - sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True)) % 11
        if check != 10:
            numbers.append(f"{body}{check % 11}")
    return numbers


def load_tiny(
    monkeypatch, *, children: int = 1500, scale: float = 0.0005, seed: int = 7
) -> tuple[dict, dict]:
    """Organisations, `children` children with their involvements and the national activity at
    `scale`, by COPY as generate.py loads them; returns what load_national loaded and its check."""
    monkeypatch.setattr(generate, "valid_synthetic_nhs_numbers", first_nhs_numbers)
    rng = random.Random(seed)
    now = dt.datetime.now(dt.UTC)
    councils, _counts = generate.load_organisations(rng, now)
    plan = generate.plan_children(rng, children)
    with connection.cursor() as django_cursor:
        cur = django_cursor.cursor
        cur.execute("SET LOCAL session_replication_role = replica")
        generate.copy_rows(
            cur,
            "casework_child",
            generate.CHILD_COLUMNS,
            generate.child_rows(rng, plan, councils, now.date()),
        )
        generate.copy_rows(
            cur,
            "casework_involvement",
            generate.INVOLVEMENT_COLUMNS,
            generate.involvement_rows(rng, plan, councils, now.date()),
        )
        loaded = national_data.load_national(cur, rng, now, scale=scale)
        cur.execute("SET LOCAL session_replication_role = origin")
        return loaded, national_data.check(cur)
