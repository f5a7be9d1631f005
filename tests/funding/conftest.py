"""Funding fixtures: the panels fixtures (IRAP, its members, meetings, the clock at Monday 2 March
2026) plus a council SEN service, its finance approver, and signed decisions made directly with the
ORM (the decision services are written elsewhere)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from casework.models import AgencyKind, Involvement, Role
from casework.money import SplitLine
from funding import services
from funding.models import Provider, ProviderKind
from panels.models import Decision, DecisionShare
from tests.factories import AgencyFactory, UserFactory, agenda_item_for
from tests.panels.conftest import *  # noqa: F403  (the shared panel fixtures)

D = dt.date


@pytest.fixture
def hampshire_sen(db):
    return AgencyFactory(
        name="Hampshire County Council SEN", kind=AgencyKind.SEN, partnership="Hampshire and Isle of Wight"
    )


@pytest.fixture
def sen_finance(hampshire_sen):
    """Sofia Penny, finance approver for high needs, limit £50,000."""
    return UserFactory(
        email="sofia.penny@hants.example.gov.uk",
        full_name="Sofia Penny",
        agency=hampshire_sen,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("50000.00"),
    )


@pytest.fixture
def council_head_of_finance(hampshire):
    """Harriet Vault, the council's head of finance, limit £1,000,000: the next approver up."""
    return UserFactory(
        email="harriet.vault@hants.example.gov.uk",
        full_name="Harriet Vault",
        agency=hampshire,
        roles=[Role.FINANCE_APPROVER],
        delegated_limit=Decimal("1000000.00"),
    )


@pytest.fixture
def provider(db):
    return Provider.objects.create(name="Oakwood Children's Home", kind=ProviderKind.DOMICILIARY)


@pytest.fixture
def residential(db):
    return Provider.objects.create(
        name="Hillside House", kind=ProviderKind.RESIDENTIAL, regulator_reference="SC123456"
    )


@pytest.fixture
def make_decision(submitted_referral, irap_meeting, panel_admin, panel_chair):
    """make_decision(shares=[(agency, basis, value)], cost=..., period=...) → a signed Decision."""

    def make(
        *, shares, cost=Decimal("3000.00"), period="weekly", outcome="agreed_as_recommended", referral=None
    ):
        referral = referral or submitted_referral
        item = agenda_item_for(referral=referral, meeting=irap_meeting, actor=panel_admin)
        decision = Decision.objects.create(
            agenda_item=item,
            referral=referral,
            outcome=outcome,
            option=referral.options.first(),
            rationale="Agreed by the panel.",
            lead_agency=shares[0][0],
            cost=cost,
            cost_period=period,
            starts_on=D(2026, 4, 13),
            review_date=D(2026, 10, 13),
            recorded_by=panel_admin,
            status="signed",
            signed_by=panel_chair,
            signed_at=timezone.now(),
        )
        for agency, basis, value in shares:
            DecisionShare.objects.create(
                decision=decision, agency=agency, basis=basis, value=value, amount=value
            )
        return decision

    return make


@pytest.fixture
def three_way(make_decision, hampshire, hampshire_sen, hiow_icb, child, social_worker):
    """A signed decision: £3,000 a week, 40% social care, 20% SEN, 40% ICB."""
    Involvement.objects.create(child=child, agency=hampshire_sen, role="other", added_by=social_worker)
    return make_decision(
        shares=[
            (hampshire, "percentage", Decimal("40")),
            (hampshire_sen, "percentage", Decimal("20")),
            (hiow_icb, "percentage", Decimal("40")),
        ]
    )


APRIL_2026 = D(2026, 4, 1)


def terms(provider, *lines, cost="1000.00", period="weekly", starts_on=APRIL_2026, **extra):
    return services.PackageTerms(
        provider=provider,
        service_description="Two carers, 20 hours a week",
        cost=Decimal(cost),
        cost_period=period,
        starts_on=starts_on,
        lines=[SplitLine(agency_id=a.pk, basis=b, value=Decimal(v)) for a, b, v in lines],
        **extra,
    )


@pytest.fixture
def existing_package(clock, hampshire, hiow_icb, child, council_finance, provider):
    """An existing arrangement: £1,000 a week, 50/50 council and ICB."""
    return services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(provider, (hampshire, "percentage", "50"), (hiow_icb, "percentage", "50")),
    )
