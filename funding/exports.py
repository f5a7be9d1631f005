"""Commitments exports for finance systems: CSV and XLSX with the same stable columns.

Columns (in this order; never renamed or reordered, new ones only appended):
  financial_year      e.g. 2026-27 (1 April to 31 March)
  agency              the paying agency (the exporting person's own)
  package_id          the funding package's number in this system
  package_version     the version in force now
  child_id            the child's record number in this system
  child_case_number   the council's case number
  pathway             joint_package, continuing_care, section_117, complex_lives, ifr
  provider            provider name
  panel               deciding panel, or "Existing arrangement"
  cost_period         weekly, four_weekly, monthly, annual, one_off
  share_per_period    this agency's amount per period, pounds to 2 dp (of the version in force now,
                      or, for an agency that stopped paying at a variation, of the last version
                      it paid under: cost_period, share_weekly and share_annual are that version's)
  share_weekly        per placement week (blank for one-off)
  share_annual        a year's worth (the one-off amount for one-off costs)
  year_amount         this agency's amount in the financial year, pro-rated by days
  to_date_amount      the part of year_amount up to today
  status              agreed or ended
"""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import IO

from funding.selectors import CommitmentLine, Commitments

# A workbook bigger than this goes to a file on disk while it is written and sent.
SPOOL_BYTES = 1024 * 1024

COLUMNS = [
    "financial_year",
    "agency",
    "package_id",
    "package_version",
    "child_id",
    "child_case_number",
    "pathway",
    "provider",
    "panel",
    "cost_period",
    "share_per_period",
    "share_weekly",
    "share_annual",
    "year_amount",
    "to_date_amount",
    "status",
]


def _safe(text: str) -> str:
    """Spreadsheets run cells starting with = + - @ as formulas: quote them."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def _cells(data: Commitments, line: CommitmentLine) -> list[str]:
    package, share = line.package, line.share
    return [
        data.label,
        _safe(data.agency_name),
        str(package.pk),
        str(package.version_number),
        str(package.child_id),
        _safe(package.child.case_number or ""),
        package.pathway,
        _safe(line.provider),
        _safe(line.panel),
        line.cost_period,
        f"{share.amount:.2f}",
        "" if line.weekly is None else f"{line.weekly:.2f}",
        f"{line.annual:.2f}",
        f"{line.year_amount:.2f}",
        f"{line.to_date:.2f}",
        package.status,
    ]


def stream_rows(data: Commitments, lines: Iterable[CommitmentLine]) -> Iterator[list[str]]:
    """The heading row, then one row per line as `lines` yields them (nothing is kept)."""
    yield COLUMNS
    for line in lines:
        yield _cells(data, line)


class _Echo:
    """A file that hands back what is written to it, for csv.writer to format one row at a time."""

    def write(self, value: str) -> str:
        return value


def csv_chunks(
    data: Commitments, lines: Iterable[CommitmentLine], *, rows_per_chunk: int = 200
) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes, a few hundred rows a piece, for a StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    batch: list[str] = []
    for row in stream_rows(data, lines):
        batch.append(writer.writerow(row))
        if len(batch) >= rows_per_chunk:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def csv_file(data: Commitments, lines: Iterable[CommitmentLine]) -> IO[bytes]:
    """The CSV in a temporary file (in memory up to 1 MB, on disk beyond), rewound."""
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    for chunk in csv_chunks(data, lines):
        out.write(chunk)
    out.seek(0)
    return out


def filename(data: Commitments, ext: str) -> str:
    return f"funding-commitments-{data.label}.{ext}"


# Money columns (0-based): share_per_period, share_weekly, share_annual, year_amount, to_date_amount.
MONEY = frozenset(range(10, 15))


def xlsx_file(data: Commitments, lines: Iterable[CommitmentLine]) -> IO[bytes]:
    """The workbook in a temporary file (in memory up to 1 MB, on disk beyond), rewound: openpyxl's
    write-only mode writes each row out as it is appended, so memory does not grow with the rows."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    book = Workbook(write_only=True)
    sheet = book.create_sheet(f"Commitments {data.label}")
    for r, row in enumerate(stream_rows(data, lines)):
        if not r:
            sheet.append(row)
            continue
        cells: list[object] = []
        for i, value in enumerate(row):
            if i in MONEY and value:
                cell = WriteOnlyCell(sheet, value=Decimal(value))
                cell.number_format = "#,##0.00"
                cells.append(cell)
            else:
                cells.append(value)
        sheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    book.save(out)
    out.seek(0)
    return out
