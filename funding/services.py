"""Every write to funding packages: creating one from a decision or for an existing arrangement,
approving, querying and disputing shares, variations as new versions, recording a CETR, ending.

Concurrency: every action locks the package row first (select_for_update) and checks the version
the person was looking at, so an approval made on a version that has since changed is refused
(InvalidTransition → 409) and two approvers acting at once cannot both win; share status changes
are compare-and-swap updates on top of that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from casework.access import NotAllowed, children_visible_to
from casework.audit import record_event
from casework.models import Agency, Child, Role, User
from casework.money import MAX_COST, SplitLine, split_amounts, split_problems, year_worth
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import moment
from funding import access
from funding.models import (
    FundingCategory,
    FundingDispute,
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
    "package_create_existing",
    "package_create_from_decision",
    "package_end",
    "package_record_cetr",
    "package_vary",
    "provider_create",
    "share_answer_query",
    "share_approve",
    "share_dispute",
    "share_last_act",
    "share_query",
]

APPROVABLE = (ShareStatus.AWAITING, ShareStatus.QUERIED, ShareStatus.DISPUTED)


@dataclass
class PackageTerms:
    """What a version of a package says. `lines` are the split, in the order given (the last line
    takes any rounding remainder)."""

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
    return version, shares


def _status_for(package: FundingPackage, version: PackageVersion, shares: list[ShareLine]) -> str:
    if package.status == PackageStatus.ENDED:
        return PackageStatus.ENDED
    if any(s.status == ShareStatus.DISPUTED for s in shares):
        return PackageStatus.DISPUTED
    cetr_ok = not version.needs_cetr or (package.cetr_completed_on and package.multi_agency_agreed)
    if shares and all(s.status == ShareStatus.APPROVED for s in shares) and cetr_ok:
        return PackageStatus.AGREED
    return PackageStatus.AWAITING_APPROVAL


def _refresh_status(*, package: FundingPackage, actor: User) -> FundingPackage:
    version = PackageVersion.objects.select_related("provider").get(pk=package.current_version_id)
    shares = list(version.shares.all())
    new = _status_for(package, version, shares)
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
) -> FundingPackage:
    amounts = _validate_terms(terms)
    package = FundingPackage.objects.create(
        child=child, decision=decision, referral=referral, panel=panel, pathway=pathway, created_by=actor
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
    provider = Provider.objects.filter(name__iexact=provider_name).order_by("pk").first() or provider_create(
        actor=actor, name=provider_name, kind=ProviderKind.UNCONFIRMED
    )
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
            )
    except IntegrityError:
        # Someone else created it at the same moment: theirs is the one.
        existing = FundingPackage.objects.filter(decision_id=decision.pk).first()
        if existing is None:
            raise
        return existing


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
    if actor.agency_id not in {line.agency_id for line in terms.lines} and not actor.has_role(
        Role.PANEL_ADMINISTRATOR
    ):
        raise ValidationError({"shares": ["Your own agency must pay a share of a package you record"]})
    return _initial_package(actor=actor, child=child, pathway=pathway, terms=terms)


# --- Approvals ----------------------------------------------------------------------------------


def _lock_share(share: ShareLine, package: FundingPackage, expected_version: int | None) -> ShareLine:
    locked = _lock(package, expected_version)
    current = ShareLine.objects.select_related("decided_by", "agency").get(pk=share.pk)
    if current.version_id != locked.current_version_id:
        raise InvalidTransition(
            f"This share belongs to an earlier version of the package (now version {locked.version_number}). "
            "Nothing was saved: look at the current version."
        )
    current.package = locked
    return current


# What each share action reads as in a refusal ("Priya Shah disputed this share at 10:02").
_SHARE_ACTS = {
    "approved": "approved this share",
    "queried": "queried this share",
    "disputed": "disputed this share",
    "answered": "answered the query on this share",
}


def share_last_act(share: ShareLine) -> str:
    """Who last acted on this agency's share, what they did and when, from the package's history
    (one indexed query; an approval carried over from an earlier version names its approver)."""
    if share.status == ShareStatus.APPROVED and share.decided_by_id:
        return f"{share.decided_by.full_name} approved this share {moment(share.decided_at)}"
    event = (
        PackageEvent.objects.filter(
            package_id=share.package_id, agency_id=share.agency_id, action__in=_SHARE_ACTS
        )
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        return f"This share is now {share.get_status_display().lower()}"
    return f"{event.actor.full_name} {_SHARE_ACTS[event.action]} {moment(event.at)}"


def _refuse_if_moved(current: ShareLine, seen_status: str) -> None:
    """One winner (issue 13): an action is taken on the share as the person saw it. If its status
    changed since (someone approved, queried, disputed or answered first), the later action loses
    with a 409 saying who did what, instead of silently undoing the first."""
    if current.status != seen_status:
        raise InvalidTransition(
            f"{share_last_act(current)}, after you opened it. Nothing was saved: look at the share again"
        )


@transaction.atomic
def share_approve(
    *, actor: User, share: ShareLine, expected_version: int | None, expected_status: str | None = None
) -> ShareLine:
    """Approve one agency's share, within the approver's delegated limit (a year's worth, or the
    one-off amount). Above it, the share goes to the next approver up.

    `expected_status`: the share's status as the approver saw it (the page's hidden field, the API's
    `status`); left out, the status of `share` as the caller loaded it. A query or dispute that came
    in since wins: the approval is refused (409) naming who did what."""
    access.require_approver_of(user=actor, share=share)
    seen = expected_status or share.status
    current = _lock_share(share, share.package, expected_version)
    if current.status == ShareStatus.APPROVED:
        who = current.decided_by.full_name if current.decided_by else "someone"
        raise InvalidTransition(
            f"Your agency's share was already approved by {who} {moment(current.decided_at)}".rstrip()
        )
    _refuse_if_moved(current, seen)
    limit = actor.delegated_limit
    if limit is None or current.annual_amount > limit:
        up = approver_for(agency_id=current.agency_id, annual_amount=current.annual_amount)
        where = f"it goes to {up.full_name}" if up else "nobody in your agency has a high enough limit"
        yours = f"£{limit:,.2f}" if limit is not None else "not set"
        raise ValidationError(
            {
                "share": [
                    f"This share is £{current.annual_amount:,.2f} a year, above your delegated limit "
                    f"({yours}): {where}"
                ]
            }
        )
    now = timezone.now()
    changed = ShareLine.objects.filter(pk=current.pk, status=seen).update(
        status=ShareStatus.APPROVED, decided_by=actor, decided_at=now
    )
    if changed != 1:
        raise InvalidTransition("Someone else acted on this share at the same moment; nothing was saved")
    package = current.package
    _event(package=package, actor=actor, action="approved", agency=current.agency, text="Share approved")
    record_event(
        actor=actor,
        action="funding.share.approved",
        obj=current,
        child=package.child,
        changes={
            "status": [current.status, ShareStatus.APPROVED],
            "annual_amount": [None, str(current.annual_amount)],
        },
    )
    _refresh_status(package=package, actor=actor)
    current.refresh_from_db()
    return current


def _require_text(value: str, field_name: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field_name: [message]})
    if len(text) > 5000:
        raise ValidationError({field_name: ["Write 5000 characters or fewer"]})
    return text


def _panel_administrators(package: FundingPackage) -> list[User]:
    from panels.models import MemberRole, Membership

    if package.panel_id is None:
        return []
    return [
        m.person
        for m in Membership.objects.current()
        .filter(panel_id=package.panel_id, role=MemberRole.ADMINISTRATOR)
        .select_related("person")
    ]


@transaction.atomic
def share_query(
    *,
    actor: User,
    share: ShareLine,
    expected_version: int | None,
    question: str,
    expected_status: str | None = None,
) -> ShareLine:
    """Ask the panel administrator and the referrer a question before approving.
    `expected_status`: as for share_approve."""
    access.require_approver_of(user=actor, share=share)
    text = _require_text(question, "question", "Enter your question")
    seen = expected_status or share.status
    current = _lock_share(share, share.package, expected_version)
    if current.status == ShareStatus.APPROVED:
        who = current.decided_by.full_name if current.decided_by else "someone"
        raise InvalidTransition(
            f"Your agency's share was already approved by {who} {moment(current.decided_at)}, so it can "
            "no longer be queried: ask for a variation of the package instead"
        )
    _refuse_if_moved(current, seen)
    if current.status not in (ShareStatus.AWAITING, ShareStatus.QUERIED):
        raise InvalidTransition(
            f"This share is {current.get_status_display().lower()}, so it cannot be queried"
        )
    changed = ShareLine.objects.filter(pk=current.pk, status=seen).update(
        status=ShareStatus.QUERIED, query_text=text, query_answer=""
    )
    if changed != 1:
        raise InvalidTransition("Someone else acted on this share at the same moment; nothing was saved")
    package = current.package
    _event(package=package, actor=actor, action="queried", agency=current.agency, text=text)
    record_event(
        actor=actor,
        action="funding.share.queried",
        obj=current,
        child=package.child,
        changes={"question": [None, text]},
    )
    people = _panel_administrators(package)
    if package.referral_id:
        people.append(package.referral.referrer)
    notify(
        users=[p for p in people if p.pk != actor.pk],
        subject="A finance approver has a question about a funding package",
        body=text,
        url=_link(package),
    )
    current.refresh_from_db()
    return current


@transaction.atomic
def share_answer_query(*, actor: User, share: ShareLine, answer: str) -> ShareLine:
    """The panel administrator or referrer answers; the share awaits approval again."""
    package = share.package
    is_referrer = package.referral_id is not None and package.referral.referrer_id == actor.pk
    if not (is_referrer or actor.has_role(Role.PANEL_ADMINISTRATOR)):
        raise NotAllowed("Only the panel administrator or the referrer can answer a query")
    text = _require_text(answer, "answer", "Enter your answer")
    current = _lock_share(share, package, None)
    if current.status != ShareStatus.QUERIED:
        # Someone answered first, or the approver approved or disputed instead: say who.
        raise InvalidTransition(f"{share_last_act(current)}, so there is no open query to answer")
    changed = ShareLine.objects.filter(pk=current.pk, status=ShareStatus.QUERIED).update(
        status=ShareStatus.AWAITING, query_answer=text
    )
    if changed != 1:
        raise InvalidTransition("Someone else acted on this share at the same moment; nothing was saved")
    _event(package=package, actor=actor, action="answered", agency=current.agency, text=text)
    record_event(
        actor=actor,
        action="funding.share.answered",
        obj=current,
        child=package.child,
        changes={"answer": [None, text]},
    )
    if current.routed_to_id:
        notify(
            users=[current.routed_to],
            subject="Your funding query was answered",
            body=text,
            url=_link(package),
        )
    current.refresh_from_db()
    return current


@transaction.atomic
def share_dispute(
    *,
    actor: User,
    share: ShareLine,
    expected_version: int | None,
    reason: str,
    expected_status: str | None = None,
) -> FundingDispute:
    """Dispute this agency's share. The dispute is recorded and put on the next scheduled meeting of
    the panel that made the decision (seeds 004: disagreement resolution between the council and the
    NHS), as a supplement if that agenda has been circulated. `expected_status`: as for
    share_approve."""
    from panels.models import AgendaItem, AgendaItemKind, Meeting, MeetingStatus

    access.require_approver_of(user=actor, share=share)
    text = _require_text(reason, "reason", "Give the reason for the dispute")
    seen = expected_status or share.status
    current = _lock_share(share, share.package, expected_version)
    if current.status == ShareStatus.APPROVED:
        # One winner (issue 13): an approval that landed first stands; changing an agreed share is
        # a variation of the package, not a dispute that silently undoes the approval.
        who = current.decided_by.full_name if current.decided_by else "someone"
        raise InvalidTransition(
            f"Your agency's share was already approved by {who} {moment(current.decided_at)}, so it can "
            "no longer be disputed: ask for a variation of the package instead"
        )
    if current.status == ShareStatus.DISPUTED:
        raise InvalidTransition(f"Your agency has already disputed this share: {share_last_act(current)}")
    _refuse_if_moved(current, seen)
    changed = ShareLine.objects.filter(pk=current.pk, status=seen).update(
        status=ShareStatus.DISPUTED, dispute_reason=text, decided_by=None, decided_at=None
    )
    if changed != 1:
        raise InvalidTransition("Someone else acted on this share at the same moment; nothing was saved")
    package = current.package
    dispute = FundingDispute(
        package=package, share=current, agency=current.agency, reason=text, raised_by=actor
    )
    meeting = None
    if package.panel_id:
        meeting = (
            Meeting.objects.filter(
                panel_id=package.panel_id, status=MeetingStatus.SCHEDULED, date__gte=timezone.localdate()
            )
            .order_by("date", "starts_at")
            .first()
        )
    if meeting is None:
        dispute.not_listed_reason = (
            "No meeting of the deciding panel is scheduled: the dispute must be listed by hand"
            if package.panel_id
            else "This package did not come from a panel, so there is no panel agenda to list it on"
        )
    else:
        last = meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0
        dispute.agenda_item = AgendaItem.objects.create(
            meeting=meeting,
            kind=AgendaItemKind.OTHER_BUSINESS,
            title=f"Funding dispute: {current.agency.name}, package {package.pk}"[:300],
            description=text,
            position=last + 1,
            is_supplement=meeting.circulated_at is not None,
            added_by=actor,
        )
    dispute.save()
    where = f"listed for {meeting}" if meeting else dispute.not_listed_reason
    _event(package=package, actor=actor, action="disputed", agency=current.agency, text=f"{text} ({where})")
    record_event(
        actor=actor,
        action="funding.share.disputed",
        obj=current,
        child=package.child,
        changes={"reason": [None, text], "agenda_item": [None, dispute.agenda_item_id]},
    )
    _refresh_status(package=package, actor=actor)
    notify(
        users=[u for u in _panel_administrators(package) if u.pk != actor.pk],
        subject="A funding share has been disputed",
        body=text,
        url=_link(package),
    )
    return dispute


# --- Variations, CETR and ending -----------------------------------------------------------------

_COMPARED = (
    "provider_id",
    "service_description",
    "weeks_per_year",
    "cost",
    "cost_period",
    "starts_on",
    "ends_on",
    "review_date",
    "personal_budget",
)


@transaction.atomic
def package_vary(
    *,
    actor: User,
    package: FundingPackage,
    expected_version: int,
    effective_from: dt.date,
    terms: PackageTerms,
    change_reason: str,
    backdating_reason: str = "",
) -> FundingPackage:
    """A variation (cost, split, dates, provider) is a new version from an effective date; the old
    one is kept. Backdating needs a reason. Shares whose money is unchanged keep their approval;
    the others go back to their agency's approver."""
    access.require_manager(user=actor)
    errors: dict[str, list[str]] = {}
    try:
        amounts = _validate_terms(terms)
    except ValidationError as error:
        errors.update(error.message_dict)
    reason = (change_reason or "").strip()
    if not reason:
        errors["change_reason"] = ["Say why the package is changing"]
    locked = _lock(package, expected_version)
    previous = PackageVersion.objects.select_related("provider").get(pk=locked.current_version_id)
    if effective_from is None:
        errors["effective_from"] = ["Enter the date the change takes effect"]
    elif effective_from <= previous.effective_from:
        errors["effective_from"] = [
            f"The change must take effect after the current version's date ({previous.effective_from:%d/%m/%Y})"
        ]
    elif effective_from < terms.starts_on:
        errors["effective_from"] = ["The change cannot take effect before the package starts"]
    elif effective_from < timezone.localdate() and not (backdating_reason or "").strip():
        errors["backdating_reason"] = ["Say why the change is backdated"]
    if errors:
        raise ValidationError(errors)
    old_lines = [(s.agency_id, s.basis, s.value) for s in previous.shares.order_by("position")]
    new_lines = [(line.agency_id, line.basis, line.value) for line in terms.lines]
    same_terms = all(
        getattr(previous, name) == (terms.provider.pk if name == "provider_id" else getattr(terms, name))
        for name in _COMPARED
    )
    if same_terms and old_lines == new_lines:
        raise ValidationError({"cost": ["Nothing has changed: change the cost, split, dates or provider"]})
    number = locked.version_number + 1
    version, shares = _make_version(
        package=locked,
        number=number,
        effective_from=effective_from,
        terms=terms,
        amounts=amounts,
        actor=actor,
        change_reason=reason,
        backdating_reason=(backdating_reason or "").strip(),
        previous=previous,
    )
    updated = FundingPackage.objects.filter(pk=locked.pk, version_number=expected_version).update(
        version_number=number, current_version=version
    )
    if updated != 1:
        raise InvalidTransition("Someone else changed this package at the same moment; nothing was saved")
    locked.version_number, locked.current_version = number, version
    reapprove = [s.agency.name for s in shares if s.status != ShareStatus.APPROVED]
    _event(
        package=locked,
        actor=actor,
        action="varied",
        text=f"Version {number} from {effective_from:%-d %B %Y}: {reason}"
        + (
            f". To approve again: {', '.join(reapprove)}" if reapprove else ". No share needs approving again"
        ),
    )
    record_event(
        actor=actor,
        action="funding.package.varied",
        obj=locked,
        child=locked.child,
        changes={
            "version": [number - 1, number],
            "effective_from": [None, str(effective_from)],
            "cost": [str(previous.cost), str(terms.cost)],
            "reason": [None, reason],
        },
    )
    _refresh_status(package=locked, actor=actor)
    _notify_new_shares(locked, shares)
    return locked


