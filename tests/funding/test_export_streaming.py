"""The commitments exports stream (issue 17): the file is read a chunk of packages at a time and
sent from a temporary file, with the same rows as the page, and a query count that does not grow
with the rows."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from funding import selectors, services
from funding.exports import COLUMNS
from tests.factories import ChildFactory
from tests.funding.conftest import terms
from tests.panels.conftest import at


@pytest.fixture
def agreed_packages(clock, hampshire, hiow_icb, council_finance, icb_finance, provider, social_worker):
    """`make(n)`: n packages, £500 a week and up, half each, both shares approved (agreed)."""
    import datetime as dt

    def make(n: int) -> None:
        for i in range(n):
            kid = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
            package = services.package_create_existing(
                actor=council_finance,
                child=kid,
                pathway="joint_package",
                terms=terms(
                    provider,
                    (hampshire, "percentage", "50"),
                    (hiow_icb, "percentage", "50"),
                    cost=f"{500 + i}.00",
                ),
            )
            for person in (council_finance, icb_finance):
                package.refresh_from_db()
                share = package.current_version.shares.get(agency=person.agency)
                services.share_approve(actor=person, share=share, expected_version=package.version_number)
        clock.move_to(at(dt.date(2026, 5, 1)), tick=False)

    return make


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.getvalue().decode())))


def test_the_exports_stream_the_pages_lines(client, agreed_packages, council_finance):
    agreed_packages(3)
    client.force_login(council_finance)
    page = client.get(reverse("funding:commitments"), {"year": 2026}).context["c"]
    response = client.get(reverse("funding:export_csv"), {"year": 2026})
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="funding-commitments-2026-27.csv"'
    rows = _csv(response)
    assert rows[0] == COLUMNS
    assert [row[COLUMNS.index("package_id")] for row in rows[1:]] == [
        str(line.package.pk) for line in page.lines
    ]
    assert [row[COLUMNS.index("year_amount")] for row in rows[1:]] == [
        f"{line.year_amount:.2f}" for line in page.lines
    ]
    response = client.get(reverse("funding:export_xlsx"), {"year": 2026})
    assert response.streaming
    sheet = load_workbook(io.BytesIO(response.getvalue())).active
    assert sheet.title == "Commitments 2026-27"
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == COLUMNS and len(values) == len(rows)
    money = sheet.cell(row=2, column=COLUMNS.index("year_amount") + 1)
    assert money.number_format == "#,##0.00" and f"{money.value:.2f}" == rows[1][COLUMNS.index("year_amount")]


def test_the_streamed_lines_are_the_pages_in_chunks(agreed_packages, council_finance, monkeypatch):
    agreed_packages(5)
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 2)  # three chunks
    header, lines = selectors.commitments_export(user=council_finance, year=2026)
    page = selectors.commitments_for(user=council_finance, year=2026)
    streamed = list(lines())
    assert header.label == page.label and header.agency_name == page.agency_name
    assert [(x.package.pk, x.year_amount, x.to_date) for x in streamed] == [
        (x.package.pk, x.year_amount, x.to_date) for x in page.lines
    ]


@pytest.mark.parametrize("name", ["funding:export_csv", "funding:export_xlsx"])
def test_export_query_count_does_not_grow_with_rows(
    client, agreed_packages, council_finance, django_assert_max_num_queries, name
):
    agreed_packages(22)
    client.force_login(council_finance)
    # session, user, ATOMIC_REQUESTS savepoint, the packages (child, panel, current version and
    # provider joined; a server-side cursor), their versions with providers, the versions' shares
    # with agencies (per chunk of 500 packages), the one read-log insert (issue 12), release,
    # session save (savepoint, update, release): 11 whether 1 row or 22
    with django_assert_max_num_queries(11):
        response = client.get(reverse(name), {"year": 2026})
        body = response.getvalue()
    if name == "funding:export_csv":
        assert body.count(b"\r\n") == 1 + 22
    else:
        assert load_workbook(io.BytesIO(body)).active.max_row == 1 + 22
