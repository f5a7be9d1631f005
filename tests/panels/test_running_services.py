"""Attendance, quorum and declarations: panels/services/running.py and panels/selectors/running.py.

seeds 002, Leicester JSP: quorate with two members from each organisation (here the panel's rule:
`quorum_members_per_agency` present members from each of `quorum_agencies`).
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from casework.access import NotAllowed
from casework.models import AuditEvent
from panels import selectors, services
from panels.models import Attendance, Declaration, Membership
from tests.factories import UserFactory
from tests.panels.conftest import MEETING_DAY, at, seat


@pytest.fixture
def on_the_day(clock, irap_meeting):
    clock.move_to(at(MEETING_DAY, 14, 5), tick=False)
    return irap_meeting


def _present(meeting, actor, *people, status="present"):
    for person in people:
        services.attendance_record(
            actor=actor, meeting=meeting, membership=seat(meeting.panel, person), status=status
        )


def test_two_present_from_each_agency_is_quorate(
    on_the_day, panel_chair, council_member, icb_member, second_icb_member, panel_admin
):
    meeting = on_the_day
    _present(meeting, panel_admin, panel_chair, council_member, icb_member)
    result = selectors.quorum(meeting)
    assert not result.is_quorate
    counts = {row.agency.name: (row.present, row.required) for row in result.agencies}
    assert counts == {
        "Hampshire County Council Children's Services": (2, 2),
        "NHS Hampshire and Isle of Wight ICB": (1, 2),
    }
    _present(meeting, panel_admin, second_icb_member)
    assert selectors.quorum(meeting).is_quorate
    assert AuditEvent.objects.filter(action="meeting.attendance_recorded").count() == 4


def test_apologies_and_the_administrator_do_not_count(
    on_the_day, panel_chair, council_member, icb_member, second_icb_member, panel_admin
):
    meeting = on_the_day
    _present(meeting, panel_chair, panel_chair, panel_admin, icb_member, second_icb_member)
    _present(meeting, panel_chair, council_member, status="apologies")
    result = selectors.quorum(meeting)
    assert [(r.present, r.met) for r in result.agencies] == [(1, False), (2, True)]
    assert not result.is_quorate


def test_a_deputy_counts_for_their_agency_once(
    on_the_day, irap, hiow_icb, panel_chair, council_member, icb_member, second_icb_member
):
    meeting = on_the_day
    deputy = UserFactory(agency=hiow_icb, roles=["panel_member"], full_name="Dee Puty")
    deputy_seat = Membership.objects.create(
        panel=irap, person=deputy, agency=hiow_icb, role="member", starts_on=meeting.date
    )
    _present(meeting, panel_chair, panel_chair, council_member, second_icb_member)
    _present(meeting, panel_chair, icb_member, status="apologies")
    services.attendance_record(
        actor=panel_chair,
        meeting=meeting,
        membership=deputy_seat,
        status="present",
        deputy_for=seat(irap, icb_member),
    )
    assert selectors.quorum(meeting).is_quorate
    # The member turns up after all: the seat is filled once, not twice.
    _present(meeting, panel_chair, icb_member)
    _present(meeting, panel_chair, second_icb_member, status="absent")
    icb_row = next(r for r in selectors.quorum(meeting).agencies if r.agency == hiow_icb)
    assert icb_row.present == 1


def test_a_deputy_must_be_present_and_of_the_same_agency(
    on_the_day, irap, panel_chair, council_member, icb_member
):
    with pytest.raises(ValidationError) as other_agency:
        services.attendance_record(
            actor=panel_chair,
            meeting=on_the_day,
            membership=seat(irap, council_member),
            status="present",
            deputy_for=seat(irap, icb_member),
        )
    assert "deputy_for" in other_agency.value.message_dict
    with pytest.raises(ValidationError) as not_present:
        services.attendance_record(
            actor=panel_chair,
            meeting=on_the_day,
            membership=seat(irap, council_member),
            status="apologies",
            deputy_for=seat(irap, panel_chair),
        )
    assert "deputy_for" in not_present.value.message_dict


@pytest.mark.parametrize(("per_agency", "quorate"), [(1, True), (2, True), (3, False)])
def test_the_number_per_agency_is_the_panels_setting(
    on_the_day, irap, per_agency, quorate, panel_chair, council_member, icb_member, second_icb_member
):
    irap.quorum_members_per_agency = per_agency
    irap.save()
    _present(on_the_day, panel_chair, panel_chair, council_member, icb_member, second_icb_member)
    on_the_day.refresh_from_db()
    assert selectors.quorum(on_the_day).is_quorate is quorate


def test_no_quorum_agencies_means_that_many_members_in_all(on_the_day, irap, panel_chair, icb_member):
    irap.quorum_agencies.clear()
    _present(on_the_day, panel_chair, panel_chair)
    assert not selectors.quorum(on_the_day).is_quorate
    _present(on_the_day, panel_chair, icb_member)
    assert selectors.quorum(on_the_day).is_quorate


def test_present_only_from_the_meeting_day_apologies_before(irap_meeting, irap, panel_chair, council_member):
    with pytest.raises(ValidationError) as early:
        _present(irap_meeting, panel_chair, council_member)
    assert "status" in early.value.message_dict
    _present(irap_meeting, panel_chair, council_member, status="apologies")
    assert Attendance.objects.get().status == "apologies"


def test_who_may_record_attendance(on_the_day, irap, council_member, panel_admin, outsider, social_worker):
    for person in (council_member, outsider, social_worker):
        with pytest.raises(NotAllowed):
            _present(on_the_day, person, council_member)
    _present(on_the_day, panel_admin, council_member)


def test_nothing_is_recorded_for_a_cancelled_meeting(on_the_day, panel_chair, council_member):
    on_the_day.status = "cancelled"
    on_the_day.save()
    with pytest.raises(ValidationError):
        _present(on_the_day, panel_chair, council_member)


def test_a_former_member_is_not_offered(on_the_day, irap, panel_chair, council_member):
    held = seat(irap, council_member)
    Membership.objects.filter(pk=held.pk).update(ends_on=MEETING_DAY.replace(day=1))
    with pytest.raises(ValidationError) as gone:
        services.attendance_record(actor=panel_chair, meeting=on_the_day, membership=held, status="present")
    assert "membership" in gone.value.message_dict


# --- Declarations --------------------------------------------------------------------------------


def test_declarations_are_recorded_and_removed(item, on_the_day, irap, panel_chair, icb_member):
    declaration = services.declaration_record(
        actor=panel_chair,
        agenda_item=item,
        membership=seat(irap, icb_member),
        interest="Commissioned the provider last year",
        action="no_part_in_decision",
    )
    assert declaration.get_action_display() == "Remained but took no part in the decision"
    with pytest.raises(ValidationError) as twice:
        services.declaration_record(
            actor=panel_chair,
            agenda_item=item,
            membership=seat(irap, icb_member),
            interest="Again",
            action="remained",
        )
    assert "membership" in twice.value.message_dict
    services.declaration_remove(actor=panel_chair, declaration=declaration)
    assert not Declaration.objects.exists()
    assert AuditEvent.objects.filter(action__startswith="meeting.declaration_").count() == 2


def test_a_declaration_needs_interest_and_action(item, on_the_day, irap, panel_chair, icb_member):
    with pytest.raises(ValidationError) as bad:
        services.declaration_record(
            actor=panel_chair, agenda_item=item, membership=seat(irap, icb_member), interest=" ", action="?"
        )
    assert set(bad.value.message_dict) == {"interest", "action"}


def test_only_the_chair_or_administrators_record_declarations(item, on_the_day, irap, icb_member):
    with pytest.raises(NotAllowed):
        services.declaration_record(
            actor=icb_member,
            agenda_item=item,
            membership=seat(irap, icb_member),
            interest="Mine",
            action="remained",
        )
