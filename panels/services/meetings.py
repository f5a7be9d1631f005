"""Writes for panels: settings, closure days, membership and meetings.

Every change is checked against panels.access.can_administer (terms, settings, membership and
closure days against can_manage_panel, which adds the partnership administrator; None actor only
for the demo loader), audited, and a meeting change is compare-and-swap on its version so two
administrators editing at once cannot both win (409).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from casework.access import NotAllowed, agency_of
from casework.audit import diff, record_event, snapshot
from casework.models import Agency, User
from casework.services import InvalidTransition
from casework.working_days import is_working_day
from panels import access
from panels.cadence import describe, meeting_dates
from panels.models import ClosureDay, Meeting, MeetingStatus, Membership, Panel, PapersGrant

__all__ = [
    "PAST_DATE_UNCONFIRMED",
    "SETTINGS_FIELDS",
    "closure_day_add",
    "closure_day_remove",
    "meeting_cancel",
    "meeting_move",
    "meeting_schedule",
    "meetings_generate",
    "membership_add",
    "membership_end",
    "panel_create",
    "panel_update_settings",
]

SETTINGS_FIELDS = (
    "name",
    "kind",
    "purpose",
    "terms_of_reference_url",
    "terms_of_reference_review_date",
    "cadence_rule",
    "cadence_weekday",
    "cadence_week_of_month",
    "cadence_interval_weeks",
    "cadence_anchor",
    "meeting_starts_at",
    "meeting_ends_at",
    "meeting_location",
    "papers_due_working_days",
    "circulation_working_days",
    "decision_letter_working_days",
    "minutes_working_days",
    "absent_agency_response_working_days",
    "papers_reminder_working_days",
    "sign_off_reminder_working_days",
    "review_reminder_days",
    "quorum_members_per_agency",
    "inquorate_below_members",
    "inquorate_without_chair",
)


PAST_DATE_UNCONFIRMED = (
    "The date is in the past: choose a date that is today or later, or confirm you are scheduling a "
    "meeting in the past"
)


def _require_admin(actor: User | None, panel: Panel) -> None:
    if actor is not None and not access.can_administer(user=actor, panel=panel):
        raise NotAllowed("Only the panel's chair or administrators can do this")


def _require_manager(actor: User | None, panel: Panel) -> None:
    """Terms, settings, membership and closure days: also the partnership administrator."""
    if actor is not None and not access.can_manage_panel(user=actor, panel=panel):
        raise NotAllowed(
            "Only the panel's chair, its administrators or the partnership administrator can do this"
        )


@transaction.atomic
def panel_create(*, actor: User | None, name: str, kind: str, host_agency: Agency, **settings: Any) -> Panel:
    """A new panel of the host agency's partnership, set up by that partnership's administrator
    (actor None: the demo loader)."""
    if actor is not None and not (
        access.can_create_panel(user=actor) and agency_of(actor).partnership == host_agency.partnership
    ):
        raise NotAllowed("Only a partnership administrator of the host agency's partnership can add a panel")
    if not host_agency.partnership:
        raise ValidationError({"host_agency": ["Choose an agency that belongs to a partnership"]})
    if Panel.objects.filter(name__iexact=name.strip()).exists():
        raise ValidationError({"name": ["A panel with this name already exists"]})
    panel = Panel(
        name=name, kind=kind, host_agency=host_agency, partnership=host_agency.partnership, **settings
    )
    panel.cadence = describe(panel)
    panel.full_clean()
    panel.save()
    record_event(actor=actor, action="panel.created", obj=panel, changes={"name": [None, name]})
    return panel


@transaction.atomic
def panel_update_settings(
    *, actor: User, panel: Panel, fields: Mapping[str, Any], quorum_agencies: list[Agency] | None = None
) -> Panel:
    """Change a panel's terms of reference and settings (each deadline is a number of working days)."""
    _require_manager(actor, panel)
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Unknown panel settings: {sorted(unknown)}")
    locked = Panel.objects.select_for_update().get(pk=panel.pk)
    before = snapshot(locked, SETTINGS_FIELDS)
    for name, value in fields.items():
        setattr(locked, name, value)
    if locked.meeting_ends_at <= locked.meeting_starts_at:
        raise ValidationError({"meeting_ends_at": ["The meeting must end after it starts"]})
    locked.cadence = describe(locked)
    locked.full_clean()
    locked.save()
    changes = diff(before, snapshot(locked, SETTINGS_FIELDS))
    if quorum_agencies is not None:
        old = sorted(locked.quorum_agencies.values_list("pk", flat=True))
        new = sorted(a.pk for a in quorum_agencies)
        if old != new:
            if any(a.partnership != locked.partnership for a in quorum_agencies):
                raise ValidationError({"quorum_agencies": ["Choose agencies of the panel's partnership"]})
            locked.quorum_agencies.set(quorum_agencies)
            changes["quorum_agencies"] = [old, new]
    if changes:
        record_event(actor=actor, action="panel.settings_changed", obj=locked, changes=changes)
    return locked


