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

import io

from funding.selectors import Commitments

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


def rows(data: Commitments) -> list[list[str]]:
    out = [COLUMNS]
    for line in data.lines:
        package, share = line.package, line.share
        out.append(
            [
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
        )
    return out


def filename(data: Commitments, ext: str) -> str:
    return f"funding-commitments-{data.label}.{ext}"


def xlsx(data: Commitments) -> bytes:
    from decimal import Decimal

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = f"Commitments {data.label}"
    money = set(range(10, 15))
    for r, row in enumerate(rows(data)):
        values = []
        for i, value in enumerate(row):
            values.append(Decimal(value) if r and i in money and value else value)
        sheet.append(values)
    for col in range(11, 16):
        for cell in sheet.iter_cols(min_col=col, max_col=col, min_row=2):
            for c in cell:
                c.number_format = "#,##0.00"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
