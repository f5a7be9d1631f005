"""Escalation personas and escalations (imported by the test_escalation_* modules; no tests here).

The clock (tests/pathways/conftest.py) starts at Monday 2 March 2026, 09:30 in London. Sunita Rao
(the council's service manager) is recorded as a Service Group Manager, Aisha Dunn at the ICB as an
Assistant Director and Diana Frost at the council as a Director: seniority is data
(EscalationAuthoriser rows), not a role.
"""

from __future__ import annotations

import pytest

from casework.models import Role
from pathways.models import EscalationAuthoriser, EscalationLevel, EscalationRoute, Seniority
from pathways.services import escalation_escalate, escalation_open
from tests.factories import PanelFactory, UserFactory

__all__ = ["assistant_director", "director", "erg", "jsp", "rsg", "sgm"]


@pytest.fixture
def sgm(service_manager):
    EscalationAuthoriser.objects.create(
        user=service_manager, seniority=Seniority.SERVICE_GROUP_MANAGER, job_title="Service Group Manager"
    )
    return service_manager


@pytest.fixture
def assistant_director(hiow_icb):
    user = UserFactory(
        email="aisha.dunn@hiow.example.nhs.uk",
        full_name="Aisha Dunn",
        agency=hiow_icb,
        roles=[Role.SERVICE_MANAGER],
    )
    EscalationAuthoriser.objects.create(
        user=user, seniority=Seniority.ASSISTANT_DIRECTOR, job_title="Assistant Director, Children"
    )
    return user


@pytest.fixture
def director(hampshire):
    user = UserFactory(
        email="diana.frost@hants.example.gov.uk",
        full_name="Diana Frost",
        agency=hampshire,
        roles=[Role.SERVICE_MANAGER],
    )
    EscalationAuthoriser.objects.create(
        user=user, seniority=Seniority.DIRECTOR, job_title="Director of Children's Services"
    )
    return user


@pytest.fixture
def jsp(hampshire):
    return PanelFactory(name="Hampshire Joint Solutions Panel", kind="jsp", host_agency=hampshire)


@pytest.fixture
def rsg(clock, amelia, social_worker, sgm, clinician):
    """Amelia at A&E: a Rapid Solutions Group set up at 09:30 on Monday 2 March, Nadia chairing."""
    return escalation_open(
        actor=social_worker,
        child=amelia,
        route=EscalationRoute.EMERGENCY,
        summary="In A&E since Saturday; no safe placement to go to",
        level=EscalationLevel.RSG,
        authorised_by=sgm,
        reason="No placement can be found through usual routes",
        chair=clinician,
    )


@pytest.fixture
def erg(rsg, social_worker, director):
    return escalation_escalate(
        actor=social_worker,
        escalation=rsg,
        to_level=EscalationLevel.ERG,
        authorised_by=director,
        reason="The RSG cannot secure a timely discharge",
        chair=director,
    )
