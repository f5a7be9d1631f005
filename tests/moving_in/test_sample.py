"""The sample tracker (docs/samples/, written by make_children_sample.py) imported through the
pages, as CSV (Windows-1252) and as XLSX (two sheets), with its mess: a title row and a merged
grouping row above the headings, blank lines, dates in six formats, a mistyped check digit, a
child listed twice, a date of birth in the future, an agency not of the partnership, a missing
family name and a formula in a cell."""

from __future__ import annotations

from django.urls import reverse

from casework.models import Child
from moving_in.models import BatchStatus, ImportRow, RowPlan
from tests.moving_in.conftest import SAMPLES, confirm, latest, map_columns, upload

REFUSED = {
    15: "check digit does not match",
    25: "Row 24 has the same NHS number",
    35: "is in the future",
    45: "“Hampshire Youth Offending Team” is not one of",
    56: "The family name is missing",  # a blank line above it counts, as in Excel
}


def _check(ines, batch, django_capture_on_commit_callbacks):
    assert batch.header_row == 2  # the title and the grouping row are left above it
    assert batch.mapping == {
        "nhs_number": 0,
        "case_number": 1,
        "given_name": 2,
        "family_name": 3,
        "date_of_birth": 4,
        "gender": 5,
        "legal_status": 6,
        "has_ehc_plan": 7,
        "school_name": 8,
        "agencies": 9,
    }
    response = map_columns(ines, batch)
    assert response.status_code == 302
    batch.refresh_from_db()
    assert batch.rows_total == 300  # the blank lines are not rows
    rows = {row.number: row for row in ImportRow.objects.filter(batch=batch)}
    refused = {n for n, row in rows.items() if row.plan == RowPlan.REFUSE}
    assert refused == set(REFUSED)
    for number, reason in REFUSED.items():
        assert reason in " ".join(rows[number].reasons), (number, rows[number].reasons)
    assert batch.counts["plan"] == {"create": 295, "refuse": 5}
    batch = confirm(ines, batch, django_capture_on_commit_callbacks)
    assert batch.status == BatchStatus.IMPORTED
    assert batch.counts["outcome"] == {"created": 295, "refused": 5}
    formula = Child.objects.get(case_number="LCS400060")
    assert formula.school_name.startswith("'=HYPERLINK(")
    assert Child.objects.get(case_number="LCS400070").date_of_birth.isoformat() == "2014-03-03"
    return batch


def test_the_sample_csv(ines, django_capture_on_commit_callbacks):
    upload(ines, (SAMPLES / "children.csv").read_bytes(), "children.csv")
    batch = latest()
    assert batch.encoding == "Windows-1252"
    _check(ines, batch, django_capture_on_commit_callbacks)
    assert Child.objects.count() == 295


def test_the_sample_workbook_then_the_csv_again_changes_nothing(ines, django_capture_on_commit_callbacks):
    response = upload(ines, (SAMPLES / "children.xlsx").read_bytes(), "children.xlsx")
    batch = latest()
    assert response["Location"] == reverse("moving_in:sheet", args=[batch.pk])
    ines.post(response["Location"], {"sheet": "Children"})
    batch.refresh_from_db()
    _check(ines, batch, django_capture_on_commit_callbacks)
    # The same children from the CSV: every row matched, nothing to change.
    upload(ines, (SAMPLES / "children.csv").read_bytes(), "children.csv")
    again = latest()
    map_columns(ines, again)
    again.refresh_from_db()
    assert again.counts["plan"] == {"unchanged": 295, "refuse": 5}
