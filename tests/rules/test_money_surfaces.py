"""Issue 15, "Money: one computation, the same figure everywhere" (docs/adr/0012-money.md), through
the real surfaces: for random splits (percentages or amounts, the council's line anywhere in the
order), periods, weeks a year, start and end dates across leap years and financial years, and a
variation or none, every figure a page, export or API answer shows is casework.money's, and every
total adds up to the penny:

- the funding package page (its matrix: per period, weekly, annual, each financial year, and the
  totals) and the package API;
- commitments by financial year: the page, the CSV and XLSX exports read back (csv, openpyxl) and
  the API, for an agreed package (its line, the year's total, to date) or one awaiting approval;
- the decision tracker: its page, its totals, the CSV and XLSX exports read back and the API.

The expected figures are worked out here from casework.money alone (split_amounts, share_equivalents,
year_worth, amount_in_financial_year, allocate_over_years), never from the code under test. Each
example runs in a transaction rolled back at its end; the clock is Monday 2 March 2026
(tests/panels/conftest.py). Bounded (a few examples each) so the module stays well under 40 s.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from casework import money
from casework.models import Involvement
from casework.money import CostPeriod, SplitLine
from funding import services as funding_services
from funding.models import FundingPackage, ShareLine
from panels.views.actions import EXPORT_COLUMNS
from tests.factories import tracker_referral_for
from tests.funding.conftest import *  # noqa: F403  (agencies, people, provider, the clock)

D = dt.date
ZERO = money.ZERO
TODAY = D(2026, 3, 2)
SURFACES = settings(
    max_examples=5, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

costs = st.integers(min_value=1, max_value=5 * 10**6).map(lambda n: Decimal(n) / 100)
periods = st.sampled_from(CostPeriod.values)
weeks = st.sampled_from([38, 52])
# 2023-24 to 2028-29: the leap days of 2024 and 2028 fall inside.
starts = st.dates(min_value=D(2023, 4, 1), max_value=D(2029, 3, 31))
lengths = st.none() | st.integers(min_value=1, max_value=3 * 366)


@st.composite
def splits(draw, cost: Decimal, agencies: list[int] | None = None) -> tuple[list[int], str, list[Decimal]]:
    """(the order of the agencies 0, 1, 2 on the lines, 2 or 3 of them with 0 always there, or the
    `agencies` given in any order; the basis; each line's value): percentages to 2 dp adding up to
    100, or amounts adding up to the cost."""
    if agencies is None:
        n = draw(st.integers(min_value=2, max_value=3))
        agencies = [0, *draw(st.permutations([1, 2]))[: n - 1]]
    order = draw(st.permutations(agencies))
    n = len(order)
    basis = draw(st.sampled_from(["percentage", "amount"]))
    whole = 10000 if basis == "percentage" else int(cost * 100)
    cuts = sorted(draw(st.lists(st.integers(0, whole), min_size=n - 1, max_size=n - 1)))
    bounds = [0, *cuts, whole]
    return order, basis, [Decimal(bounds[i + 1] - bounds[i]) / 100 for i in range(n)]


@st.composite
def package_terms(draw) -> dict:
    cost = draw(costs)
    period = draw(periods)
    start = draw(starts)
    length = draw(lengths)
    order, basis, values = draw(splits(cost))
    terms = {
        "cost": cost,
        "period": period,
        "weeks": draw(weeks),
        "starts_on": start,
        "ends_on": None if length is None else start + dt.timedelta(days=length - 1),
        "order": order,
        "basis": basis,
        "values": values,
    }
    # A variation from a day after the start (and within the package), or none.
    if draw(st.booleans()) and (length is None or length > 1):
        after = draw(st.integers(min_value=1, max_value=(length or 400) - 1))
        cost_b = draw(costs.filter(lambda c: c != cost))  # a variation changes something
        # The same agencies in another order, or any two or three of them: an agency may stop paying
        # (the council too), and the matrix and the commitments still count the years it paid.
        agencies_b = draw(
            st.just(sorted(order)) | st.permutations([0, 1, 2]).flatmap(lambda p: st.sampled_from([p[:2], p]))
        )
        order_b, basis_b, values_b = draw(splits(cost_b, list(agencies_b)))
        terms["variation"] = {
            "effective_from": start + dt.timedelta(days=after),
            "cost": cost_b,
            "period": draw(periods),
            "weeks": draw(weeks),
            "order": order_b,
            "basis": basis_b,
            "values": values_b,
        }
    return terms


def _rolled_back(run) -> None:
    """Run one example in a transaction that is rolled back, so examples never see each other."""
    with transaction.atomic():
        run()
        transaction.set_rollback(True)


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _api(user) -> APIClient:
    api = APIClient()
    api.force_authenticate(user)
    return api


def _decimal(cell: object) -> Decimal | None:
    """A money cell read back from a CSV or XLSX file."""
    if cell in (None, ""):
        return None
    return Decimal(str(cell)).quantize(money.PENNY)


# --- What casework.money says, worked out from the terms alone ------------------------------------


def _amounts(cost: Decimal, basis: str, values: list[Decimal]) -> list[Decimal]:
    lines = [SplitLine(agency_id=i, basis=basis, value=v) for i, v in enumerate(values)]
    return money.split_amounts(cost, lines)


def _windows(spec: dict, *, until: dt.date | None = None) -> list[tuple[dict, dt.date, dt.date | None]]:
    """Each version's terms and the days it is in force (to `until` at most)."""
    first = {k: spec[k] for k in ("cost", "period", "weeks", "order", "basis", "values")}
    variation = spec.get("variation")
    out = []
    if variation is None:
        out.append((first, spec["starts_on"], spec["ends_on"]))
    else:
        out.append((first, spec["starts_on"], variation["effective_from"] - dt.timedelta(days=1)))
        out.append((variation, variation["effective_from"], spec["ends_on"]))
    if until is not None:
        out = [(v, s, until if e is None else min(e, until)) for v, s, e in out]
    return [(v, s, e) for v, s, e in out if e is None or e >= s]


def _year_by_agency(spec: dict, year: int, *, until: dt.date | None = None) -> dict[int, Decimal]:
    """Per agency (0, 1, 2), its amount in one financial year: each version's years from its first,
    split cumulatively by its amounts (allocate_over_years), summed over the versions."""
    out: dict[int, Decimal] = {}
    for v, start, end in _windows(spec, until=until):
        first = money.financial_year_of(start)
        if year < first:
            continue
        totals = [
            money.amount_in_financial_year(
                cost=v["cost"],
                period=v["period"],
                weeks_per_year=v["weeks"],
                starts_on=start,
                ends_on=end,
                year=y,
            )
            for y in range(first, year + 1)
        ]
        parts = money.allocate_over_years(totals, _amounts(v["cost"], v["basis"], v["values"]))[-1]
        for agency, part in zip(v["order"], parts, strict=True):
            out[agency] = out.get(agency, ZERO) + part
    return out


def _years_shown(spec: dict) -> list[int]:
    """The financial years the package page shows: from the first to the last it runs in (an open
    package: to the year after this one), at most ten."""
    windows = _windows(spec)
    first = money.financial_year_of(windows[0][1])
    end = windows[-1][2]
    last = money.financial_year_of(end) if end else max(first, money.financial_year_of(TODAY)) + 1
    return list(range(first, min(last, first + 9) + 1))


# --- Making the package through the services ------------------------------------------------------


def _package_terms(v: dict, spec: dict, provider, agencies) -> funding_services.PackageTerms:
    return funding_services.PackageTerms(
        provider=provider,
        service_description="Support at home and in school",
        cost=v["cost"],
        cost_period=v["period"],
        starts_on=spec["starts_on"],
        ends_on=spec["ends_on"],
        weeks_per_year=v["weeks"],
        lines=[
            SplitLine(agency_id=agencies[a].pk, basis=v["basis"], value=value)
            for a, value in zip(v["order"], v["values"], strict=True)
        ],
    )


def _make_package(spec: dict, *, actor, child, provider, agencies, agreed: bool) -> FundingPackage:
    package = funding_services.package_create_existing(
        actor=actor,
        child=child,
        pathway="joint_package",
        terms=_package_terms(spec, spec, provider, agencies),
    )
    if "variation" in spec:
        package = funding_services.package_vary(
            actor=actor,
            package=package,
            expected_version=package.version_number,
            effective_from=spec["variation"]["effective_from"],
            terms=_package_terms(spec["variation"], spec, provider, agencies),
            change_reason="The placement's cost changed",
            backdating_reason="Agreed after the date",
        )
    if agreed:
        # Approvals are not what is under test here: every share approved, the package agreed.
        ShareLine.objects.filter(package=package).update(
            status="approved", decided_by=actor, decided_at=timezone.now()
        )
        FundingPackage.objects.filter(pk=package.pk).update(status="agreed")
    return FundingPackage.objects.get(pk=package.pk)


@pytest.fixture
def payers(clock, hampshire, hiow_icb, hampshire_sen, child, social_worker):
    """The three agencies that may pay (council social care, ICB, council SEN), all involved with
    Amelia."""
    Involvement.objects.create(child=child, agency=hampshire_sen, role="other", added_by=social_worker)
    return [hampshire, hiow_icb, hampshire_sen]


# --- The funding package page and its API ---------------------------------------------------------


P = Decimal
# Always tried: an agency (2) that stops paying at a variation, and a 38-week placement over the
# leap day of 2028, split by amounts.
STOPS_PAYING = {
    "cost": P("1000.00"),
    "period": "weekly",
    "weeks": 52,
    "starts_on": D(2025, 4, 1),
    "ends_on": D(2027, 3, 31),
    "order": [0, 2, 1],
    "basis": "percentage",
    "values": [P("33.33"), P("33.33"), P("33.34")],
    "variation": {
        "effective_from": D(2026, 1, 1),
        "cost": P("1200.01"),
        "period": "weekly",
        "weeks": 52,
        "order": [1, 0],
        "basis": "percentage",
        "values": [P("50"), P("50")],
    },
}
COUNCIL_STOPS = {
    **STOPS_PAYING,
    "order": [0, 1],
    "values": [P("60"), P("40")],
    "variation": {**STOPS_PAYING["variation"], "order": [2, 1]},
}
OVER_THE_LEAP_DAY = {
    "cost": P("999.99"),
    "period": "weekly",
    "weeks": 38,
    "starts_on": D(2027, 12, 15),
    "ends_on": D(2028, 4, 10),
    "order": [1, 0],
    "basis": "amount",
    "values": [P("333.33"), P("666.66")],
}


@SURFACES
@given(spec=package_terms())
@example(spec=STOPS_PAYING)
@example(spec=COUNCIL_STOPS)
@example(spec=OVER_THE_LEAP_DAY)
def test_the_package_page_and_api_show_the_modules_figures_and_add_up(
    spec, payers, child, council_finance, provider
):
    def run():
        package = _make_package(
            spec, actor=council_finance, child=child, provider=provider, agencies=payers, agreed=False
        )
        current = spec.get("variation", spec)
        amounts = _amounts(current["cost"], current["basis"], current["values"])
        equivalents = money.share_equivalents(amounts, current["period"], current["weeks"])
        yearly = [money.year_worth(a, current["period"], current["weeks"]) for a in amounts]
        years = _years_shown(spec)
        by_year = {y: _year_by_agency(spec, y) for y in years}

        response = _client(council_finance).get(reverse("funding:detail", args=[package.pk]))
        assert response.status_code == 200
        matrix = response.context["matrix"]
        page = response.content.decode()
        # The current version's payers, then any agency that paid only under the first version and
        # has money in the years shown.
        former = [
            a
            for a in spec["order"]
            if a not in current["order"] and any(by_year[y].get(a, ZERO) for y in years)
        ]
        assert [row.share.agency_id for row in matrix.rows] == [
            payers[a].pk for a in [*current["order"], *former]
        ]
        now, before = matrix.rows[: len(amounts)], matrix.rows[len(amounts) :]
        assert [row.per_period for row in now] == amounts
        assert [row.weekly for row in now] == [w for w, _ in equivalents]
        assert [row.annual for row in now] == yearly
        assert [(row.per_period, row.paid_until_version) for row in before] == [(None, 1)] * len(former)
        assert matrix.years == [money.financial_year_label(y) for y in years]
        for row, agency in zip(matrix.rows, [*current["order"], *former], strict=True):
            assert row.years == [by_year[y].get(agency, ZERO) for y in years]
            for figure in [row.per_period, row.annual, *row.years]:
                if figure is not None:
                    assert money.format_money(figure) in page
        # Every column adds up to its total, to the penny.
        assert sum(amounts, ZERO) == matrix.total_per_period == current["cost"]
        assert matrix.total_annual == money.year_worth(current["cost"], current["period"], current["weeks"])
        if current["period"] != CostPeriod.ONE_OFF:
            assert sum(yearly, ZERO) == matrix.total_annual
            assert sum((w for w, _ in equivalents), ZERO) == matrix.total_weekly
        for i, year in enumerate(years):
            assert sum((row.years[i] for row in matrix.rows), ZERO) == matrix.total_years[i]
            assert matrix.total_years[i] == sum(by_year[year].values(), ZERO)
            assert money.format_money(matrix.total_years[i]) in page

        body = _api(council_finance).get(reverse("api-funding-package", args=[package.pk])).json()
        assert [Decimal(s["amount"]) for s in body["shares"]] == amounts
        assert [Decimal(s["annual_amount"]) for s in body["shares"]] == yearly
        assert Decimal(body["current"]["cost"]) == current["cost"]
        assert body["current"]["weeks_per_year"] == current["weeks"]

    _rolled_back(run)


# --- Commitments by financial year: page, CSV, XLSX, API ------------------------------------------


@SURFACES
@given(spec=package_terms(), agreed=st.booleans(), year_offset=st.integers(min_value=0, max_value=3))
@example(spec=COUNCIL_STOPS, agreed=True, year_offset=0)
@example(spec=OVER_THE_LEAP_DAY, agreed=True, year_offset=0)
def test_commitments_page_exports_and_api_show_the_modules_figures_and_add_up(
    spec, agreed, year_offset, payers, child, council_finance, provider
):
    def run():
        package = _make_package(
            spec, actor=council_finance, child=child, provider=provider, agencies=payers, agreed=agreed
        )
        year = money.financial_year_of(spec["starts_on"]) + year_offset
        lo, hi = money.financial_year_bounds(year)
        expected = _year_by_agency(spec, year).get(0, ZERO)
        to_date = _year_by_agency(spec, year, until=min(TODAY, hi)).get(0, ZERO) if TODAY >= lo else ZERO
        # The council's share in the current version, or in the first when it stopped paying.
        held = next(v for v in (spec.get("variation"), spec) if v is not None and 0 in v["order"])
        amounts = _amounts(held["cost"], held["basis"], held["values"])
        mine = held["order"].index(0)
        weekly, _ = money.share_equivalents(amounts, held["period"], held["weeks"])[mine]
        yearly = money.year_worth(amounts[mine], held["period"], held["weeks"])
        listed = agreed and expected != 0

        client = _client(council_finance)
        response = client.get(reverse("funding:commitments"), {"year": year})
        assert response.status_code == 200
        c = response.context["c"]
        page = response.content.decode()
        assert c.label == money.financial_year_label(year)
        if listed:
            [line] = c.lines
            assert line.package.pk == package.pk
            assert (line.year_amount, line.to_date, line.weekly, line.annual) == (
                expected,
                to_date,
                weekly,
                yearly,
            )
            assert money.format_money(expected) in page
        else:
            assert c.lines == []
        assert c.total == (expected if listed else ZERO)
        assert c.to_date == (to_date if listed else ZERO)
        assert c.awaiting_total == (ZERO if agreed else expected)
        # The breakdowns add up to the year's total, to the penny.
        for breakdown in (c.by_pathway, c.by_provider, c.by_panel):
            assert sum((amount for _, amount in breakdown), ZERO) == c.total

        text = client.get(reverse("funding:export_csv"), {"year": year}).getvalue().decode("utf-8")
        exported = list(csv.DictReader(io.StringIO(text)))
        book = openpyxl.load_workbook(
            io.BytesIO(client.get(reverse("funding:export_xlsx"), {"year": year}).getvalue())
        )
        sheet = list(book.active.iter_rows(values_only=True))
        as_xlsx = [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]]
        for rows in (exported, as_xlsx):
            assert len(rows) == (1 if listed else 0)
            for row in rows:
                assert _decimal(row["share_per_period"]) == amounts[mine]
                assert _decimal(row["share_weekly"]) == weekly
                assert _decimal(row["share_annual"]) == yearly
                assert _decimal(row["year_amount"]) == expected
                assert _decimal(row["to_date_amount"]) == to_date
                assert row["cost_period"] == held["period"]
                assert row["financial_year"] == money.financial_year_label(year)

        body = _api(council_finance).get(reverse("api-funding-commitments"), {"year": year}).json()
        assert Decimal(body["total"]) == c.total and Decimal(body["to_date"]) == c.to_date
        assert Decimal(body["awaiting_total"]) == c.awaiting_total
        assert [Decimal(line["year_amount"]) for line in body["lines"]] == [
            line.year_amount for line in c.lines
        ]
        assert sum((Decimal(p["amount"]) for p in body["by_pathway"]), ZERO) == c.total

    _rolled_back(run)


