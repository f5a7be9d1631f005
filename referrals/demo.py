"""Demo referrals in each stage of sign-off for Hampshire children (idempotent, synthetic).

Each demo referral is written, signed and submitted through the same services people use, so the
audit trail, timeline and notices look real.
"""

from __future__ import annotations

from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework import services as casework_services
from casework.demo import base_children
from casework.models import Agency, AgencyKind, Child, InvolvementRole, User
from panels.models import Meeting, MeetingStatus, Panel
from referrals import services
from referrals.models import Referral, Status

SECTIONS = {
    "referrer": {"referrer_relationship": "Allocated social worker since 2024"},
    "needs": {
        "assessed_needs": "Autistic, with a learning disability and high anxiety. Needs two-to-one support "
        "in the community and a predictable routine; night-time waking most nights."
    },
    "support": {
        "current_support": "CAMHS learning disability team fortnightly; short breaks one night a week."
    },
    "iro": {"iro_comments": "The IRO supports the plan and asks for a review in three months."},
    "permanency": {"permanency_plan": "To remain living at home with a package of support."},
    "education": {
        "education_change": False,
        "education_current_school": "Oakwood Special School",
        "education_school_type": "special",
    },
    "elsewhere": {"considered_elsewhere": "Short breaks panel (August): increased to one night a week."},
    "child_voice": {"child_voice": "Wants to stay at home with mum and keep going to Oakwood."},
    "parents_voice": {"parents_voice": "Mother is exhausted and asks for overnight support."},
    "reason": {
        "reason_for_referral": "The placement at home is at risk of breaking down without joint support.",
        "summary_of_circumstances": "Three crisis calls in October; police attended once.",
    },
}


_PDF: list[bytes] = []


def _evidence_pdf() -> bytes:
    """One small synthetic PDF, rendered once per process and attached to every demo referral."""
    if not _PDF:
        from weasyprint import HTML

        _PDF.append(
            HTML(
                string="<h1>Assessment summary</h1><p>Synthetic demonstration document. "
                "OFFICIAL-SENSITIVE.</p>"
            ).write_pdf()
        )
    return _PDF[0]


def _complete(referral: Referral, actor: User, council: Agency, icb: Agency, pdf: bytes) -> Referral:
    # A joint package shares the cost with the ICB, and a share may only name an agency involved with
    # the child (issue 12): the social worker records the ICB's involvement first, as on the child's page.
    if not referral.child.involvements.filter(agency=icb, ended_on__isnull=True).exists():
        casework_services.involvement_add(
            actor=actor, child=referral.child, agency=icb, role=InvolvementRole.HEALTH_COMMISSIONER
        )
    for section, fields in SECTIONS.items():
        referral = services.referral_update_section(
            actor=actor, referral=referral, section=section, fields=fields
        )
    services.option_save(
        actor=actor,
        referral=referral,
        fields={
            "description": "Overnight support at home, four nights a week",
            "provider": "Solent Care at Home Ltd",
            "cost": Decimal("1486.40"),
            "period": "weekly",
            "benefits": "Keeps the child at home and at school.",
            "risks": "Recruitment of staff with autism training.",
        },
        shares=[(council, "percentage", Decimal("50")), (icb, "percentage", Decimal("50"))],
    )
    services.option_save(
        actor=actor,
        referral=referral,
        fields={
            "description": "Residential short-break placement, 52 weeks",
            "provider": "Meadow House",
            "cost": Decimal("6200.00"),
            "period": "weekly",
        },
        shares=[(council, "amount", Decimal("3100.00")), (icb, "amount", Decimal("3100.00"))],
    )
    services.evidence_add(
        actor=actor,
        referral=referral,
        upload=SimpleUploadedFile("assessment-summary.pdf", pdf, "application/pdf"),
        title="Child and family assessment (summary)",
    )
    return referral


def load_referrals() -> int:
    council = Agency.objects.filter(name="Hampshire County Council Children's Services").first()
    icb = Agency.objects.filter(name="NHS Hampshire and Isle of Wight ICB").first()
    panel = Panel.objects.filter(name="Hampshire Integrated Resource Allocation Panel").first()
    if council is None or icb is None or panel is None:
        return 0
    people = {u.email.split("@")[0]: u for u in User.objects.filter(agency=council)}
    worker, manager, service_manager = (
        people["social.worker"],
        people["team.manager"],
        people["service.manager"],
    )
    children = list(
        base_children(Child.objects.filter(owning_agency=council)).order_by(
            "family_name", "given_name", "id"
        )[:5]
    )
    if len(children) < 5 or Referral.objects.filter(child__in=children).exists():
        return 0
    pdf = _evidence_pdf()
    # 0: a draft; 1: waiting for the team manager; 2: waiting for the service manager (emergency);
    # 3: ready to submit; 4: submitted to the next meeting.
    made = 0
    for stage, child in enumerate(children):
        urgency = "emergency" if stage == 2 else "routine"
        referral = services.referral_create(
            actor=worker, child=child, panel=panel, pathway="joint_package", urgency=urgency
        )
        made += 1
        if stage == 0:
            services.referral_update_section(
                actor=worker, referral=referral, section="needs", fields=SECTIONS["needs"]
            )
            continue
        referral = _complete(referral, worker, council, icb, pdf)
        referral = services.referral_send_for_sign_off(actor=worker, referral=referral)
        if stage == 1:
            continue
        referral = services.referral_sign(actor=manager, referral=referral, comments="Agreed.")
        if stage == 2:
            continue
        referral = services.referral_sign(
            actor=service_manager, referral=referral, comments="Approved for panel."
        )
        if stage == 3:
            continue
        meeting = (
            Meeting.objects.filter(panel=panel, status=MeetingStatus.SCHEDULED, date__gt=timezone.localdate())
            .order_by("date")
            .first()
        )
        if meeting is not None:
            services.referral_submit(actor=worker, referral=referral, meeting=meeting)
    return made


def ready_referral(*, child: Child, panel: Panel, urgency: str = "routine") -> Referral:
    """A complete referral for a child of the panel's partnership, written by the host council's
    social worker and signed by its team manager and service manager: ready to submit
    (panels/demo.py and config/demo_history.py submit it)."""
    return referral_at_stage(child=child, panel=panel, stage=Status.READY_TO_SUBMIT, urgency=urgency)


def referral_at_stage(*, child: Child, panel: Panel, stage: str, urgency: str = "routine") -> Referral:
    """A referral for a child of the panel's partnership taken through the services as far as
    `stage` (a draft with its needs written; complete and waiting for the team manager's or the
    service manager's signature; or ready to submit), by the host council's people."""
    council = panel.host_agency
    icb = Agency.objects.get(partnership=panel.partnership, kind=AgencyKind.ICB)
    people = {u.email.split("@")[0]: u for u in User.objects.filter(agency=council)}
    worker = people["social.worker"]
    referral = services.referral_create(
        actor=worker, child=child, panel=panel, pathway="joint_package", urgency=urgency
    )
    if stage == Status.DRAFT:
        return services.referral_update_section(
            actor=worker, referral=referral, section="needs", fields=SECTIONS["needs"]
        )
    referral = _complete(referral, worker, council, icb, _evidence_pdf())
    referral = services.referral_send_for_sign_off(actor=worker, referral=referral)
    if stage == Status.AWAITING_TEAM_MANAGER:
        return referral
    referral = services.referral_sign(actor=people["team.manager"], referral=referral, comments="Agreed.")
    if stage == Status.AWAITING_SERVICE_MANAGER:
        return referral
    return services.referral_sign(
        actor=people["service.manager"], referral=referral, comments="Approved for panel."
    )
