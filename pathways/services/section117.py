"""Section 117 aftercare (Mental Health Act 1983): opening after a qualifying detention, the
aftercare plan, and ending by a joint decision of the responsible ICB and council."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone

from casework.models import Agency, AgencyKind, Child, User
from casework.services import InvalidTransition
from casework.stale import fingerprint
from pathways import access
from pathways.models import QUALIFYING_SECTIONS, CaseKind, DetentionSection, PathwayCase, Section117, Status
from pathways.services.cases import (
    _audit,
    _check_people,
    _event,
    _expect_kind,
    _not_future,
    _open,
    _raise,
    _refuse_stale,
    _require,
    _transition,
)

__all__ = [
    "S117_UPDATABLE",
    "S2_REFUSAL",
    "plan_fingerprint",
    "s117_confirm_end",
    "s117_open",
    "s117_update",
]


S2_REFUSAL = (
    "Section 2 (detention for assessment) does not give a right to section 117 aftercare. "
    "Aftercare follows detention for treatment under section 3, 37, 45A, 47 or 48"
)


def _check_s117(fields: Mapping[str, Any], errors: dict[str, str]) -> None:
    section = fields.get("detention_section") or ""
    if section == DetentionSection.S2:
        errors["detention_section"] = S2_REFUSAL
    elif section not in QUALIFYING_SECTIONS:
        errors["detention_section"] = (
            "Choose the section of the Mental Health Act the child was detained under"
        )
    detained, discharged = fields.get("detained_on"), fields.get("discharged_on")
    if detained is None:
        errors["detained_on"] = "Enter the date of detention"
    _not_future(detained, "detained_on", errors)
    _not_future(discharged, "discharged_on", errors)
    if detained and discharged and discharged < detained:
        errors["discharged_on"] = "The discharge date must be on or after the date of detention"


def _refuse_second_case(*, child: Child, detained_on: dt.date) -> None:
    """One aftercare duty per detention (seeds 000: "Section 117 aftercare – legal duty of aftercare
    for individuals discharged from certain forms of compulsory detention"): a second case for the
    child's detention on the same date is refused, whatever the first one's stage. The child's row
    is locked first, so two people opening at once cannot both succeed."""
    Child.objects.select_for_update().filter(pk=child.pk).first()
    existing = PathwayCase.objects.filter(
        child=child, kind=CaseKind.SECTION_117, section_117__detained_on=detained_on
    ).first()
    if existing is not None:
        _raise(
            {
                "detained_on": (
                    f"This child already has a Section 117 case for the detention on "
                    f"{detained_on:%-d %B %Y} (case {existing.pk}): record aftercare on that case"
                )
            }
        )


@transaction.atomic
def s117_open(
    *, actor: User, child: Child, lead_agency: Agency, case_worker: User | None, fields: Mapping[str, Any]
) -> PathwayCase:
    """Mental Health Act 1983 s117: aftercare follows detention under s3, 37, 45A, 47 or 48, never
    s2; the duty falls jointly on the ICB and the council where the child ordinarily lived before
    detention. fields: detention_section, detained_on, discharged_on, cto_in_force,
    responsible_icb, responsible_council, ordinary_residence."""
    _require(access.can_edit_cases(user=actor), "Your role does not allow opening pathway cases")
    errors: dict[str, str] = {}
    _check_s117(fields, errors)
    _check_people(child=child, lead_agency=lead_agency, case_worker=case_worker, errors=errors)
    icb, council = fields.get("responsible_icb"), fields.get("responsible_council")
    involved = set(access.involved_agencies(child=child).values_list("pk", flat=True))
    if icb is None or icb.kind != AgencyKind.ICB:
        errors["responsible_icb"] = "Choose the responsible ICB"
    elif icb.pk not in involved:
        errors["responsible_icb"] = "The responsible ICB must be involved with the child: add it first"
    if council is None or council.kind not in access.COUNCIL_KINDS:
        errors["responsible_council"] = "Choose the responsible council"
    elif council.pk not in involved:
        errors["responsible_council"] = (
            "The responsible council must be involved with the child: add it first"
        )
    _raise(errors)
    _refuse_second_case(child=child, detained_on=fields["detained_on"])
    case = _open(
        actor=actor,
        child=child,
        kind=CaseKind.SECTION_117,
        lead_agency=lead_agency,
        case_worker=case_worker,
        status=Status.AFTERCARE,
        what=f"Section 117 aftercare: detained under section {fields['detention_section']}",
    )
    s117 = Section117(
        case=case,
        detention_section=fields["detention_section"],
        detained_on=fields["detained_on"],
        discharged_on=fields.get("discharged_on"),
        cto_in_force=bool(fields.get("cto_in_force")),
        responsible_icb=icb,
        responsible_council=council,
        ordinary_residence=(fields.get("ordinary_residence") or "").strip(),
    )
    s117.full_clean()
    s117.save()
    return case


S117_UPDATABLE = (
    "discharged_on",
    "cto_in_force",
    "plan_needs",
    "plan_services",
    "plan_providers",
    "funding_package_ref",
)


def plan_fingerprint(s117: Section117) -> str:
    """The aftercare plan as an editor saw it, sent back with their edit (`seen`)."""
    return fingerprint(s117, S117_UPDATABLE)


@transaction.atomic
def s117_update(
    *, actor: User, case: PathwayCase, fields: Mapping[str, Any], seen: str | None = None
) -> Section117:
    """The aftercare plan (needs, services, who provides), joint funding reference, discharge and CTO.
    `seen`: plan_fingerprint() as the editor opened it (the page and the API require it); a later
    save is not overwritten (StaleEdit naming who saved it)."""
    _expect_kind(case, CaseKind.SECTION_117)
    _require(access.can_edit_cases(user=actor), "Your role does not allow changing the aftercare plan")
    if case.status != Status.AFTERCARE:
        raise InvalidTransition("Aftercare has ended")
    s117 = Section117.objects.select_for_update().get(pk=case.section_117.pk)
    _refuse_stale(
        case=case,
        record=s117,
        fields=S117_UPDATABLE,
        seen=seen,
        what="the aftercare plan",
        action="s117_update",
    )
    errors: dict[str, str] = {}
    unknown = set(fields) - set(S117_UPDATABLE)
    if unknown:
        errors[sorted(unknown)[0]] = "This cannot be changed here"
    discharged = fields.get("discharged_on", s117.discharged_on)
    _not_future(discharged, "discharged_on", errors)
    if discharged and discharged < s117.detained_on:
        errors["discharged_on"] = "The discharge date must be on or after the date of detention"
    _raise(errors)
    before = {f: getattr(s117, f) for f in S117_UPDATABLE}
    for name, value in fields.items():
        setattr(s117, name, value.strip() if isinstance(value, str) else value)
    s117.full_clean()
    s117.save()
    changes = {
        f: [str(before[f]), str(getattr(s117, f))] for f in S117_UPDATABLE if before[f] != getattr(s117, f)
    }
    _event(case=case, actor=actor, what="Aftercare plan updated", note=", ".join(changes))
    _audit(actor=actor, action="s117_update", case=case, changes=changes)
    case.section_117 = s117
    return s117


@transaction.atomic
def s117_confirm_end(*, actor: User, case: PathwayCase, reason: str) -> PathwayCase:
    """Aftercare ends only by a joint decision: the responsible ICB and the responsible council each
    confirm (two people, one of each), and never while a community treatment order is in force."""
    _expect_kind(case, CaseKind.SECTION_117)
    s117 = Section117.objects.select_for_update().get(pk=case.section_117.pk)
    side = access.s117_side(user=actor, s117=s117)
    _require(side is not None, "Only the responsible ICB or council can confirm ending aftercare")
    if case.status != Status.AFTERCARE:
        raise InvalidTransition("Aftercare has already ended")
    errors: dict[str, str] = {}
    if s117.cto_in_force:
        errors["reason"] = "Aftercare cannot end while a community treatment order is in force"
    elif not (reason or "").strip():
        errors["reason"] = "Give the reason aftercare is no longer needed"
    elif getattr(s117, f"{side}_end_by_id"):
        label = "ICB" if side == "icb" else "council"
        errors["reason"] = f"The {label} has already confirmed: the other agency must confirm too"
    _raise(errors)
    now = timezone.now()
    setattr(s117, f"{side}_end_by", actor)
    setattr(s117, f"{side}_end_at", now)
    s117.end_reason = "\n".join(filter(None, [s117.end_reason, f"{actor.agency}: {reason.strip()}"]))
    s117.save(update_fields=[f"{side}_end_by", f"{side}_end_at", "end_reason"])
    label = "ICB" if side == "icb" else "Council"
    _event(case=case, actor=actor, what=f"{label} confirmed aftercare can end", note=reason.strip())
    _audit(actor=actor, action="s117_confirm_end", case=case, changes={"side": side})
    case.section_117 = s117
    if s117.icb_end_by_id and s117.council_end_by_id:
        _transition(
            case=case,
            actor=actor,
            allowed_from=[Status.AFTERCARE],
            to=Status.ENDED,
            what="Section 117 aftercare ended by joint decision",
        )
    return case
