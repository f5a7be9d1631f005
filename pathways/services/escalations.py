"""Every write to the escalation ladder (seeds 002, Complex Care Escalation Process). Pages and the
API both call these.

Each service is keyword-only and atomic, checks the actor's role (a case editor records), checks
the authoriser's grade (an EscalationAuthoriser row, of the grade EscalationSettings asks for),
validates (ValidationError keyed by field: next to the field on a page, 400 from the API), moves
the escalation by compare-and-swap (someone else first, or a rung that cannot follow →
InvalidTransition, 409) and writes an audit event against the child.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.cetr import valid_records
from casework.models import Child, User
from casework.services import InvalidTransition
from casework.stale import StaleEdit, fingerprint, refuse_if_stale, who_saved
from pathways import access
from pathways.models import (
    Escalation,
    EscalationAuthoriser,
    EscalationLevel,
    EscalationRoute,
    EscalationSettings,
    EscalationStatus,
    EscalationStep,
    Seniority,
)
from pathways.selectors.escalations import ALLOWED_STEPS, cetr_needed, escalation_settings_for
from referrals.models import Referral

__all__ = [
    "OPENING_LEVELS",
    "SEEN_FIELDS",
    "escalation_escalate",
    "escalation_open",
    "escalation_resolve",
    "escalation_seen",
]


# The rungs an escalation may start on: an RSG (A&E, place of safety), or straight to a JSP
# (seeds 002 s3 and s4: placement breakdown and delayed transfers go to the JSP).
OPENING_LEVELS = (EscalationLevel.RSG, EscalationLevel.JSP)


# What a page shows of an escalation that a later save changes: its rung, status and outcome, and
# updated_at, which every escalation, meeting and resolution moves on.
SEEN_FIELDS = ("level", "status", "outcome", "updated_at")
STALE = "Someone else changed this escalation since you opened it. Reload it and try again"


def escalation_seen(escalation: Escalation) -> str:
    """The fingerprint a page sends back as `seen`, so a save over someone else's later one is refused."""
    return fingerprint(escalation, SEEN_FIELDS)


def _refuse_if_stale(escalation: Escalation, seen: str | None) -> None:
    """Refuse a save made from the escalation as it was before someone else's, naming who saved it
    and when (its audit trail): "...since you opened it: Priya Shah saved it at 14:05. Reload..."."""
    locked = Escalation.objects.select_for_update().get(pk=escalation.pk)
    try:
        refuse_if_stale(record=locked, fields=SEEN_FIELDS, seen=seen, message=STALE)
    except StaleEdit as exc:
        winner = who_saved(locked)
        if not winner:
            raise
        head, tail = STALE.split(". ", 1)
        raise StaleEdit(f"{head}: {winner}. {tail}", current=exc.current) from None


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise NotAllowed(message)


def _raise(errors: Mapping[str, str]) -> None:
    if errors:
        raise ValidationError({k: [v] for k, v in errors.items()})


def _blank(value: str | None) -> bool:
    return not (value or "").strip()


def _audit(
    *, actor: User, action: str, escalation: Escalation, changes: dict[str, Any] | None = None
) -> None:
    record_event(
        actor=actor,
        action=f"pathways.{action}",
        obj=escalation,
        changes=changes or {},
        child=escalation.child,
    )


def _involved_ids(child: Child) -> set[int]:
    return set(access.involved_agencies(child=child).values_list("pk", flat=True))


def _authoriser(
    *,
    user: User | None,
    grade: str,
    child: Child,
    what: str,
    errors: dict[str, str],
    field: str = "authorised_by",
) -> EscalationAuthoriser | None:
    """The user's authoriser row if they hold `grade` or above and their agency is involved."""
    if user is None:
        errors[field] = f"Choose who authorised {what}"
        return None
    row = EscalationAuthoriser.objects.filter(user=user).first()
    label = Seniority(grade).label
    if row is None or not row.at_least(grade) or not user.is_active:
        errors[field] = f"{user.full_name} is not recorded as a {label} or more senior: {what} needs one"
        return None
    if user.agency_id not in _involved_ids(child):
        errors[field] = f"Choose someone from an agency involved with {child.given_name}"
        return None
    return row


