"""bench/national_data.py at a tiny scale: every table gets rows and every invariant holds.

The generator is a bulk load that bypasses the services, so this is what keeps it in step with the
models: a new NOT NULL column, CHECK or unique index makes the load (or its check) fail here.
"""

from __future__ import annotations

import datetime as dt
import random
import sys
from pathlib import Path

import pytest
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


@pytest.mark.django_db
def test_a_tiny_national_data_set_loads_and_holds_its_invariants(monkeypatch):
    monkeypatch.setattr(generate, "valid_synthetic_nhs_numbers", first_nhs_numbers)
    rng = random.Random(7)
    now = dt.datetime.now(dt.UTC)
    councils, _counts = generate.load_organisations(rng, now)
    plan = generate.plan_children(rng, 1500)
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
        loaded = national_data.load_national(cur, rng, now, scale=0.0005)
        cur.execute("SET LOCAL session_replication_role = origin")
        result = national_data.check(cur)

    assert result["failures"] == {}
    assert all(result["counts"][table] > 0 for table in national_data.TABLES), result["counts"]
    assert result["counts"]["referrals_referral"] == loaded["counts"]["referrals_referral"] == 500
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT status FROM referrals_referral")
        statuses = {s for (s,) in cursor.fetchall()}
    assert statuses == {s for s, _share in national_data.STATUS_SHARES}
    assert result["open_deadlines_total"] > 0
