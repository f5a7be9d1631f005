"""The reports' writes: the audit trail of their downloads (issue 18). The summaries they read are
written by reporting.summaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from casework.access import agency_of
from casework.audit import record_event
from casework.models import User


@transaction.atomic
def waiting_record_export(
    *, actor: User, file_format: str, filters: Mapping[str, Any], refs: list[str]
) -> None:
    """Every download of Where cases wait is in the audit trail: who took which rows (each item's
    stable id, "referral-12"), in what format, filtered how; on the person's agency."""
    record_event(
        actor=actor,
        action="reports.waiting_exported",
        obj=agency_of(actor),
        changes={
            "format": [None, file_format],
            "filters": [None, {k: str(v) for k, v in filters.items() if v not in (None, "")}],
            "items": [None, refs],
        },
    )


@transaction.atomic
def decision_times_record_export(
    *, actor: User, file_format: str, rows: str, filters: Mapping[str, Any], refs: list[str]
) -> None:
    """Every download of Time to decision is in the audit trail: who took which rows (each
    referral's or recommendation's stable id, "referral-12"), in what format, filtered how; on the
    person's agency."""
    record_event(
        actor=actor,
        action="reports.time_to_decision_exported",
        obj=agency_of(actor),
        changes={
            "format": [None, file_format],
            "rows": [None, rows],
            "filters": [None, {k: str(v) for k, v in filters.items() if v not in (None, "")}],
            "items": [None, refs],
        },
    )
