"""Demo pathway cases for Hampshire children, each through the pathway services (idempotent: a
child who already has the case is left alone): a Continuing Care case with the Decision Support
Tool scored, Section 117 aftercare, an Individual Funding Request by the ICB's clinician, and a
Complex Lives case with an MDT meeting."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casework.models import Agency, Child, Involvement, User
from pathways import services
from pathways.models import CaseKind, PathwayCase

HANTS = "Hampshire County Council Children's Services"
HIOW_ICB = "NHS Hampshire and Isle of Wight ICB"

# Care domain → (level, evidence): needs that the DST prompt reads as continuing care needs.
DST = {
    "breathing": ("low", "Asthma, well controlled with inhalers."),
    "eating-and-drinking": ("high", "Gastrostomy feeds overnight; at risk of aspiration."),
    "mobility": ("moderate", "Walks short distances; wheelchair outdoors."),
    "continence": ("moderate", "Needs support with toileting; pads at night."),
    "skin": ("low", "Skin checked daily; no breakdown."),
    "communication": ("high", "Uses a few signs and an eye-gaze device."),
    "drug-therapies": ("high", "Buccal midazolam rescue medication; several daily medicines."),
    "psychological": ("moderate", "Anxiety around changes of routine."),
    "seizures": ("severe", "Tonic-clonic seizures most weeks, some needing rescue medication."),
    "challenging-behaviour": ("moderate", "Self-injury when distressed; de-escalation plan works."),
}


def load_pathways() -> int:
    council = Agency.objects.filter(name=HANTS).first()
    icb = Agency.objects.filter(name=HIOW_ICB).first()
    if council is None or icb is None:
        return 0
    people = {u.email: u for u in User.objects.filter(agency__in=[council, icb])}
    worker = people["social.worker@hants.demo.gov.uk"]
    nurse = people["nurse.assessor@hiow.demo.nhs.uk"]
    # Children the ICB is involved with, after the ten that have referrals in the demo.
    children = list(
        Child.objects.filter(owning_agency=council)
        .filter(pk__in=Involvement.objects.filter(agency=icb, ended_on__isnull=True).values("child_id"))
        .order_by("family_name", "given_name", "id")
    )
    with_referrals = set(
        Child.objects.filter(owning_agency=council)
        .order_by("family_name", "given_name", "id")
        .values_list("pk", flat=True)[:10]
    )
    children = [c for c in children if c.pk not in with_referrals][:4]
    if len(children) < 4:
        return 0
    made = 0
    for child, kind, build in (
        (children[0], CaseKind.CONTINUING_CARE, _continuing_care),
        (children[1], CaseKind.SECTION_117, _section_117),
        (children[2], CaseKind.IFR, _ifr),
        (children[3], CaseKind.COMPLEX_LIVES, _complex_lives),
    ):
        if PathwayCase.objects.filter(child=child, kind=kind).exists():
            continue
        build(child=child, council=council, icb=icb, worker=worker, nurse=nurse)
        made += 1
    return made


def _continuing_care(*, child, council, icb, worker, nurse) -> None:
    today = timezone.localdate()
    case = services.cc_open(
        actor=worker,
        child=child,
        lead_agency=icb,
        case_worker=nurse,
        referral_received_on=today - dt.timedelta(weeks=3),
    )
    services.cc_record_checklist(
        actor=nurse,
        case=case,
        completed_on=today - dt.timedelta(weeks=2),
        full_assessment_needed=True,
        notes="Checklist positive in eating and drinking, drug therapies and seizures.",
    )
    services.cc_record_evidence(
        actor=nurse,
        case=case,
        preferences="The family want care at home; the child enjoys school and swimming.",
        holistic_assessment="Mother is the main carer and is awake most nights; two younger siblings.",
        professional_reports="Epilepsy nurse specialist and community paediatrician reports attached.",
    )
    services.cc_save_dst(
        actor=nurse,
        case=case,
        scores={code: {"level": level, "evidence": text} for code, (level, text) in DST.items()},
    )


def _section_117(*, child, council, icb, worker, nurse) -> None:
    today = timezone.localdate()
    case = services.s117_open(
        actor=worker,
        child=child,
        lead_agency=council,
        case_worker=worker,
        fields={
            "detention_section": "3",
            "detained_on": today - dt.timedelta(days=120),
            "discharged_on": today - dt.timedelta(days=30),
            "cto_in_force": False,
            "responsible_icb": icb,
            "responsible_council": council,
            "ordinary_residence": "Lived with a parent in Basingstoke before admission.",
        },
    )
    services.s117_update(
        actor=worker,
        case=case,
        fields={
            "plan_needs": "Daily structure, support with anxiety, a safe return to school.",
            "plan_services": "CAMHS community team weekly; a mentor three afternoons a week.",
            "plan_providers": "Hampshire CAMHS; Solent Youth Mentoring.",
        },
    )


def _ifr(*, child, council, icb, worker, nurse) -> None:
    services.ifr_submit(
        actor=nurse,
        child=child,
        treatment="A specialist seating system with a dynamic head support, not on the formulary.",
        exceptionality="Severe dystonia means standard seating causes pressure injuries and pain; "
        "two trials of formulary systems failed.",
        evidence="Physiotherapy and wheelchair service reports (synthetic).",
    )


def _complex_lives(*, child, council, icb, worker, nurse) -> None:
    case = services.complex_lives_open(
        actor=worker,
        child=child,
        lead_agency=council,
        case_worker=worker,
        unmet_need="Disordered eating with weight loss; below the threshold for inpatient care and "
        "not met by community CAMHS.",
    )
    services.mdt_record(
        actor=worker,
        case=case,
        fields={
            "held_on": timezone.localdate() - dt.timedelta(days=3),
            "attendees": "Social worker, community paediatrician, CAMHS clinician, school nurse",
            "unmet_need": "Weekly weight monitoring and meal support at home.",
            "options": "Dietitian-led home support; a day programme in Southampton.",
            "outcome": "Dietitian-led home support for eight weeks, then review.",
            "actions": "ICB to confirm funding; school nurse to weigh weekly.",
        },
        agencies=[council, icb],
    )
