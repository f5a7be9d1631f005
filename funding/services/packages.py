"""Creating funding packages, from a decision or for an existing arrangement, and the versions
every change makes: the terms checked, the split into shares, each share routed to the approver
its annual amount needs, and the package's status worked out from its shares.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from casework.access import NotAllowed, children_visible_to
from casework.audit import record_event
from casework.cetr import placement_needs_cetr, require_cetr
from casework.models import Agency, CetrRecord, Child, Role, User
from casework.money import MAX_COST, SplitLine, split_amounts, split_problems, year_worth
from casework.notifications import notify
from casework.services import InvalidTransition, involvement_add_for_funding
from funding import access
from funding.models import (
    FundingCategory,
    FundingPackage,
    PackageEvent,
    PackageStatus,
    PackageVersion,
    PersonalBudget,
    Provider,
    ProviderKind,
    ShareLine,
    ShareStatus,
)
from referrals.models import CostPeriod, Pathway

__all__ = [
    "PackageTerms",
    "approver_for",
    "awaiting_recommendations",
    "own_agency_problem",
    "package_recheck",
    "package_create_existing",
    "package_create_from_decision",
    "provider_create",
]


@dataclass
class PackageTerms:
    """What a version of a package says. `lines` are the split, in the order given: the odd penny of
    a split of percentages goes by casework.money's rule (largest remainder, ties to the line given
    first; docs/adr/0012-money.md)."""

    provider: Provider
    service_description: str
    cost: Decimal
    cost_period: str
    starts_on: dt.date
    ends_on: dt.date | None = None
    review_date: dt.date | None = None
    weeks_per_year: int = 52
    personal_budget: str = PersonalBudget.NONE
    lines: list[SplitLine] = field(default_factory=list)


# --- Helpers ------------------------------------------------------------------------------------


def _link(package: FundingPackage) -> str:
    return reverse("funding:detail", args=[package.pk])


def _event(
    *, package: FundingPackage, actor: User, action: str, text: str = "", agency: Agency | None = None
) -> None:
    PackageEvent.objects.create(
        package=package,
        version_number=package.version_number,
        agency=agency,
        action=action,
        text=text,
        actor=actor,
    )


def _validate_terms(terms: PackageTerms) -> list[Decimal]:
    """Field errors for bad terms (ValidationError keyed by field), else each line's amount."""
    errors: dict[str, list[str]] = {}
    cost = terms.cost
    if terms.cost_period not in CostPeriod.values:
        errors["cost_period"] = ["Choose how often the cost is paid"]
    if terms.weeks_per_year not in (38, 52):
        errors["weeks_per_year"] = ["Choose 38 or 52 weeks a year"]
    if cost is None or not cost.is_finite() or cost <= 0:
        errors["cost"] = ["Enter a cost more than £0"]
    elif cost != cost.quantize(Decimal("0.01")):
        errors["cost"] = ["Enter the cost in pounds and pence, like 1250.00"]
    elif "cost_period" not in errors and year_worth(cost, terms.cost_period, terms.weeks_per_year) > MAX_COST:
        errors["cost"] = [f"That is more than £{MAX_COST:,.0f} a year: check the figure"]
    if terms.ends_on and terms.starts_on and terms.ends_on < terms.starts_on:
        errors["ends_on"] = ["The end date must be on or after the start date"]
    if terms.review_date and terms.starts_on and terms.review_date < terms.starts_on:
        errors["review_date"] = ["The review date must be on or after the start date"]
    if terms.personal_budget not in PersonalBudget.values:
        errors["personal_budget"] = ["Choose personal health budget, direct payment or neither"]
    if not (terms.service_description or "").strip():
        errors["service_description"] = ["Describe the service"]
    elif len(terms.service_description) > 5000:
        errors["service_description"] = ["Describe the service in 5000 characters or fewer"]
    for line in terms.lines:
        if line.value is not None and line.value != line.value.quantize(Decimal("0.01")):
            errors["shares"] = ["Give shares to at most 2 decimal places"]
    if "shares" not in errors:
        problems = split_problems(cost if "cost" not in errors else None, terms.lines)
        if problems:
            errors["shares"] = problems
    if errors:
        raise ValidationError(errors)
    return split_amounts(cost, terms.lines)


def approver_for(*, agency_id: int, annual_amount: Decimal) -> User | None:
    """The scheme of delegation: the agency's active finance approver with the lowest delegated
    limit that covers the share's annual amount (the next one up when a limit is too low)."""
    return (
        User.objects.filter(
            agency_id=agency_id,
            is_active=True,
            roles__contains=[Role.FINANCE_APPROVER],
            delegated_limit__gte=annual_amount,
        )
        .order_by("delegated_limit", "pk")
        .first()
    )


