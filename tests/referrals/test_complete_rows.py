"""tests/factories.complete_referral_rows, the shortcut the `complete` fixture and the state factories
start from, writes what the services write (test_journey_services.complete_referral): compared here
field by field on two drafts of Amelia's, and table by table (no row more or less anywhere)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.utils import timezone

from casework.models import AuditEvent
from referrals.evidence_store import open_stored
from referrals.models import Evidence, Option, Referral
from referrals.services.state import content_hash
from tests.factories import MINIMAL_PDF, DraftReferralFactory, complete_referral_rows
from tests.referrals.test_journey_services import complete_referral

pytestmark = pytest.mark.django_db


def _row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in apps.get_models()}


def _written_by(build) -> dict[str, int]:
    before = _row_counts()
    build()
    after = _row_counts()
    return {label: after[label] - before[label] for label in after if after[label] != before[label]}


def _fields(obj, *, leave_out=()) -> dict:
    return {
        field.attname: getattr(obj, field.attname)
        for field in obj._meta.concrete_fields
        if field.attname not in {"id", *leave_out}
    }


def _audit_trail(referral: Referral) -> list[tuple]:
    """The audit events about the referral, its options and its evidence, in order, with the
    referral's own id written as REF (the two referrals differ only in that)."""
    objects = {("referrals.Referral", str(referral.pk))}
    objects |= {("referrals.Option", str(pk)) for pk in referral.options.values_list("pk", flat=True)}
    objects |= {("referrals.Evidence", str(pk)) for pk in referral.evidence.values_list("pk", flat=True)}
    return [
        (
            event.action,
            event.object_type,
            event.object_repr.replace(f"Referral {referral.pk} ", "Referral REF "),
            event.actor_id,
            event.child_id,
            event.ip_address,
            event.changes,
        )
        for event in AuditEvent.objects.order_by("pk")
        if (event.object_type, event.object_id) in objects
    ]


def test_the_shortcut_writes_the_rows_the_services_write(
    child, social_worker, panel, hiow_icb, hampshire, time_machine
):
    time_machine.move_to(timezone.now(), tick=False)  # the same moment for both
    by_services = DraftReferralFactory(child=child, referrer=social_worker, panel=panel)
    by_rows = DraftReferralFactory(child=child, referrer=social_worker, panel=panel)

    services_wrote = _written_by(lambda: complete_referral(by_services, social_worker, hiow_icb, hampshire))
    made = {}
    rows_wrote = _written_by(
        lambda: made.setdefault("r", complete_referral_rows(by_rows, social_worker, hiow_icb, hampshire))
    )
    assert rows_wrote == services_wrote
    assert services_wrote == {
        "casework.AuditEvent": 11,
        "referrals.Option": 1,
        "referrals.OptionShare": 2,
        "referrals.Evidence": 1,
    }

    a, b = Referral.objects.get(pk=by_services.pk), Referral.objects.get(pk=by_rows.pk)
    assert _fields(b, leave_out={"created_at"}) == _fields(a, leave_out={"created_at"})
    assert _fields(made["r"], leave_out={"created_at"}) == _fields(b, leave_out={"created_at"})
    assert content_hash(b) == content_hash(a)

    option_a, option_b = Option.objects.get(referral=a), Option.objects.get(referral=b)
    assert _fields(option_b, leave_out={"referral_id"}) == _fields(option_a, leave_out={"referral_id"})
    assert sorted(option_b.shares.values_list("agency_id", "basis", "value")) == sorted(
        option_a.shares.values_list("agency_id", "basis", "value")
    )

    evidence_a, evidence_b = Evidence.objects.get(referral=a), Evidence.objects.get(referral=b)
    different = {"referral_id", "stored_name"}  # a stored file's name is random
    assert _fields(evidence_b, leave_out=different) == _fields(evidence_a, leave_out=different)
    for evidence in (evidence_a, evidence_b):
        with open_stored(evidence) as stored:
            assert stored.read() == MINIMAL_PDF

    assert _audit_trail(b) == _audit_trail(a)
    assert [row[0] for row in _audit_trail(a)] == [
        "referral.created",
        *(
            f"referral.section.{key}"
            for key in (
                "referrer",
                "needs",
                "support",
                "permanency",
                "education",
                "elsewhere",
                "child_voice",
                "parents_voice",
                "reason",
            )
        ),
        "referral.option.saved",
        "referral.evidence.added",
    ]