# --- The decision tracker: page, totals, CSV, XLSX, API -------------------------------------------


@st.composite
def decisions(draw) -> list[dict]:
    """One to three signed decisions agreeing funding, each with its cost, period, weeks and split."""
    out = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        cost = draw(costs)
        order, basis, values = draw(splits(cost))
        out.append(
            {
                "cost": cost,
                "period": draw(periods),
                "weeks": draw(weeks),
                "order": order,
                "amounts": _amounts(cost, basis, values),
            }
        )
    return out


@SURFACES
@given(made=decisions())
def test_the_tracker_page_exports_and_api_show_the_modules_figures_and_add_up(
    made, payers, irap, irap_meeting, child, social_worker, panel_admin
):
    def run():
        referrals = [
            tracker_referral_for(
                child=child,
                meeting=irap_meeting,
                referrer=social_worker,
                outcome="agreed_as_recommended",
                cost=d["cost"],
                cost_period=d["period"],
                weeks_per_year=d["weeks"],
                shares=[(payers[a], amount) for a, amount in zip(d["order"], d["amounts"], strict=True)],
                position=n + 1,
            )
            for n, d in enumerate(made)
        ]
        expected: dict[int, list[tuple]] = {}
        totals: dict[int, list[Decimal]] = {}
        for referral, d in zip(referrals, made, strict=True):
            equivalents = money.share_equivalents(d["amounts"], d["period"], d["weeks"])
            expected[referral.pk] = [
                (payers[a].name, amount, w, y)
                for a, amount, (w, y) in zip(d["order"], d["amounts"], equivalents, strict=True)
            ]
            for a, amount, (w, y) in zip(d["order"], d["amounts"], equivalents, strict=True):
                total = totals.setdefault(payers[a].pk, [ZERO, ZERO, ZERO])
                if d["period"] == CostPeriod.ONE_OFF:
                    total[2] += amount
                else:
                    total[0] += w
                    total[1] += y
            if d["period"] != CostPeriod.ONE_OFF:  # each decision's columns add up to its cost's
                assert sum((y for _, _, _, y in expected[referral.pk]), ZERO) == money.annual(
                    d["cost"], d["period"], d["weeks"]
                )

        client = _client(panel_admin)
        response = client.get(reverse("panels:tracker", args=[irap.pk]))
        page = {
            row.referral.pk: [
                (line.agency_name, line.per_period, line.weekly, line.annual) for line in row.lines
            ]
            for row in response.context["rows"]
        }
        assert page == expected
        assert {t.agency_name: (t.weekly, t.annual, t.one_off) for t in response.context["totals"]} == {
            agency.name: tuple(totals[agency.pk]) for agency in payers if agency.pk in totals
        }

        text = client.get(reverse("panels:tracker_csv", args=[irap.pk])).getvalue().decode("utf-8-sig")
        book = openpyxl.load_workbook(
            io.BytesIO(client.get(reverse("panels:tracker_xlsx", args=[irap.pk])).getvalue())
        )
        sheet = list(book.active.iter_rows(values_only=True))
        assert sheet[0] == EXPORT_COLUMNS
        for rows in (
            list(csv.DictReader(io.StringIO(text))),
            [dict(zip(sheet[0], row, strict=True)) for row in sheet[1:]],
        ):
            read: dict[int, list[tuple]] = {}
            for row in rows:
                read.setdefault(int(row["Referral ID"]), []).append(
                    (
                        row["Agency"],
                        _decimal(row["Amount per period (GBP)"]),
                        _decimal(row["Weekly (GBP)"]),
                        _decimal(row["Annual (GBP)"]),
                    )
                )
            assert read == expected

        body = _api(panel_admin).get(reverse("api-panel-tracker", args=[irap.pk])).json()
        assert {
            r["referral"]: [
                (
                    b["agency_name"],
                    Decimal(b["per_period"]),
                    _decimal(b["weekly"]),
                    _decimal(b["annual"]),
                )
                for b in r["budget"]
            ]
            for r in body["results"]
        } == expected
        assert {
            t["agency_name"]: (Decimal(t["weekly"]), Decimal(t["annual"]), Decimal(t["one_off"]))
            for t in body["totals"]
        } == {agency.name: tuple(totals[agency.pk]) for agency in payers if agency.pk in totals}

    _rolled_back(run)
