"""Spreadsheet downloads, streamed: the one kit every export calls (issue 18).

Each export declares its shape once, at module level, as an `ExportSpec`: its columns in order
(their headings are what an importer reads back, issue 19) and each column's kind:

    TEXT   made safe from formula injection (`safe_cell`); a string cell in XLSX
    MONEY  a Decimal to 2 dp: "1234.50" in CSV, a number in XLSX in the spec's money format
    DATE   ISO (YYYY-MM-DD) in CSV, a real date in XLSX (dd/mm/yyyy)
    WHOLE  a whole number: digits in CSV, a number in XLSX
    AUTO   by the value's type (what `csv_chunks` / `xlsx_file` do with bare headings)

The specs: panels.exports.TRACKER (the panel tracker), funding.exports.COMMITMENTS (commitments for
finance systems); reporting.exports.COLUMNS gives bare headings (AUTO).

Rows are dicts keyed by the headings, read as they are yielded (nothing is kept); the CSV is sent a
few hundred rows a piece, UTF-8 (with a byte-order mark, so Excel reads the £ and accents right,
unless the spec says otherwise); the XLSX is written row by row by openpyxl's write-only mode into a
temporary file (in memory up to 1 MB, on disk beyond) and sent from there: memory stays flat however
many rows (bench/exports.py).

Formula injection: a spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return)
as a formula, so every text cell that does is prefixed with an apostrophe (`safe_cell`). Money,
dates and whole numbers are written as numbers and dates, never as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import enum
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any

from django.http import FileResponse, StreamingHttpResponse

from casework.money import pennies

__all__ = [
    "FORMULA_STARTS",
    "XLSX_CONTENT_TYPE",
    "Column",
    "ExportSpec",
    "Kind",
    "csv_chunks",
    "safe_cell",
    "xlsx_file",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
SPOOL_BYTES = 1024 * 1024


class Kind(enum.Enum):
    TEXT = "text"
    MONEY = "money"
    DATE = "date"
    WHOLE = "whole"
    AUTO = "auto"


@dataclass(frozen=True)
class Column:
    heading: str
    kind: Kind = Kind.TEXT


def safe_cell(value: object) -> str:
    """The value as text a spreadsheet shows as text: an apostrophe before a leading = + - @ (or
    tab or carriage return), so it is never run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class _Echo:
    """A file that hands back what is written to it, for csv.writer to format one row at a time."""

    def write(self, value: str) -> str:
        return value


def _money(value: Any) -> Decimal:
    """Pounds to the penny (half up, casework.money.pennies), from a Decimal or its text, never
    through float arithmetic."""
    return pennies(Decimal(value))


