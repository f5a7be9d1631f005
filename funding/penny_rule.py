"""Stored shares written before the penny rule of docs/adr/0012-money.md, re-placed by it.

Until issue 15 the odd penny of a percentage split went to the last line ("the last line takes the
remainder"); since then casework.money.allocate gives it to the largest remainder, ties to the line
listed first. Amounts worked out then are stored (a package version's ShareLine.amount and
annual_amount, a decision's DecisionShare.amount), so a package made before the change and one made
after could place the same penny differently, and the tracker, the funding matrix and the paper
could disagree by a penny.

`replace_pennies` puts each stored split of percentages where the rule puts it when, and only when,
the stored amounts differ from the rule's by penny placement alone: they add up to the same cost
and no line is more than a penny away. Each moved share is audited as a system change (actor
empty, action "funding.share.penny_replaced" or "panels.decision_share.penny_replaced", the old
and new amounts and the rule). A split that differs by more (someone typed the amounts, or the
cost changed without the split) is never touched: it is listed, with each share's status, for
finance to look at; approved shares among them keep the amount their approver agreed to.
Splits of fixed amounts are the amounts given, so they are never moved.

It runs once as funding migration 0004 and any time as `manage.py share_pennies` (a dry run that
lists, or `--apply`). It takes the model registry (`django.apps.apps`, or a migration's `apps`),
so the migration runs against the models as they stood then.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from casework.money import PENNY, ShareBasis, SplitLine, split_amounts, year_worth

RULE = "docs/adr/0012-money.md: largest remainder, ties to the line listed first"


@dataclass(frozen=True)
class ShareChange:
    """One stored share whose amount differs from the rule's."""

    kind: str  # "package" or "decision"
    owner_id: int  # the package's or the decision's id
    version: int  # the package version's number, or the decision's version
    share_id: int
    agency: str
    status: str
    stored: Decimal
    by_rule: Decimal

    def __str__(self) -> str:
        return (
            f"{self.kind} {self.owner_id} version {self.version}, share {self.share_id} ({self.agency}, "
            f"{self.status}): stored £{self.stored:,.2f}, by the rule £{self.by_rule:,.2f}"
        )


@dataclass
class PennyReport:
    moved: list[ShareChange] = field(default_factory=list)
    left: list[ShareChange] = field(default_factory=list)  # differ by more than penny placement


def _by_rule(cost: Decimal | None, shares: list[Any]) -> list[Decimal] | None:
    """The rule's amounts for a split of percentages, or None for a split it does not place."""
    if cost is None or not shares or any(s.basis != ShareBasis.PERCENTAGE for s in shares):
        return None
    lines = [SplitLine(agency_id=s.agency_id, basis=s.basis, value=s.value) for s in shares]
    return split_amounts(cost, lines)


def _only_pennies(cost: Decimal, stored: list[Decimal], by_rule: list[Decimal]) -> bool:
    return sum(stored, Decimal("0")) == cost and all(
        abs(a - b) <= PENNY for a, b in zip(stored, by_rule, strict=True)
    )


def _compare(
    *, report: PennyReport, kind: str, owner_id: int, version: int, cost, shares: list[Any], status_of
) -> list[tuple[Any, Decimal]]:
    """The shares to move (with their new amounts); the ones that differ by more go on the list."""
    by_rule = _by_rule(cost, shares)
    stored = [s.amount for s in shares]
    if by_rule is None or by_rule == stored:
        return []
    changes = [
        ShareChange(
            kind=kind,
            owner_id=owner_id,
            version=version,
            share_id=s.pk,
            agency=s.agency.name,
            status=status_of(s),
            stored=old,
            by_rule=new,
        )
        for s, old, new in zip(shares, stored, by_rule, strict=True)
        if old != new
    ]
    if not _only_pennies(cost, stored, by_rule):
        report.left.extend(changes)
        return []
    report.moved.extend(changes)
    return [(s, new) for s, new in zip(shares, by_rule, strict=True) if s.amount != new]


def replace_pennies(*, apps, apply: bool) -> PennyReport:
    """Compare every stored split with the rule; with `apply`, re-place the ones that differ by
    penny placement alone and audit each moved share. Returns what moved (or would) and what was
    left because it differs by more."""
    ShareLine = apps.get_model("funding", "ShareLine")
    PackageVersion = apps.get_model("funding", "PackageVersion")
    Decision = apps.get_model("panels", "Decision")
    DecisionShare = apps.get_model("panels", "DecisionShare")
    AuditEvent = apps.get_model("casework", "AuditEvent")
    report = PennyReport()
    events = []

    def audit(*, label: str, share, child_id, changes: dict) -> None:
        events.append(
            AuditEvent(
                actor=None,
                action=f"{label}.penny_replaced",
                object_type=share._meta.label,
                object_id=str(share.pk),
                object_repr=f"{share.agency.name}: £{share.amount}"[:300],
                child_id=child_id,
                changes={**changes, "rule": [None, RULE]},
            )
        )

    versions = PackageVersion.objects.select_related("package").order_by("pk")
    for version in versions.iterator(chunk_size=500):
        shares = list(
            ShareLine.objects.filter(version=version).select_related("agency").order_by("position", "pk")
        )
        moves = _compare(
            report=report,
            kind="package",
            owner_id=version.package_id,
            version=version.number,
            cost=version.cost,
            shares=shares,
            status_of=lambda s: s.status,
        )
        for share, amount in moves if apply else []:
            before, before_annual = share.amount, share.annual_amount
            share.amount = amount
            share.annual_amount = year_worth(amount, version.cost_period, version.weeks_per_year)
            share.save(update_fields=["amount", "annual_amount"])
            audit(
                label="funding.share",
                share=share,
                child_id=version.package.child_id,
                changes={
                    "amount": [str(before), str(share.amount)],
                    "annual_amount": [str(before_annual), str(share.annual_amount)],
                },
            )

    decisions = Decision.objects.filter(cost__isnull=False).select_related("referral").order_by("pk")
    for decision in decisions.iterator(chunk_size=500):
        # A decision's split is in the order it was given (the order the tracker shows).
        shares = list(DecisionShare.objects.filter(decision=decision).select_related("agency").order_by("pk"))
        moves = _compare(
            report=report,
            kind="decision",
            owner_id=decision.pk,
            version=decision.version,
            cost=decision.cost,
            shares=shares,
            status_of=lambda s, d=decision: d.status,
        )
        for share, amount in moves if apply else []:
            before = share.amount
            share.amount = amount
            share.save(update_fields=["amount"])
            audit(
                label="panels.decision_share",
                share=share,
                child_id=decision.referral.child_id if decision.referral_id else None,
                changes={"amount": [str(before), str(share.amount)]},
            )
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return report