def _make_version(
    *,
    package: FundingPackage,
    number: int,
    effective_from: dt.date,
    terms: PackageTerms,
    amounts: list[Decimal],
    actor: User,
    change_reason: str = "",
    backdating_reason: str = "",
    previous: PackageVersion | None = None,
) -> tuple[PackageVersion, list[ShareLine]]:
    version = PackageVersion(
        package=package,
        number=number,
        effective_from=effective_from,
        change_reason=change_reason,
        backdating_reason=backdating_reason,
        provider=terms.provider,
        service_description=terms.service_description.strip(),
        weeks_per_year=terms.weeks_per_year,
        cost=terms.cost,
        cost_period=terms.cost_period,
        starts_on=terms.starts_on,
        ends_on=terms.ends_on,
        review_date=terms.review_date,
        personal_budget=terms.personal_budget,
        created_by=actor,
    )
    version.full_clean(exclude=["package"])
    version.save()
    old = {s.agency_id: s for s in previous.shares.all()} if previous else {}
    agencies = Agency.objects.in_bulk([line.agency_id for line in terms.lines])
    if len(agencies) != len({line.agency_id for line in terms.lines}):
        raise ValidationError({"shares": ["Choose an agency for every line"]})
    # Only the child's partnership pays: another area's agency can neither see the child nor
    # approve a share (issue 12), and the page offers only the partnership's agencies.
    partnership = Agency.objects.filter(owned_children__pk=package.child_id).values("partnership")
    outside = sorted(a.name for a in agencies.values() if a.partnership != partnership[0]["partnership"])
    if outside:
        raise ValidationError(
            {"shares": [f"{', '.join(outside)} is not in this child's partnership: choose an agency of it"]}
        )
    now = timezone.now()
    shares = []
    for position, (line, amount) in enumerate(zip(terms.lines, amounts, strict=True), start=1):
        yearly = year_worth(amount, terms.cost_period, terms.weeks_per_year)
        share = ShareLine(
            version=version,
            package=package,
            position=position,
            agency=agencies[line.agency_id],
            category=FundingCategory.for_agency(agencies[line.agency_id]),
            basis=line.basis,
            value=line.value,
            amount=amount,
            annual_amount=yearly,
            awaiting_since=now,
        )
        before = old.get(line.agency_id)
        # Only the shares that change need approving again: same money a period and a year.
        if (
            before
            and before.status == ShareStatus.APPROVED
            and before.amount == amount
            and before.annual_amount == yearly
        ):
            share.status = ShareStatus.APPROVED
            share.decided_by_id = before.decided_by_id
            share.decided_at = before.decided_at
            share.carried_from = before
            share.awaiting_since = before.awaiting_since
        else:
            share.routed_to = approver_for(agency_id=line.agency_id, annual_amount=yearly)
        shares.append(share)
    ShareLine.objects.bulk_create(shares)
    _involve_payers(package=package, number=number, agencies=list(agencies.values()), actor=actor)
    return version, shares


def _involve_payers(*, package: FundingPackage, number: int, agencies: list[Agency], actor: User) -> None:
    """An agency given a share becomes involved with the child (casework's involvement service,
    audited), so its finance approvers, told of the share, can open the package and approve it:
    packages_visible_to asks for sight of the child (docs/adr/0013). The reason names the package
    and where the share came from, for the child's list of agencies."""
    source = f"panel decision {package.decision_id}" if package.decision_id else "existing arrangement"
    if number > 1:
        source = f"variation, version {number}"
    involvement_add_for_funding(
        actor=actor,
        child=package.child,
        agencies=agencies,
        reason=f"Funding share in package {package.pk} ({source})",
    )


def _status_for(package: FundingPackage, version: PackageVersion, shares: list[ShareLine]) -> str:
    if package.status == PackageStatus.ENDED:
        return PackageStatus.ENDED
    if any(s.status == ShareStatus.DISPUTED for s in shares):
        return PackageStatus.DISPUTED
    cetr_ok = not version.needs_cetr or (
        (package.cetr_completed_on or package.cetr_record_id) and package.multi_agency_agreed
    )
    if shares and all(s.status == ShareStatus.APPROVED for s in shares) and cetr_ok:
        return PackageStatus.AGREED
    return PackageStatus.AWAITING_APPROVAL


def awaiting_recommendations(package: FundingPackage) -> list:
    """The panel's recommendations on this package's decision (any version of its item that is not
    superseded) still awaiting an absent agency's answer, oldest due first: one query, none for a
    package that did not come from a panel. seeds 002, Joint Funding Panel: "Decisions are not to be
    made if they impact upon one of the agencies who may not be present. The recommendations made to
    an absent agency will require a response within 3 working days." — so that agency's share cannot
    be approved, and the package cannot be Agreed, until it accepts."""
    from panels.models import AgencyRecommendation, Decision, DecisionStatus, RecommendationStatus

    if not package.decision_id:
        return []
    return list(
        AgencyRecommendation.objects.filter(
            decision__agenda_item_id__in=Decision.objects.filter(pk=package.decision_id).values(
                "agenda_item_id"
            ),
            status=RecommendationStatus.AWAITING,
        )
        .exclude(decision__status=DecisionStatus.SUPERSEDED)
        .select_related("agency")
        .order_by("due_on", "pk")
    )


