"""bench/national_data.py at a tiny scale: every table gets rows and every invariant holds.

The generator is a bulk load that bypasses the services, so this is what keeps it in step with the
models: a new NOT NULL column, CHECK or unique index makes the load (or its check) fail here.
"""

from __future__ import annotations

import pytest
from django.db import connection

from tests.bench.tiny_national import load_tiny, national_data


@pytest.mark.django_db
def test_a_tiny_national_data_set_loads_and_holds_its_invariants(monkeypatch):
    loaded, result = load_tiny(monkeypatch)

    assert result["failures"] == {}
    assert all(result["counts"][table] > 0 for table in national_data.TABLES), result["counts"]
    assert result["counts"]["referrals_referral"] == loaded["counts"]["referrals_referral"] == 500
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT status FROM referrals_referral")
        statuses = {s for (s,) in cursor.fetchall()}
    assert statuses == {s for s, _share in national_data.STATUS_SHARES}
    assert result["open_deadlines_total"] > 0