def _check_chair(*, chair: User | None, child: Child, errors: dict[str, str], field: str = "chair") -> None:
    if chair is None:
        errors[field] = "Choose who chairs"
    elif not chair.is_active or chair.agency_id not in _involved_ids(child):
        errors[field] = f"Choose a chair from an agency involved with {child.given_name}"


def _step_checks(
    *,
    escalation: Escalation,
    level: str,
    settings: EscalationSettings,
    authorised_by: User | None,
    chair: User | None,
    target_panel,
    referral,
    cetr_override_reason: str,
    errors: dict[str, str],
) -> tuple[EscalationAuthoriser | None, bool]:
    """The rules of each rung. Returns the authoriser and whether the CETR rule is overridden."""
    child = escalation.child
    overridden = False
    if level == EscalationLevel.RSG:
        # seeds 002 s5: "established by the Service Group Manager or their equivalent within any of
        # the partner organisations"; membership and chair are the chair's to set.
        row = _authoriser(
            user=authorised_by,
            grade=settings.rsg_min_seniority,
            child=child,
            what="setting up a Rapid Solutions Group",
            errors=errors,
        )
        _check_chair(chair=chair, child=child, errors=errors)
    elif level == EscalationLevel.JSP:
        # seeds 002 s8 and s6: "only occur with the authorisation of either a Service Group Manager
        # or Assistant Director or their equivalents"; s3: a CETR first for an autistic child or a
        # child with a learning disability.
        row = _authoriser(
            user=authorised_by,
            grade=settings.jsp_min_seniority,
            child=child,
            what="escalation to a Joint Solutions Panel",
            errors=errors,
        )
        if target_panel is None:
            errors["target_panel"] = "Choose the Joint Solutions Panel"
        elif target_panel.kind != "jsp" or target_panel.partnership not in _partnerships(child):
            errors["target_panel"] = f"Choose a Joint Solutions Panel of {child.given_name}'s partnership"
        if referral is not None and referral.child_id != child.pk:
            errors["referral"] = f"Choose a referral for {child.given_name}"
        # A CETR recorded for the escalation, or on the child's record (casework.cetr: the one the
        # referral and panel routes ask for) while still valid, and for the step's referral when it
        # names one. An override there does not count here: the ladder's override needs its own
        # senior grade (cetr_override_min_seniority).
        held = valid_records().filter(child=child, overridden_by__isnull=True)
        if referral is not None:
            held = held.filter(referral=referral)
        has_cetr = (
            escalation.pk is not None and escalation.cetrs.filter(held_on__lte=timezone.localdate()).exists()
        ) or held.exists()
        if cetr_needed(child) and not has_cetr:
            needs = _cetr_reason(child)
            if _blank(cetr_override_reason):
                errors["cetr_override_reason"] = (
                    f"{child.given_name} {needs}: record the Care, Education and Treatment Review first, "
                    "or give the reason for a senior override"
                )
            elif row is not None and not row.at_least(settings.cetr_override_min_seniority):
                errors["authorised_by"] = (
                    "Escalating without a CETR is a senior override: it needs a "
                    f"{Seniority(settings.cetr_override_min_seniority).label} or more senior"
                )
            else:
                overridden = True
    elif level == EscalationLevel.ERG:
        # seeds 002 s7: "established with the agreement of a Director", chaired by the "Director
        # responsible for Children and Young People's Services within a partner organisation".
        row = _authoriser(
            user=authorised_by,
            grade=settings.erg_min_seniority,
            child=child,
            what="an Exceptional Resourcing Group",
            errors=errors,
        )
        _authoriser(
            user=chair,
            grade=settings.erg_min_seniority,
            child=child,
            what="chairing an Exceptional Resourcing Group",
            errors=errors,
            field="chair",
        )
    else:
        errors["level"] = "Choose the group to escalate to"
        row = None
    return row, overridden


