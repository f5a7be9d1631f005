"""Meeting generation from the cadence, and the panel services' rules."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import ValidationError

from casework.access import NotAllowed
from casework.models import AuditEvent
from casework.services import InvalidTransition
from panels import services
from panels.cadence import describe, meeting_dates, nth_weekday
from panels.models import ClosureDay, Meeting, MeetingStatus, MemberRole, Panel
from tests.factories import PanelFactory

D = dt.date


def monthly(weekday: int, nth: int, **extra) -> Panel:
    return Panel(cadence_rule="monthly", cadence_weekday=weekday, cadence_week_of_month=nth, **extra)


def test_second_thursday_each_month():
    dates = meeting_dates(monthly(3, 2), start=D(2026, 1, 1), until=D(2026, 6, 30))
    assert dates == [
        D(2026, 1, 8),
        D(2026, 2, 12),
        D(2026, 3, 12),
        D(2026, 4, 9),
        D(2026, 5, 14),
        D(2026, 6, 11),
    ]


def test_last_thursday_uses_a_fifth_thursday_when_there_is_one():
    # October 2026 has five Thursdays (1, 8, 15, 22, 29).
    assert nth_weekday(2026, 10, 3, -1) == D(2026, 10, 29)
    assert nth_weekday(2026, 10, 3, 5) == D(2026, 10, 29)
    assert nth_weekday(2026, 11, 3, 5) is None


def test_a_bank_holiday_moves_the_meeting_to_the_next_working_day():
    # First Monday of April 2026 is Easter Monday (6 April): the panel meets on Tuesday 7 April.
    assert meeting_dates(monthly(0, 1), start=D(2026, 4, 1), until=D(2026, 4, 30)) == [D(2026, 4, 7)]
    # Last Friday of December 2026 is Christmas Day: Boxing Day is observed on Monday 28, so Tuesday 29.
    assert meeting_dates(monthly(4, -1), start=D(2026, 12, 1), until=D(2026, 12, 31)) == [D(2026, 12, 29)]


def test_closure_days_are_skipped_too():
    dates = meeting_dates(monthly(3, 2), start=D(2026, 3, 1), until=D(2026, 3, 31), closures=[D(2026, 3, 12)])
    assert dates == [D(2026, 3, 13)]


def test_every_four_weeks_from_an_anchor():
    panel = Panel(
        cadence_rule="weekly", cadence_weekday=3, cadence_interval_weeks=4, cadence_anchor=D(2026, 1, 8)
    )
    assert meeting_dates(panel, start=D(2026, 2, 1), until=D(2026, 4, 30)) == [
        D(2026, 2, 5),
        D(2026, 3, 5),
        D(2026, 4, 2),
        D(2026, 4, 30),
    ]


def test_cadence_in_words():
    panel = monthly(1, 2, meeting_starts_at=dt.time(12, 30), meeting_ends_at=dt.time(14, 0))
    assert describe(panel) == "Monthly on the second Tuesday, 12:30 to 14:00"


@pytest.fixture
def panel(hampshire):
    return PanelFactory(
        name="Hampshire IRAP", host_agency=hampshire, cadence_rule="monthly", cadence_weekday=3
    )


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 0), tick=False)
def test_generate_meetings_skips_dates_already_there(panel, administrator):
    made = services.meetings_generate(actor=administrator, panel=panel, until=D(2026, 6, 30))
    assert [m.date for m in made] == [D(2026, 3, 12), D(2026, 4, 9), D(2026, 5, 14), D(2026, 6, 11)]
    assert services.meetings_generate(actor=administrator, panel=panel, until=D(2026, 6, 30)) == []
    assert AuditEvent.objects.filter(action="panel.meetings_generated").count() == 1


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 0), tick=False)
def test_a_moved_meeting_is_not_generated_again(panel, administrator):
    services.meetings_generate(actor=administrator, panel=panel, until=D(2026, 3, 31))
    meeting = Meeting.objects.get(panel=panel)
    services.meeting_move(
        actor=administrator, meeting=meeting, version=1, date=D(2026, 3, 19), reason="Chair away"
    )
    assert services.meetings_generate(actor=administrator, panel=panel, until=D(2026, 3, 31)) == []


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 0), tick=False)
def test_move_and_cancel_need_a_reason_and_a_current_version(panel, administrator):
    meeting = services.meeting_schedule(actor=administrator, panel=panel, date=D(2026, 3, 12))
    with pytest.raises(ValidationError):
        services.meeting_move(
            actor=administrator, meeting=meeting, version=1, date=D(2026, 3, 19), reason=" "
        )
    with pytest.raises(ValidationError, match="working day"):
        services.meeting_move(actor=administrator, meeting=meeting, version=1, date=D(2026, 4, 3), reason="x")
    with pytest.raises(ValidationError, match="today or later"):
        services.meeting_move(
            actor=administrator, meeting=meeting, version=1, date=D(2026, 2, 26), reason="x"
        )
    moved = services.meeting_move(
        actor=administrator, meeting=meeting, version=1, date=D(2026, 3, 19), reason="Room"
    )
    assert (moved.date, moved.moved_from, moved.version) == (D(2026, 3, 19), D(2026, 3, 12), 2)
    # A second administrator still looking at version 1 cannot overwrite it.
    with pytest.raises(InvalidTransition, match="Someone else changed"):
        services.meeting_cancel(actor=administrator, meeting=meeting, version=1, reason="Clash")
    cancelled = services.meeting_cancel(actor=administrator, meeting=moved, version=2, reason="Clash")
    assert cancelled.status == MeetingStatus.CANCELLED


def test_only_the_panels_administrators_change_it(panel, social_worker, outsider, administrator):
    for person in (social_worker, outsider):
        with pytest.raises(NotAllowed):
            services.panel_update_settings(actor=person, panel=panel, fields={"papers_due_working_days": 10})
    updated = services.panel_update_settings(
        actor=administrator, panel=panel, fields={"papers_due_working_days": 10, "cadence_week_of_month": -1}
    )
    assert updated.papers_due_working_days == 10
    assert updated.cadence.startswith("Monthly on the last Thursday")


def test_a_chair_seated_on_the_panel_administers_it(panel, administrator, social_worker):
    services.membership_add(actor=administrator, panel=panel, person=social_worker, role=MemberRole.CHAIR)
    services.panel_update_settings(actor=social_worker, panel=panel, fields={"minutes_working_days": 5})


def test_members_come_from_the_partnership_once(panel, administrator, team_manager, outsider):
    services.membership_add(actor=administrator, panel=panel, person=team_manager, role=MemberRole.MEMBER)
    with pytest.raises(ValidationError, match="already a member"):
        services.membership_add(actor=administrator, panel=panel, person=team_manager, role=MemberRole.MEMBER)
    with pytest.raises(ValidationError, match="partnership"):
        services.membership_add(actor=administrator, panel=panel, person=outsider, role=MemberRole.MEMBER)


def test_settings_are_validated(panel, administrator):
    with pytest.raises(ValidationError):
        services.panel_update_settings(
            actor=administrator, panel=panel, fields={"papers_due_working_days": 99}
        )
    with pytest.raises(ValidationError, match="end after it starts"):
        services.panel_update_settings(
            actor=administrator,
            panel=panel,
            fields={"meeting_starts_at": dt.time(15), "meeting_ends_at": dt.time(14)},
        )


def test_closure_days_once(panel, administrator):
    services.closure_day_add(
        actor=administrator, panel=panel, day=D(2026, 12, 29), reason="Christmas shutdown"
    )
    with pytest.raises(ValidationError, match="already"):
        services.closure_day_add(actor=administrator, panel=panel, day=D(2026, 12, 29))
    services.closure_day_remove(actor=administrator, closure=ClosureDay.objects.get(panel=panel))
    assert not ClosureDay.objects.exists()
