"""What the referral pages share: the checks before a change, an option and its costs, where each
problem is fixed, and what a save says."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.urls import reverse

from casework import money
from casework.access import NOT_FOUND_MESSAGE
from casework.models import Agency, Role
from casework.services import InvalidTransition
from referrals import selectors, services
from referrals.models import CostPeriod, Option, OptionShare, Referral, SignOffStage, Status


def _require_editable(referral: Referral) -> None:
    """Editing pages of a referral that can no longer change: the 409 page, as its save would be."""
    if not referral.is_editable:
        raise InvalidTransition(
            f"This referral is {referral.get_status_display().lower()} and can no longer be changed"
        )


def _check_unchanged(request, referral: Referral) -> None:
    """The status the page showed must still be the status now (a double-submitted or stale form)."""
    seen = request.POST.get("status")
    if seen and seen != referral.status:
        raise InvalidTransition(
            f"{services.referral_last_move(referral, actor=request.user)}, after you opened it: it is now "
            f"{referral.get_status_display().lower()}, so this can no longer be done"
        )


def _option(referral: Referral, option_pk: object) -> Option:
    """One option of a referral the user has already been allowed to see."""
    option = selectors.option_on(referral=referral, pk=option_pk, with_shares=True)
    if option is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return option


def _is_chair(user, referral: Referral) -> bool:
    """Shows the chair's buttons; services check it again (the panel's partnership's chair)."""
    return bool(
        user.has_role(Role.PANEL_CHAIR)
        and user.agency_id
        and user.agency.partnership == referral.panel.partnership
    )


def _signing_stage(referral: Referral) -> str | None:
    if referral.status == Status.AWAITING_TEAM_MANAGER:
        return SignOffStage.TEAM_MANAGER
    if referral.status == Status.AWAITING_SERVICE_MANAGER:
        return SignOffStage.SERVICE_MANAGER
    return None


def _section_url(referral: Referral, key: str) -> str:
    if key == "options":
        return reverse("referrals:options", args=[referral.pk])
    if key == "evidence":
        return reverse("referrals:evidence", args=[referral.pk])
    if key in services.SECTION_FIELDS:
        return reverse("referrals:section", args=[referral.pk, key])
    return reverse("referrals:tasks", args=[referral.pk])


def _problem_links(referral: Referral, problems: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(link, message) for each problem, in task-list order, for an error summary."""
    order = [key for key, _t, _f in services.SECTIONS] + ["options", "evidence"]
    keys = sorted(problems, key=lambda k: order.index(k) if k in order else len(order))
    return [(_section_url(referral, key), message) for key in keys for message in problems[key]]


@dataclass
class OptionCosts:
    """An option with its cost per agency: per period, weekly and annual side by side."""

    option: Option
    rows: list[tuple[OptionShare, money.AgencyCostLine]]
    weekly: Decimal | None
    annual: Decimal | None
    period_label: str
    problem: str | None


def _option_costs(option: Option) -> OptionCosts:
    shares = list(option.shares.all())
    return OptionCosts(
        option=option,
        rows=list(zip(shares, option.cost_lines(), strict=True)),
        weekly=money.weekly(option.cost, option.period, option.weeks_per_year),
        annual=money.annual(option.cost, option.period, option.weeks_per_year),
        period_label=CostPeriod(option.period).label,
        problem=services.split_problem(option, shares),
    )


def _split_agencies(referral: Referral, option: Option | None) -> list[Agency]:
    """Rows offered for the split: the agencies the service lets it name (services.split_agencies)."""
    return list(services.split_agencies(referral=referral, option=option).order_by("name"))


def _saved(request, referral: Referral, before_status: str, message: str) -> str:
    """What a content change says (form_step's message): `message`, after a note first when the
    change withdrew the signatures (`referral` as saved is back to draft)."""
    if before_status != Status.DRAFT and referral.status == Status.DRAFT:
        messages.info(
            request,
            "Signatures withdrawn: the referral changed after it was signed, so it is back to draft "
            "and needs sending for sign-off again",
        )
    return message