def _csv_auto(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return safe_cell(value)


def _csv_money(value: Any) -> str:
    return "" if value is None or value == "" else f"{_money(value):.2f}"


def _csv_date(value: Any) -> str:
    return value.isoformat() if value else ""


def _csv_whole(value: object) -> str:
    return "" if value is None or value == "" else str(value)


# One function a kind, looked up once a column (not once a cell: an export may be 100,000 rows).
_CSV_CELL: dict[Kind, Callable[[Any], str]] = {
    Kind.TEXT: safe_cell,
    Kind.MONEY: _csv_money,
    Kind.DATE: _csv_date,
    Kind.WHOLE: _csv_whole,
    Kind.AUTO: _csv_auto,
}


@dataclass(frozen=True)
class ExportSpec:
    """One export's shape: its columns, in order (never renamed or reordered; new ones only
    appended), and how its files are written. Build it once, at module level, and hand it the rows.

    `byte_order_mark`: start the CSV with one (Excel then reads UTF-8 right). `money_format`: the
    XLSX number format of MONEY cells. `typed_blanks`: an empty MONEY, DATE or WHOLE cell is an empty
    cell still in its column's format (True), or an empty text cell (False; the commitments export
    has always written its one blank money column so)."""

    columns: tuple[Column, ...]
    sheet: str = "Export"
    byte_order_mark: bool = True
    money_format: str = "0.00"
    date_format: str = "dd/mm/yyyy"
    typed_blanks: bool = True

    def __post_init__(self) -> None:
        if len(set(self.headings)) != len(self.columns):
            raise ValueError(f"Two columns share a heading: {self.headings}")

    @classmethod
    def of(cls, columns: Iterable[str | Column], **options: Any) -> ExportSpec:
        """A spec from headings (each a column of kind AUTO) or Columns."""
        return cls(
            columns=tuple(c if isinstance(c, Column) else Column(c, Kind.AUTO) for c in columns), **options
        )

    @property
    def headings(self) -> tuple[str, ...]:
        """The heading row: the names an importer matches (issue 19)."""
        return tuple(column.heading for column in self.columns)

    def csv_chunks(
        self, lines: Iterable[Mapping[str, object]], *, rows_per_chunk: int = 200
    ) -> Iterator[bytes]:
        """The CSV as UTF-8 bytes, a few hundred rows a piece, for a StreamingHttpResponse."""
        writer = csv.writer(_Echo())
        columns = [(column.heading, _CSV_CELL[column.kind]) for column in self.columns]
        batch = [("\ufeff" if self.byte_order_mark else "") + writer.writerow(self.headings)]
        for line in lines:
            batch.append(writer.writerow([cell(line.get(heading)) for heading, cell in columns]))
            if len(batch) >= rows_per_chunk:
                yield "".join(batch).encode()
                batch = []
        if batch:
            yield "".join(batch).encode()

    def csv_file(self, lines: Iterable[Mapping[str, object]]) -> IO[bytes]:
        """The CSV in a temporary file (in memory up to 1 MB, on disk beyond), rewound: for an export
        that must know every row before it sends any."""
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
        for chunk in self.csv_chunks(lines):
            out.write(chunk)
        out.seek(0)
        return out

    def xlsx_file(self, lines: Iterable[Mapping[str, object]], *, sheet: str | None = None) -> IO[bytes]:
        """The workbook in a temporary file (in memory up to 1 MB, on disk beyond), rewound:
        openpyxl's write-only mode writes each row out as it is appended, so memory does not grow
        with the rows."""
        from openpyxl import Workbook  # type: ignore[import-untyped]

        book = Workbook(write_only=True)
        worksheet = book.create_sheet((sheet or self.sheet)[:31])
        worksheet.append(list(self.headings))
        maker = _CellMaker(self, worksheet)
        columns = [(column.heading, maker.for_kind(column.kind)) for column in self.columns]
        for line in lines:
            worksheet.append([cell(line.get(heading)) for heading, cell in columns])
        out = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # noqa: SIM115 - the response closes it
        book.save(out)
        out.seek(0)
        return out

    def csv_response(self, lines: Iterable[Mapping[str, object]], *, filename: str) -> StreamingHttpResponse:
        """The CSV sent as it is made."""
        response = StreamingHttpResponse(self.csv_chunks(lines), content_type=CSV_CONTENT_TYPE)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response

    def xlsx_response(
        self, lines: Iterable[Mapping[str, object]], *, filename: str, sheet: str | None = None
    ) -> FileResponse:
        """The XLSX (a zip, finished only at its end) made in a temporary file, then sent."""
        return FileResponse(
            self.xlsx_file(lines, sheet=sheet),
            as_attachment=True,
            filename=filename,
            content_type=XLSX_CONTENT_TYPE,
        )


class _CellMaker:
    """Makes one write-only XLSX cell from a value and its column's kind."""

    def __init__(self, spec: ExportSpec, worksheet: Any) -> None:
        from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]

        self.spec, self.worksheet, self.make = spec, worksheet, WriteOnlyCell

    def _formatted(self, value: object, number_format: str) -> Any:
        cell = self.make(self.worksheet, value=value)
        cell.number_format = number_format
        return cell

    def for_kind(self, kind: Kind) -> Callable[[Any], Any]:
        """The maker of a column's cells (looked up once a column, not once a cell)."""
        return {
            Kind.TEXT: self.text,
            Kind.MONEY: self.money,
            Kind.DATE: self.date,
            Kind.WHOLE: self.whole,
            Kind.AUTO: self.auto,
        }[kind]

    def text(self, value: object) -> Any:
        cell = self.make(self.worksheet, value=safe_cell(value))
        cell.data_type = "s"
        return cell

    def money(self, value: Any) -> Any:
        if value is None and not self.spec.typed_blanks:
            return self.text("")
        return self._formatted(None if value is None else _money(value), self.spec.money_format)

    def date(self, value: object) -> Any:
        if value is None and not self.spec.typed_blanks:
            return self.text("")
        return self._formatted(value, self.spec.date_format)

    def whole(self, value: object) -> Any:
        if value is None and not self.spec.typed_blanks:
            return self.text("")
        return self.make(self.worksheet, value=value)

    def auto(self, value: object) -> Any:
        if value is None:
            return self.make(self.worksheet, value=None)
        if isinstance(value, bool):
            return self.text("yes" if value else "no")
        if isinstance(value, dt.date):
            return self._formatted(value, self.spec.date_format)
        if isinstance(value, int | float | Decimal):
            return self.make(self.worksheet, value=value)
        return self.text(value)


def csv_chunks(
    columns: Sequence[str | Column], lines: Iterable[Mapping[str, object]], *, rows_per_chunk: int = 200
) -> Iterator[bytes]:
    """The CSV as UTF-8 bytes (with a byte-order mark), a few hundred rows a piece, for a
    StreamingHttpResponse: `ExportSpec.of(columns).csv_chunks(lines)`."""
    return ExportSpec.of(columns).csv_chunks(lines, rows_per_chunk=rows_per_chunk)


def xlsx_file(
    columns: Sequence[str | Column], lines: Iterable[Mapping[str, object]], *, sheet: str
) -> IO[bytes]:
    """The workbook in a temporary file, rewound, for a FileResponse: text cells are text (made safe),
    dates are dates, numbers are numbers: `ExportSpec.of(columns, sheet=sheet).xlsx_file(lines)`."""
    return ExportSpec.of(columns, sheet=sheet).xlsx_file(lines)
