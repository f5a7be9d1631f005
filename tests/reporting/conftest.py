"""Where cases wait (issue 18): a world with one waiting item of each kind per child, made straight
in the tables (as tests/factories.referral_row does) so the tests are about what the report reads.

The clock and panel are the panels fixtures': Monday 2 March 2026, 09:30 London; Hampshire IRAP
meets on Thursday 9 April 2026 (papers due 7 working days before: Friday 27 March), signatures
within 2 working days, an absent agency answers within 3.
"""

from __future__ import annotations

import datetime as dt

import pytest

from casework.models import Role
from funding import services as funding_services
from panels.models import AgencyRecommendation, AgendaItem, Decision
from pathways.models import (
    CaseKind,
    ContinuingCare,
    Escalation,
    EscalationStep,
    IndividualFundingRequest,
    PathwayCase,
)
from tests.factories import ChildFactory, MeetingFactory, UserFactory, referral_row
from tests.funding.conftest import *  # noqa: F403  (the panels and funding fixtures, the clock)
from tests.funding.conftest import terms
from tests.panels.conftest import at

D = dt.date


@pytest.fixture
def held(irap):
    """Thursday 26 February 2026: held; SEN was absent, so it answers by Tuesday 3 March."""
    return MeetingFactory(panel=irap, date=D(2026, 2, 26))


@pytest.fixture
def reader(hampshire):
    """Rhea Ward, a Hampshire service manager: she reads the report."""
    return UserFactory(full_name="Rhea Ward", agency=hampshire, roles=[Role.SERVICE_MANAGER])


def make_items(
    *,
    child,
    irap,
    held,
    social_worker,
    panel_admin,
    panel_chair,
    council_finance,
    clinician,
    provider,
    hampshire,
    hiow_icb,
    sen,
    cost="1000",
):
    """One item of each kind for `child`: a draft referral, one awaiting the team manager, a
    recommendation to SEN, a 50/50 package's two shares awaiting approval, a Continuing Care case,
    an IFR and a Rapid Solutions Group escalation."""
    referral_row(child=child, panel=irap, referrer=social_worker, status="draft")
    referral_row(child=child, panel=irap, referrer=social_worker, status="awaiting_team_manager")
    decided = referral_row(child=child, panel=irap, referrer=social_worker, status="decided", meeting=held)
    position = AgendaItem.objects.filter(meeting=held).count() + 1
    item = AgendaItem.objects.create(
        meeting=held,
        kind="referral",
        referral=decided,
        title="Joint package",
        added_by=panel_admin,
        position=position,
    )
    decision = Decision.objects.create(
        agenda_item=item,
        referral=decided,
        outcome="agreed_as_recommended",
        rationale="Meets her needs.",
        recorded_by=panel_admin,
    )
    AgencyRecommendation.objects.create(decision=decision, agency=sen, due_on=D(2026, 3, 3))
    funding_services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(provider, (hampshire, "percentage", "50"), (hiow_icb, "percentage", "50"), cost=cost),
    )
    cc = PathwayCase.objects.create(
        child=child,
        kind=CaseKind.CONTINUING_CARE,
        lead_agency=hiow_icb,
        case_worker=clinician,
        status="assessment",
        created_by=social_worker,
    )
    ContinuingCare.objects.create(
        case=cc, referral_received_on=D(2026, 2, 16), decision_due_on=D(2026, 3, 30)
    )
    ifr = PathwayCase.objects.create(
        child=child, kind=CaseKind.IFR, lead_agency=hiow_icb, status="submitted", created_by=clinician
    )
    IndividualFundingRequest.objects.create(
        case=ifr,
        treatment="A drug",
        exceptionality="Rare",
        submitted_by=clinician,
        submitted_on=D(2026, 2, 23),
        decision_due_on=D(2026, 3, 23),
    )
    escalation = Escalation.objects.create(
        child=child, route="emergency", level="rsg", summary="In A&E", opened_by=social_worker
    )
    EscalationStep.objects.create(
        escalation=escalation,
        level="rsg",
        authorised_by=panel_chair,
        authoriser_seniority="director",
        authoriser_title="Director of Children's Services",
        reason="No placement",
        recorded_by=social_worker,
        chair=panel_chair,
        authorised_at=at(D(2026, 3, 1), 9, 0),
    )


@pytest.fixture
def make_world(
    irap,
    irap_meeting,
    held,
    social_worker,
    panel_admin,
    panel_chair,
    council_finance,
    clinician,
    provider,
    hampshire,
    hiow_icb,
    sen,
    clock,
):
    """make_world(n) → n Hampshire children (the council, the ICB and SEN involved), each with one
    item of every kind."""

    def make(n: int, *, involved=None):
        children = []
        for i in range(n):
            child = ChildFactory(
                owning_agency=hampshire,
                created_by=social_worker,
                involved=involved if involved is not None else [hiow_icb, sen],
            )
            make_items(
                child=child,
                irap=irap,
                held=held,
                social_worker=social_worker,
                panel_admin=panel_admin,
                panel_chair=panel_chair,
                council_finance=council_finance,
                clinician=clinician,
                provider=provider,
                hampshire=hampshire,
                hiow_icb=hiow_icb,
                sen=sen,
                cost=str(1000 + i),
            )
            children.append(child)
        return children

    return make
