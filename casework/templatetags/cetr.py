"""The CETR safeguard on a panel paper and the chair's page (casework.cetr): which record a referral
rests on (held or given for it, and still valid), "CETR held on <date>: <outcome>" or "CETR
overridden by <name>, <role>: <reason>", or why one is needed and missing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.urls import reverse

from casework.cetr import child_needs_cetr, current_cetr, valid_records
from casework.models import CetrRecord

register = template.Library()

# The panels a referral escalates to (seeds 002 s3): the same as referrals' submission rule.
CETR_PANEL_KINDS = ("jsp", "jfp")


@register.simple_tag
def referral_cetr(referral) -> CetrRecord | None:
    """The latest CETR or override still valid for this referral (one query)."""
    return current_cetr(referral)


@register.simple_tag
def cetr_history(child) -> list[CetrRecord]:
    """Every CETR and override recorded for the child, newest first, with the referral each is for
    (one query)."""
    return list(
        CetrRecord.objects.filter(child=child).select_related("overridden_by", "referral", "referral__panel")
    )


@register.simple_tag
def cetr_records(views: Iterable[Any]) -> dict[int, CetrRecord]:
    """The latest CETR or override still valid for each referral on a meeting's agenda, by referral
    id: one query."""
    referral_ids = {view.item.referral_id for view in views if view.item.referral_id}
    if not referral_ids:
        return {}
    rows = valid_records().filter(referral_id__in=referral_ids).order_by("referral_id", "-recorded_at", "-id")
    return {row.referral_id: row for row in rows.distinct("referral_id") if row.referral_id is not None}


@register.simple_tag
def cetr_report_url(record: CetrRecord, absolute: bool = False) -> str:
    """Where the CETR's report downloads (through the child's access check); "" without one. A
    paper is a PDF read away from the service, so its link is absolute (SITE_URL)."""
    if not record.has_report:
        return ""
    path = reverse("children:cetr_report", args=[record.child_id, record.pk])
    return f"{settings.SITE_URL.rstrip('/')}{path}" if absolute else path


@register.simple_tag
def cetr_decision_state(
    cetr: CetrRecord | None, options: Iterable[Any], decision: Any = None
) -> dict[str, Any]:
    """What the chair's decision form says of the CETR before anyone tries to sign (seeds 003
    supplementary recommendation 4: a decision on a residential placement of 38 weeks a year or more
    is signed only with a CETR or a senior override valid for the referral). `options` are Options
    or entries with an "option"; `decision` is the item's draft, if any.

    {"positions": the options that need one, "cetr": the record or None, "sign_refused": whether
    signing the draft as it stands would be refused}; no positions: the rule does not apply."""
    needing = []
    for entry in options:
        option = entry["option"] if isinstance(entry, dict) else getattr(entry, "option", entry)
        if option.needs_cetr:
            needing.append(option)
    chosen = getattr(decision, "option", None) if decision is not None else None
    return {
        "positions": [option.position for option in needing],
        "cetr": cetr,
        "sign_refused": cetr is None and chosen is not None and chosen.needs_cetr,
    }


@register.filter
def cetr_of(records: dict[int, CetrRecord], referral_id: int) -> CetrRecord | None:
    return records.get(referral_id)


@register.simple_tag
def cetr_reason(child, panel_kind: str, options: Iterable[Any]) -> str:
    """Why this referral needs a CETR ("" when it does not): a 38+ week residential option (seeds
    003 supplementary recommendation 4), or a JSP/JFP referral for an autistic child or a child with
    a learning disability (seeds 002 s3). `options` are Options, or dicts with an "option"."""
    for entry in options:
        option = entry["option"] if isinstance(entry, dict) else getattr(entry, "option", entry)
        if option.needs_cetr:
            return "a residential placement of 38 weeks a year or more is proposed"
    if panel_kind in CETR_PANEL_KINDS and child_needs_cetr(child):
        parts = [
            p
            for p, on in (
                ("is autistic", child.autism),
                ("has a learning disability", child.learning_disability),
            )
            if on
        ]
        return f"{child.given_name} {' and '.join(parts)}"
    return ""
