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

Written by the shared kit (casework.exports) from COMMITMENTS, the one list of these columns and
their kinds (an importer reads the same headings back: issue 19). As finance systems have always
had it: no byte-order mark in the CSV; the ids are text in the XLSX; money is "1234.50" in the
CSV and a number as #,##0.00 in the XLSX, a blank share_weekly an empty text cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import IO

from casework.exports import Column, ExportSpec, Kind
from funding.selectors import CommitmentLine, Commitments

MONEY = Kind.MONEY

COMMITMENTS = ExportSpec(
    columns=(
        Column("financial_year"),
        Column("agency"),
        Column("package_id"),
        Column("package_version"),
        Column("child_id"),
        Column("child_case_number"),
        Column("pathway"),
        Column("provider"),
        Column("panel"),
        Column("cost_period"),
        Column("share_per_period", MONEY),
        Column("share_weekly", MONEY),
        Column("share_annual", MONEY),
        Column("year_amount", MONEY),
        Column("to_date_amount", MONEY),
        Column("status"),
    ),
    sheet="Commitments",
    byte_order_mark=False,
    money_format="#,##0.00",
    typed_blanks=False,
)
COLUMNS = list(COMMITMENTS.headings)


def export_lines(data: Commitments, lines: Iterable[CommitmentLine]) -> Iterator[dict[str, object]]:
    """One row per line, keyed by COLUMNS, as `lines` yields them (nothing is kept)."""
    for line in lines:
        package = line.package
        yield {
            "financial_year": data.label,
            "agency": data.agency_name,
            "package_id": package.pk,
            "package_version": package.version_number,
            "child_id": package.child_id,
            "child_case_number": package.child.case_number,
            "pathway": package.pathway,
            "provider": line.provider,
            "panel": line.panel,
            "cost_period": line.cost_period,
            "share_per_period": line.share.amount,
            "share_weekly": line.weekly,
            "share_annual": line.annual,
            "year_amount": line.year_amount,
            "to_date_amount": line.to_date,
            "status": package.status,
        }


def csv_chunks(
    data: Commitments, lines: Iterable[CommitmentLine], *, rows_per_chunk: int = 200
) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes, a few hundred rows a piece, for a StreamingHttpResponse."""
    return COMMITMENTS.csv_chunks(export_lines(data, lines), rows_per_chunk=rows_per_chunk)


def csv_file(data: Commitments, lines: Iterable[CommitmentLine]) -> IO[bytes]:
    """The CSV in a temporary file (in memory up to 1 MB, on disk beyond), rewound."""
    return COMMITMENTS.csv_file(export_lines(data, lines))


def filename(data: Commitments, ext: str) -> str:
    return f"funding-commitments-{data.label}.{ext}"


def xlsx_file(data: Commitments, lines: Iterable[CommitmentLine]) -> IO[bytes]:
    """The workbook in a temporary file (in memory up to 1 MB, on disk beyond), rewound."""
    return COMMITMENTS.xlsx_file(export_lines(data, lines), sheet=f"Commitments {data.label}")
