"""The tracker of referrals, decisions and budgets (seeds 002 section 4): its rows, filters and
totals to the penny, the CSV and XLSX exports read back, what other agencies' people must not see,
CSV injection, audit of downloads, query counts and the API."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import AgencyKind, AuditEvent
from panels.models import AgencyRecommendation, AgendaItem, Decision
from panels.views.actions import EXPORT_COLUMNS
from tests.factories import AgencyFactory, ChildFactory, MeetingFactory, tracker_referral_for

D = dt.date
P = Decimal


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def rows(
    irap,
    irap_meeting,
    next_meeting,
    child,
    another_child,
    council_only_child,
    social_worker,
    hampshire,
    hiow_icb,
):
    """Amelia (weekly, half each), Ben (monthly, a third and two thirds), Cara (council only),
    Amelia again (on the agenda, not decided), Ben again (a draft decision), and one withdrawn item."""
    made = {
        "amelia": tracker_referral_for(
            child=child,
            meeting=irap_meeting,
            referrer=social_worker,
            outcome="agreed_with_conditions",
            shares=[(hampshire, "743.20"), (hiow_icb, "743.20")],
            review_date=D(2026, 10, 8),
        ),
        "ben": tracker_referral_for(
            child=another_child,
            meeting=irap_meeting,
            referrer=social_worker,
            pathway="continuing_care",
            outcome="agreed_preferred_option",
            cost_period="monthly",
            shares=[(hampshire, "333.33"), (hiow_icb, "666.67")],
            position=2,
        ),
        "cara": tracker_referral_for(
            child=council_only_child,
            meeting=irap_meeting,
            referrer=social_worker,
            outcome="agreed_as_recommended",
            shares=[(hampshire, "500.00")],
            position=3,
        ),
        "amelia_again": tracker_referral_for(
            child=child, meeting=next_meeting, referrer=social_worker, status="on_agenda", urgency="urgent"
        ),
        "ben_draft": tracker_referral_for(
            child=another_child,
            meeting=next_meeting,
            referrer=social_worker,
            status="on_agenda",
            outcome="agreed_as_recommended",
            decision_status="draft",
            shares=[(hiow_icb, "100.00")],
            position=2,
        ),
    }
    withdrawn = tracker_referral_for(
        child=child, meeting=next_meeting, referrer=social_worker, status="submitted"
    )
    AgendaItem.objects.filter(referral=withdrawn).update(
        withdrawn_at=timezone.now(), withdrawn_reason="Moved"
    )
    return made


def totals_of(response) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
    return {t.agency_name: (t.weekly, t.annual, t.one_off) for t in response.context["totals"]}


def test_rows_show_the_current_decision_and_budgets(rows, irap, panel_admin, hampshire, hiow_icb):
    response = client_for(panel_admin).get(reverse("panels:tracker", args=[irap.pk]))
    assert response.status_code == 200
    listed = {row.referral.pk: row for row in response.context["rows"]}
    assert set(listed) == {r.pk for r in rows.values()}  # not the withdrawn item
    ben = listed[rows["ben"].pk]
    assert (ben.child_initials, ben.pathway_label, ben.outcome_label, ben.decision_status_label) == (
        "BL",
        "Continuing Care",
        "Agreed preferred option",
        "Signed",
    )
    assert [(line.agency_name, line.per_period, line.weekly, line.annual) for line in ben.lines] == [
        (hampshire.name, P("333.33"), P("76.92"), P("3999.96")),
        (hiow_icb.name, P("666.67"), P("153.85"), P("8000.04")),
    ]
    assert listed[rows["amelia_again"].pk].outcome_label == "Not decided yet"
    assert listed[rows["ben_draft"].pk].decision_status_label == "Draft"
    # latest meeting first
    assert [row.meeting_date for row in response.context["rows"]][:2] == [D(2026, 5, 14)] * 2


def test_totals_per_agency_to_the_penny(rows, irap, panel_admin, hampshire, hiow_icb):
    response = client_for(panel_admin).get(reverse("panels:tracker", args=[irap.pk]))
    # Signed decisions agreeing funding only (Ben's draft is not counted).
    assert totals_of(response) == {
        hampshire.name: (P("1320.12"), P("68646.36"), P("0.00")),
        hiow_icb.name: (P("897.05"), P("46646.44"), P("0.00")),
    }
    assert "£1,320.12" in response.content.decode()


def test_a_part_recommended_to_an_absent_agency_awaits_its_answer_and_a_declined_part_is_not_counted(
    rows, irap, panel_admin, hampshire, hiow_icb
):
    """seeds 002 line 392 with line 488: the ICB was absent when Amelia's and Ben's decisions were
    made, so its part of each was a recommendation to it. It has not answered for Amelia (her ICB
    half shows as awaiting its answer, counted apart from what it agreed) and declined for Ben (his
    ICB part is counted nowhere); the page says so, and the exports and API carry the same."""
    amelia = Decision.objects.get(referral=rows["amelia"])
    ben = Decision.objects.get(referral=rows["ben"])
    AgencyRecommendation.objects.create(decision=amelia, agency=hiow_icb, due_on=D(2026, 4, 14))
    AgencyRecommendation.objects.create(
        decision=ben, agency=hiow_icb, due_on=D(2026, 4, 14), status="declined", response_reason="Not ours"
    )
    client = client_for(panel_admin)
    response = client.get(reverse("panels:tracker", args=[irap.pk]))
    listed = {row.referral.pk: row for row in response.context["rows"]}
    assert [line.standing for line in listed[rows["amelia"].pk].lines] == ["agreed", "awaiting"]
    assert [line.standing for line in listed[rows["ben"].pk].lines] == ["agreed", "declined"]
    assert totals_of(response) == {
        hampshire.name: (P("1320.12"), P("68646.36"), P("0.00")),
        hiow_icb.name: (P("0.00"), P("0.00"), P("0.00")),
    }
    # The same fields in both tables: what awaits the ICB's answer, a week, a year and one-off.
    assert {t.agency_name: (t.weekly, t.annual, t.one_off) for t in response.context["awaiting_totals"]} == {
        hiow_icb.name: (P("743.20"), P("38646.40"), P("0.00"))
    }
    page = response.content.decode()
    assert "its part of a decision is only a recommendation to it" in page
    assert "Awaiting the agency's answer" in page and "Declined by the agency" in page

    lines = _csv_rows(client.get(reverse("panels:tracker_csv", args=[irap.pk])))
    answers = {
        (line["Referral ID"], line["Agency"]): line["Agency's answer"] for line in lines if line["Agency"]
    }
    assert answers[(str(rows["amelia"].pk), hiow_icb.name)] == "Awaiting the agency's answer"
    assert answers[(str(rows["ben"].pk), hiow_icb.name)] == "Declined by the agency"
    assert answers[(str(rows["ben"].pk), hampshire.name)] == "Agreed"

    body = APIClient()
    body.force_authenticate(panel_admin)
    data = body.get(reverse("api-panel-tracker", args=[irap.pk])).json()
    icb_total = next(t for t in data["totals"] if t["agency_name"] == hiow_icb.name)
    assert (icb_total["weekly"], icb_total["awaiting_weekly"]) == ("0.00", "743.20")
    standings = {
        (r["referral"], b["agency_name"]): b["standing"] for r in data["results"] for b in r["budget"]
    }
    assert standings[(rows["ben"].pk, hiow_icb.name)] == "declined"


def test_another_agency_sees_only_its_childrens_rows_and_totals(rows, irap, icb_member, hampshire, hiow_icb):
    response = client_for(icb_member).get(reverse("panels:tracker", args=[irap.pk]))
    listed = {row.referral.pk for row in response.context["rows"]}
    assert rows["cara"].pk not in listed and len(listed) == 4
    assert totals_of(response) == {
        hampshire.name: (P("820.12"), P("42646.36"), P("0.00")),
        hiow_icb.name: (P("897.05"), P("46646.44"), P("0.00")),
    }
    assert b"CL" not in response.content


def test_filters(rows, irap, panel_admin, hampshire, hiow_icb):
    client = client_for(panel_admin)
    url = reverse("panels:tracker", args=[irap.pk])

    def listed(**query):
        return {row.referral.pk for row in client.get(url, query).context["rows"]}

    assert listed(outcome="agreed_preferred_option") == {rows["ben"].pk}
    assert listed(outcome="none") == {rows["amelia_again"].pk}
    assert listed(pathway="continuing_care") == {rows["ben"].pk}
    assert listed(status="on_agenda") == {rows["amelia_again"].pk, rows["ben_draft"].pk}
    assert listed(agency=hiow_icb.pk) == {rows["amelia"].pk, rows["ben"].pk, rows["ben_draft"].pk}
    assert listed(meeting_from="1/5/2026") == {rows["amelia_again"].pk, rows["ben_draft"].pk}
    assert listed(meeting_to="30/4/2026") == {rows["amelia"].pk, rows["ben"].pk, rows["cara"].pk}
    response = client.get(url, {"agency": hiow_icb.pk})
    assert totals_of(response)[hampshire.name][0] == P("820.12")  # totals follow the filters
    bad = client.get(url, {"meeting_from": "1/5/2026", "meeting_to": "1/4/2026", "outcome": "lost"})
    assert bad.status_code == 400 and b"There is a problem" in bad.content


def test_filtering_by_an_agency_leaves_out_a_row_whose_share_it_declined(
    rows, irap, panel_admin, hampshire, hiow_icb
):
    """seeds 002 line 392: the ICB was absent for Amelia and Ben, so its part of each decision was a
    recommendation to it. It declined Ben's and has not answered Amelia's: filtered by the ICB, the
    tracker (page, CSV and API) lists Amelia's row (a share awaiting its answer is still its share)
    and not Ben's; filtered by the council, which decided at the meeting, Ben's row stays."""
    amelia = Decision.objects.get(referral=rows["amelia"])
    ben = Decision.objects.get(referral=rows["ben"])
    AgencyRecommendation.objects.create(decision=amelia, agency=hiow_icb, due_on=D(2026, 4, 14))
    AgencyRecommendation.objects.create(
        decision=ben, agency=hiow_icb, due_on=D(2026, 4, 14), status="declined", response_reason="Not ours"
    )
    client = client_for(panel_admin)
    for_icb = client.get(reverse("panels:tracker", args=[irap.pk]), {"agency": hiow_icb.pk})
    assert {row.referral.pk for row in for_icb.context["rows"]} == {rows["amelia"].pk, rows["ben_draft"].pk}
    for_council = client.get(reverse("panels:tracker", args=[irap.pk]), {"agency": hampshire.pk})
    assert rows["ben"].pk in {row.referral.pk for row in for_council.context["rows"]}
    exported = _csv_rows(client.get(reverse("panels:tracker_csv", args=[irap.pk]), {"agency": hiow_icb.pk}))
    assert {line["Referral ID"] for line in exported} == {str(rows["amelia"].pk), str(rows["ben_draft"].pk)}
    api = APIClient()
    api.force_authenticate(panel_admin)
    body = api.get(reverse("api-panel-tracker", args=[irap.pk]), {"agency": hiow_icb.pk}).json()
    assert {r["referral"] for r in body["results"]} == {rows["amelia"].pk, rows["ben_draft"].pk}


def _csv_rows(response) -> list[dict[str, str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="tracker-')
    return list(csv.DictReader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def test_csv_export_has_the_documented_columns_and_exact_money(rows, irap, panel_admin, hampshire):
    response = client_for(panel_admin).get(reverse("panels:tracker_csv", args=[irap.pk]))
    lines = _csv_rows(response)
    header = list(lines[0])  # a DictReader row's keys are the heading, in order (streamed: read once)
    assert tuple(header) == EXPORT_COLUMNS
    ben = [line for line in lines if line["Referral ID"] == str(rows["ben"].pk)]
    assert [
        (b["Agency"], b["Cost period"], b["Amount per period (GBP)"], b["Weekly (GBP)"], b["Annual (GBP)"])
        for b in ben
    ] == [
        (hampshire.name, "a month", "333.33", "76.92", "3999.96"),
        ("NHS Hampshire and Isle of Wight ICB", "a month", "666.67", "153.85", "8000.04"),
    ]
    assert ben[0]["Meeting date"] == "2026-04-09" and ben[0]["Decision status"] == "Signed"
    undecided = [line for line in lines if line["Referral ID"] == str(rows["amelia_again"].pk)]
    assert len(undecided) == 1 and undecided[0]["Agency"] == "" and undecided[0]["Weekly (GBP)"] == ""
    assert {line["Referral ID"] for line in lines} == {str(r.pk) for r in rows.values()}
    event = AuditEvent.objects.get(action="tracker.exported")
    assert event.actor == panel_admin and event.changes["format"] == [None, "csv"]
    assert sorted(event.changes["referrals"][1]) == sorted(r.pk for r in rows.values())


def test_exports_leave_out_what_the_person_may_not_see(rows, irap, icb_member, outsider):
    client = client_for(icb_member)
    ids = {
        line["Referral ID"] for line in _csv_rows(client.get(reverse("panels:tracker_csv", args=[irap.pk])))
    }
    assert str(rows["cara"].pk) not in ids and len(ids) == 4
    book = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("panels:tracker_xlsx", args=[irap.pk])).getvalue())
    )
    xlsx_ids = {row[0] for row in book["Tracker"].iter_rows(min_row=2, values_only=True)}
    assert rows["cara"].pk not in xlsx_ids and len(xlsx_ids) == 4
    outsider_client = client_for(outsider)
    for name in ("panels:tracker", "panels:tracker_csv", "panels:tracker_xlsx"):
        assert outsider_client.get(reverse(name, args=[irap.pk])).status_code == 404
    assert not AuditEvent.objects.filter(action="tracker.exported", actor=outsider).exists()


def test_xlsx_export_reads_back_with_numbers_and_dates(rows, irap, panel_admin, hampshire):
    response = client_for(panel_admin).get(
        reverse("panels:tracker_xlsx", args=[irap.pk]), {"pathway": "continuing_care"}
    )
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.getvalue()))["Tracker"]
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == EXPORT_COLUMNS
    assert len(values) == 3  # Ben's two shares only: the filter applies to the export
    first = dict(zip(EXPORT_COLUMNS, values[1], strict=True))
    assert first["Referral ID"] == rows["ben"].pk
    assert first["Meeting date"].date() == D(2026, 4, 9)
    assert Decimal(str(first["Annual (GBP)"])) == P("3999.96")
    assert Decimal(str(first["Weekly (GBP)"])) == P("76.92")
    cells = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert cells[EXPORT_COLUMNS.index("Weekly (GBP)")].number_format == "0.00"
    assert AuditEvent.objects.get(action="tracker.exported").changes["filters"] == [
        None,
        {"pathway": "continuing_care"},
    ]


def test_cells_that_would_run_as_formulas_are_defused(
    irap, irap_meeting, hampshire, social_worker, panel_admin
):
    evil = ChildFactory(
        given_name="=cmd", family_name="@sum", owning_agency=hampshire, created_by=social_worker
    )
    sneaky = AgencyFactory(name="+44 Health Trust", kind=AgencyKind.OTHER, partnership=hampshire.partnership)
    minus = AgencyFactory(name="-1 Care Ltd", kind=AgencyKind.OTHER, partnership=hampshire.partnership)
    tracker_referral_for(
        child=evil,
        meeting=irap_meeting,
        referrer=social_worker,
        outcome="agreed_as_recommended",
        shares=[(sneaky, "10.00"), (minus, "20.00")],
    )
    client = client_for(panel_admin)
    lines = _csv_rows(client.get(reverse("panels:tracker_csv", args=[irap.pk])))
    assert {line["Child initials"] for line in lines} == {"'=@"}
    assert [line["Agency"] for line in lines] == ["'+44 Health Trust", "'-1 Care Ltd"]
    sheet = openpyxl.load_workbook(
        io.BytesIO(client.get(reverse("panels:tracker_xlsx", args=[irap.pk])).getvalue())
    )["Tracker"]
    row = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    initials = row[EXPORT_COLUMNS.index("Child initials")]
    assert initials.value == "'=@" and initials.data_type == "s"
    assert row[EXPORT_COLUMNS.index("Agency")].value == "'+44 Health Trust"


@pytest.fixture
def many_rows(irap, hampshire, hiow_icb, social_worker):
    """30 decided referrals at five meetings, each split between the council and the ICB."""
    meetings = [MeetingFactory(panel=irap, date=D(2026, 4, 9) + dt.timedelta(weeks=4 * n)) for n in range(5)]
    for n in range(30):
        kid = ChildFactory(owning_agency=hampshire, created_by=social_worker, involved=[hiow_icb])
        tracker_referral_for(
            child=kid,
            meeting=meetings[n % 5],
            referrer=social_worker,
            outcome="agreed_with_conditions",
            cost_period=["weekly", "monthly", "annual", "one_off"][n % 4],
            shares=[(hampshire, f"{100 + n}.10"), (hiow_icb, f"{200 + n}.05")],
            position=n // 5 + 1,
        )


def test_tracker_page_query_count_is_flat(many_rows, irap, panel_admin, django_assert_max_num_queries):
    client = client_for(panel_admin)
    # session, user, savepoint, panel (access), count, one page of referrals with child, meeting
    # date and current decision (subqueries), the page's decisions with lead agency, their shares
    # with agency (one query), the totals' shares for every filtered row (one query), the agencies
    # for the filter, the header's unread-notices count, the one read-log insert (issue 12), release,
    # session save (savepoint, update, release): 16, none per row
    with django_assert_max_num_queries(16):
        response = client.get(reverse("panels:tracker", args=[irap.pk]))
    assert len(response.context["rows"]) == 25 and response.context["page"].paginator.count == 30


@pytest.mark.parametrize("name", ["panels:tracker_csv", "panels:tracker_xlsx"])
def test_export_query_count_is_flat(many_rows, irap, panel_admin, django_assert_max_num_queries, name):
    client = client_for(panel_admin)
    # session, user, savepoint, panel (access), the filtered referrals' ids (for the audit and read
    # log), the audit event (in the service's savepoint and release), the one read-log insert
    # (issue 12), release, session save (savepoint, update, release); then, read as it streams,
    # every filtered referral with child, meeting date and current decision (a server-side cursor),
    # their decisions with lead agency, their shares with agency (both per chunk of 500): 16, none
    # per row
    with django_assert_max_num_queries(16):
        response = client.get(reverse(name, args=[irap.pk]))
        body = response.getvalue()
    assert response.status_code == 200 and response.streaming
    if name == "panels:tracker_csv":
        assert body.startswith(b"\xef\xbb\xbfReferral ID,") and body.count(b"\r\n") == 1 + 30 * 2


def test_the_csv_export_is_sent_as_it_is_made(many_rows, irap, panel_admin, monkeypatch):
    """Rows go out a few hundred at a time from a server-side cursor, EXPORT_CHUNK referrals a chunk:
    the same rows, in the same order, as one chunk."""
    from panels.selectors import actions as selectors

    client = client_for(panel_admin)
    whole = client.get(reverse("panels:tracker_csv", args=[irap.pk])).getvalue()
    monkeypatch.setattr(selectors, "EXPORT_CHUNK", 7)
    response = client.get(reverse("panels:tracker_csv", args=[irap.pk]))
    assert response.streaming and not hasattr(response, "content")
    assert b"".join(response.streaming_content) == whole


NONE_AWAITING = {"awaiting_weekly": "0.00", "awaiting_annual": "0.00", "awaiting_one_off": "0.00"}


def test_api_tracker_rows_filters_and_totals(rows, irap, icb_member, hampshire, hiow_icb, outsider):
    api = APIClient()
    api.force_authenticate(icb_member)
    url = reverse("api-panel-tracker", args=[irap.pk])
    body = api.get(url).json()
    assert body["count"] == 4
    assert {r["referral"] for r in body["results"]} == {
        rows["amelia"].pk,
        rows["ben"].pk,
        rows["amelia_again"].pk,
        rows["ben_draft"].pk,
    }
    assert body["totals"] == [
        {
            "agency_name": hampshire.name,
            "weekly": "820.12",
            "annual": "42646.36",
            "one_off": "0.00",
            **NONE_AWAITING,
        },
        {
            "agency_name": hiow_icb.name,
            "weekly": "897.05",
            "annual": "46646.44",
            "one_off": "0.00",
            **NONE_AWAITING,
        },
    ]
    ben = api.get(url, {"pathway": "continuing_care"}).json()["results"][0]
    assert ben["decision"]["outcome"] == "agreed_preferred_option"
    assert ben["budget"][0] == {
        "agency_id": hampshire.pk,
        "agency_name": hampshire.name,
        "period": "monthly",
        "weeks_per_year": 52,
        "per_period": "333.33",
        "weekly": "76.92",
        "annual": "3999.96",
        "standing": "agreed",
    }
    bad = api.get(url, {"outcome": "lost", "meeting_from": "2026-05-01", "meeting_to": "2026-04-01"})
    assert bad.status_code == 400 and set(bad.json()) == {"outcome"}
    assert api.get(url, {"meeting_from": "2026-05-01", "meeting_to": "2026-04-01"}).status_code == 400
    api.force_authenticate(outsider)
    assert api.get(url).status_code == 404


def test_api_tracker_query_count_is_flat(many_rows, irap, panel_admin, django_assert_max_num_queries):
    api = APIClient()
    api.force_authenticate(panel_admin)
    # savepoint, panel (access), count, one page of referrals, their decisions, their shares, the
    # totals' shares, the one read-log insert (issue 12), release: 9, none per row
    with django_assert_max_num_queries(9):
        response = api.get(reverse("api-panel-tracker", args=[irap.pk]))
    assert len(response.json()["results"]) == 25