def package_recheck(*, actor: User, decision) -> None:
    """An absent agency answered the panel's recommendation on `decision`: the package of that
    decision's item may now become Agreed (every share approved, nothing awaiting)."""
    package = (
        FundingPackage.objects.filter(decision__agenda_item_id=decision.agenda_item_id)
        .exclude(current_version=None)
        .first()
    )
    if package is not None:
        _refresh_status(package=package, actor=actor)


def _refresh_status(*, package: FundingPackage, actor: User) -> FundingPackage:
    if package.current_version_id is None:  # every package is created with its first version
        raise InvalidTransition("This funding package has no version yet")
    version = PackageVersion.objects.select_related("provider").get(pk=package.current_version_id)
    shares = list(version.shares.all())
    new = _status_for(package, version, shares)
    if new == PackageStatus.AGREED and awaiting_recommendations(package):
        new = PackageStatus.AWAITING_APPROVAL  # seeds 002: an absent agency has not yet accepted
    if new != package.status:
        old = package.status
        stamps = {"agreed_at": timezone.now()} if new == PackageStatus.AGREED else {}
        FundingPackage.objects.filter(pk=package.pk).update(status=new, **stamps)
        package.status = new
        for key, value in stamps.items():
            setattr(package, key, value)
        _event(package=package, actor=actor, action=new, text=f"Package {PackageStatus(new).label.lower()}")
        record_event(
            actor=actor,
            action=f"funding.package.{new}",
            obj=package,
            child=package.child,
            changes={"status": [old, new]},
        )
    return package


def _lock(package: FundingPackage, expected_version: int | None) -> FundingPackage:
    """The package row, locked; refuses an action on a version that has since changed."""
    locked = FundingPackage.objects.select_for_update().filter(pk=package.pk).first()
    if locked is None:
        raise InvalidTransition("This package no longer exists")
    if expected_version is not None and locked.version_number != expected_version:
        raise InvalidTransition(
            f"This package changed to version {locked.version_number} after you opened version "
            f"{expected_version}. Nothing was saved: look at the new version and act on that."
        )
    if locked.status == PackageStatus.ENDED:
        raise InvalidTransition("This package has ended, so it can no longer be changed or approved")
    return locked


def _notify_new_shares(package: FundingPackage, shares: list[ShareLine]) -> None:
    approvers = [s.routed_to for s in shares if s.status != ShareStatus.APPROVED and s.routed_to]
    if approvers:
        notify(
            users=approvers,
            subject="A funding share is awaiting your approval",
            body=f"Funding package {package.pk} has a share for your agency to approve.",
            url=_link(package),
        )


def _initial_package(
    *,
    actor: User,
    child: Child,
    pathway: str,
    terms: PackageTerms,
    decision=None,
    referral=None,
    panel=None,
    cetr: CetrRecord | None = None,
) -> FundingPackage:
    amounts = _validate_terms(terms)
    # A CETR (or its override) the panel's signed decision rested on: the panel is the agencies'
    # agreement (seeds 003 supplementary recommendation 4).
    package = FundingPackage.objects.create(
        child=child,
        decision=decision,
        referral=referral,
        panel=panel,
        pathway=pathway,
        created_by=actor,
        cetr_record=cetr,
        cetr_completed_on=cetr.held_on if cetr is not None else None,
        multi_agency_agreed=cetr is not None,
    )
    version, shares = _make_version(
        package=package, number=1, effective_from=terms.starts_on, terms=terms, amounts=amounts, actor=actor
    )
    package.current_version = version
    package.save(update_fields=["current_version"])
    source = "panel decision" if decision else "existing arrangement"
    _event(package=package, actor=actor, action="created", text=f"Recorded from the {source}")
    record_event(
        actor=actor,
        action="funding.package.created",
        obj=package,
        child=child,
        changes={
            "source": [None, source],
            "cost": [None, str(terms.cost)],
            "period": [None, terms.cost_period],
        },
    )
    _refresh_status(package=package, actor=actor)
    _notify_new_shares(package, shares)
    return package


# --- Providers ----------------------------------------------------------------------------------


@transaction.atomic
def provider_create(*, actor: User, name: str, kind: str, regulator_reference: str = "") -> Provider:
    """A provider, or the existing one of that name and kind."""
    name = " ".join((name or "").split())
    existing = Provider.objects.filter(name__iexact=name, kind=kind).first()
    if existing:
        return existing
    provider = Provider(name=name, kind=kind, regulator_reference=(regulator_reference or "").strip().upper())
    provider.full_clean()
    provider.save()
    record_event(actor=actor, action="funding.provider.created", obj=provider, changes={"name": [None, name]})
    return provider