@transaction.atomic
def closure_day_add(*, actor: User, panel: Panel, day: dt.date, reason: str = "") -> ClosureDay:
    _require_manager(actor, panel)
    closure = ClosureDay(panel=panel, day=day, reason=reason.strip())
    closure.full_clean(validate_unique=False, validate_constraints=False)
    if ClosureDay.objects.filter(panel=panel, day=day).exists():
        raise ValidationError({"day": ["That day is already a closure day"]})
    closure.save()
    record_event(actor=actor, action="panel.closure_day_added", obj=panel, changes={"day": [None, str(day)]})
    return closure


@transaction.atomic
def closure_day_remove(*, actor: User, closure: ClosureDay) -> None:
    _require_manager(actor, closure.panel)
    record_event(
        actor=actor,
        action="panel.closure_day_removed",
        obj=closure.panel,
        changes={"day": [str(closure.day), None]},
    )
    closure.delete()


@transaction.atomic
def membership_add(
    *,
    actor: User | None,
    panel: Panel,
    person: User,
    role: str,
    starts_on: dt.date | None = None,
    deputy_for: Membership | None = None,
) -> Membership:
    """Seat a person on the panel for their own agency (which must be in the panel's partnership).

    A seat brings the panel's papers, so a partnership administrator who does not already
    administer the panel cannot seat themselves: that would be raising their own privileges.
    """
    _require_manager(actor, panel)
    if actor is not None and person.pk == actor.pk and not access.can_administer(user=actor, panel=panel):
        raise NotAllowed(
            "You cannot give yourself a seat on a panel: ask the panel's chair or administrators"
        )
    if person.agency is None or person.agency.partnership != panel.partnership:
        raise ValidationError({"person": ["Choose a person from an agency of the panel's partnership"]})
    if person.is_service_account:
        raise ValidationError({"person": ["A service account cannot sit on a panel"]})
    if deputy_for is not None and (deputy_for.panel_id != panel.pk or deputy_for.person_id == person.pk):
        raise ValidationError({"deputy_for": ["Choose another member of this panel"]})
    seat = Membership(
        panel=panel,
        person=person,
        agency=person.agency,
        role=role,
        starts_on=starts_on or timezone.localdate(),
        deputy_for=deputy_for,
    )
    seat.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            seat.save()
    except IntegrityError as exc:
        raise ValidationError({"person": [f"{person.full_name} is already a member of this panel"]}) from exc
    record_event(
        actor=actor,
        action="panel.member_added",
        obj=panel,
        changes={"person": [None, person.pk], "role": [None, role]},
    )
    # Seated after the papers went out: the papers of the panel's circulated meetings still to come.
    from panels.services.agenda import papers_grant_new_member

    papers_grant_new_member(actor=actor, membership=seat)
    return seat


