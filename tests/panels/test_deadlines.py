"""A meeting's deadlines come from its own panel's settings and closure days (seeds 002)."""

from __future__ import annotations

import datetime as dt

import pytest

from panels.models import ClosureDay
from panels.selectors import meeting_deadlines
from referrals.services import submission_deadline
from tests.factories import MeetingFactory, PanelFactory

D = dt.date
EASTER_MEETING = D(2026, 4, 9)  # Thursday after Easter 2026


@pytest.fixture
def panel(hampshire):
    return PanelFactory(name="Hampshire IRAP (deadlines)", kind="irap", host_agency=hampshire)


def test_default_settings_are_the_joint_funding_panel_numbers(panel):
    """seeds 002, Joint Funding Panel: papers 7 working days before, circulated 5 before, decision
    letters and minutes within 3, an absent agency answers within 3."""
    meeting = MeetingFactory(panel=panel, date=EASTER_MEETING)
    deadlines = meeting_deadlines(meeting)
    assert deadlines.papers_due == D(2026, 3, 27)
    # 5 working days before: 8, 7, 2, 1 April, 31 March.
    assert deadlines.circulation == D(2026, 3, 31)
    # 3 working days after Thursday 9 April: Fri 10, Mon 13, Tue 14.
    assert deadlines.decision_letters_due == D(2026, 4, 14)
    assert deadlines.minutes_due == D(2026, 4, 14)
    assert deadlines.absent_agency_response_due == D(2026, 4, 14)
    assert submission_deadline(meeting) == D(2026, 3, 27)


def test_changing_papers_due_moves_the_papers_deadline_and_nothing_else(panel):
    meeting = MeetingFactory(panel=panel, date=EASTER_MEETING)
    before = meeting_deadlines(meeting)
    panel.papers_due_working_days = 10
    panel.save()
    meeting.refresh_from_db()
    after = meeting_deadlines(meeting)
    # 10 working days before 9 April: 8, 7, 2, 1 Apr, 31, 30, 27, 26, 25, 24 Mar.
    assert after.papers_due == D(2026, 3, 24)
    assert after.circulation == before.circulation
    assert after.decision_letters_due == before.decision_letters_due
    assert submission_deadline(meeting) == D(2026, 3, 24)


@pytest.mark.parametrize(
    ("field", "value", "attribute", "expected"),
    [
        ("papers_due_working_days", 0, "papers_due", EASTER_MEETING),
        ("papers_due_working_days", 1, "papers_due", D(2026, 4, 8)),
        ("papers_due_working_days", 3, "papers_due", D(2026, 4, 2)),
        ("circulation_working_days", 2, "circulation", D(2026, 4, 7)),
        ("circulation_working_days", 3, "circulation", D(2026, 4, 2)),
        ("decision_letter_working_days", 1, "decision_letters_due", D(2026, 4, 10)),
        ("decision_letter_working_days", 5, "decision_letters_due", D(2026, 4, 16)),
        ("minutes_working_days", 10, "minutes_due", D(2026, 4, 23)),
        ("absent_agency_response_working_days", 2, "absent_agency_response_due", D(2026, 4, 13)),
    ],
)
def test_each_deadline_follows_its_own_panel_setting(hampshire, field, value, attribute, expected):
    panel = PanelFactory(host_agency=hampshire, **{field: value})
    meeting = MeetingFactory(panel=panel, date=EASTER_MEETING)
    assert getattr(meeting_deadlines(meeting), attribute) == expected


def test_decision_letters_three_working_days_after_a_meeting_before_easter(panel):
    # A meeting on Wednesday 1 April 2026: Thu 2, (Good Friday, weekend, Easter Monday), Tue 7, Wed 8.
    meeting = MeetingFactory(panel=panel, date=D(2026, 4, 1))
    assert meeting_deadlines(meeting).decision_letters_due == D(2026, 4, 8)


