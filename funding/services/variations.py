"""Changing a package once it exists: a variation as a new version from an effective date, the
CETR a long residential placement needs, and ending it.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.audit import record_event
from casework.models import User
from casework.services import InvalidTransition
from funding import access
from funding.models import FundingPackage, PackageStatus, PackageVersion, ShareStatus
from funding.services.packages import (
    PackageTerms,
    _event,
    _lock,
    _make_version,
    _notify_new_shares,
    _refresh_status,
    _require_text,
    _validate_terms,
)

__all__ = ["effective_from_problem", "package_end", "package_record_cetr", "package_vary"]


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


def _effective_from_problem(
    effective_from: dt.date, *, current_from: dt.date, starts_on: dt.date | None
) -> str:
    """Why a variation cannot take effect on this date ("" when it can)."""
    if effective_from <= current_from:
        return f"The change must take effect after the current version's date ({current_from:%d/%m/%Y})"
    if starts_on is not None and effective_from < starts_on:
        return "The change cannot take effect before the package starts"
    return ""


def effective_from_problem(
    *, package: FundingPackage, effective_from: dt.date, starts_on: dt.date | None
) -> str:
    """What package_vary would say of `effective_from` for this package today, read without a lock:
    for answering every problem of a request at once (issue 16); the service checks again."""
    if package.current_version_id is None:
        return ""
    current_from = (
        PackageVersion.objects.filter(pk=package.current_version_id)
        .values_list("effective_from", flat=True)
        .first()
    )
    if current_from is None:
        return ""
    return _effective_from_problem(effective_from, current_from=current_from, starts_on=starts_on)


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
    if locked.current_version_id is None:  # every package is made with its first version (_initial_package)
        raise InvalidTransition("This package has no version to vary yet")
    previous = PackageVersion.objects.select_related("provider").get(pk=locked.current_version_id)
    if effective_from is None:
        errors["effective_from"] = ["Enter the date the change takes effect"]
    elif said := _effective_from_problem(
        effective_from, current_from=previous.effective_from, starts_on=terms.starts_on
    ):
        errors["effective_from"] = [said]
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
