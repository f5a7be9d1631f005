"""Demo pathway cases for Hampshire children, each through the pathway services (idempotent: a
child who already has the case is left alone): a Continuing Care case with the Decision Support
Tool scored, Section 117 aftercare, an Individual Funding Request by the ICB's clinician, and a
Complex Lives case with an MDT meeting."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casework.demo import base_children
from casework.models import Agency, Child, Involvement, User
from pathways import services
from pathways.models import (
    CaseKind,
    Escalation,
    EscalationAuthoriser,
    EscalationLevel,
    PathwayCase,
    Seniority,
)

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


# The escalation ladder's authorisers in each partnership (seeds 002: a Rapid Solutions Group is set
# up by a "Service Group Manager or their equivalent"; escalation to a Joint Solutions Panel needs a
# "Service Group Manager or Assistant Director"; an Exceptional Resourcing Group is agreed and
# chaired by a Director). (e-mail, grade, job title as the organisation names it.)
AUTHORISERS = [
    ("panel.chair@hants.demo.gov.uk", Seniority.DIRECTOR, "Director of Children's Services"),
    (
        "service.manager@hants.demo.gov.uk",
        Seniority.ASSISTANT_DIRECTOR,
        "Assistant Director, Children with Disabilities",
    ),
    (
        "icb.commissioner@hiow.demo.nhs.uk",
        Seniority.SERVICE_GROUP_MANAGER,
        "Head of Children's Commissioning (Service Group Manager equivalent)",
    ),
    ("panel.chair@leics.demo.gov.uk", Seniority.DIRECTOR, "Director of Children and Family Services"),
    (
        "service.manager@leics.demo.gov.uk",
        Seniority.ASSISTANT_DIRECTOR,
        "Assistant Director, Targeted Early Help and Children's Social Care",
    ),
    (
        "icb.commissioner@llr.demo.nhs.uk",
        Seniority.SERVICE_GROUP_MANAGER,
        "Service Group Manager, FYPC/LDA",
    ),
]
ADMIN_OF = {
    "hants.demo.gov.uk": "admin@hants.demo.gov.uk",
    "hiow.demo.nhs.uk": "admin@hants.demo.gov.uk",
    "leics.demo.gov.uk": "admin@leics.demo.gov.uk",
    "llr.demo.nhs.uk": "admin@leics.demo.gov.uk",
}
LEICS = "Leicestershire County Council Children and Family Services"
LLR = "Leicester, Leicestershire and Rutland"


def load_authorisers() -> int:
    """Each partnership's escalation authorisers, recorded by its partnership administrator through
    the pathways service (idempotent: a person with a grade is left alone)."""
    made = 0
    people = {
        u.email: u
        for u in User.objects.filter(email__in=[a[0] for a in AUTHORISERS] + list(ADMIN_OF.values()))
    }
    for email, grade, title in AUTHORISERS:
        user = people.get(email)
        admin = people.get(ADMIN_OF[email.split("@")[1]])
        if user is None or admin is None or EscalationAuthoriser.objects.filter(user=user).exists():
            continue
        services.escalation_authoriser_add(actor=admin, user=user, seniority=grade, job_title=title)
        made += 1
    return made


def load_escalation() -> int:
    """A Leicestershire child escalated from A&E: a Rapid Solutions Group set up by the Service Group
    Manager that met twice, then an Exceptional Resourcing Group agreed and chaired by the Director,
    with its first report to the partnership (seeds 002 s5, s7). Idempotent: one per demo."""
    council = Agency.objects.filter(name=LEICS).first()
    if council is None or Escalation.objects.filter(child__owning_agency=council).exists():
        return 0
    people = {u.email: u for u in User.objects.filter(agency__partnership=council.partnership)}
    worker = people.get("social.worker@leics.demo.gov.uk")
    sgm = people.get("icb.commissioner@llr.demo.nhs.uk")
    director = people.get("panel.chair@leics.demo.gov.uk")
    icb = Agency.objects.filter(partnership=council.partnership, kind="icb").first()
    if worker is None or sgm is None or director is None or icb is None:
        return 0
    # A child the ICB is involved with (the Service Group Manager's agency must be involved), and
    # neither autistic nor with a learning disability, so no CETR is needed to go up the ladder.
    child = (
        base_children(Child.objects.filter(owning_agency=council, autism=False, learning_disability=False))
        .filter(pk__in=Involvement.objects.filter(agency=icb, ended_on__isnull=True).values("child_id"))
        .order_by("family_name", "given_name", "id")
        .first()
    )
    if child is None:
        return 0
    escalation = services.escalation_open(
        actor=worker,
        child=child,
        route="emergency",
        summary="Brought to A&E at the Leicester Royal Infirmary after a serious self-harm incident; "
        "the residential placement has given notice and there is no safe place to discharge to.",
        level=EscalationLevel.RSG,
        authorised_by=sgm,
        reason="No safe discharge destination; the child is medically fit and waiting on a ward.",
        chair=sgm,
    )
    # The services keep the clock (a meeting is recorded once it has happened, after the group
    # was set up), so the demo's escalation moves up the ladder today: the RSG met this morning.
    services.escalation_record_meeting(
        actor=worker,
        escalation=escalation,
        held_at=timezone.now(),
        chair=sgm,
        agencies=[council, icb],
        attendees="Service Group Manager (chair), social worker, ward manager, CAMHS crisis team",
        notes="Two providers declined. Options exhausted within current resources: the group agrees "
        "to ask the Director for an Exceptional Resourcing Group.",
        actions="Social worker: widen the placement search to out-of-area providers.",
    )
    escalation.refresh_from_db()
    escalation = services.escalation_escalate(
        actor=worker,
        escalation=escalation,
        to_level=EscalationLevel.ERG,
        authorised_by=director,
        chair=director,
        reason="The Rapid Solutions Group has exhausted its options and resources.",
    )
    services.escalation_record_meeting(
        actor=worker,
        escalation=escalation,
        held_at=timezone.now(),
        chair=director,
        agencies=[council, icb],
        attendees="Director (chair), Service Group Manager, ICB commissioner, social worker",
        notes="Agreed a bespoke solo placement with two-to-one staffing, jointly funded, for twelve weeks.",
        actions="ICB commissioner: confirm the provider's staffing plan within a week.",
    )
    services.escalation_record_report(
        actor=worker,
        escalation=escalation,
        reported_on=timezone.localdate(),
        progress="A bespoke placement is being set up; the child remains safe on the ward meanwhile.",
    )
    return 1


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
        base_children(Child.objects.filter(owning_agency=council))
        .filter(pk__in=Involvement.objects.filter(agency=icb, ended_on__isnull=True).values("child_id"))
        .order_by("family_name", "given_name", "id")
    )
    with_referrals = set(
        base_children(Child.objects.filter(owning_agency=council))
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
    return made + _llr_ifr()


def _llr_ifr() -> int:
    """An Individual Funding Request in Leicester, Leicestershire and Rutland too, by its ICB's
    clinician, for its IFR panel's chair and administrator to decide (idempotent)."""
    icb = Agency.objects.filter(partnership=LLR, kind="icb").first()
    nurse = User.objects.filter(email="nurse.assessor@llr.demo.nhs.uk").first()
    if icb is None or nurse is None:
        return 0
    if PathwayCase.objects.filter(kind=CaseKind.IFR, child__owning_agency__partnership=LLR).exists():
        return 0
    child = (
        base_children(Child.objects.filter(owning_agency__partnership=LLR))
        .filter(pk__in=Involvement.objects.filter(agency=icb, ended_on__isnull=True).values("child_id"))
        .exclude(escalations__isnull=False)
        .order_by("-family_name", "-given_name", "-id")
        .first()
    )
    if child is None:
        return 0
    services.ifr_submit(
        actor=nurse,
        child=child,
        treatment="Intensive home-based dialectical behaviour therapy, not commissioned for under-16s.",
        exceptionality="Three admissions in a year after self-harm; community CAMHS and two other "
        "commissioned therapies have not reduced the risk.",
        evidence="CAMHS consultant psychiatrist's report and crisis team summary (synthetic).",
    )
    return 1


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
