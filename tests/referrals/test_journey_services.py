"""The whole sign-off journey through the services, end to end on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from casework.access import NotAllowed
from casework.models import Notification
from casework.services import InvalidTransition
from referrals import services
from referrals.models import SignOff, Status, StatusChange
from tests.factories import MeetingFactory, PanelFactory

MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
    b"xref\n0 4\n0000000000 65535 f \n0000000009 00000 n \n0000000052 00000 n \n0000000101 00000 n \n"
    b"trailer<</Size 4/Root 1 0 R>>\nstartxref\n165\n%%EOF\n"
)


@pytest.fixture
def panel(hampshire):
    return PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)


def complete_referral(referral, actor, hiow_icb, hampshire):
    for section, fields in {
        "referrer": {"referrer_relationship": "Allocated social worker"},
        "needs": {"assessed_needs": "Autism and severe anxiety."},
        "support": {"current_support": "CAMHS weekly."},
        "permanency": {"permanency_plan": "Return home with support."},
        "education": {
            "education_change": False,
            "education_current_school": "Oakwood School",
            "education_school_type": "special",
        },
        "elsewhere": {"considered_elsewhere": "Short breaks panel."},
        "child_voice": {"child_voice": "Wants to stay near her brother."},
        "parents_voice": {"parents_voice": "Mother agrees."},
        "reason": {
            "reason_for_referral": "Placement at risk.",
            "summary_of_circumstances": "Escalating crisis.",
        },
    }.items():
        referral = services.referral_update_section(
            actor=actor, referral=referral, section=section, fields=fields
        )
    services.option_save(
        actor=actor,
        referral=referral,
        fields={"description": "Residential short breaks", "cost": Decimal("1234.56"), "period": "weekly"},
        # A share names only an agency involved with the child (issue 12): a council-only child's
        # option is the council's alone.
        shares=[(hampshire, "percentage", Decimal("50")), (hiow_icb, "percentage", Decimal("50"))]
        if referral.child.involvements.filter(agency=hiow_icb, ended_on__isnull=True).exists()
        else [(hampshire, "percentage", Decimal("100"))],
    )
    services.evidence_add(
        actor=actor,
        referral=referral,
        upload=SimpleUploadedFile("assessment.pdf", MINIMAL_PDF, "application/pdf"),
    )
    return referral


def test_write_sign_sign_submit(
    child, social_worker, team_manager, service_manager, panel, hiow_icb, hampshire
):
    referral = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )
    with pytest.raises(ValidationError) as missing:
        services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    assert {"needs", "options", "evidence"} <= set(missing.value.message_dict)

    referral = complete_referral(referral, social_worker, hiow_icb, hampshire)
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    assert referral.status == Status.AWAITING_TEAM_MANAGER
    assert Notification.objects.filter(user=team_manager).exists()

    with pytest.raises(NotAllowed):
        services.referral_sign(actor=social_worker, referral=referral)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    referral = services.referral_sign(actor=service_manager, referral=referral)
    assert referral.status == Status.READY_TO_SUBMIT

    meeting = MeetingFactory(panel=panel, date=timezone.localdate() + dt.timedelta(days=40))
    referral = services.referral_submit(actor=social_worker, referral=referral, meeting=meeting)
    assert referral.status == Status.SUBMITTED and not referral.is_late_paper
    assert list(StatusChange.objects.filter(referral=referral).values_list("new_status", flat=True)) == [
        "draft",
        "awaiting_team_manager",
        "awaiting_service_manager",
        "ready_to_submit",
        "submitted",
    ]
    with pytest.raises(InvalidTransition):
        services.referral_sign(actor=service_manager, referral=referral)


def test_changing_a_signed_section_withdraws_signatures(
    child, social_worker, team_manager, panel, hiow_icb, hampshire
):
    referral = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )
    referral = complete_referral(referral, social_worker, hiow_icb, hampshire)
    referral = services.referral_send_for_sign_off(actor=social_worker, referral=referral)
    referral = services.referral_sign(actor=team_manager, referral=referral)
    referral = services.referral_update_section(
        actor=social_worker, referral=referral, section="needs", fields={"assessed_needs": "Changed."}
    )
    assert referral.status == Status.DRAFT
    signature = SignOff.objects.get(referral=referral)
    assert signature.withdrawn_at is not None
    assert "1. Assessed needs" in signature.withdrawn_reason


def test_split_must_add_up(child, social_worker, panel, hiow_icb, hampshire):
    referral = services.referral_create(
        actor=social_worker, child=child, panel=panel, pathway="joint_package"
    )
    with pytest.raises(ValidationError) as excinfo:
        services.option_save(
            actor=social_worker,
            referral=referral,
            fields={"description": "X", "cost": Decimal("100.00"), "period": "weekly"},
            shares=[(hampshire, "amount", Decimal("60.00")), (hiow_icb, "amount", Decimal("39.99"))],
        )
    assert "£99.99" in excinfo.value.message_dict["shares"][0]
