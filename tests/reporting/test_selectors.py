"""Where cases wait (issue 18): each kind of waiting item with its holder, since-date and clock (the
panel's and pathway's settings, in working days); the longest waits first; totals per agency;
filters; and a fixed number of queries whatever the rows.

Monday 2 March 2026, 09:30 (the panels fixtures' clock); see conftest.py for the world.
"""

from __future__ import annotations

import datetime as dt

import pytest

from panels.models import Panel
from pathways.models import EscalationSettings, PathwaySettings
from reporting.selectors import WaitFilters, waiting

D = dt.date


def _by_stage(data) -> dict[str, object]:
    return {f"{item.kind}:{item.stage}": item for item in data.items}


def _row(item) -> tuple:
    return (item.agency_name, item.person, item.since, item.clock, item.due_on, item.overdue)


def test_each_kind_has_its_holder_since_and_clock(make_world, panel_admin, hampshire, hiow_icb, sen):
    (child,) = make_world(1)
    data = waiting(user=panel_admin)
    rows = {item.ref.split("-")[0] + ":" + item.stage: item for item in data.items}
    hants, icb = hampshire.name, hiow_icb.name
    # A draft: with its referrer until the papers deadline of the panel's next meeting (9 April:
    # 7 working days before, Good Friday and Easter Monday not counted, is Friday 27 March).
    draft = rows["referral:Draft (Hampshire IRAP)"]
    assert _row(draft) == (
        hants,
        "Sam Okafor",
        D(2026, 3, 2),
        "Papers due 7 working days before the meeting",
        D(2026, 3, 27),
        False,
    )
    # Waiting for a signature: 2 working days from when it was asked for.
    signing = rows["referral:Awaiting team manager (Hampshire IRAP)"]
    assert _row(signing) == (
        hants,
        "A team manager",
        D(2026, 3, 2),
        "Signature within 2 working days",
        D(2026, 3, 4),
        False,
    )
    # An absent agency's answer: 3 working days after the meeting of Thursday 26 February.
    (recommendation,) = [i for i in data.items if i.kind == "recommendation"]
    assert _row(recommendation) == (
        sen.name,
        "",
        D(2026, 2, 26),
        "An absent agency answers within 3 working days",
        D(2026, 3, 3),
        False,
    )
    assert recommendation.waited_working_days == 2  # Friday 27 February and Monday 2 March
    # A package recorded without a panel: each agency's share, 2 working days (the setting's default).
    shares = sorted((i for i in data.items if i.kind == "funding"), key=lambda i: i.agency_name)
    assert [(s.agency_name, s.since, s.due_on, s.clock) for s in shares] == [
        (hants, D(2026, 3, 2), D(2026, 3, 4), "Approval within 2 working days"),
        (icb, D(2026, 3, 2), D(2026, 3, 4), "Approval within 2 working days"),
    ]
    assert shares[0].person == "Fiona Cash"  # the council's approver whose limit covers it
    # Continuing Care: the ICB, the case worker, 6 weeks from the referral received on 16 February.
    (cc,) = [i for i in data.items if i.kind == "pathway" and i.stage.startswith("Continuing Care")]
    assert _row(cc) == (
        icb,
        "Nadia Khan",
        D(2026, 2, 16),
        "Continuing Care decision within 6 weeks of the referral",
        D(2026, 3, 30),
        False,
    )
    (ifr,) = [i for i in data.items if i.stage.startswith("Individual Funding Request")]
    assert _row(ifr) == (
        icb,
        "The IFR panel",
        D(2026, 2, 23),
        "IFR decision within 20 working days",
        D(2026, 3, 23),
        False,
    )
    # The Rapid Solutions Group meets within 24 hours of Sunday 1 March 09:00: overdue at 09:30 Monday.
    (rsg,) = [i for i in data.items if i.kind == "escalation"]
    assert _row(rsg) == (
        hants,
        "Peter Hale",
        D(2026, 3, 1),
        "Rapid Solutions Group meets within 24 hours",
        D(2026, 3, 2),
        True,
    )
    assert {i.child_id for i in data.items} == {child.pk}
    assert len(data.items) == 8


def test_clocks_follow_the_panel_and_pathway_settings(make_world, panel_admin, irap, hiow_icb):
    Panel.objects.filter(pk=irap.pk).update(papers_due_working_days=10, sign_off_reminder_working_days=5)
    PathwaySettings.objects.create(
        partnership=hiow_icb.partnership, cc_decision_weeks=4, ifr_decision_working_days=15
    )
    EscalationSettings.objects.create(partnership=hiow_icb.partnership, rsg_first_meeting_hours=48)
    make_world(1)
    clocks = {item.clock for item in waiting(user=panel_admin).items}
    assert {
        "Papers due 10 working days before the meeting",
        "Signature within 5 working days",
        "Continuing Care decision within 4 weeks of the referral",
        "IFR decision within 15 working days",
        "Rapid Solutions Group meets within 48 hours",
    } <= clocks
    draft = next(i for i in waiting(user=panel_admin).items if i.stage.startswith("Draft"))
    assert draft.due_on == D(2026, 3, 24)  # 10 working days before 9 April, Easter not counted


def test_longest_waits_first(make_world, panel_admin):
    make_world(2)
    items = waiting(user=panel_admin).items
    assert [i.since for i in items] == sorted(i.since for i in items)
    assert items[0].kind == "pathway" and items[0].since == D(2026, 2, 16)
    kinds_in_order = list(dict.fromkeys(i.kind for i in items))
    assert kinds_in_order[:3] == ["pathway", "recommendation", "escalation"]


