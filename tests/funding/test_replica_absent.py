"""Without DATABASE_REPLICA_URL there is no alias "replica" and no router: the reports read from
"default" like every other page (tests/funding/test_replica.py has them with one)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings as django_settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from funding import services
from tests.panels.conftest import at


def test_without_a_replica_the_reports_read_from_default(
    clock, existing_package, council_finance, icb_finance
):
    assert "replica" not in django_settings.DATABASES
    assert not getattr(django_settings, "DATABASE_ROUTERS", [])
    for person in (council_finance, icb_finance):
        existing_package.refresh_from_db()
        line = existing_package.current_version.shares.get(agency=person.agency)
        services.share_approve(actor=person, share=line, expected_version=1)
    clock.move_to(at(dt.date(2026, 5, 1)), tick=False)
    client = Client()
    client.force_login(council_finance)
    for name in ("funding:commitments", "funding:export_csv"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse(name) + "?year=2026")
            b"".join(response) if response.streaming else response.content
        assert response.status_code == 200
        assert any('"funding_fundingpackage"' in query["sql"] for query in queries.captured_queries)
    assert Decimal(client.get("/api/funding/commitments/?year=2026").json()["total"]) == Decimal("26071.43")
