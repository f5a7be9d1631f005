"""Agenda services: building, ordering, late papers, supplements, circulation and papers grants.

Clock: Monday 2 March 2026 (tests/panels/conftest.py); the IRAP meeting is Thursday 9 April 2026,
papers due Friday 27 March, circulation due Wednesday 1 April.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from casework.access import NotAllowed
from casework.models import AuditEvent, Notification
from casework.services import InvalidTransition
from panels import access, services
from panels.models import AgendaItem, Meeting, PapersGrant, PapersGrantReason
from panels.models.records import Action
from referrals import services as referral_services
from referrals.models import Status
from tests.panels.conftest import CIRCULATION_DAY, LONDON, MEETING_DAY, at, seat

D = dt.date


def version(meeting: Meeting) -> int:
    return Meeting.objects.values_list("version", flat=True).get(pk=meeting.pk)


def add_referral(meeting, referral, actor, **kwargs):
    return services.agenda_item_add_referral(
        actor=actor, meeting=meeting, referral=referral, version=version(meeting), **kwargs
    )


def add_other(meeting, actor, title="Budget update"):
    return services.agenda_item_add_other(actor=actor, meeting=meeting, version=version(meeting), title=title)


def titles(meeting) -> list[str]:
    return list(
        AgendaItem.objects.filter(meeting=meeting, withdrawn_at__isnull=True)
        .order_by("position", "pk")
        .values_list("title", flat=True)
    )


def test_build_adds_submitted_referrals_and_the_action_log_when_actions_are_open(
    irap, irap_meeting, make_submitted, panel_admin, another_child
):
    first = make_submitted()
    second = make_submitted(child=another_child)
    Action.objects.create(panel=irap, number=1, action="Chase the ICB", created_by=panel_admin)

    added = services.agenda_build(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))

    assert [item.kind for item in added] == ["action_log", "referral", "referral"]
    assert {item.referral_id for item in added[1:]} == {first.pk, second.pk}
    first.refresh_from_db()
    assert first.status == Status.ON_AGENDA
    assert AuditEvent.objects.filter(action="agenda.built").exists()
    # Building again adds nothing twice.
    assert services.agenda_build(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting)) == []


def test_build_without_open_actions_has_no_action_log(irap_meeting, submitted_referral, panel_admin):
    added = services.agenda_build(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    assert [item.kind for item in added] == ["referral"]


def test_only_administrators_change_the_agenda(irap_meeting, submitted_referral, council_member, outsider):
    for person in (council_member, outsider):
        with pytest.raises(NotAllowed):
            add_referral(irap_meeting, submitted_referral, person)


def test_chair_orders_the_agenda_with_up_and_down(irap_meeting, panel_chair):
    a, b, c = (add_other(irap_meeting, panel_chair, title) for title in ("A", "B", "C"))
    services.agenda_item_move(actor=panel_chair, item=c, version=version(irap_meeting), direction="up")
    assert titles(irap_meeting) == ["A", "C", "B"]
    services.agenda_item_move(actor=panel_chair, item=a, version=version(irap_meeting), direction="down")
    assert titles(irap_meeting) == ["C", "A", "B"]
    # The top item going up stays where it is.
    c.refresh_from_db()
    services.agenda_item_move(actor=panel_chair, item=c, version=version(irap_meeting), direction="up")
    assert titles(irap_meeting) == ["C", "A", "B"]
    assert b.pk


def test_stale_version_is_refused(irap_meeting, panel_chair, panel_admin):
    item = add_other(irap_meeting, panel_chair, "A")
    add_other(irap_meeting, panel_chair, "B")
    seen = version(irap_meeting)
    services.agenda_item_move(actor=panel_admin, item=item, version=seen, direction="down")
    with pytest.raises(InvalidTransition, match="Someone else changed this agenda"):
        services.agenda_item_move(actor=panel_chair, item=item, version=seen, direction="up")


def test_late_paper_is_refused_until_the_chair_accepts_it(
    clock, irap_meeting, make_submitted, panel_admin, panel_chair
):
    clock.move_to(at(D(2026, 3, 30)), tick=False)  # after the papers deadline (27 March)
    late = make_submitted()
    assert late.is_late_paper
    with pytest.raises(InvalidTransition, match="late paper"):
        add_referral(irap_meeting, late, panel_admin)
    assert services.agenda_build(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting)) == []

    referral_services.referral_accept_late(actor=panel_chair, referral=late)
    item = add_referral(irap_meeting, late, panel_admin)
    assert item.referral_id == late.pk


def test_deferred_referral_from_an_earlier_meeting_goes_on(
    irap, irap_meeting, next_meeting, submitted_referral, panel_admin
):
    add_referral(irap_meeting, submitted_referral, panel_admin)
    referral_services.referral_record_outcome(
        actor=panel_admin, referral=submitted_referral, to=Status.DEFERRED, reason="Needs the CAMHS report"
    )
    item = add_referral(next_meeting, submitted_referral, panel_admin)
    submitted_referral.refresh_from_db()
    assert item.meeting_id == next_meeting.pk
    assert submitted_referral.status == Status.ON_AGENDA
    assert submitted_referral.meeting_id == next_meeting.pk


def test_withdraw_takes_the_referral_off_the_agenda(irap_meeting, submitted_referral, panel_admin):
    item = add_referral(irap_meeting, submitted_referral, panel_admin)
    with pytest.raises(ValidationError):
        services.agenda_item_withdraw(actor=panel_admin, item=item, version=version(irap_meeting), reason=" ")
    services.agenda_item_withdraw(
        actor=panel_admin, item=item, version=version(irap_meeting), reason="Family moved away"
    )
    submitted_referral.refresh_from_db()
    assert submitted_referral.status == Status.SUBMITTED
    assert titles(irap_meeting) == []
    # It can go back on.
    add_referral(irap_meeting, submitted_referral, panel_admin)
    assert len(titles(irap_meeting)) == 1


def test_lead_member_must_be_a_current_member(irap, irap_meeting, panel_admin, council_member, outsider):
    item = add_other(irap_meeting, panel_admin)
    services.agenda_item_set_lead(
        actor=panel_admin, item=item, version=version(irap_meeting), lead_member=seat(irap, council_member)
    )
    item.refresh_from_db()
    assert item.lead_member.person == council_member
    ended = seat(irap, council_member)
    ended.ends_on = D(2026, 3, 1)
    ended.save()
    with pytest.raises(ValidationError) as error:
        services.agenda_item_set_lead(
            actor=panel_admin, item=item, version=version(irap_meeting), lead_member=ended
        )
    assert "lead_member" in error.value.message_dict


# --- Circulation ---------------------------------------------------------------------------------


def test_circulate_fixes_the_agenda_grants_papers_and_tells_members(
    irap, irap_meeting, submitted_referral, panel_admin, panel_chair, council_member, icb_member
):
    item = add_referral(irap_meeting, submitted_referral, panel_admin, lead_member=seat(irap, icb_member))
    meeting = services.meeting_circulate(
        actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting)
    )
    assert meeting.circulated_by == panel_admin
    assert meeting.circulated_at is not None

    grants = PapersGrant.objects.filter(meeting=meeting)
    members = grants.filter(reason=PapersGrantReason.MEMBER)
    assert members.count() == 5  # every current seat, the administrator's too
    end_of_day = dt.datetime(2026, 4, 10, 0, 0, tzinfo=LONDON)
    assert {g.ends_at for g in members} == {end_of_day}
    chair = grants.get(reason=PapersGrantReason.CHAIR)
    assert (chair.person, chair.ends_at, chair.agenda_item) == (panel_chair, None, None)
    lead = grants.get(reason=PapersGrantReason.LEAD_MEMBER)
    assert (lead.person, lead.ends_at, lead.agenda_item) == (icb_member, None, item)

    notices = Notification.objects.filter(subject__startswith="Papers for Hampshire IRAP")
    assert {n.user for n in notices} >= {council_member, icb_member, panel_chair}
    child = submitted_referral.child
    assert all(child.given_name not in n.subject + n.body for n in notices)
    assert all(child.family_name not in n.subject + n.body for n in notices)
    event = AuditEvent.objects.get(action="meeting.papers_circulated")
    assert event.changes["late"] == [None, False]


def test_items_added_after_circulation_are_supplements(
    irap_meeting, make_submitted, another_child, panel_admin
):
    add_other(irap_meeting, panel_admin, "Budget")
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    referral = make_submitted(child=another_child)
    item = add_referral(irap_meeting, referral, panel_admin)
    assert item.is_supplement


def test_circulate_refuses_an_empty_agenda(irap_meeting, panel_admin):
    with pytest.raises(ValidationError) as error:
        services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    assert "agenda" in error.value.message_dict


def test_circulate_refuses_cancelled_past_and_repeat(clock, irap, irap_meeting, panel_admin):
    add_other(irap_meeting, panel_admin)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    with pytest.raises(InvalidTransition, match="already been circulated"):
        services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))

    cancelled = services.meeting_schedule(actor=panel_admin, panel=irap, date=D(2026, 5, 14))
    add_other(cancelled, panel_admin)
    services.meeting_cancel(
        actor=panel_admin, meeting=cancelled, version=version(cancelled), reason="No quorum"
    )
    with pytest.raises(InvalidTransition, match="cancelled"):
        services.meeting_circulate(actor=panel_admin, meeting=cancelled, version=version(cancelled))

    past = services.meeting_schedule(actor=panel_admin, panel=irap, date=D(2026, 3, 12))
    add_other(past, panel_admin)
    clock.move_to(at(D(2026, 3, 13)), tick=False)
    with pytest.raises(InvalidTransition, match="already taken place"):
        services.meeting_circulate(actor=panel_admin, meeting=past, version=version(past))


def test_circulating_after_the_due_date_is_allowed_and_recorded_as_late(clock, irap_meeting, panel_admin):
    add_other(irap_meeting, panel_admin)
    clock.move_to(at(CIRCULATION_DAY + dt.timedelta(days=1)), tick=False)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    assert AuditEvent.objects.get(action="meeting.papers_circulated").changes["late"] == [None, True]


def test_lead_member_changed_after_circulation_moves_the_kept_copy(
    irap, irap_meeting, panel_admin, council_member, icb_member
):
    item = add_other(irap_meeting, panel_admin)
    services.agenda_item_set_lead(
        actor=panel_admin, item=item, version=version(irap_meeting), lead_member=seat(irap, council_member)
    )
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    services.agenda_item_set_lead(
        actor=panel_admin, item=item, version=version(irap_meeting), lead_member=seat(irap, icb_member)
    )
    live = PapersGrant.objects.filter(reason=PapersGrantReason.LEAD_MEMBER, revoked_at__isnull=True)
    assert [g.person for g in live] == [icb_member]


def test_member_added_after_circulation_gets_the_papers(irap, irap_meeting, panel_admin, service_manager):
    add_other(irap_meeting, panel_admin)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    new_seat = services.membership_add(actor=panel_admin, panel=irap, person=service_manager, role="member")
    # membership_add gave the papers; a second call finds nothing more to give.
    granted = PapersGrant.objects.filter(person=service_manager, meeting=irap_meeting)
    assert [(g.person, g.ends_at.astimezone(LONDON).date()) for g in granted] == [
        (service_manager, D(2026, 4, 10))
    ]
    assert services.papers_grant_new_member(actor=panel_admin, membership=new_seat) == []


def test_a_member_who_leaves_keeps_no_papers(irap, irap_meeting, panel_admin, icb_member):
    add_other(irap_meeting, panel_admin)
    services.meeting_circulate(actor=panel_admin, meeting=irap_meeting, version=version(irap_meeting))
    services.membership_end(actor=panel_admin, membership=seat(irap, icb_member))
    assert not access.can_read_papers(user=icb_member, meeting=irap_meeting)


def test_agenda_cannot_change_after_the_meeting(clock, irap_meeting, panel_admin):
    item = add_other(irap_meeting, panel_admin)
    clock.move_to(at(MEETING_DAY, 18, 0), tick=False)
    with pytest.raises(InvalidTransition, match="already taken place"):
        services.agenda_item_withdraw(actor=panel_admin, item=item, version=version(irap_meeting), reason="x")