# --- Creating packages --------------------------------------------------------------------------


@transaction.atomic
def package_create_from_decision(*, actor: User, decision) -> FundingPackage:
    """The package a signed decision agreed. Idempotent: a decision has at most one package, and
    asking again returns it. Only signed decisions with an agreed outcome commit money (seeds 002:
    a decision records where the costs fall)."""
    from panels.models import AGREED_OUTCOMES, DecisionStatus

    existing = FundingPackage.objects.filter(decision_id=decision.pk).first()
    if existing:
        return existing
    if decision.status != DecisionStatus.SIGNED:
        raise InvalidTransition("Only a decision the chair has signed can become a funding package")
    if decision.outcome not in AGREED_OUTCOMES:
        raise InvalidTransition("Only an agreed decision commits funding")
    referral = decision.referral
    option = decision.option
    panel = decision.agenda_item.meeting.panel
    cost = decision.cost if decision.cost is not None else (option.cost if option else None)
    period = decision.cost_period or (option.period if option else "")
    provider_name = (option.provider if option else "") or "Provider to be confirmed"
    # The package carries the option's kind of service and the decision's weeks a year (copied from
    # the option when the decision was recorded), so a residential placement of 38 weeks or more
    # cannot slip past the CETR rule as "not yet confirmed" (seeds 003).
    kind = option.provider_kind if option else ProviderKind.UNCONFIRMED
    weeks = decision.weeks_per_year
    named = Provider.objects.filter(name__iexact=provider_name).order_by("pk")
    if kind != ProviderKind.UNCONFIRMED:
        named = named.filter(kind=kind)
    provider = named.first() or provider_create(actor=actor, name=provider_name, kind=kind)
    cetr = None
    if placement_needs_cetr(kind=kind, weeks=weeks):
        # seeds 003 supplementary recommendation 4: "No decision should be made without
        # multi-agency agreement and commitment": a CETR, or a named senior person's override.
        cetr = require_cetr(referral=referral, placement=True)
    if cost is None:  # build() refuses an agreed decision without a cost; the terms would too
        raise ValidationError({"cost": ["Enter a cost more than £0"]})
    description = (option.description if option else "") or decision.rationale or "As agreed by the panel"
    starts_on = decision.starts_on or (option.starts_on if option else None) or timezone.localdate()
    terms = PackageTerms(
        provider=provider,
        service_description=description[:5000],
        cost=cost,
        cost_period=period,
        starts_on=starts_on,
        ends_on=decision.ends_on or (option.ends_on if option else None),
        review_date=decision.review_date,
        weeks_per_year=weeks,
        lines=[
            SplitLine(agency_id=s.agency_id, basis=s.basis, value=s.value)
            for s in decision.shares.order_by("id")
        ],
    )
    try:
        with transaction.atomic():
            return _initial_package(
                actor=actor,
                child=referral.child,
                pathway=referral.pathway,
                terms=terms,
                decision=decision,
                referral=referral,
                panel=panel,
                cetr=cetr,
            )
    except IntegrityError:
        # Someone else created it at the same moment: theirs is the one.
        existing = FundingPackage.objects.filter(decision_id=decision.pk).first()
        if existing is None:
            raise
        return existing


def own_agency_problem(*, actor: User, agency_ids: Iterable[int]) -> str | None:
    """Why `actor` may not record an existing arrangement split between `agency_ids`, or None: their
    own agency must pay a share of it (a panel administrator records any). The form of the page
    asks the same (funding.forms.NewPackageForm), so it is said with every other problem at once."""
    if actor.agency_id in set(agency_ids) or actor.has_role(Role.PANEL_ADMINISTRATOR):
        return None
    return "Your own agency must pay a share of a package you record"


@transaction.atomic
def package_create_existing(
    *, actor: User, child: Child, pathway: str, terms: PackageTerms
) -> FundingPackage:
    """A package for an arrangement agreed before the panel ran here (no decision)."""
    access.require_manager(user=actor)
    if not children_visible_to(user=actor).filter(pk=child.pk).exists():
        raise NotAllowed("You cannot see this child's record")
    if pathway not in Pathway.values:
        raise ValidationError({"pathway": ["Choose the pathway"]})
    problem = own_agency_problem(actor=actor, agency_ids=[line.agency_id for line in terms.lines])
    if problem:
        raise ValidationError({"shares": [problem]})
    return _initial_package(actor=actor, child=child, pathway=pathway, terms=terms)


def _require_text(value: str, field_name: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field_name: [message]})
    if len(text) > 5000:
        raise ValidationError({field_name: ["Write 5000 characters or fewer"]})
    return text
