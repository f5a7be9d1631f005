"""Spreadsheet downloads, streamed: one kit for every list's CSV and XLSX.

The same shape as the tracker's exports (panels.views.actions) and the commitments' (funding.exports),
which came first and keep their own copies for now: rows are dicts keyed by the columns, read as they
are yielded (nothing is kept); the CSV is sent a few hundred rows a piece, UTF-8 with a byte-order
mark (so Excel reads the £ and accents right); the XLSX is written row by row by openpyxl's
write-only mode into a temporary file (in memory up to 1 MB, on disk beyond) and sent from there.

Formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return)
as a formula, so every text cell that does is prefixed with an apostrophe (`safe_cell`). Dates are
ISO (YYYY-MM-DD) in CSV and real dates in XLSX; numbers stay numbers.
"""

from __future__ import annotations

import csv
import datetime as dt
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO

__all__ = ["FORMULA_STARTS", "XLSX_CONTENT_TYPE", "csv_chunks", "safe_cell", "xlsx_file"]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_BYTES = 1024 * 1024


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as text: an apostrophe before a leading = + - @ (or
    tab or carriage return), so it is never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written to it, for csv.writer to format one row at a time."""

    def write(self, value: str) -> str:
        return value


def _csv_value(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(value)


def csv_chunks(
    columns: Sequence[str], lines: Iterable[Mapping[str, object]], *, rows_per_chunk: int = 200
) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes (with a byte-order mark), a few hundred rows a piece, for a
    StreamingHttpResponse."""
    writer = csv.writer(_Echo())
    batch = ["\ufeff" + writer.writerow(list(columns))]
    for line in lines:
        batch.append(writer.writerow([_csv_value(line.get(column)) for column in columns]))
        if len(batch) >= rows_per_chunk:
            yield "".join(batch).encode()
            batch = []
    if batch:
        yield "".join(batch).encode()


def xlsx_file(columns: Sequence[str], lines: Iterable[Mapping[str, object]], *, sheet: str) -> IO[bytes]:
    """The workbook in a temporary file, rewound, for a FileResponse: text cells are text (made safe),
    dates are dates, numbers are numbers."""
    from openpyxl import Workbook  # type: ignore[import-untyped]
    from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

    book = Workbook(write_only=True)
    worksheet = book.create_sheet(sheet[:31])
    worksheet.append(list(columns))
    for line in lines:
        cells = []
        for column in columns:
            value = line.get(column)
            if isinstance(value, bool) or value is None:
                cell = WriteOnlyCell(
                    worksheet, value=("yes" if value else "no") if value is not None else None
                )
            elif isinstance(value, dt.date):
                cell = WriteOnlyCell(worksheet, value=value)
                cell.number_format = "dd/mm/yyyy"
            elif isinstance(value, int | float):
                cell = WriteOnlyCell(worksheet, value=value)
            else:
                cell = WriteOnlyCell(worksheet, value=safe_cell(value))
                cell.data_type = "s"
            cells.append(cell)
        worksheet.append(cells)
    out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
    book.save(out)
    out.seek(0)
    return out