def _cetr_reason(child: Child) -> str:
    parts = [
        p
        for p, on in (("is autistic", child.autism), ("has a learning disability", child.learning_disability))
        if on
    ]
    return " and ".join(parts)


def _partnerships(child: Child) -> set[str]:
    return set(access.involved_agencies(child=child).values_list("partnership", flat=True))


@dataclass
class _Rung:
    """A rung as asked for, to open an escalation on or to escalate to: checked with the other
    fields before anything is written (`check`), then recorded as the escalation's new step with
    its audit event (`record`)."""

    level: str
    authorised_by: User | None
    reason: str
    chair: User | None
    target_panel: Any
    referral: Any
    cetr_override_reason: str
    row: EscalationAuthoriser | None = None
    overridden: bool = False

    def check(self, *, escalation: Escalation, settings: EscalationSettings, errors: dict[str, str]) -> None:
        self.row, self.overridden = _step_checks(
            escalation=escalation,
            level=self.level,
            settings=settings,
            authorised_by=self.authorised_by,
            chair=self.chair,
            target_panel=self.target_panel,
            referral=self.referral,
            cetr_override_reason=self.cetr_override_reason,
            errors=errors,
        )

    def record(
        self, *, actor: User, escalation: Escalation, action: str, changes: dict[str, Any]
    ) -> EscalationStep:
        if self.row is None:
            raise RuntimeError("A rung is recorded only once check() has found its authoriser")
        level, referral = self.level, self.referral
        if level == EscalationLevel.JSP and referral is None:
            # Link the child's latest referral to that panel, if there is one.
            referral = (
                Referral.objects.filter(child_id=escalation.child_id, panel=self.target_panel)
                .order_by("-id")
                .first()
            )
        step = EscalationStep(
            escalation=escalation,
            level=level,
            authorised_by=self.row.user,
            authoriser_seniority=self.row.seniority,
            authoriser_title=self.row.job_title,
            reason=self.reason.strip(),
            recorded_by=actor,
            chair=self.chair if level != EscalationLevel.JSP else None,
            target_panel=self.target_panel if level == EscalationLevel.JSP else None,
            referral=referral if level == EscalationLevel.JSP else None,
            cetr_overridden=self.overridden,
            cetr_override_reason=self.cetr_override_reason.strip() if self.overridden else "",
        )
        step.full_clean()
        step.save()
        _audit(
            actor=actor,
            action=action,
            escalation=escalation,
            changes={
                **changes,
                "level": step.level,
                "authorised_by": step.authorised_by_id,
                "seniority": step.authoriser_seniority,
                "reason": step.reason,
                "chair": step.chair_id,
                "target_panel": step.target_panel_id,
                "referral": step.referral_id,
                "cetr_overridden": step.cetr_overridden,
            },
        )
        return step


@transaction.atomic
def escalation_open(
    *,
    actor: User,
    child: Child,
    route: str,
    summary: str,
    level: str,
    authorised_by: User | None,
    reason: str,
    chair: User | None = None,
    target_panel=None,
    referral=None,
    cetr_override_reason: str = "",
) -> Escalation:
    """Start an escalation on its first rung: a Rapid Solutions Group (seeds 002 s1, s2, s5) or,
    for a placement breakdown or a delayed transfer of care, a Joint Solutions Panel (s3, s4)."""
    _require(access.can_record_escalation(user=actor), "Your role does not allow recording escalations")
    errors: dict[str, str] = {}
    if route not in EscalationRoute.values:
        errors["route"] = "Choose how the child presented"
    if _blank(summary):
        errors["summary"] = "Describe the crisis"
    if level not in OPENING_LEVELS:
        errors["level"] = "Choose a Rapid Solutions Group or a Joint Solutions Panel"
    if _blank(reason):
        errors["reason"] = "Give the reason for escalating"
    settings = escalation_settings_for(child)
    escalation = Escalation(
        child=child, route=route, level=level, summary=(summary or "").strip(), opened_by=actor
    )
    rung = _Rung(level, authorised_by, reason, chair, target_panel, referral, cetr_override_reason)
    if level in OPENING_LEVELS:
        rung.check(escalation=escalation, settings=settings, errors=errors)
    _raise(errors)
    escalation.full_clean()
    escalation.save()
    rung.record(actor=actor, escalation=escalation, action="escalation_open", changes={"route": route})
    return escalation


