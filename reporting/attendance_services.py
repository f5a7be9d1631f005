"""Attendance's write (issue 18): the audit trail of its downloads, as reporting.services keeps the
other reports'."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from casework.access import agency_of
from casework.audit import record_event
from casework.models import User


@transaction.atomic
def attendance_record_export(
    *, actor: User, file_format: str, filters: Mapping[str, Any], refs: list[str]
) -> None:
    """Every download of Attendance is in the audit trail: who took which meetings' rows (each
    meeting's stable id, "meeting-12"), in what format, filtered how; on the person's agency."""
    record_event(
        actor=actor,
        action="reports.attendance_exported",
        obj=agency_of(actor),
        changes={
            "format": [None, file_format],
            "filters": [None, {k: str(v) for k, v in filters.items() if v not in (None, "")}],
            "items": [None, refs],
        },
    )
