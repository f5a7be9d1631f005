"""Reading a file (moving_in.reading, moving_in.fields): encodings, sheets, limits, blank lines,
formula cells, dates as text, headings found below a title."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from openpyxl import Workbook

from moving_in import fields as F
from moving_in import reading

D = dt.date


def xlsx(*sheets: tuple[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets:
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("content", "label"),
    [
        ("Surname\nZoë\n".encode(), "UTF-8"),
        (b"\xef\xbb\xbf" + "Surname\nZoë\n".encode(), "UTF-8 with BOM"),
        ("Surname\nZoë\n".encode("cp1252"), "Windows-1252"),
    ],
)
def test_each_encoding_is_read_and_named(content, label):
    table = reading.read_csv(content)
    assert table.encoding == label
    assert table.rows == [["Surname"], ["Zoë"]]  # the BOM is not part of the first heading


def test_bytes_no_encoding_reads_are_refused_in_plain_english():
    with pytest.raises(ValidationError) as refused:
        reading.decode(b"Surname\n\x81\x8d\x90\n")  # undefined in Windows-1252, invalid UTF-8
    assert "UTF-8 or Windows-1252" in refused.value.message_dict["file"][0]


def test_semicolons_and_blank_lines():
    table = reading.read_csv(b"Forename;Surname\n\nAmy;Pond\n;\n\nRory;Williams\n")
    assert table.rows == [["Forename", "Surname"], ["Amy", "Pond"], ["Rory", "Williams"]]


def test_formula_cells_are_kept_as_text_and_negative_numbers_stay_numbers():
    content = b'School,Notes,Balance\n"=HYPERLINK(""http://x"",""y"")",@SUM(A1),-12.50\n+44 7700,-cmd,\n'
    table = reading.read_csv(content)
    assert table.rows[1] == ['\'=HYPERLINK("http://x","y")', "'@SUM(A1)", "-12.50"]
    assert table.rows[2] == ["'+44 7700", "'-cmd"]
    assert table.neutralised == 4


def test_limits_by_size_and_rows(settings):
    settings.MOVING_IN_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(ValidationError, match="smaller than"):
        reading.check_size(1001)
    with pytest.raises(ValidationError, match="empty"):
        reading.check_size(0)
    reading.check_size(1000)
    settings.MOVING_IN_MAX_ROWS = 5
    rows = "Surname\n" + "".join(f"Child{n}\n" for n in range(5 + reading.HEADER_ALLOWANCE + 1))
    with pytest.raises(ValidationError, match="more than 5 rows"):
        reading.read_csv(rows.encode())


def test_a_workbook_s_sheets_and_cells():
    content = xlsx(
        ("Notes", [["Read me"]]),
        ("Children", [["Tracker"], [None], ["NHS No", "D.O.B"], [9434765919, dt.datetime(2015, 2, 1)]]),
    )
    assert reading.sheet_names(content) == ["Notes", "Children"]
    table = reading.read_xlsx(content, sheet="Children")
    assert table.rows == [["Tracker"], ["NHS No", "D.O.B"], ["9434765919", "2015-02-01"]]
    with pytest.raises(ValidationError):
        reading.read_xlsx(content, sheet="Elsewhere")


def test_a_file_that_is_not_a_workbook_is_refused():
    with pytest.raises(ValidationError, match="not an XLSX"):
        reading.sheet_names(b"PK\x03\x04 not really a zip")
    with pytest.raises(ValidationError, match="CSV or an XLSX"):
        reading.file_type("children.xls")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("04/03/2012", D(2012, 3, 4)),
        ("4/3/12", D(2012, 3, 4)),
        ("2012-03-04", D(2012, 3, 4)),
        ("4 March 2012", D(2012, 3, 4)),
        ("4 Mar 2012", D(2012, 3, 4)),
        ("4th March 2012", D(2012, 3, 4)),
        ("04.03.2012", D(2012, 3, 4)),
        ("04-03-12", D(2012, 3, 4)),
        ("40972", D(2012, 3, 4)),  # Excel's serial number for the same day
        ("'04/03/2012", D(2012, 3, 4)),  # kept as text by a spreadsheet
        ("31/02/2012", None),
        ("next Tuesday", None),
    ],
)
def test_dates_as_trackers_write_them(text, expected):
    assert F.parse_date(text) == expected


def test_the_heading_row_is_found_below_a_title_and_the_columns_guessed():
    rows = [
        ["Children known to the partnership"],
        ["Child", "", "Care"],
        ["NHS No", "Forename", "Surname", "DOB"],
    ]
    assert F.find_header_row(rows) == 2
    assert F.guess_mapping(rows[2], {}) == {
        "nhs_number": 0,
        "given_name": 1,
        "family_name": 2,
        "date_of_birth": 3,
    }
    # What the partnership chose last time comes first.
    assert F.guess_mapping(
        ["Child's name", "Family", "Born"], {"given_name": "Child's name", "family_name": "Family"}
    ) == {
        "given_name": 0,
        "family_name": 1,
    }