@transaction.atomic
def escalation_escalate(
    *,
    actor: User,
    escalation: Escalation,
    to_level: str,
    authorised_by: User | None,
    reason: str,
    chair: User | None = None,
    target_panel=None,
    referral=None,
    cetr_override_reason: str = "",
    seen: str | None = None,
) -> Escalation:
    """Move up the ladder: RSG → JSP or ERG, JSP → ERG (seeds 002 s6, s7). The rung left gets its
    outcome ("escalated to ..."); the new rung records who authorised it, why and when. `seen`:
    escalation_seen() as the page was opened (a later change refuses it, StaleEdit)."""
    _require(access.can_record_escalation(user=actor), "Your role does not allow recording escalations")
    _refuse_if_stale(escalation, seen)
    old = escalation.level
    if not escalation.is_open:
        raise InvalidTransition("This escalation is resolved: it cannot be escalated")
    if to_level not in ALLOWED_STEPS.get(old, ()):
        label = EscalationLevel(to_level).label if to_level in EscalationLevel.values else "that"
        raise InvalidTransition(f"An escalation at the {escalation.get_level_display()} cannot go to {label}")
    errors: dict[str, str] = {}
    if _blank(reason):
        errors["reason"] = "Give the reason for escalating"
    rung = _Rung(to_level, authorised_by, reason, chair, target_panel, referral, cetr_override_reason)
    rung.check(escalation=escalation, settings=escalation_settings_for(escalation.child), errors=errors)
    _raise(errors)
    now = timezone.now()
    moved = Escalation.objects.filter(pk=escalation.pk, level=old, status=EscalationStatus.OPEN).update(
        level=to_level, updated_at=now
    )
    if moved != 1:
        raise InvalidTransition("Someone else changed this escalation first. Reload it and try again")
    EscalationStep.objects.filter(escalation=escalation, level=old, ended_at__isnull=True).update(
        outcome=f"Escalated to the {EscalationLevel(to_level).label}: {reason.strip()}", ended_at=now
    )
    escalation.level, escalation.updated_at = to_level, now
    rung.record(actor=actor, escalation=escalation, action="escalation_escalate", changes={"from": old})
    return escalation


@transaction.atomic
def escalation_resolve(
    *, actor: User, escalation: Escalation, outcome: str, seen: str | None = None
) -> Escalation:
    """The crisis is resolved: the outcome is recorded on the escalation and on its current rung.
    `seen`: escalation_seen() as the page was opened."""
    _require(access.can_record_escalation(user=actor), "Your role does not allow resolving escalations")
    _refuse_if_stale(escalation, seen)
    if not escalation.is_open:
        raise InvalidTransition("This escalation is already resolved")
    if _blank(outcome):
        _raise({"outcome": "Record the outcome"})
    now = timezone.now()
    done = Escalation.objects.filter(
        pk=escalation.pk, status=EscalationStatus.OPEN, level=escalation.level
    ).update(status=EscalationStatus.RESOLVED, outcome=outcome.strip(), resolved_at=now, updated_at=now)
    if done != 1:
        raise InvalidTransition("Someone else changed this escalation first. Reload it and try again")
    EscalationStep.objects.filter(
        escalation=escalation, level=escalation.level, ended_at__isnull=True
    ).update(outcome=outcome.strip(), ended_at=now)
    escalation.status, escalation.outcome, escalation.resolved_at = (
        EscalationStatus.RESOLVED,
        outcome.strip(),
        now,
    )
    _audit(
        actor=actor,
        action="escalation_resolve",
        escalation=escalation,
        changes={"level": escalation.level, "outcome": outcome.strip()},
    )
    return escalation
