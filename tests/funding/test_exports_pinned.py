"""The commitments exports for finance systems (funding.exports) pinned on a fixed set of lines
(issue 18): CSV bytes exactly (no byte-order mark, money to 2 dp, ids as written), and the XLSX's
cell values, number formats and types read back with openpyxl; text cells that would run as
formulas (= + - @, tab, carriage return) are neutralised in both."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from types import SimpleNamespace as Fake

import openpyxl
import pytest
from django.urls import reverse

from funding import exports
from funding.selectors import CommitmentLine, Commitments

P = Decimal


def _package(
    pk: int, case_number: str | None, pathway: str = "joint_package", status: str = "agreed", version: int = 1
):
    return Fake(
        pk=pk,
        version_number=version,
        child_id=pk + 100,
        child=Fake(case_number=case_number),
        pathway=pathway,
        status=status,
    )


def _line(package, *, amount, provider, panel, weekly, annual, year_amount, to_date, cost_period):
    return CommitmentLine(
        package=package,
        share=Fake(amount=P(amount)),
        provider=provider,
        pathway=package.pathway,
        panel=panel,
        weekly=None if weekly is None else P(weekly),
        annual=P(annual),
        year_amount=P(year_amount),
        to_date=P(to_date),
        cost_period=cost_period,
    )


DATA = Commitments(agency_name="Hampshire County Council Children's Services", year=2026, label="2026-27")
LINES = [
    _line(
        _package(7, "HC-0001"),
        amount="743.20",
        provider="Oak House Ltd",
        panel="IRAP",
        weekly="743.20",
        annual="38646.40",
        year_amount="35140.46",
        to_date="3821.89",
        cost_period="weekly",
    ),
    _line(
        _package(8, None, "continuing_care", version=3),
        amount="333.33",
        provider='=HYPERLINK("http://x")',
        panel="Existing arrangement",
        weekly="76.92",
        annual="3999.96",
        year_amount="1234.5",
        to_date="0",
        cost_period="monthly",
    ),
    _line(
        _package(9, "-12", "section_117", status="ended"),
        amount="1250.5",
        provider="@Care",
        panel="+JSP",
        weekly=None,
        annual="1250.5",
        year_amount="1250.50",
        to_date="1250.5",
        cost_period="one_off",
    ),
]
AGENCY = "Hampshire County Council Children's Services"


def read_back(file):
    book = openpyxl.load_workbook(file)
    return book.sheetnames, [
        [(cell.value, cell.number_format, cell.data_type) for cell in row] for row in book.active.iter_rows()
    ]


def test_the_csv_is_pinned():
    body = b"".join(exports.csv_chunks(DATA, iter(LINES), rows_per_chunk=2))
    assert body == (
        b"financial_year,agency,package_id,package_version,child_id,child_case_number,pathway,provider,"
        b"panel,cost_period,share_per_period,share_weekly,share_annual,year_amount,to_date_amount,status\r\n"
        b"2026-27,Hampshire County Council Children's Services,7,1,107,HC-0001,joint_package,"
        b"Oak House Ltd,IRAP,weekly,743.20,743.20,38646.40,35140.46,3821.89,agreed\r\n"
        b"2026-27,Hampshire County Council Children's Services,8,3,108,,continuing_care,"
        b'"\'=HYPERLINK(""http://x"")",Existing arrangement,monthly,333.33,76.92,3999.96,1234.50,0.00,agreed\r\n'
        b"2026-27,Hampshire County Council Children's Services,9,1,109,'-12,section_117,"
        b"'@Care,'+JSP,one_off,1250.50,,1250.50,1250.50,1250.50,ended\r\n"
    )
    assert exports.csv_file(DATA, iter(LINES)).read() == body
    assert exports.filename(DATA, "csv") == "funding-commitments-2026-27.csv"


def test_the_xlsx_is_pinned():
    names, rows = read_back(exports.xlsx_file(DATA, iter(LINES)))
    assert names == ["Commitments 2026-27"]
    g, m = "General", "#,##0.00"
    blank = (None, g, "inlineStr")

    def text(*values):
        return [(value, g, "s") for value in values]

    def money(*values):
        return [(value, m, "n") for value in values]

    assert rows == [
        text(*exports.COLUMNS),
        text(
            "2026-27", AGENCY, "7", "1", "107", "HC-0001", "joint_package", "Oak House Ltd", "IRAP", "weekly"
        )
        + money(743.2, 743.2, 38646.4, 35140.46, 3821.89)
        + text("agreed"),
        text("2026-27", AGENCY, "8", "3", "108")
        + [blank]
        + text("continuing_care", '\'=HYPERLINK("http://x")', "Existing arrangement", "monthly")
        + money(333.33, 76.92, 3999.96, 1234.5, 0)
        + text("agreed"),
        text("2026-27", AGENCY, "9", "1", "109", "'-12", "section_117", "'@Care", "'+JSP", "one_off")
        + money(1250.5)
        + [blank]
        + money(1250.5, 1250.5, 1250.5)
        + text("ended"),
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_provider_or_panel_that_would_run_as_a_formula_is_neutralised(start):
    line = _line(
        _package(5, f"{start}CASE"),
        amount="10",
        provider=f"{start}cmd|' /C calc'!A0",
        panel=f"{start}SUM(A1:A9)",
        weekly="10",
        annual="520",
        year_amount="520",
        to_date="0",
        cost_period="weekly",
    )
    index = {name: exports.COLUMNS.index(name) for name in ("child_case_number", "provider", "panel")}
    row = list(csv.reader(io.StringIO(b"".join(exports.csv_chunks(DATA, [line])).decode(), newline="")))[1]
    assert {name: row[i] for name, i in index.items()} == {
        "child_case_number": f"'{start}CASE",
        "provider": f"'{start}cmd|' /C calc'!A0",
        "panel": f"'{start}SUM(A1:A9)",
    }
    read = "\n" if start == "\r" else start
    _, rows = read_back(exports.xlsx_file(DATA, [line]))
    assert {name: rows[1][i] for name, i in index.items()} == {
        "child_case_number": (f"'{read}CASE", "General", "s"),
        "provider": (f"'{read}cmd|' /C calc'!A0", "General", "s"),
        "panel": (f"'{read}SUM(A1:A9)", "General", "s"),
    }


def test_the_downloads_neutralise_a_provider_and_case_number_written_as_formulas(
    client, clock, existing_package, provider, child, council_finance, icb_finance
):
    """Through the pages: what a person typed into a provider's name or a child's case number."""
    import datetime as dt

    from casework.models import Child
    from funding import services
    from funding.models import Provider
    from tests.panels.conftest import at

    Provider.objects.filter(pk=provider.pk).update(name='=HYPERLINK("http://evil","Oakwood")')
    Child.objects.filter(pk=child.pk).update(case_number="@SUM(1+1)")
    for person in (council_finance, icb_finance):
        existing_package.refresh_from_db()
        services.share_approve(
            actor=person,
            share=existing_package.current_version.shares.get(agency=person.agency),
            expected_version=existing_package.version_number,
        )
    clock.move_to(at(dt.date(2026, 5, 1)), tick=False)
    client.force_login(council_finance)
    response = client.get(reverse("funding:export_csv"), {"year": 2026})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode(), newline="")))
    provider_at, case_at = exports.COLUMNS.index("provider"), exports.COLUMNS.index("child_case_number")
    assert (rows[1][provider_at], rows[1][case_at]) == ('\'=HYPERLINK("http://evil","Oakwood")', "'@SUM(1+1)")
    response = client.get(reverse("funding:export_xlsx"), {"year": 2026})
    _, cells = read_back(io.BytesIO(b"".join(response.streaming_content)))
    assert (cells[1][provider_at], cells[1][case_at]) == (
        ('\'=HYPERLINK("http://evil","Oakwood")', "General", "s"),
        ("'@SUM(1+1)", "General", "s"),
    )
