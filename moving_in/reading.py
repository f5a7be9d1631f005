"""Reading an uploaded spreadsheet into rows of text: CSV with the csv module, XLSX with openpyxl.

No parser of our own: the csv module splits the lines (its Sniffer picks comma, semicolon or tab),
openpyxl reads the workbook in read-only mode (streamed, so a large sheet is never held whole), and
what we add is only what a tracker needs: the encoding tried in order and named, limits on size and
rows, blank lines dropped, and every text cell that a spreadsheet would run as a formula made inert
(casework.exports.safe_cell, the same rule every export uses).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from casework.exports import FORMULA_STARTS, safe_cell

# Tried in this order; the label is what the page tells the person (issue 19).
ENCODINGS = (("utf-8-sig", "UTF-8 with BOM"), ("utf-8", "UTF-8"), ("cp1252", "Windows-1252"))
BOM = b"\xef\xbb\xbf"
MAX_COLUMNS = 60


@dataclass
class Table:
    rows: list[list[str]]
    lines: list[int]  # each row's number in the spreadsheet (blank lines count, as Excel shows them)
    encoding: str = ""  # for CSV: which encoding was used
    neutralised: int = 0  # cells that began like a formula and were made inert


def file_type(name: str) -> str:
    lowered = name.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(".xlsx"):
        return "xlsx"
    raise ValidationError({"file": ["The selected file must be a CSV or an XLSX spreadsheet"]}, code="type")


def check_size(size: int) -> None:
    limit = settings.MOVING_IN_MAX_UPLOAD_BYTES
    if size == 0:
        raise ValidationError({"file": ["The selected file is empty"]}, code="empty")
    if size > limit:
        raise ValidationError({"file": [size_message(limit)]}, code="too_big")


def size_message(limit: int) -> str:
    return f"The selected file must be smaller than {_size(limit)}: split it into several files"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MB"
    return f"{n // 1024} KB" if n >= 1024 else f"{n} bytes"


def decode(content: bytes) -> tuple[str, str]:
    """The text and the label of the encoding that read it: UTF-8 with BOM (when it starts with
    one), UTF-8, then Windows-1252 (Excel's "CSV" on a Windows PC in England)."""
    for codec, label in ENCODINGS:
        if codec == "utf-8-sig" and not content.startswith(BOM):
            continue
        try:
            return content.decode(codec), label
        except UnicodeDecodeError:
            continue
    raise ValidationError(
        {
            "file": [
                "The file's characters could not be read as UTF-8 or Windows-1252: save it again as "
                '"CSV UTF-8" and upload that'
            ]
        },
        code="encoding",
    )


def _clean(value: object) -> tuple[str, bool]:
    """A cell as text, trimmed, with a formula start made inert. Dates from a workbook become
    ISO dates; whole numbers stay whole (an NHS number read as 9434765919.0 is 9434765919)."""
    if value is None:
        return "", False
    if isinstance(value, dt.datetime):
        text = value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, float) and value.is_integer():
        text = str(int(value))
    else:
        text = " ".join(str(value).split())
    if text.startswith(FORMULA_STARTS) and not _is_number(text):
        return safe_cell(text), True
    return text, False


def _is_number(text: str) -> bool:
    """A negative number ("-12.50") is a value, not a formula."""
    try:
        float(text.replace(",", ""))
    except ValueError:
        return False
    return True


def _collect(raw_rows) -> Table:
    limit = settings.MOVING_IN_MAX_ROWS
    rows: list[list[str]] = []
    lines: list[int] = []
    neutralised = 0
    for line, raw in enumerate(raw_rows, start=1):
        cells = []
        for value in list(raw)[:MAX_COLUMNS]:
            text, inert = _clean(value)
            neutralised += inert
            cells.append(text)
        while cells and not cells[-1]:
            cells.pop()
        if not cells:
            continue  # a blank line
        rows.append(cells)
        lines.append(line)
        if len(rows) > limit + HEADER_ALLOWANCE:
            raise ValidationError(
                {
                    "file": [
                        f"The file has more than {limit:,} rows: split it into files of {limit:,} rows or fewer"
                    ]
                },
                code="too_many_rows",
            )
    if not rows:
        raise ValidationError({"file": ["The file has no rows"]}, code="no_rows")
    return Table(rows=rows, lines=lines, neutralised=neutralised)


# Title rows and headings above the data do not count towards the row limit.
HEADER_ALLOWANCE = 10


def read_csv(content: bytes) -> Table:
    text, label = decode(content)
    sample = text[:20_000]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        table = _collect(csv.reader(io.StringIO(text, newline=""), dialect))
    except csv.Error as error:
        raise ValidationError({"file": [f"The CSV file could not be read: {error}"]}, code="csv") from None
    table.encoding = label
    return table


def _workbook(content: bytes):
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    try:
        return load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError):
        raise ValidationError(
            {
                "file": [
                    "The selected file is not an XLSX spreadsheet that can be read: save it again from Excel"
                ]
            },
            code="xlsx",
        ) from None


def sheet_names(content: bytes) -> list[str]:
    book = _workbook(content)
    try:
        return list(book.sheetnames)
    finally:
        book.close()


def read_xlsx(content: bytes, *, sheet: str) -> Table:
    book = _workbook(content)
    try:
        if sheet not in book.sheetnames:
            raise ValidationError({"sheet": ["Choose one of the workbook's sheets"]}, code="sheet")
        return _collect(book[sheet].iter_rows(values_only=True))
    finally:
        book.close()
