"""The shared spreadsheet kit (casework.exports, issue 18): its output pinned on a fixed set of
rows (CSV bytes exactly; XLSX cell values, number formats and types read back with openpyxl), and
formula injection neutralised in both."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest

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


# --- ExportSpec: columns with kinds -------------------------------------------------------------

KINDS = exports.ExportSpec(
    columns=(
        exports.Column("Name"),
        exports.Column("Paid (GBP)", exports.Kind.MONEY),
        exports.Column("On", exports.Kind.DATE),
        exports.Column("Weeks", exports.Kind.WHOLE),
        exports.Column("Late", exports.Kind.AUTO),
    ),
    sheet="Kinds",
)
KIND_LINES = [
    {
        "Name": "Oak House",
        "Paid (GBP)": Decimal("1234.5"),
        "On": dt.date(2026, 4, 1),
        "Weeks": 38,
        "Late": True,
    },
    {"Name": "-1 Care", "Paid (GBP)": Decimal("-12.345"), "On": None, "Weeks": None, "Late": False},
    {"Name": None, "Paid (GBP)": "7"},
]


def test_a_spec_writes_each_kind_in_csv():
    body = b"".join(KINDS.csv_chunks(iter(KIND_LINES)))
    assert body == (
        b"\xef\xbb\xbfName,Paid (GBP),On,Weeks,Late\r\n"
        b"Oak House,1234.50,2026-04-01,38,yes\r\n"
        b"'-1 Care,-12.35,,,no\r\n"  # a negative amount is a number, never defused; half up
        b",7.00,,,\r\n"
    )
    assert KINDS.csv_file(iter(KIND_LINES)).read() == body
    assert KINDS.headings == ("Name", "Paid (GBP)", "On", "Weeks", "Late")


def test_a_spec_writes_each_kind_in_xlsx():
    names, rows = read_back(KINDS.xlsx_file(iter(KIND_LINES)))
    assert names == ["Kinds"]
    g = "General"
    assert rows == [
        [(heading, g, "s") for heading in KINDS.headings],
        [
            ("Oak House", g, "s"),
            (1234.5, "0.00", "n"),
            (dt.datetime(2026, 4, 1, 0, 0), "dd/mm/yyyy", "d"),
            (38, g, "n"),
            ("yes", g, "s"),
        ],
        [
            ("'-1 Care", g, "s"),
            (-12.35, "0.00", "n"),
            (None, "dd/mm/yyyy", "n"),
            (None, g, "n"),
            ("no", g, "s"),
        ],
        [(None, g, "inlineStr"), (7, "0.00", "n"), (None, "dd/mm/yyyy", "n"), (None, g, "n"), (None, g, "n")],
    ]


def test_a_spec_can_leave_out_the_byte_order_mark_and_write_blanks_as_text():
    spec = exports.ExportSpec(
        columns=(exports.Column("Paid", exports.Kind.MONEY), exports.Column("On", exports.Kind.DATE)),
        byte_order_mark=False,
        money_format="#,##0.00",
        typed_blanks=False,
    )
    assert b"".join(spec.csv_chunks([{"Paid": None}])) == b"Paid,On\r\n,\r\n"
    _, rows = read_back(
        spec.xlsx_file([{"Paid": None, "On": None}, {"Paid": Decimal("1000")}], sheet="Other")
    )
    blank = (None, "General", "inlineStr")
    assert rows[1:] == [[blank, blank], [(1000, "#,##0.00", "n"), blank]]


def test_a_spec_refuses_two_columns_with_one_heading():
    with pytest.raises(ValueError, match="share a heading"):
        exports.ExportSpec(columns=(exports.Column("A"), exports.Column("A", exports.Kind.MONEY)))


def test_the_plain_functions_take_columns_with_kinds_and_write_decimals_as_numbers():
    columns = ["Name", exports.Column("Paid", exports.Kind.MONEY), "Auto"]
    lines = [{"Name": "=x", "Paid": Decimal("5"), "Auto": Decimal("-2.50")}]
    assert b"".join(exports.csv_chunks(columns, lines)) == b"\xef\xbb\xbfName,Paid,Auto\r\n'=x,5.00,-2.50\r\n"
    _, rows = read_back(exports.xlsx_file(columns, lines, sheet="S"))
    assert rows[1] == [("'=x", "General", "s"), (5, "0.00", "n"), (-2.5, "General", "n")]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize("kind", [exports.Kind.TEXT, exports.Kind.AUTO])
def test_text_that_would_run_as_a_formula_is_neutralised(start, kind):
    spec = exports.ExportSpec(columns=(exports.Column("Cell", kind),))
    value = f'{start}HYPERLINK("http://evil")'
    body = b"".join(spec.csv_chunks([{"Cell": value}])).decode("utf-8-sig")
    assert next(iter(csv.reader(io.StringIO(body, newline="")))) == ["Cell"]
    assert list(csv.reader(io.StringIO(body, newline="")))[1] == ["'" + value]
    _, rows = read_back(spec.xlsx_file([{"Cell": value}]))
    assert rows[1] == [("'" + value.replace("\r", "\n"), "General", "s")]


def test_the_csv_is_made_as_it_is_read():
    """Nothing is read ahead of the chunk being sent: memory stays flat however many rows."""
    read = []

    def lines():
        for n in range(450):
            read.append(n)
            yield {"Name": f"row {n}"}

    chunks = KINDS.csv_chunks(lines(), rows_per_chunk=200)
    first = next(chunks)
    assert len(read) == 199 and first.count(b"\r\n") == 200  # the heading and 199 rows
    assert sum(chunk.count(b"\r\n") for chunk in chunks) == 251 and len(read) == 450


def test_the_responses_are_attachments():
    response = KINDS.csv_response(iter(KIND_LINES), filename="kinds.csv")
    assert response.streaming and response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kinds.csv"'
    assert b"".join(response.streaming_content) == b"".join(KINDS.csv_chunks(iter(KIND_LINES)))
    response = KINDS.xlsx_response(iter(KIND_LINES), filename="kinds.xlsx", sheet="Named")
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="kinds.xlsx"'
    assert read_back(io.BytesIO(b"".join(response.streaming_content)))[0] == ["Named"]


def test_every_spreadsheet_the_service_writes_is_written_by_the_kit():
    """No second copy of CSV or XLSX writing (and of formula defusing) grows back in an app: the
    tracker, the commitments and the reports all hand their rows to casework.exports."""
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    writers = ("csv.writer(", "csv.DictWriter(", "Workbook(", "WriteOnlyCell")
    found = sorted(
        str(path.relative_to(root))
        for app in (
            "casework",
            "referrals",
            "panels",
            "funding",
            "pathways",
            "reporting",
            "moving_in",
            "config",
        )
        for path in (root / app).rglob("*.py")
        if any(writer in path.read_text(encoding="utf-8") for writer in writers)
    )
    assert found == ["casework/exports.py"]