@transaction.atomic
def membership_end(*, actor: User, membership: Membership, ends_on: dt.date | None = None) -> Membership:
    _require_manager(actor, membership.panel)
    ends_on = ends_on or timezone.localdate()
    if ends_on < membership.starts_on:
        raise ValidationError({"ends_on": ["The end date must be on or after the start date"]})
    updated = Membership.objects.filter(pk=membership.pk, ends_on__isnull=True).update(ends_on=ends_on)
    if updated != 1:
        raise InvalidTransition("This membership has already ended")
    membership.refresh_from_db()
    # A member who leaves keeps no papers (seeds 002, Joint Funding Panel 3.3); a chair's copy goes too.
    PapersGrant.objects.filter(
        person=membership.person, meeting__panel=membership.panel, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    record_event(
        actor=actor,
        action="panel.member_ended",
        obj=membership.panel,
        changes={"person": [membership.person_id, None]},
    )
    return membership


@transaction.atomic
def meeting_schedule(
    *,
    actor: User | None,
    panel: Panel,
    date: dt.date,
    starts_at: dt.time | None = None,
    ends_at: dt.time | None = None,
    location: str = "",
    in_the_past: bool = False,
) -> Meeting:
    """A one-off meeting. A date before today is refused unless `in_the_past` confirms it (the
    administrator ticked "Yes, schedule a meeting in the past"): recording a meeting already held."""
    _require_admin(actor, panel)
    if date is not None and date < timezone.localdate() and not in_the_past:
        raise ValidationError({"date": [PAST_DATE_UNCONFIRMED]})
    meeting = Meeting(
        panel=panel,
        date=date,
        starts_at=starts_at or panel.meeting_starts_at,
        ends_at=ends_at or panel.meeting_ends_at,
        location=location or panel.meeting_location,
    )
    meeting.full_clean(validate_constraints=False)
    if Meeting.objects.filter(panel=panel, date=date, status=MeetingStatus.SCHEDULED).exists():
        raise ValidationError({"date": ["The panel already meets that day"]})
    meeting.save()
    record_event(actor=actor, action="meeting.scheduled", obj=meeting, changes={"date": [None, str(date)]})
    return meeting


@transaction.atomic
def meetings_generate(
    *, actor: User | None, panel: Panel, until: dt.date, start: dt.date | None = None
) -> list[Meeting]:
    """Schedule the coming meetings from the panel's cadence up to `until` (dates it already has,
    or had and cancelled or moved, are left alone)."""
    _require_admin(actor, panel)
    start = max(start or timezone.localdate(), timezone.localdate())
    if until < start:
        raise ValidationError({"until": ["Choose a date in the future"]})
    if (until - start).days > 2 * 366:
        raise ValidationError({"until": ["Generate at most two years of meetings at a time"]})
    closures = frozenset(panel.closure_days.values_list("day", flat=True))
    taken = set(Meeting.objects.filter(panel=panel, date__gte=start).values_list("date", flat=True)) | set(
        Meeting.objects.filter(panel=panel, moved_from__gte=start).values_list("moved_from", flat=True)
    )
    made = [
        meeting_schedule(actor=None, panel=panel, date=day)
        for day in meeting_dates(panel, start=start, until=until, closures=closures)
        if day not in taken
    ]
    if made:
        record_event(
            actor=actor,
            action="panel.meetings_generated",
            obj=panel,
            changes={"dates": [None, [str(m.date) for m in made]]},
        )
    return made


def _change_meeting(*, actor: User, meeting: Meeting, version: int, reason: str, **values: Any) -> Meeting:
    _require_admin(actor, meeting.panel)
    if not reason.strip():
        raise ValidationError({"reason": ["Enter the reason for the change"]})
    updated = Meeting.objects.filter(pk=meeting.pk, version=version, status=MeetingStatus.SCHEDULED).update(
        version=F("version") + 1, change_reason=reason.strip()[:500], changed_by=actor, **values
    )
    if updated != 1:
        raise InvalidTransition(
            "Someone else changed or cancelled this meeting since you opened it: reload to see it as it is now"
        )
    meeting.refresh_from_db()
    return meeting


@transaction.atomic
def meeting_move(
    *,
    actor: User,
    meeting: Meeting,
    version: int,
    date: dt.date,
    reason: str,
    starts_at: dt.time | None = None,
    ends_at: dt.time | None = None,
) -> Meeting:
    """Move a meeting to another day (and times). Referrals submitted to it move with it."""
    if date < timezone.localdate():
        raise ValidationError({"date": ["Choose a date that is today or later"]})
    closures = frozenset(meeting.panel.closure_days.values_list("day", flat=True))
    if not is_working_day(date, closures):
        raise ValidationError(
            {"date": ["Choose a working day: that day is a weekend, bank holiday or closure day"]}
        )
    starts_at, ends_at = starts_at or meeting.starts_at, ends_at or meeting.ends_at
    if ends_at <= starts_at:
        raise ValidationError({"ends_at": ["The meeting must end after it starts"]})
    if (
        Meeting.objects.filter(panel=meeting.panel, date=date, status=MeetingStatus.SCHEDULED)
        .exclude(pk=meeting.pk)
        .exists()
    ):
        raise ValidationError({"date": ["The panel already meets that day"]})
    old_date = meeting.date
    meeting = _change_meeting(
        actor=actor,
        meeting=meeting,
        version=version,
        reason=reason,
        date=date,
        starts_at=starts_at,
        ends_at=ends_at,
        moved_from=meeting.moved_from or old_date,
    )
    record_event(
        actor=actor,
        action="meeting.moved",
        obj=meeting,
        changes={"date": [str(old_date), str(date)], "reason": [None, reason]},
    )
    return meeting


@transaction.atomic
def meeting_cancel(*, actor: User, meeting: Meeting, version: int, reason: str) -> Meeting:
    """Cancel a meeting. Referrals submitted to it stay submitted for the chair to move."""
    meeting = _change_meeting(
        actor=actor, meeting=meeting, version=version, reason=reason, status=MeetingStatus.CANCELLED
    )
    record_event(actor=actor, action="meeting.cancelled", obj=meeting, changes={"reason": [None, reason]})
    return meeting
