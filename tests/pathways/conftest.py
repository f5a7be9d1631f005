"""Pathway personas and cases. The clock starts at Monday 2 March 2026, 09:30 in London.

Amelia Hart (the shared `child`) is a Hampshire child with the HIOW ICB involved; here she is born
on 10 June 2011, so she turns 15 on 10 June 2026 (past the "tell the adult team" step at 14).
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from casework.models import AgencyKind, Role
from pathways import services
from pathways.models import DSTDomain
from tests.factories import AgencyFactory, UserFactory

D = dt.date
LONDON = ZoneInfo("Europe/London")
TODAY = D(2026, 3, 2)


def at(day: dt.date, hour: int = 9, minute: int = 30) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(at(TODAY), tick=False)
    return time_machine


@pytest.fixture
def child(clock, child):
    """The shared Amelia, registered under the fixed clock (her involvements start "today")."""
    return child


@pytest.fixture
def amelia(clock, child):
    child.date_of_birth = D(2011, 6, 10)
    child.save(update_fields=["date_of_birth"])
    return child


@pytest.fixture
def icb_panel_admin(hiow_icb):
    """Imogen Reed administers the ICB's IFR panel."""
    return UserFactory(
        email="imogen.reed@hiow.example.nhs.uk",
        full_name="Imogen Reed",
        agency=hiow_icb,
        roles=[Role.PANEL_ADMINISTRATOR],
    )


@pytest.fixture
def icb_manager(hiow_icb):
    return UserFactory(
        email="colin.mgr@hiow.example.nhs.uk",
        full_name="Colin Marsh",
        agency=hiow_icb,
        roles=[Role.SERVICE_MANAGER],
    )


@pytest.fixture
def trust(db):
    return AgencyFactory(
        name="Southern Health NHS Foundation Trust",
        kind=AgencyKind.NHS_TRUST,
        ods_code="RW1",
        partnership="Hampshire and Isle of Wight",
    )


def all_scores(level: str = "low", **overrides: str) -> dict[str, dict[str, str]]:
    return {
        d.code: {
            "level": overrides.get(d.code.replace("-", "_"), level),
            "evidence": f"Evidence for {d.name}",
        }
        for d in DSTDomain.objects.all()
    }


@pytest.fixture
def cc_case(clock, amelia, social_worker, hiow_icb, clinician):
    return services.cc_open(
        actor=social_worker,
        child=amelia,
        lead_agency=hiow_icb,
        case_worker=clinician,
        referral_received_on=D(2026, 2, 16),
    )


@pytest.fixture
def cc_assessing(cc_case, social_worker):
    services.cc_record_checklist(
        actor=social_worker, case=cc_case, completed_on=D(2026, 2, 20), full_assessment_needed=True
    )
    return cc_case


def complete_assessment(case, clinician, level="low", **overrides):
    services.cc_record_evidence(
        actor=clinician,
        case=case,
        preferences="Amelia wants to stay at home",
        holistic_assessment="Mum is main carer",
        professional_reports="Consultant letter",
    )
    services.cc_save_dst(actor=clinician, case=case, scores=all_scores(level, **overrides))


@pytest.fixture
def cc_package(cc_assessing, clinician, social_worker, clock):
    complete_assessment(cc_assessing, clinician, level="high")
    services.cc_recommend(actor=clinician, case=cc_assessing, recommendation="needs", reasons="High needs")
    services.cc_record_decision(
        actor=social_worker, case=cc_assessing, decision="needs", decided_on=D(2026, 3, 1)
    )
    services.cc_record_package(
        actor=social_worker, case=cc_assessing, started_on=D(2026, 3, 2), phb_offered=True
    )
    return cc_assessing


@pytest.fixture
def s117_fields(hiow_icb, hampshire):
    return {
        "detention_section": "3",
        "detained_on": D(2025, 11, 3),
        "discharged_on": D(2026, 1, 12),
        "cto_in_force": False,
        "responsible_icb": hiow_icb,
        "responsible_council": hampshire,
        "ordinary_residence": "Basingstoke, with her mother",
    }


@pytest.fixture
def s117_case(clock, amelia, social_worker, hampshire, s117_fields):
    return services.s117_open(
        actor=social_worker,
        child=amelia,
        lead_agency=hampshire,
        case_worker=social_worker,
        fields=s117_fields,
    )


@pytest.fixture
def ifr_case(clock, amelia, clinician):
    return services.ifr_submit(
        actor=clinician,
        child=amelia,
        treatment="Off-licence drug X",
        exceptionality="Unique presentation",
        evidence="Two consultant letters",
    )


@pytest.fixture
def cl_case(clock, amelia, social_worker, hampshire):
    return services.complex_lives_open(
        actor=social_worker,
        child=amelia,
        lead_agency=hampshire,
        case_worker=social_worker,
        unmet_need="Sleep disorder with no commissioned service",
        # Needed while her Continuing Care case is open (pathways.services.complex_lives_open).
        reason="Continuing Care assesses her health needs; the sleep disorder has no service",
    )
