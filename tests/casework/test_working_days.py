"""Working days: Monday to Friday, less bank holidays in England and a panel's closure days.

Checked against the 2026 calendar for England: Good Friday 3 April, Easter Monday 6 April, early May
4 May, spring 25 May, late summer 31 August, Christmas Day Friday 25 December and Boxing Day
observed Monday 28 December (26 December is a Saturday).
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from casework.working_days import add_working_days, is_working_day, working_days_between

D = dt.date

# --- is_working_day ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2026, 4, 2), True),  # Maundy Thursday is an ordinary working day
        (D(2026, 4, 3), False),  # Good Friday
        (D(2026, 4, 4), False),  # Saturday
        (D(2026, 4, 5), False),  # Easter Sunday
        (D(2026, 4, 6), False),  # Easter Monday: England only, the "GB without subdiv" pitfall
        (D(2026, 4, 7), True),
        (D(2026, 5, 4), False),  # early May bank holiday
        (D(2026, 5, 25), False),  # spring bank holiday
        (D(2026, 8, 28), True),
        (D(2026, 8, 31), False),  # late summer bank holiday: England only, the same pitfall
        (D(2026, 9, 1), True),
        (D(2026, 12, 24), True),
        (D(2026, 12, 25), False),  # Christmas Day, a Friday
        (D(2026, 12, 26), False),  # Boxing Day, a Saturday
        (D(2026, 12, 28), False),  # Boxing Day observed on the Monday
        (D(2026, 12, 29), True),
        (D(2026, 12, 31), True),
        (D(2027, 1, 1), False),  # New Year's Day
        (D(2027, 1, 4), True),
        (D(2026, 3, 17), True),  # St Patrick's Day is a holiday in Northern Ireland, not England
        (D(2026, 11, 30), True),  # St Andrew's Day: Scotland, not England
        (D(2026, 8, 3), True),  # Scotland's summer bank holiday, not England's
    ],
)
def test_is_working_day_in_england(day, expected):
    assert is_working_day(day) is expected


def test_a_closure_day_is_not_a_working_day():
    tuesday = D(2026, 12, 29)
    assert is_working_day(tuesday)
    assert not is_working_day(tuesday, closures=[tuesday])
    assert not is_working_day(tuesday, closures={tuesday})
    assert not is_working_day(tuesday, closures=frozenset({tuesday}))
    assert is_working_day(tuesday, closures=[D(2026, 12, 30)])


def test_closures_may_be_any_iterable_including_a_generator():
    closed = D(2026, 12, 29)
    assert not is_working_day(closed, closures=(d for d in [closed]))
    assert add_working_days(D(2026, 12, 24), 1, closures=(d for d in [closed])) == D(2026, 12, 30)
    assert working_days_between(D(2026, 12, 24), D(2026, 12, 31), closures=(d for d in [closed])) == 2


# --- add_working_days: the worked examples -----------------------------------------------------


def test_papers_for_a_meeting_after_easter_are_due_on_friday_27_march():
    """DESIGN.md: a panel on Thursday 9 April 2026 has papers due 7 working days before, on
    Friday 27 March (Good Friday 3 April and Easter Monday 6 April are not working days)."""
    assert add_working_days(D(2026, 4, 9), -7) == D(2026, 3, 27)


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (-1, D(2026, 4, 8)),
        (-2, D(2026, 4, 7)),
        (-3, D(2026, 4, 2)),  # jumps over Easter Monday, Sunday, Saturday and Good Friday
        (-4, D(2026, 4, 1)),
        (-5, D(2026, 3, 31)),
        (-6, D(2026, 3, 30)),
        (-7, D(2026, 3, 27)),
        (-8, D(2026, 3, 26)),
    ],
)
def test_counting_back_across_easter_one_day_at_a_time(n, expected):
    assert add_working_days(D(2026, 4, 9), n) == expected


def test_counting_forward_across_easter():
    # Decision letters 3 working days after a meeting on Thursday 2 April 2026.
    assert add_working_days(D(2026, 4, 2), 1) == D(2026, 4, 7)
    assert add_working_days(D(2026, 4, 2), 3) == D(2026, 4, 9)


def test_counting_across_christmas_2026():
    # Thursday 24 December: Christmas Day (Fri), the weekend and Boxing Day observed (Mon) are skipped.
    assert add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 29)
    assert add_working_days(D(2026, 12, 24), 3) == D(2026, 12, 31)
    # ... and New Year's Day 2027 (a Friday) too.
    assert add_working_days(D(2026, 12, 24), 4) == D(2027, 1, 4)
    # Backwards from Tuesday 29 December lands on Christmas Eve.
    assert add_working_days(D(2026, 12, 29), -1) == D(2026, 12, 24)
    # Backwards across the new year.
    assert add_working_days(D(2027, 1, 4), -1) == D(2026, 12, 31)


def test_counting_across_the_august_bank_holiday():
    # Friday 28 August 2026, then Monday 31 August is a bank holiday.
    assert add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 1)
    assert add_working_days(D(2026, 9, 1), -1) == D(2026, 8, 28)
    # A meeting on Thursday 3 September: papers 7 working days before.
    # Wed 2, Tue 1, (Mon 31 holiday), Fri 28, Thu 27, Wed 26, Tue 25, Mon 24.
    assert add_working_days(D(2026, 9, 3), -7) == D(2026, 8, 24)


def test_counting_across_a_plain_weekend():
    assert add_working_days(D(2026, 6, 5), 1) == D(2026, 6, 8)  # Friday → Monday
    assert add_working_days(D(2026, 6, 8), -1) == D(2026, 6, 5)  # Monday → Friday
    assert add_working_days(D(2026, 6, 6), 1) == D(2026, 6, 8)  # Saturday → Monday
    assert add_working_days(D(2026, 6, 6), -1) == D(2026, 6, 5)  # Saturday → Friday
    assert add_working_days(D(2026, 6, 1), 5) == D(2026, 6, 8)  # a whole week


def test_zero_working_days_is_the_day_itself_even_when_it_is_not_a_working_day():
    assert add_working_days(D(2026, 4, 9), 0) == D(2026, 4, 9)
    assert add_working_days(D(2026, 4, 3), 0) == D(2026, 4, 3)  # Good Friday
    assert add_working_days(D(2026, 6, 6), 0) == D(2026, 6, 6)  # a Saturday
    closed = D(2026, 12, 29)
    assert add_working_days(closed, 0, closures=[closed]) == closed


def test_closure_days_are_skipped():
    # A Christmas shutdown from 29 to 31 December 2026: the first working day after Christmas Eve
    # becomes Monday 4 January 2027.
    shutdown = [D(2026, 12, 29), D(2026, 12, 30), D(2026, 12, 31)]
    assert add_working_days(D(2026, 12, 24), 1, closures=shutdown) == D(2027, 1, 4)
    assert add_working_days(D(2027, 1, 4), -1, closures=shutdown) == D(2026, 12, 24)
    assert working_days_between(D(2026, 12, 24), D(2027, 1, 4), closures=shutdown) == 1
    # A closure on a day that is already a holiday changes nothing.
    assert add_working_days(D(2026, 12, 24), 1, closures=[D(2026, 12, 25)]) == D(2026, 12, 29)


def test_papers_deadline_moves_back_when_the_office_is_closed():
    closures = [D(2026, 3, 31)]
    assert add_working_days(D(2026, 4, 9), -7, closures=closures) == D(2026, 3, 26)


# --- working_days_between ----------------------------------------------------------------------


def test_working_days_between_counts_after_start_up_to_and_including_end():
    assert working_days_between(D(2026, 3, 27), D(2026, 4, 9)) == 7
    assert working_days_between(D(2026, 4, 9), D(2026, 3, 27)) == -7
    assert working_days_between(D(2026, 4, 9), D(2026, 4, 9)) == 0
    assert working_days_between(D(2026, 4, 2), D(2026, 4, 7)) == 1  # over Easter
    assert working_days_between(D(2026, 12, 24), D(2026, 12, 29)) == 1  # over Christmas
    assert working_days_between(D(2026, 12, 24), D(2027, 1, 4)) == 4  # and New Year
    assert working_days_between(D(2026, 8, 28), D(2026, 9, 1)) == 1  # over the August holiday
    assert working_days_between(D(2026, 4, 3), D(2026, 4, 6)) == 0  # Good Friday to Easter Monday


def test_working_days_in_2026():
    """365 days, 104 weekend days, 8 bank holidays (Boxing Day falls on a Saturday and is observed
    on Monday 28 December, so it still costs one working day)."""
    assert working_days_between(D(2025, 12, 31), D(2026, 12, 31)) == 365 - 104 - 8


def test_today_counts_with_time_machine():
    with time_machine.travel(dt.datetime(2026, 3, 30, 9, 0, tzinfo=dt.UTC), tick=False):
        today = timezone.localdate()
        assert today == D(2026, 3, 30)
        # The meeting on 9 April is 6 working days away (31 Mar, 1, 2, 7, 8, 9 April).
        assert working_days_between(today, D(2026, 4, 9)) == 6
        assert today > add_working_days(D(2026, 4, 9), -7)  # too late for the 7-day deadline


# --- properties --------------------------------------------------------------------------------

days = st.dates(min_value=D(2024, 1, 1), max_value=D(2029, 12, 31))
steps = st.integers(min_value=-60, max_value=60)
nonzero_steps = steps.filter(lambda n: n != 0)
closure_sets = st.frozensets(st.dates(min_value=D(2023, 9, 1), max_value=D(2030, 4, 30)), max_size=20)


@settings(max_examples=300, deadline=None)
@given(day=days, n=nonzero_steps, closures=closure_sets)
def test_the_result_is_always_a_working_day(day, n, closures):
    result = add_working_days(day, n, closures)
    assert is_working_day(result, closures)
    assert result.weekday() < 5
    assert result not in closures


@settings(max_examples=300, deadline=None)
@given(day=days, n=st.integers(min_value=0, max_value=60), closures=closure_sets)
def test_adding_then_counting_gives_n_forwards(day, n, closures):
    assert working_days_between(day, add_working_days(day, n, closures), closures) == n


@settings(max_examples=300, deadline=None)
@given(day=days, n=st.integers(min_value=-60, max_value=0), closures=closure_sets)
def test_adding_then_counting_gives_n_backwards_from_a_working_day(day, n, closures):
    # From a working day (a meeting, say) the round trip holds going back too.
    while not is_working_day(day, closures):
        day += dt.timedelta(days=1)
    assert working_days_between(day, add_working_days(day, n, closures), closures) == n


def test_counting_back_from_a_weekend_counts_working_days_after_the_end():
    # Going back one working day from a Saturday lands on Friday; no working day lies after Friday
    # up to that Saturday, so the count between them is 0 (the count is antisymmetric, see below).
    saturday = D(2026, 6, 6)
    friday = add_working_days(saturday, -1)
    assert friday == D(2026, 6, 5)
    assert working_days_between(saturday, friday) == 0
    assert working_days_between(friday, saturday) == 0


@settings(max_examples=200, deadline=None)
@given(day=days, n=steps, closures=closure_sets)
def test_adding_is_strictly_increasing_in_n(day, n, closures):
    assert add_working_days(day, n, closures) < add_working_days(day, n + 1, closures)


@settings(max_examples=200, deadline=None)
@given(day=days, n=nonzero_steps, closures=closure_sets)
def test_adding_moves_in_the_direction_of_n_and_skips_only_non_working_days(day, n, closures):
    result = add_working_days(day, n, closures)
    assert (result > day) if n > 0 else (result < day)
    # Exactly |n| working days lie strictly between day and result on result's side, counting result.
    lo, hi = (day, result) if n > 0 else (result, day)
    span = [lo + dt.timedelta(days=i) for i in range(1, (hi - lo).days + 1)]
    working = [d for d in span if is_working_day(d, closures)]
    if n > 0:
        assert len(working) == n and working[-1] == result
    else:
        # going back: working days in [result, day)
        back = [d for d in [result, *span] if d < day and is_working_day(d, closures)]
        assert len(back) == -n and back[0] == result


@settings(max_examples=200, deadline=None)
@given(start=days, end=days, closures=closure_sets)
def test_counting_is_antisymmetric_and_additive(start, end, closures):
    assert working_days_between(start, end, closures) == -working_days_between(end, start, closures)
    middle = min(start, end) + (max(start, end) - min(start, end)) // 2
    lo, hi = min(start, end), max(start, end)
    assert working_days_between(lo, hi, closures) == working_days_between(
        lo, middle, closures
    ) + working_days_between(middle, hi, closures)


@settings(max_examples=200, deadline=None)
@given(day=days, n=steps)
def test_closures_never_bring_a_deadline_closer(day, n):
    """Adding a closure day can only push a date further from the start, never nearer."""
    closed = frozenset({day + dt.timedelta(days=k) for k in range(-10, 11, 3)})
    plain = add_working_days(day, n)
    with_closures = add_working_days(day, n, closed)
    if n >= 0:
        assert with_closures >= plain
    else:
        assert with_closures <= plain