@transaction.atomic
def package_record_cetr(
    *, actor: User, package: FundingPackage, completed_on: dt.date, multi_agency_agreed: bool
) -> FundingPackage:
    """seeds 003: a residential placement of 38 weeks or more needs a recorded Care, Education and
    Treatment Review and the agencies' agreement before the package is agreed."""
    access.require_manager(user=actor)
    locked = _lock(package, None)
    errors = {}
    if completed_on is None:
        errors["completed_on"] = ["Enter the date the review took place"]
    elif completed_on > timezone.localdate():
        errors["completed_on"] = ["The review date must be today or in the past"]
    if not multi_agency_agreed:
        errors["multi_agency_agreed"] = ["Confirm the agencies agreed the placement at the review"]
    if errors:
        raise ValidationError(errors)
    FundingPackage.objects.filter(pk=locked.pk).update(
        cetr_completed_on=completed_on, multi_agency_agreed=True, cetr_recorded_by=actor
    )
    locked.cetr_completed_on, locked.multi_agency_agreed = completed_on, True
    _event(
        package=locked, actor=actor, action="cetr", text=f"CETR recorded, held on {completed_on:%-d %B %Y}"
    )
    record_event(
        actor=actor,
        action="funding.package.cetr_recorded",
        obj=locked,
        child=locked.child,
        changes={"cetr_completed_on": [None, str(completed_on)]},
    )
    return _refresh_status(package=locked, actor=actor)