def test_decision_letters_three_working_days_after_a_meeting_before_christmas(panel):
    # Wednesday 23 December 2026: Thu 24, (Christmas, weekend, Boxing Day observed), Tue 29, Wed 30.
    meeting = MeetingFactory(panel=panel, date=D(2026, 12, 23))
    deadlines = meeting_deadlines(meeting)
    assert deadlines.decision_letters_due == D(2026, 12, 30)
    assert deadlines.minutes_due == D(2026, 12, 30)


def test_decision_letters_after_the_august_bank_holiday(panel):
    # Thursday 27 August 2026: Fri 28, (Mon 31 bank holiday), Tue 1, Wed 2 September.
    meeting = MeetingFactory(panel=panel, date=D(2026, 8, 27))
    assert meeting_deadlines(meeting).decision_letters_due == D(2026, 9, 2)


def test_a_panels_closure_days_are_honoured(panel, hampshire):
    meeting = MeetingFactory(panel=panel, date=D(2026, 12, 23))
    ClosureDay.objects.create(panel=panel, day=D(2026, 12, 29), reason="Christmas shutdown")
    ClosureDay.objects.create(panel=panel, day=D(2026, 12, 30), reason="Christmas shutdown")
    ClosureDay.objects.create(panel=panel, day=D(2026, 12, 31), reason="Christmas shutdown")
    # Thu 24, then 29-31 closed, Fri 1 Jan bank holiday: Mon 4, Tue 5 January 2027.
    assert meeting_deadlines(meeting).decision_letters_due == D(2027, 1, 5)
    # Papers: 7 working days before 23 December, with a closure on 15 December.
    ClosureDay.objects.create(panel=panel, day=D(2026, 12, 15), reason="Training day")
    # 22, 21, 18, 17, 16, (15 closed), 14, 11.
    assert meeting_deadlines(meeting).papers_due == D(2026, 12, 11)
    assert submission_deadline(meeting) == D(2026, 12, 11)


def test_another_panels_closure_days_do_not_count(panel, hampshire):
    other = PanelFactory(name="Another panel", host_agency=hampshire)
    ClosureDay.objects.create(panel=other, day=D(2026, 12, 29), reason="Their shutdown")
    meeting = MeetingFactory(panel=panel, date=D(2026, 12, 23))
    assert meeting_deadlines(meeting).decision_letters_due == D(2026, 12, 30)


def test_closures_passed_in_replace_the_panels_own(panel):
    """A page listing many meetings fetches closures once and passes them in."""
    meeting = MeetingFactory(panel=panel, date=EASTER_MEETING)
    ClosureDay.objects.create(panel=panel, day=D(2026, 3, 27))
    assert meeting_deadlines(meeting).papers_due == D(2026, 3, 26)
    assert meeting_deadlines(meeting, closures=frozenset()).papers_due == D(2026, 3, 27)
    assert meeting_deadlines(meeting, closures=frozenset({D(2026, 3, 31)})).papers_due == D(2026, 3, 26)


def test_deadlines_cost_one_query_for_closures(panel, django_assert_num_queries):
    meeting = MeetingFactory(panel=panel, date=EASTER_MEETING)
    meeting = type(meeting).objects.select_related("panel").get(pk=meeting.pk)
    # 1. the panel's closure days
    with django_assert_num_queries(1):
        meeting_deadlines(meeting)
    with django_assert_num_queries(0):
        meeting_deadlines(meeting, closures=frozenset())


def test_deadlines_are_working_days_for_every_meeting_in_2026(panel):
    from casework.working_days import is_working_day

    day = D(2026, 1, 1)
    while day.year == 2026:
        if day.weekday() == 3:  # every Thursday, even one that is itself a holiday
            deadlines = meeting_deadlines(MeetingFactory.build(panel=panel, date=day), closures=frozenset())
            for value in (
                deadlines.papers_due,
                deadlines.circulation,
                deadlines.decision_letters_due,
                deadlines.minutes_due,
                deadlines.absent_agency_response_due,
            ):
                assert is_working_day(value)
            assert deadlines.papers_due < deadlines.circulation < day < deadlines.decision_letters_due
        day += dt.timedelta(days=1)
