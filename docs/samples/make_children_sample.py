"""Write the sample tracker of children (docs/samples/children.csv and children.xlsx), deterministically.

    .venv/bin/python docs/samples/make_children_sample.py

Synthetic people only: names from short fixed lists, NHS numbers from the 999 range reserved for
synthetic patients (each passes Modulus 11). The mess is a real tracker's: a title row and a merged
grouping row above the headings, headings in the tracker's own words, blank lines, dates as text in
several formats, and a few rows the import must refuse: a wrong check digit, a repeated NHS number,
a date of birth in the future, an agency that is not the partnership's, a missing family name, and
a cell written as a spreadsheet formula. The workbook has a second sheet (notes) so the import asks
which sheet to read. tests/moving_in/test_sample.py imports both through the pages.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from pathlib import Path

from nhs_number import calculate_checksum

HERE = Path(__file__).resolve().parent
ROWS = 300

GIVEN = [
    "Amara",
    "Ben",
    "Chloe",
    "Dev",
    "Ella",
    "Finn",
    "Grace",
    "Harry",
    "Isla",
    "Jack",
    "Kai",
    "Lily",
    "Mason",
    "Nia",
    "Oscar",
    "Poppy",
    "Reuben",
    "Sofia",
    "Theo",
    "Zoë",
]
FAMILY = [
    "Adeyemi",
    "Brown",
    "Clarke",
    "Davies",
    "Evans",
    "Fletcher",
    "Green",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Nowak",
    "Owen",
    "Patel",
    "Quinn",
    "Roberts",
    "Smith",
    "Taylor",
]
SCHOOLS = [
    "Oakwood Primary",
    "Riverside Academy",
    "St Mary's CE Primary",
    "Hillside Special School",
    "Northgate College",
    "",
    "",
]
STATUSES = ["CIN", "Child in need", "S20", "Care order (section 31)", "CP", "None", ""]
AGENCIES = [
    "",
    "NHS Hampshire and Isle of Wight ICB",
    "QRL",
    "Hampshire County Council SEN Service",
    "NHS Hampshire and Isle of Wight ICB; Hampshire County Council SEN Service",
]
HEADINGS = [
    "NHS No",
    "LCS ID",
    "Forename",
    "Surname",
    "D.O.B",
    "Gender",
    "Legal status",
    "EHCP",
    "School",
    "Agencies involved",
]


def nhs_number(rng: random.Random) -> str:
    while True:
        body = "999" + f"{rng.randrange(0, 1_000_000):06d}"
        check = calculate_checksum(body)
        if check is not None and check < 10:
            return body + str(check)


def date_text(born: dt.date, n: int) -> str:
    """Dates as trackers hold them: whoever typed the row chose the format."""
    formats = ["%d/%m/%Y", "%Y-%m-%d", "%d %b %Y", "%d-%m-%y", "%d.%m.%Y", "%d %B %Y"]
    return born.strftime(formats[n % len(formats)])


def rows() -> list[list[str]]:
    rng = random.Random(19)  # noqa: S311 - synthetic sample data, not a secret
    out: list[list[str]] = []
    seen: set[str] = set()
    for n in range(ROWS):
        number = nhs_number(rng)
        while number in seen:
            number = nhs_number(rng)
        seen.add(number)
        born = dt.date(2009, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 15))
        row = [
            f"{number[:3]} {number[3:6]} {number[6:]}" if n % 3 else number,
            f"LCS{400000 + n}",
            GIVEN[n % len(GIVEN)],
            FAMILY[(n * 7) % len(FAMILY)],
            date_text(born, n),
            ["Female", "Male", "F", "M", ""][n % 5],
            STATUSES[n % len(STATUSES)],
            ["Yes", "No", "Y", "", "no"][n % 5],
            SCHOOLS[n % len(SCHOOLS)],
            AGENCIES[n % len(AGENCIES)],
        ]
        out.append(row)
    # The rows a real tracker gets wrong (row numbers in the file are these plus the five above).
    out[10][0] = out[10][0][:-1] + str((int(out[10][0][-1]) + 1) % 10)  # a mistyped digit
    out[20][0] = out[19][0]  # the same child twice
    out[30][4] = "14/02/2099"  # a date of birth in the future
    out[40][9] = "Hampshire Youth Offending Team"  # not an agency of the partnership
    out[50][3] = ""  # no family name
    out[60][8] = '=HYPERLINK("http://example.invalid","Click")'  # a formula
    out[70][4] = "3rd March 2014"  # a date with an ordinal
    return out


def lines() -> list[list[str]]:
    """The whole sheet: a title, a blank line, a merged grouping row, the headings, then the
    children with a blank line every 50 rows."""
    body: list[list[str]] = []
    for n, row in enumerate(rows()):
        if n and n % 50 == 0:
            body.append([])
        body.append(row)
    return [
        ["Hampshire and Isle of Wight: children known to the joint panels (tracker, exported 3/11/2026)"],
        [],
        ["Child", "", "", "", "", "", "Care", "", "Education", "Agencies"],
        HEADINGS,
        *body,
    ]


def write_csv(path: Path) -> None:
    with path.open("w", newline="", encoding="cp1252") as handle:
        csv.writer(handle).writerows(lines())


def write_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Children"
    for line in lines():
        sheet.append(line or [None])
    # The formula as typed text (a cell someone pasted it into), not a formula openpyxl would write
    # as one: the import must keep it as text either way.
    for row in sheet.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"
    sheet.merge_cells("A1:J1")
    sheet.merge_cells("A3:F3")
    notes = book.create_sheet("Notes")
    notes.append(["Tracker kept by the joint panels' administrator. Synthetic data for the demo."])
    # A fixed creation time in its properties (the zip's own timestamps still differ run to run).
    book.properties.created = book.properties.modified = dt.datetime(2026, 11, 3, 9, 0)  # noqa: DTZ001
    book.save(path)


if __name__ == "__main__":
    write_csv(HERE / "children.csv")
    write_xlsx(HERE / "children.xlsx")
    print(f"Wrote {HERE / 'children.csv'} and {HERE / 'children.xlsx'} ({ROWS} children)")