@transaction.atomic
def package_end(
    *, actor: User, package: FundingPackage, expected_version: int | None, ends_on: dt.date, reason: str
) -> FundingPackage:
    """End the package from a date, with the reason recorded."""
    access.require_manager(user=actor)
    text = _require_text(reason, "reason", "Say why the package is ending")
    locked = _lock(package, expected_version)
    first = locked.versions.order_by("number").first()
    if ends_on is None:
        raise ValidationError({"ends_on": ["Enter the date the package ends"]})
    if first and ends_on < first.starts_on:
        raise ValidationError({"ends_on": ["The end date must be on or after the start date"]})
    old = locked.status
    FundingPackage.objects.filter(pk=locked.pk).exclude(status=PackageStatus.ENDED).update(
        status=PackageStatus.ENDED, ended_on=ends_on, end_reason=text, ended_by=actor
    )
    locked.status, locked.ended_on, locked.end_reason = PackageStatus.ENDED, ends_on, text
    _event(package=locked, actor=actor, action="ended", text=f"Ends {ends_on:%-d %B %Y}: {text}")
    record_event(
        actor=actor,
        action="funding.package.ended",
        obj=locked,
        child=locked.child,
        changes={
            "status": [old, PackageStatus.ENDED],
            "ended_on": [None, str(ends_on)],
            "reason": [None, text],
        },
    )
    return locked
