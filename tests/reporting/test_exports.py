"""Where cases wait, the downloads (issue 18): the same rows as the page, every row, read back from
the CSV and the XLSX (openpyxl); formula injection neutralised; the audit event and the read log;
another partnership's rows never in the file."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.test import Client
from openpyxl import load_workbook

from casework.models import AuditEvent, ChildListViewLog
from reporting.exports import COLUMNS
from reporting.selectors import waiting

D = dt.date


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv_rows(response) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_body(response).decode("utf-8-sig"))))


def _xlsx_rows(response) -> list[dict[str, object]]:
    sheet = load_workbook(io.BytesIO(_body(response)), read_only=True).active
    heading, *rows = list(sheet.iter_rows(values_only=True))
    assert list(heading) == list(COLUMNS)
    return [dict(zip(heading, row, strict=True)) for row in rows]


def test_the_csv_has_every_row_of_the_page_in_its_order(make_world, panel_admin, hampshire):
    children = make_world(2)
    response = _client(panel_admin).get("/reports/waiting.csv")
    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"] == 'attachment; filename="where-cases-wait-2026-03-02.csv"'
    assert "no-store" in response["Cache-Control"]
    rows = _csv_rows(response)
    expected = waiting(user=panel_admin).items
    assert [r["Item"] for r in rows] == [i.ref for i in expected]
    assert {int(r["Child ID"]) for r in rows} == {c.pk for c in children}
    rsg = next(r for r in rows if r["Kind"] == "Escalation")
    assert rsg == {
        **rsg,
        "Agency holding the next step": hampshire.name,
        "Person": "Peter Hale",
        "Since": "2026-03-01",
        "Working days waiting": "1",
        "Clock": "Rapid Solutions Group meets within 24 hours",
        "Due": "2026-03-02",
        "Overdue": "yes",
    }


def test_the_xlsx_has_the_same_rows_with_real_dates(make_world, panel_admin, hiow_icb):
    make_world(1)
    response = _client(panel_admin).get("/reports/waiting.xlsx", {"agency": hiow_icb.pk})
    assert response.status_code == 200
    rows = _xlsx_rows(response)
    assert len(rows) == 3  # the ICB's share, the Continuing Care case and the IFR
    assert {r["Agency holding the next step"] for r in rows} == {hiow_icb.name}
    cc = next(r for r in rows if str(r["Stage"]).startswith("Continuing Care"))
    assert cc["Since"].date() == D(2026, 2, 16) and cc["Due"].date() == D(2026, 3, 30)
    assert cc["Working days waiting"] == 10
    assert cc["Person"] == "Nadia Khan"


def test_cells_are_safe_from_formula_injection(make_world, panel_admin, social_worker):
    social_worker.full_name = '=HYPERLINK("http://evil")'
    social_worker.save(update_fields=["full_name"])
    make_world(1)
    client = _client(panel_admin)
    csv_people = {r["Person"] for r in _csv_rows(client.get("/reports/waiting.csv"))}
    assert '\'=HYPERLINK("http://evil")' in csv_people
    assert not any(p.startswith("=") for p in csv_people)
    xlsx_people = {r["Person"] for r in _xlsx_rows(client.get("/reports/waiting.xlsx"))}
    assert '\'=HYPERLINK("http://evil")' in xlsx_people


def test_each_download_is_audited_and_logged(make_world, panel_admin):
    children = make_world(1)
    before = ChildListViewLog.objects.count()
    response = _client(panel_admin).get("/reports/waiting.csv", {"kind": "pathway"})
    _body(response)
    event = AuditEvent.objects.filter(action="reports.waiting_exported").get()
    assert event.actor == panel_admin
    assert event.changes["format"] == [None, "csv"]
    assert event.changes["filters"] == [None, {"kind": "pathway"}]
    assert len(event.changes["items"][1]) == 2
    (log,) = ChildListViewLog.objects.order_by("id")[before:]
    assert (log.channel, log.child_ids, log.query) == ("export", [children[0].pk], "kind=pathway")


def test_a_bad_filter_is_a_400_not_a_file(make_world, panel_admin):
    make_world(1)
    response = _client(panel_admin).get("/reports/waiting.xlsx", {"kind": "nothing"})
    assert response.status_code == 400
    assert not AuditEvent.objects.filter(action="reports.waiting_exported").exists()


def test_an_agency_not_involved_finds_none_of_the_child_in_the_file(make_world, sen_manager, hiow_icb):
    (with_sen,) = make_world(1)
    (without,) = make_world(1, involved=[hiow_icb])
    ids = {int(r["Child ID"]) for r in _csv_rows(_client(sen_manager).get("/reports/waiting.csv"))}
    assert ids == {with_sen.pk}
    assert without.pk not in ids
