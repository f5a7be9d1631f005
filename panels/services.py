"""Writes for panels and meetings (the panels issue grows these)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction

from casework.audit import record_event
from casework.models import Agency, User
from panels.models import Meeting, Panel


@transaction.atomic
def panel_create(*, actor: User | None, name: str, kind: str, host_agency: Agency, **settings) -> Panel:
    panel = Panel(
        name=name, kind=kind, host_agency=host_agency, partnership=host_agency.partnership, **settings
    )
    panel.full_clean()
    panel.save()
    record_event(actor=actor, action="panel.created", obj=panel, changes={"name": [None, name]})
    return panel


@transaction.atomic
def meeting_schedule(
    *,
    actor: User | None,
    panel: Panel,
    date: dt.date,
    starts_at: dt.time | None = None,
    ends_at: dt.time | None = None,
    location: str = "",
) -> Meeting:
    meeting = Meeting(panel=panel, date=date, location=location)
    if starts_at:
        meeting.starts_at = starts_at
    if ends_at:
        meeting.ends_at = ends_at
    meeting.full_clean()
    meeting.save()
    record_event(actor=actor, action="meeting.scheduled", obj=meeting, changes={"date": [None, str(date)]})
    return meeting
