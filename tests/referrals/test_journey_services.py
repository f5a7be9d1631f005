"""The whole sign-off journey through the services, end to end on PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from casework.access import NotAllowed
from casework.models import Notification
from casework.services import InvalidTransition
from referrals import services
from referrals.models import SignOff, Status, StatusChange
from tests.factories import (
    COMPLETE_OPTION,
    COMPLETE_SECTIONS,
    MINIMAL_PDF,  # noqa: F401  (imported from here by other modules)
    MeetingFactory,
    PanelFactory,
    complete_evidence_upload,
    complete_option_shares,
)


@pytest.fixture
def panel(hampshire):
    return PanelFactory(name="Hampshire IRAP", kind="irap", host_agency=hampshire)


def complete_referral(referral, actor, hiow_icb, hampshire):
    """Every section, one option (50/50, or the council's alone for a council-only child) and one
    document, each through its service. tests/factories.complete_referral_rows writes the same rows
    in a few statements for tests that only need a complete referral to start from."""
    for section, fields in COMPLETE_SECTIONS.items():
        referral = services.referral_update_section(
            actor=actor, referral=referral, section=section, fields=fields
        )
    services.option_save(
        actor=actor,
        referral=referral,
        fields=COMPLETE_OPTION,
        shares=complete_option_shares(referral, council=hampshire, icb=hiow_icb),
    )
    services.evidence_add(actor=actor, referral=referral, upload=complete_evidence_upload())
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
