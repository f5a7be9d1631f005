"""The CETR safeguard, on every route: a Care, Education and Treatment Review is recorded for the
child, or a named senior person overrides with a reason, before

- a referral goes to a Joint Solutions Panel or Joint Funding Panel for an autistic child or a
  child with a learning disability (seeds 002 s3: "For autistic children and young people and
  children and young people with a learning disability a CeTR must be held before escalation
  occurs"), and the escalation ladder (pathways) asks the same;
- a referral, decision or funding package for a residential placement of 38 weeks a year or more
  (seeds 003 supplementary recommendation 4: "All children with disabilities and complex health
  needs who are on a pathway for admission to residential placement longer than 38 weeks per year
  should be part of a Care, Education and Treatment Review process. No decision should be made
  without multi-agency agreement and commitment.").

Here in casework, the lowest layer, so referrals, panels and funding all ask the same question.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.utils import timezone

from casework.access import NotAllowed, can_edit_children
from casework.audit import record_child_view, record_event
from casework.models import CetrRecord, Child, ProviderKind, Role, User
from casework.uploads import open_checked, store_checked_upload

__all__ = [
    "OVERRIDE_ROLES",
    "SeniorPeople",
    "cetr_override",
    "cetr_override_authorisers",
    "cetr_record",
    "cetr_report_open",
    "child_needs_cetr",
    "current_cetr",
    "placement_needs_cetr",
    "require_cetr",
    "senior_people",
    "valid_records",
    "valid_until_for",
]

# Who may decide to go ahead without a CETR when the child's partnership has named nobody for
# escalation: a service manager (a Service Group Manager or equivalent, seeds 002 s8) or a panel
# chair. Once it names its senior people (the escalation ladder's authorisers), only they may.
OVERRIDE_ROLES = (Role.SERVICE_MANAGER, Role.PANEL_CHAIR)


@dataclass(frozen=True)
class SeniorPeople:
    """The senior people the child's partnership names who may override the CETR: user id to the
    job title the partnership recorded for them, and the grade the override needs (its name)."""

    titles: dict[int, str]
    grade: str


# seeds 002 s8: escalation "should only occur with the authorisation of either a Service Group
# Manager or Assistant Director or their equivalents"; who holds which grade is the partnership's
# data, kept by the escalation ladder (pathways). The core imports no app: the ladder registers the
# lookup here, found by module name as the timeline sources are (ADR 0011).
AUTHORISER_MODULES = ("pathways.cetr",)
_AUTHORISERS: list[Callable[[Child], SeniorPeople | None]] = []


def cetr_override_authorisers(
    func: Callable[[Child], SeniorPeople | None],
) -> Callable[[Child], SeniorPeople | None]:
    """Register `func(child) -> SeniorPeople | None` (None: the partnership has named nobody)."""
    if func not in _AUTHORISERS:
        _AUTHORISERS.append(func)
    return func


def senior_people(child: Child) -> SeniorPeople | None:
    """Who may override the CETR for this child: the senior people its partnership names for
    escalation at the grade it sets for going ahead without a CETR, or None when it names nobody
    (then the roles in OVERRIDE_ROLES may, as before)."""
    for module in AUTHORISER_MODULES:
        try:
            importlib.import_module(module)
        except ModuleNotFoundError as missing:
            if missing.name != module:
                raise
    for lookup in _AUTHORISERS:
        people = lookup(child)
        if people is not None:
            return people
    return None


def child_needs_cetr(child: Child) -> bool:
    """seeds 002 s3: an autistic child or a child with a learning disability."""
    return bool(child.autism or child.learning_disability)


def placement_needs_cetr(*, kind: str, weeks: int | None) -> bool:
    """seeds 003 supplementary recommendation 4 (and recommendation 2: "38 weeks or more")."""
    return kind == ProviderKind.RESIDENTIAL and (weeks or 52) >= 38


def valid_until_for(start: dt.date) -> dt.date:
    """The last day a CETR held (or an override given) on `start` counts: CETR_VALID_DAYS later.

    The seeds give no period. A review speaks for the child's needs and the placement proposed when
    it was held; panels meet monthly (seeds 002), so the default of 182 days (about six months,
    settings.CETR_VALID_DAYS) covers a referral's submission, its decision and the package that
    follows, and a placement considered later needs a fresh review or override."""
    return start + dt.timedelta(days=settings.CETR_VALID_DAYS)


def valid_records(*, on: dt.date | None = None) -> QuerySet[CetrRecord]:
    """CETRs and overrides that count on `on` (today): naming a referral, held (or given) by then and
    not past their valid_until. Newest first."""
    day = on or timezone.localdate()
    return (
        CetrRecord.objects.filter(referral__isnull=False, valid_until__gte=day)
        .exclude(held_on__gt=day)
        .select_related("overridden_by")
    )


def current_cetr(referral: Model) -> CetrRecord | None:
    """The latest CETR or override still valid for this referral (one query)."""
    return valid_records().filter(referral_id=referral.pk).first()


def _why(child: Child, placement: bool) -> str:
    if placement:
        return "this is a residential placement of 38 weeks a year or more"
    parts = [
        p
        for p, on in (("is autistic", child.autism), ("has a learning disability", child.learning_disability))
        if on
    ]
    return f"{child.given_name} {' and '.join(parts)}"


def require_cetr(*, referral: Model, placement: bool = False, field: str = "cetr") -> CetrRecord:
    """The record that satisfies the safeguard for this referral (held or given for it, and still
    valid), or ValidationError naming why one is needed. Call it only when the rule applies
    (child_needs_cetr or placement_needs_cetr)."""
    record = current_cetr(referral)
    if record is None:
        child = referral.child  # type: ignore[attr-defined]
        raise ValidationError(
            {
                field: [
                    f"A Care, Education and Treatment Review is needed first: {_why(child, placement)}. "
                    f"Record the CETR for referral {referral.pk} on the child's record, or a senior "
                    "person's override with the reason (one recorded for another referral, or more than "
                    f"{settings.CETR_VALID_DAYS} days ago, does not count)"
                ]
            }
        )
    return record


def _child_for_change(actor: User, child: Child) -> None:
    if not can_edit_children(user=actor):
        raise NotAllowed("Your role does not allow recording a CETR")


def _check_referral(child: Child, referral: Model | None, errors: dict[str, list[str]]) -> None:
    if referral is None:
        errors["referral"] = ["Choose the referral the CETR is for"]
    elif referral.child_id != child.pk:  # type: ignore[attr-defined]
        errors["referral"] = [f"Choose a referral for {child.given_name}"]


def _save(*, actor: User, action: str, changes: dict[str, list[Any]], **fields: Any) -> CetrRecord:
    """The tail a CETR held and a CETR overridden share: the row (recorded by `actor`), checked and
    saved, and its audit event with `changes` and the referral it counts for."""
    row = CetrRecord(recorded_by=actor, **fields)
    row.full_clean()
    row.save()
    referral = fields["referral"]
    record_event(
        actor=actor,
        action=action,
        obj=row,
        child=row.child,
        changes={**changes, "referral": [None, referral.pk if referral else None]},
    )
    return row


# A CETR's report is a written review: a PDF or a Word document.
REPORT_TYPES = (
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
)
REPORT_WRONG_TYPE = "The selected file must be a PDF or Word document"


def _store_report(report: Any) -> Any:
    """Check and store the report as referral evidence is (casework.uploads: size, type by content,
    a damaged or password-protected PDF refused), then refuse what is not a PDF or Word document.
    ValidationError on "report"."""
    try:
        stored = store_checked_upload(report)
    except ValidationError as error:
        raise ValidationError({"report": error.message_dict.get("file", error.messages)}) from None
    if stored.content_type not in REPORT_TYPES:
        stored.discard()
        raise ValidationError({"report": [REPORT_WRONG_TYPE]})
    return stored


def cetr_record(
    *,
    actor: User,
    child: Child,
    referral: Model | None,
    held_on: dt.date,
    outcome: str,
    document: str = "",
    report: Any = None,
) -> CetrRecord:
    """Record a CETR held for the child and the referral it was held for: when, what it concluded,
    where the report is filed and (optionally) the report itself, uploaded. It counts for that
    referral until valid_until_for(held_on).

    The file is checked and written before the database transaction (slow I/O stays outside it) and
    removed again if the record is not saved."""
    _child_for_change(actor, child)
    stored = _store_report(report) if report is not None else None
    try:
        return _cetr_record(
            actor=actor,
            child=child,
            referral=referral,
            held_on=held_on,
            outcome=outcome,
            document=document,
            stored=stored,
        )
    except BaseException:
        if stored is not None:
            stored.discard()
        raise


@transaction.atomic
def _cetr_record(
    *,
    actor: User,
    child: Child,
    referral: Model | None,
    held_on: dt.date,
    outcome: str,
    document: str,
    stored: Any,
) -> CetrRecord:
    errors: dict[str, list[str]] = {}
    _check_referral(child, referral, errors)
    if held_on is None:
        errors["held_on"] = ["Enter the date the CETR was held"]
    elif held_on > timezone.localdate():
        errors["held_on"] = ["The date the CETR was held must be today or in the past"]
    if not (outcome or "").strip():
        errors["outcome"] = ["Enter the CETR's outcome and recommendations"]
    if errors:
        raise ValidationError(errors)
    return _save(
        actor=actor,
        action="casework.cetr_recorded",
        changes={"held_on": [None, str(held_on)], "report_sha256": [None, stored.sha256 if stored else None]},
        child=child,
        referral=referral,
        valid_until=valid_until_for(held_on),
        held_on=held_on,
        outcome=outcome.strip(),
        document=(document or "").strip(),
        **(
            {
                "report_name": stored.display_name,
                "report_stored_name": stored.stored_name,
                "report_content_type": stored.content_type,
                "report_size": stored.size,
                "report_sha256": stored.sha256,
            }
            if stored is not None
            else {}
        ),
    )


@transaction.atomic
def cetr_override(
    *,
    actor: User,
    child: Child,
    referral: Model | None,
    overridden_by: User | None,
    reason: str,
    role: str = "",
) -> CetrRecord:
    """Record that a named senior person decided to go ahead without a CETR, their role and why.

    The person is one the child's partnership names for escalation at the grade it sets for this
    override (senior_people; seeds 002 s8), and their role is recorded as the partnership named it
    (`role` is then not asked). A partnership that has named nobody yet: a service manager or a
    panel chair, with the role as given. It counts for the referral it names for CETR_VALID_DAYS
    from today."""
    _child_for_change(actor, child)
    errors: dict[str, list[str]] = {}
    _check_referral(child, referral, errors)
    people = senior_people(child)
    if overridden_by is None:
        errors["overridden_by"] = ["Choose who decided to go ahead without a CETR"]
    elif people is not None:
        if not overridden_by.is_active or overridden_by.pk not in people.titles:
            errors["overridden_by"] = [
                f"{overridden_by.full_name} is not named by the partnership as a {people.grade} or more "
                "senior: going ahead without a CETR needs one"
            ]
        else:
            role = people.titles[overridden_by.pk]
    elif not overridden_by.is_active or not overridden_by.has_role(*OVERRIDE_ROLES):
        errors["overridden_by"] = [
            f"{overridden_by.full_name} is not a service manager or panel chair: going ahead without a "
            "CETR needs one"
        ]
    if people is None and not (role or "").strip():
        errors["role"] = ["Enter their role, for example Service Group Manager"]
    if not (reason or "").strip():
        errors["reason"] = ["Enter why the CETR is being overridden"]
    if errors:
        raise ValidationError(errors)
    return _save(
        actor=actor,
        action="casework.cetr_overridden",
        changes={"overridden_by": [None, overridden_by.pk if overridden_by else None]},
        child=child,
        referral=referral,
        valid_until=valid_until_for(timezone.localdate()),
        overridden_by=overridden_by,
        overrider_role=role.strip(),
        override_reason=reason.strip(),
    )


def cetr_report_open(*, actor: User, record: CetrRecord) -> BinaryIO:
    """Open a CETR's report for someone who may see the child (the caller has checked, as evidence
    downloads do): audited, and, being a read of the child's record, in the view log too."""
    handle = open_checked(record.report_stored_name)
    record_event(actor=actor, action="casework.cetr_report_downloaded", obj=record, child=record.child)
    record_child_view(user=actor, child=record.child, channel="download", path=f"cetr:{record.pk}")
    return handle