def test_totals_per_agency(make_world, panel_admin, hampshire, hiow_icb, sen):
    make_world(3)
    data = waiting(user=panel_admin)
    totals = {t.agency_name: (t.items, t.overdue, t.longest_working_days) for t in data.totals}
    # Per child: the council holds 2 referrals, its share and the RSG; the ICB its share, the CC and
    # the IFR; SEN the recommendation.
    assert totals == {
        hampshire.name: (12, 3, 1),
        hiow_icb.name: (9, 0, 10),
        sen.name: (3, 0, 2),
    }
    assert sum(t.items for t in data.totals) == data.count == 24
    assert data.overdue == 3
    assert [t.agency_name for t in data.totals][0] == hampshire.name  # the most items first


def test_filters(make_world, panel_admin, irap, hiow_icb, sen):
    make_world(2)
    assert {i.kind for i in waiting(user=panel_admin, filters=WaitFilters(kind="pathway")).items} == {
        "pathway"
    }
    by_icb = waiting(user=panel_admin, filters=WaitFilters(agency=hiow_icb.pk))
    assert {i.agency_id for i in by_icb.items} == {hiow_icb.pk} and by_icb.count == 6
    assert [t.agency_name for t in by_icb.totals] == [hiow_icb.name]
    on_irap = waiting(user=panel_admin, filters=WaitFilters(panel=irap.pk))
    # The referrals and the recommendation are the panel's; the package was recorded without one,
    # pathway cases belong to no panel, and the RSG names no panel.
    assert {i.kind for i in on_irap.items} == {"referral", "recommendation"}
    assert waiting(user=panel_admin, filters=WaitFilters(agency=sen.pk, kind="referral")).items == []


def test_an_agency_sees_only_children_it_is_involved_with(
    make_world, sen_manager, hiow_icb, sen, icb_finance
):
    """SEN is involved with the first child only: the second child's items are neither listed nor
    counted for SEN's manager, though SEN holds its recommendation."""
    (with_sen,) = make_world(1)
    (without,) = make_world(1, involved=[hiow_icb])
    data = waiting(user=sen_manager)
    assert {i.child_id for i in data.items} == {with_sen.pk}
    assert sum(t.items for t in data.totals) == data.count
    # The ICB, involved with both, sees both; never the recommendation to SEN (panels.access).
    seen = waiting(user=icb_finance)
    assert {i.child_id for i in seen.items} == {with_sen.pk, without.pk}
    assert "recommendation" not in {i.kind for i in seen.items}


def test_another_partnership_sees_nothing(make_world, outsider, leics_admin):
    make_world(2)
    for person in (outsider, leics_admin):
        data = waiting(user=person)
        assert data.items == [] and data.totals == [] and data.count == 0


@pytest.mark.parametrize("n", [1, 30])
def test_a_fixed_number_of_queries_whatever_the_rows(
    make_world, panel_admin, django_assert_max_num_queries, n
):
    """Five statements (referrals with their next meeting, recommendations, shares, pathway cases,
    escalations), then the panels' closure days, the pathway settings and the escalation settings:
    8, whatever the rows."""
    make_world(n)
    panel_admin.refresh_from_db()
    with django_assert_max_num_queries(8):
        data = waiting(user=panel_admin)
    assert data.count == 8 * n


def test_the_other_holders_of_each_kind(
    make_world, panel_admin, irap, irap_meeting, social_worker, clinician, hiow_icb, hampshire
):
    """A referral submitted waits for the panel until its meeting; an IFR asking for more
    information waits for the clinician who submitted it; a queried share of a package recorded
    without a panel waits for a panel administrator, of no agency in particular; an Exceptional
    Resourcing Group with no chair named is its child's agency's, reporting monthly
    (erg_report_interval_months) from when it was agreed."""
    from funding.models import ShareLine, ShareStatus
    from pathways.models import Escalation, EscalationStep, PathwayCase
    from tests.factories import referral_row
    from tests.panels.conftest import at

    (child,) = make_world(1)
    submitted = referral_row(
        child=child, panel=irap, referrer=social_worker, status="submitted", meeting=irap_meeting
    )
    PathwayCase.objects.filter(kind="ifr").update(status="more_information")
    ShareLine.objects.filter(agency=hiow_icb).update(status=ShareStatus.QUERIED)
    escalation = Escalation.objects.get()
    Escalation.objects.filter(pk=escalation.pk).update(level="erg")
    EscalationStep.objects.filter(escalation=escalation).update(ended_at=at(D(2026, 3, 1), 12))
    EscalationStep.objects.create(
        escalation=escalation,
        level="erg",
        authorised_by=panel_admin,
        authoriser_seniority="director",
        authoriser_title="Director",
        reason="Still no placement",
        recorded_by=social_worker,
        authorised_at=at(D(2026, 2, 2), 10),
    )
    rows = {i.ref: i for i in waiting(user=panel_admin).items}
    panel_row = rows[f"referral-{submitted.pk}"]
    assert _row(panel_row) == (
        hampshire.name,
        "Hampshire IRAP (chair and administrators)",
        D(2026, 3, 2),
        "Decision at the meeting it is listed for",
        D(2026, 4, 9),
        False,
    )
    (ifr,) = [i for i in rows.values() if i.stage.startswith("Individual Funding Request")]
    assert (ifr.agency_name, ifr.person) == (hiow_icb.name, clinician.full_name)
    (queried,) = [i for i in rows.values() if i.stage.startswith("Answer the finance query")]
    assert (queried.agency_name, queried.person) == ("", "A panel administrator")
    (erg,) = [i for i in rows.values() if i.kind == "escalation"]
    assert _row(erg) == (
        hampshire.name,
        "The group's chair",
        D(2026, 2, 2),
        "Exceptional Resourcing Group reports every 1 month(s)",
        D(2026, 3, 2),
        False,
    )
