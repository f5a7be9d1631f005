"""The shared spreadsheet kit (casework.exports, issue 18): its output pinned on a fixed set of
rows (CSV bytes exactly; XLSX cell values, number formats and types read back with openpyxl), and
formula injection neutralised in both."""

from __future__ import annotations

import datetime as dt

import openpyxl

from casework import exports

COLUMNS = ["Text", "Number", "Float", "Date", "When", "Flag", "Empty"]
LINES = [
    {
        "Text": "plain",
        "Number": 3,
        "Float": 2.5,
        "Date": dt.date(2026, 4, 9),
        "When": dt.datetime(2026, 4, 9, 14, 30),  # noqa: DTZ001 - a naive value, as a selector may give
        "Flag": True,
        "Empty": None,
    },
    {"Text": "=1+2", "Number": -4, "Float": -0.5, "Date": None, "When": None, "Flag": False},
    {"Text": "+44", "Number": 0},
    {"Text": "-x"},
    {"Text": "@sum"},
    {"Text": "\tx"},
    {"Text": "\rx"},
    {"Text": 'a,b "q"\nnext'},
]


def read_back(file) -> tuple[list[str], list[list[tuple[object, str, str]]]]:
    """The workbook's sheet names, and its first sheet's cells as (value, number format, type)."""
    book = openpyxl.load_workbook(file)
    return book.sheetnames, [
        [(cell.value, cell.number_format, cell.data_type) for cell in row] for row in book.active.iter_rows()
    ]


def test_the_csv_of_plain_columns_is_pinned():
    body = b"".join(exports.csv_chunks(COLUMNS, iter(LINES), rows_per_chunk=3))
    assert body == (
        b"\xef\xbb\xbfText,Number,Float,Date,When,Flag,Empty\r\n"
        b"plain,3,2.5,2026-04-09,2026-04-09T14:30:00,yes,\r\n"
        b"'=1+2,-4,-0.5,,,no,\r\n"
        b"'+44,0,,,,,\r\n"
        b"'-x,,,,,,\r\n"
        b"'@sum,,,,,,\r\n"
        b"'\tx,,,,,,\r\n"
        b'"\'\rx",,,,,,\r\n'
        b'"a,b ""q""\nnext",,,,,,\r\n'
    )


def test_the_xlsx_of_plain_columns_is_pinned():
    names, rows = read_back(
        exports.xlsx_file(COLUMNS, iter(LINES), sheet="A sheet name that is longer than thirty one")
    )
    assert names == ["A sheet name that is longer tha"]
    g, n = "General", None
    empty = (n, g, "n")
    assert rows == [
        [(heading, g, "s") for heading in COLUMNS],
        [
            ("plain", g, "s"),
            (3, g, "n"),
            (2.5, g, "n"),
            (dt.datetime(2026, 4, 9, 0, 0), "dd/mm/yyyy", "d"),  # noqa: DTZ001
            (dt.datetime(2026, 4, 9, 14, 30), "dd/mm/yyyy", "d"),  # noqa: DTZ001
            ("yes", g, "s"),
            empty,
        ],
        [("'=1+2", g, "s"), (-4, g, "n"), (-0.5, g, "n"), empty, empty, ("no", g, "s"), empty],
        [("'+44", g, "s"), (0, g, "n"), *[empty] * 5],
        [("'-x", g, "s"), *[empty] * 6],
        [("'@sum", g, "s"), *[empty] * 6],
        [("'\tx", g, "s"), *[empty] * 6],
        [("'\nx", g, "s"), *[empty] * 6],  # XML reads a lone carriage return back as a new line
        [('a,b "q"\nnext', g, "s"), *[empty] * 6],
    ]
