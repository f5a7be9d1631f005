"""Issue 15, "Money: one computation, the same figure everywhere" (docs/adr/0012-money.md): a decision
records its weeks a year from the agreed option, as the package does, so a 38-week residential
decision is not counted as 52 weeks by the tracker, its exports, the letter, the minutes or the API.

Amelia's option (tests/referrals/test_journey_services.complete_referral) is £1,234.56 a week split
50/50: £617.28 each, so £23,456.64 a year each over 38 weeks (£46,913.28 in all), where 52 weeks
would say £32,098.56. The clock and meeting are tests/panels/conftest.py's (IRAP, 9 April 2026).
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
from decimal import Decimal

import openpyxl
import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from casework.cetr import cetr_record
from funding.models import FundingPackage, ProviderKind
from panels import selectors
from panels import services as panel_services
from panels.models import Decision
from panels.services.minutes import describe_cost, describe_shares, minutes_build_text
from panels.views.actions import EXPORT_COLUMNS
from referrals.models import Option
from tests.factories import attendance_for
from tests.panels.conftest import *  # noqa: F403  (the IRAP panel, its members, the clock, Amelia's item)
from tests.panels.conftest import MEETING_DAY, at
from tests.worlds import ON_IRAP_AGENDA, amelia_on_irap_agenda, stand_in_on_the_panels_clock

# Amelia's submitted referral on the IRAP meeting's agenda, with the panel and the people, built
# once for the module (tests/worlds.py): each test starts from it in its own savepoint.
stand_in_on_the_panels_clock(globals(), amelia_on_irap_agenda, ON_IRAP_AGENDA)


D = dt.date
P = Decimal
EACH_A_YEAR = P("23456.64")  # 617.28 x 38


@pytest.fixture
def term_time(item, clock, panel_chair, council_member, icb_member, second_icb_member, child, social_worker):
    """Amelia's item on the meeting day, everyone present, its option a 38-week residential school
    with her CETR held (seeds 003 supplementary recommendation 4)."""
    clock.move_to(at(MEETING_DAY, 14, 10), tick=False)
    attendance_for(item.meeting, panel_chair, council_member, icb_member, second_icb_member)
    Option.objects.filter(referral=item.referral).update(
        provider_kind=ProviderKind.RESIDENTIAL, weeks_per_year=38
    )
    cetr_record(
        actor=social_worker,
        child=child,
        referral=item.referral,
        held_on=D(2026, 2, 20),
        outcome="Residential school in term time",
        document="CETR report ref 2026-115",
    )
    return item


@pytest.fixture
def signed(term_time, panel_admin, panel_chair, hampshire) -> Decision:
    draft = panel_services.decision_record(
        actor=panel_admin,
        agenda_item=term_time,
        fields={
            "outcome": "agreed_as_recommended",
            "rationale": "A residential school in term time meets her needs.",
            "lead_agency": hampshire,
            "review_date": D(2026, 10, 9),
        },
    )
    return panel_services.decision_sign(actor=panel_chair, decision=draft)


def test_the_decision_records_the_options_weeks_and_the_package_takes_them(signed):
    assert signed.weeks_per_year == 38
    version = FundingPackage.objects.get(decision=signed).current_version
    assert version.weeks_per_year == 38
    assert [s.annual_amount for s in version.shares.all()] == [EACH_A_YEAR, EACH_A_YEAR]


def test_a_decision_not_agreeing_funding_counts_52_weeks(term_time, panel_admin):
    draft = panel_services.decision_record(
        actor=panel_admin,
        agenda_item=term_time,
        fields={"outcome": "deferred", "rationale": "Waiting for the school's offer."},
    )
    assert draft.weeks_per_year == 52


def test_a_correction_takes_the_weeks_of_the_option_it_agrees(signed, panel_admin):
    Option.objects.filter(referral=signed.referral).update(weeks_per_year=52)
    corrected = panel_services.decision_correct(
        actor=panel_admin, decision=signed, reason="The school now offers 52 weeks"
    )
    assert corrected.weeks_per_year == 52


def test_the_tracker_page_and_its_totals_count_38_weeks(signed, irap, panel_admin, hampshire, hiow_icb):
    client = Client()
    client.force_login(panel_admin)
    response = client.get(reverse("panels:tracker", args=[irap.pk]))
    [row] = response.context["rows"]
    assert [(line.per_period, line.weekly, line.annual, line.weeks_per_year) for line in row.lines] == [
        (P("617.28"), P("617.28"), EACH_A_YEAR, 38)
    ] * 2
    assert {t.agency_name: t.annual for t in response.context["totals"]} == {
        hampshire.name: EACH_A_YEAR,
        hiow_icb.name: EACH_A_YEAR,
    }
    assert "£23,456.64 a year of 38 weeks" in response.content.decode()


def test_the_tracker_exports_count_38_weeks(signed, irap, panel_admin):
    client = Client()
    client.force_login(panel_admin)
    text = client.get(reverse("panels:tracker_csv", args=[irap.pk])).getvalue().decode("utf-8-sig")
    lines = list(csv.DictReader(io.StringIO(text)))
    assert [(b["Weeks a year"], b["Annual (GBP)"]) for b in lines] == [("38", "23456.64")] * 2

    body = client.get(reverse("panels:tracker_xlsx", args=[irap.pk])).getvalue()
    sheet = openpyxl.load_workbook(io.BytesIO(body)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == EXPORT_COLUMNS
    first = dict(zip(EXPORT_COLUMNS, values[1], strict=True))
    assert first["Weeks a year"] == 38 and P(str(first["Annual (GBP)"])) == EACH_A_YEAR


def test_the_tracker_and_decision_apis_count_38_weeks(signed, irap, panel_admin):
    api = APIClient()
    api.force_authenticate(panel_admin)
    body = api.get(reverse("api-panel-tracker", args=[irap.pk])).json()
    assert [(b["weeks_per_year"], b["annual"]) for b in body["results"][0]["budget"]] == [
        (38, "23456.64")
    ] * 2
    assert [t["annual"] for t in body["totals"]] == ["23456.64"] * 2

    decision = api.get(reverse("api-decision", args=[signed.pk])).json()
    assert decision["weeks_per_year"] == 38
    assert [(s["amount"], s["weekly"], s["annual"]) for s in decision["shares"]] == [
        ("617.28", "617.28", "23456.64")
    ] * 2


def test_the_letter_and_minutes_say_the_year_over_38_weeks(signed, panel_admin):
    decision = Decision.objects.prefetch_related("shares__agency").get(pk=signed.pk)
    assert describe_cost(decision).endswith(", £46,913.28 a year (38 weeks)")
    assert all(line.endswith("(50%), £23,456.64 a year (38 weeks)") for line in describe_shares(decision))
    letter = panel_services.letter_prepare(actor=panel_admin, decision=signed)
    assert "£23,456.64 a year (38 weeks)" in letter.body
    assert "£46,913.28 a year (38 weeks)" in minutes_build_text(signed.agenda_item.meeting)


def test_the_migration_copies_the_options_weeks_onto_decisions_made_before(signed):
    """panels migration 0012: a decision recorded before it counted 52 weeks whatever its option."""
    Decision.objects.filter(pk=signed.pk).update(weeks_per_year=52)
    migration = importlib.import_module("panels.migrations.0012_decision_weeks_per_year")
    migration.copy_weeks_from_option(apps, None)
    signed.refresh_from_db()
    assert signed.weeks_per_year == 38
    rows = selectors.tracker_rows(
        selectors.tracker_referrals(user=signed.signed_by, panel=signed.agenda_item.meeting.panel)
    )
    assert rows[0].lines[0].annual == EACH_A_YEAR
