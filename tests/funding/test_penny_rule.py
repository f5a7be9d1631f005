"""Stored shares written before the penny rule (docs/adr/0012-money.md) re-placed by it where they
differ by penny placement alone, audited as a system change; splits that differ by more are left as
stored and listed (funding/penny_rule.py, funding migration 0004, `manage.py share_pennies`).

£1,000.01 split 50/50 is £500.005 each: the rule gives the odd penny to the line listed first
(£500.01, £500.00); the old rule gave it to the last line (£500.00, £500.01).
"""

from __future__ import annotations

import importlib
import io
from decimal import Decimal

from django.apps import apps
from django.core.management import call_command
from django.utils import timezone

from casework.models import AuditEvent
from funding import services
from funding.models import ShareLine
from funding.penny_rule import replace_pennies
from panels.models import DecisionShare
from tests.funding.conftest import terms

P = Decimal


def _package(provider, hampshire, hiow_icb, council_finance, child, cost="1000.01"):
    return services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(provider, (hampshire, "percentage", "50"), (hiow_icb, "percentage", "50"), cost=cost),
    )


def _old_placement(package, amounts: list[str], **extra) -> list[ShareLine]:
    shares = list(package.current_version.shares.order_by("position"))
    for share, amount in zip(shares, amounts, strict=True):
        ShareLine.objects.filter(pk=share.pk).update(amount=P(amount), annual_amount=P(amount) * 52, **extra)
    return shares


def test_a_split_differing_by_penny_placement_is_re_placed_and_audited(
    clock, provider, hampshire, hiow_icb, council_finance, child
):
    package = _package(provider, hampshire, hiow_icb, council_finance, child)
    council, icb = _old_placement(package, ["500.00", "500.01"])

    report = replace_pennies(apps=apps, apply=True)

    council.refresh_from_db()
    icb.refresh_from_db()
    assert (council.amount, icb.amount) == (P("500.01"), P("500.00"))
    assert (council.annual_amount, icb.annual_amount) == (P("26000.52"), P("26000.00"))
    assert [(c.share_id, c.stored, c.by_rule) for c in report.moved] == [
        (council.pk, P("500.00"), P("500.01")),
        (icb.pk, P("500.01"), P("500.00")),
    ]
    assert report.left == []
    event = AuditEvent.objects.get(action="funding.share.penny_replaced", object_id=str(council.pk))
    assert event.actor is None and event.child_id == child.pk
    assert event.changes["amount"] == ["500.00", "500.01"]
    assert event.changes["annual_amount"] == ["26000.00", "26000.52"]
    assert "largest remainder" in event.changes["rule"][1]
    # Run again: nothing left to move, nothing audited twice.
    assert replace_pennies(apps=apps, apply=True).moved == []
    assert AuditEvent.objects.filter(action="funding.share.penny_replaced").count() == 2


def test_an_approved_split_differing_by_more_is_left_and_listed(
    clock, provider, hampshire, hiow_icb, council_finance, child
):
    package = _package(provider, hampshire, hiow_icb, council_finance, child)
    council, icb = _old_placement(
        package,
        ["400.00", "600.01"],
        status="approved",
        decided_by=council_finance,
        decided_at=timezone.now(),
    )

    report = replace_pennies(apps=apps, apply=True)

    council.refresh_from_db()
    icb.refresh_from_db()
    assert (council.amount, icb.amount, council.status) == (P("400.00"), P("600.01"), "approved")
    assert report.moved == []
    assert [(c.share_id, c.status, c.stored, c.by_rule) for c in report.left] == [
        (council.pk, "approved", P("400.00"), P("500.01")),
        (icb.pk, "approved", P("600.01"), P("500.00")),
    ]
    assert not AuditEvent.objects.filter(action__endswith="penny_replaced").exists()


def test_fixed_amounts_and_splits_already_by_the_rule_are_not_touched(
    clock, provider, hampshire, hiow_icb, council_finance, child
):
    _package(provider, hampshire, hiow_icb, council_finance, child)  # made by the rule
    services.package_create_existing(
        actor=council_finance,
        child=child,
        pathway="joint_package",
        terms=terms(provider, (hampshire, "amount", "0.01"), (hiow_icb, "amount", "1000.00"), cost="1000.01"),
    )
    report = replace_pennies(apps=apps, apply=True)
    assert (report.moved, report.left) == ([], [])


def test_a_decisions_stored_split_is_re_placed_too(clock, make_decision, hampshire, hiow_icb):
    decision = make_decision(
        shares=[(hampshire, "percentage", P("50")), (hiow_icb, "percentage", P("50"))], cost=P("1000.01")
    )
    first, second = decision.shares.order_by("pk")
    DecisionShare.objects.filter(pk=first.pk).update(amount=P("500.00"))
    DecisionShare.objects.filter(pk=second.pk).update(amount=P("500.01"))

    replace_pennies(apps=apps, apply=True)

    assert [s.amount for s in decision.shares.order_by("pk")] == [P("500.01"), P("500.00")]
    event = AuditEvent.objects.get(action="panels.decision_share.penny_replaced", object_id=str(first.pk))
    assert event.actor is None and event.changes["amount"] == ["500.00", "500.01"]


def test_the_command_lists_without_changing_and_applies_when_asked(
    clock, provider, hampshire, hiow_icb, council_finance, child
):
    moved = _package(provider, hampshire, hiow_icb, council_finance, child)
    council, _ = _old_placement(moved, ["500.00", "500.01"])
    left = _package(provider, hampshire, hiow_icb, council_finance, child, cost="2000.00")
    _old_placement(left, ["900.00", "1100.00"])

    out = io.StringIO()
    call_command("share_pennies", stdout=out)
    council.refresh_from_db()
    assert council.amount == P("500.00")
    text = out.getvalue()
    assert "Would re-place 2 share(s)" in text
    assert f"package {left.pk} version 1" in text and "stored £900.00, by the rule £1,000.00" in text

    out = io.StringIO()
    call_command("share_pennies", "--apply", stdout=out)
    council.refresh_from_db()
    assert council.amount == P("500.01")
    assert "Re-placed 2 share(s)" in out.getvalue()
    assert "Left as stored, differing by more than penny placement: 2" in out.getvalue()


def test_the_migration_re_places_with_the_same_rule(
    clock, provider, hampshire, hiow_icb, council_finance, child
):
    package = _package(provider, hampshire, hiow_icb, council_finance, child)
    council, _ = _old_placement(package, ["500.00", "500.01"])
    migration = importlib.import_module("funding.migrations.0004_shares_penny_rule")
    migration.replace_pennies(apps, None)
    council.refresh_from_db()
    assert council.amount == P("500.01")
