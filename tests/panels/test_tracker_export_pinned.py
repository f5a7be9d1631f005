"""The tracker's CSV and XLSX exports (panels, seeds 002 section 4) pinned on a fixed world (issue 18):
the CSV's bytes exactly and the XLSX's cell values, number formats and types read back with
openpyxl, so moving them onto the shared kit (casework.exports) changes nothing a finance team
or an importer sees. Referral ids come from the database's sequence, so they stand as <name>."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.test import Client
from django.urls import reverse

from casework.models import AgencyKind
from panels.models import Decision
from panels.views.actions import EXPORT_COLUMNS
from tests.factories import AgencyFactory, ChildFactory, tracker_referral_for

D = dt.date
HCC = "Hampshire County Council Children's Services"
ICB = "NHS Hampshire and Isle of Wight ICB"


@pytest.fixture
def world(
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
    """Amelia (weekly, half each, a review date, the council leading), Ben (monthly, a third and two
    thirds), Cara (a one-off cost), Cara again (term time, 38 weeks), Amelia again (not decided) and
    Ben again (a draft decision)."""
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
            cost_period="one_off",
            shares=[(hampshire, "1250.5")],
            position=3,
        ),
        "term": tracker_referral_for(
            child=council_only_child,
            meeting=next_meeting,
            referrer=social_worker,
            outcome="agreed_as_recommended",
            weeks_per_year=38,
            shares=[(hampshire, "1000.00")],
            position=3,
            review_date=D(2027, 1, 4),
        ),
        "undecided": tracker_referral_for(
            child=child, meeting=next_meeting, referrer=social_worker, status="on_agenda", urgency="urgent"
        ),
        "draft": tracker_referral_for(
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
    Decision.objects.filter(referral=made["amelia"]).update(lead_agency=hampshire)
    return made


def _get(user, name: str, irap) -> bytes:
    client = Client()
    client.force_login(user)
    response = client.get(reverse(name, args=[irap.pk]))
    assert response.status_code == 200 and response.streaming
    return b"".join(response.streaming_content)


def read_back(body: bytes):
    book = openpyxl.load_workbook(io.BytesIO(body))
    return book.sheetnames, [
        [(cell.value, cell.number_format, cell.data_type) for cell in row]
        for row in book["Tracker"].iter_rows()
    ]


CSV = (
    "\ufeffReferral ID,Child initials,Pathway,Urgency,Referral status,Meeting date,Outcome,Decision status,"
    "Review date,Lead agency,Agency,Cost period,Weeks a year,Amount per period (GBP),Weekly (GBP),"
    "Annual (GBP),Agency's answer\r\n"
    f"<draft>,BL,Joint package or placement,Routine,On agenda,2026-05-14,Agreed as recommended,Draft,,,"
    f"{ICB},a week,52,100.00,100.00,5200.00,Agreed\r\n"
    "<undecided>,AH,Joint package or placement,Urgent,On agenda,2026-05-14,Not decided yet,,,,,,,,,,\r\n"
    "<term>,CL,Joint package or placement,Routine,Decided,2026-05-14,Agreed as recommended,Signed,"
    f"2027-01-04,,{HCC},a week,38,1000.00,1000.00,38000.00,Agreed\r\n"
    "<cara>,CL,Joint package or placement,Routine,Decided,2026-04-09,Agreed as recommended,Signed,,,"
    f"{HCC},one-off,,1250.50,,,Agreed\r\n"
    "<ben>,BL,Continuing Care,Routine,Decided,2026-04-09,Agreed preferred option,Signed,,,"
    f"{HCC},a month,52,333.33,76.92,3999.96,Agreed\r\n"
    "<ben>,BL,Continuing Care,Routine,Decided,2026-04-09,Agreed preferred option,Signed,,,"
    f"{ICB},a month,52,666.67,153.85,8000.04,Agreed\r\n"
    "<amelia>,AH,Joint package or placement,Routine,Decided,2026-04-09,Agreed with conditions,Signed,"
    f"2026-10-08,{HCC},{HCC},a week,52,743.20,743.20,38646.40,Agreed\r\n"
    "<amelia>,AH,Joint package or placement,Routine,Decided,2026-04-09,Agreed with conditions,Signed,"
    f"2026-10-08,{HCC},{ICB},a week,52,743.20,743.20,38646.40,Agreed\r\n"
)


def test_the_csv_is_pinned(world, irap, panel_admin):
    body = _get(panel_admin, "panels:tracker_csv", irap).decode()
    for name, referral in world.items():
        body = body.replace(f"\r\n{referral.pk},", f"\r\n<{name}>,")
    assert body == CSV


G, DAY, GBP = "General", "dd/mm/yyyy", "0.00"
BLANK = (None, G, "inlineStr")  # a text cell with nothing in it


def _row(ref, texts, meeting, outcome, review, lead, agency, period, weeks, money, answer):
    """One expected XLSX row: `texts` are initials, pathway, urgency and referral status."""

    def text(value):
        return (value, G, "s") if value else BLANK

    return [
        (ref, G, "n"),
        *(text(value) for value in texts),
        (dt.datetime.combine(meeting, dt.time()), DAY, "d"),
        *(text(value) for value in outcome),
        (dt.datetime.combine(review, dt.time()), DAY, "d") if review else (None, DAY, "n"),
        text(lead),
        text(agency),
        text(period),
        (weeks, G, "n"),
        *((amount, GBP, "n") for amount in money),
        text(answer),
    ]


def test_the_xlsx_is_pinned(world, irap, panel_admin):
    names, rows = read_back(_get(panel_admin, "panels:tracker_xlsx", irap))
    assert names == ["Tracker"]
    ids = {referral.pk: name for name, referral in world.items()}
    rows[1:] = [[(ids[row[0][0]], *row[0][1:]), *row[1:]] for row in rows[1:]]
    jp, cc, routine = "Joint package or placement", "Continuing Care", "Routine"
    decided, signed = ("Decided",), "Signed"
    assert rows == [
        [(heading, G, "s") for heading in EXPORT_COLUMNS],
        _row(
            "draft",
            ("BL", jp, routine, "On agenda"),
            D(2026, 5, 14),
            ("Agreed as recommended", "Draft"),
            None,
            "",
            ICB,
            "a week",
            52,
            (100, 100, 5200),
            "Agreed",
        ),
        _row(
            "undecided",
            ("AH", jp, "Urgent", "On agenda"),
            D(2026, 5, 14),
            ("Not decided yet", ""),
            None,
            "",
            "",
            "",
            None,
            (None, None, None),
            "",
        ),
        _row(
            "term",
            ("CL", jp, routine, *decided),
            D(2026, 5, 14),
            ("Agreed as recommended", signed),
            D(2027, 1, 4),
            "",
            HCC,
            "a week",
            38,
            (1000, 1000, 38000),
            "Agreed",
        ),
        _row(
            "cara",
            ("CL", jp, routine, *decided),
            D(2026, 4, 9),
            ("Agreed as recommended", signed),
            None,
            "",
            HCC,
            "one-off",
            None,
            (1250.5, None, None),
            "Agreed",
        ),
        _row(
            "ben",
            ("BL", cc, routine, *decided),
            D(2026, 4, 9),
            ("Agreed preferred option", signed),
            None,
            "",
            HCC,
            "a month",
            52,
            (333.33, 76.92, 3999.96),
            "Agreed",
        ),
        _row(
            "ben",
            ("BL", cc, routine, *decided),
            D(2026, 4, 9),
            ("Agreed preferred option", signed),
            None,
            "",
            ICB,
            "a month",
            52,
            (666.67, 153.85, 8000.04),
            "Agreed",
        ),
        *(
            _row(
                "amelia",
                ("AH", jp, routine, *decided),
                D(2026, 4, 9),
                ("Agreed with conditions", signed),
                D(2026, 10, 8),
                HCC,
                agency,
                "a week",
                52,
                (743.2, 743.2, 38646.4),
                "Agreed",
            )
            for agency in (HCC, ICB)
        ),
    ]


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_text_that_would_run_as_a_formula_is_neutralised(
    start, irap, irap_meeting, hampshire, social_worker, panel_admin
):
    """Every text column (the initials and the agencies' names here) in both files."""
    evil = ChildFactory(
        given_name=f"{start}cmd", family_name="Hart", owning_agency=hampshire, created_by=social_worker
    )
    agency = AgencyFactory(
        name=f"{start}HYPERLINK(1) Care", kind=AgencyKind.OTHER, partnership=hampshire.partnership
    )
    referral = tracker_referral_for(
        child=evil,
        meeting=irap_meeting,
        referrer=social_worker,
        outcome="agreed_as_recommended",
        shares=[(agency, "10.00")],
    )
    Decision.objects.filter(referral=referral).update(lead_agency=agency)
    initials = f"{evil.initials}"
    assert initials.startswith(start)
    lines = _get(panel_admin, "panels:tracker_csv", irap).decode("utf-8-sig").split("\r\n")
    name = f"{start}HYPERLINK(1) Care"
    csv_cell = f'"\'{name}"' if start == "\r" else f"'{name}"
    csv_initials = f'"\'{initials}"' if start == "\r" else f"'{initials}"
    assert lines[1].split(",")[:2] == [str(referral.pk), csv_initials]
    assert lines[1].split(",")[9:11] == [csv_cell, csv_cell]
    read = "\n" if start == "\r" else start
    _, rows = read_back(_get(panel_admin, "panels:tracker_xlsx", irap))
    cells = dict(zip(EXPORT_COLUMNS, rows[1], strict=True))
    assert cells["Child initials"] == ("'" + initials.replace("\r", "\n"), G, "s")
    assert cells["Lead agency"] == cells["Agency"] == (f"'{read}HYPERLINK(1) Care", G, "s")
