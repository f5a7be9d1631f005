"""The CETR safeguard on a panel paper and the chair's page (casework.cetr): which record a referral
rests on, "CETR held on <date>: <outcome>" or "CETR overridden by <name>, <role>: <reason>", or why
one is needed and missing."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils import timezone

from casework.cetr import child_needs_cetr, current_cetr
from casework.models import CetrRecord

register = template.Library()

# The panels a referral escalates to (seeds 002 s3): the same as referrals' submission rule.
CETR_PANEL_KINDS = ("jsp", "jfp")


@register.simple_tag
def child_cetr(child) -> CetrRecord | None:
    """The child's latest CETR or override (one query)."""
    return current_cetr(child)


@register.simple_tag
def cetr_records(views: Iterable[Any]) -> dict[int, CetrRecord]:
    """The latest CETR or override of each child on a meeting's agenda, by child id: one query."""
    child_ids = {view.item.referral.child_id for view in views if view.item.referral_id}
    rows = (
        CetrRecord.objects.filter(child_id__in=child_ids)
        .exclude(held_on__gt=timezone.localdate())
        .select_related("overridden_by")
        .order_by("child_id", "-recorded_at", "-id")
        .distinct("child_id")
    )
    return {row.child_id: row for row in rows} if child_ids else {}


@register.filter
def cetr_of(records: dict[int, CetrRecord], child_id: int) -> CetrRecord | None:
    return records.get(child_id)


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
