"""The action log's services and selectors (seeds 003): numbering, the append-only timeline, stale
edits, closing and reopening, who may do what, overdue marking and carrying open actions forward."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction

from casework.access import NotAllowed
from casework.models import AuditEvent
from casework.services import InvalidTransition
from panels import access, selectors, services
from panels.models import Action, ActionUpdate, AgendaItem, Membership
from tests.factories import ActionFactory, MeetingFactory, PanelFactory, UserFactory
from tests.panels.conftest import MEETING_DAY, at

D = dt.date


@pytest.fixture
def make_action(irap, panel_admin):
    def make(**fields):
        values = {"actor": panel_admin, "panel": irap, "action": "Report back on health assessments"}
        return services.action_create(**{**values, **fields})

    return make


# --- Creating and numbering --------------------------------------------------------------------


def test_actions_are_numbered_per_panel_in_order(make_action, irap, panel_admin, hampshire):
    other = PanelFactory(name="Hampshire JSP", host_agency=hampshire)
    assert [make_action().number for _ in range(3)] == [1, 2, 3]
    first_elsewhere = services.action_create(actor=panel_admin, panel=other, action="Write to partners")
    assert first_elsewhere.number == 1
    assert make_action().number == 4


def test_an_action_records_the_seeds_003_columns(
    make_action, irap_meeting, council_member, hampshire, hiow_icb, panel_admin
):
    item = AgendaItem.objects.create(
        meeting=irap_meeting, kind="action_log", title="Action log review", added_by=panel_admin
    )
    action = make_action(
        action="  Ensure every child has a timely health assessment  ",
        desired_outcome="Health needs are met in a timely way",
        owners=[council_member],
        owner_agencies=[hampshire],
        partner_agency=hiow_icb,
        due_on=D(2026, 11, 8),
        agenda_item=item,
    )
    action.refresh_from_db()
    assert action.action == "Ensure every child has a timely health assessment"
    assert action.created_on == D(2026, 3, 2)
    assert action.meeting == irap_meeting  # the item names its meeting
    assert list(action.owners.all()) == [council_member]
    assert list(action.owner_agencies.all()) == [hampshire]
    assert action.status == "open" and action.version == 1
    event = AuditEvent.objects.get(action="action.created", object_id=str(action.pk))
    assert event.actor == panel_admin
    assert event.changes["owners"] == [None, [council_member.pk]]


def test_creating_needs_the_text_and_people_of_the_partnership(make_action, outsider, irap, leicester):
    with pytest.raises(ValidationError) as caught:
        make_action(action="   ")
    assert caught.value.message_dict == {"action": ["Enter the action"]}
    with pytest.raises(ValidationError) as caught:
        make_action(owners=[outsider])
    assert "owners" in caught.value.message_dict
    with pytest.raises(ValidationError) as caught:
        make_action(partner_agency=leicester)
    assert "partner_agency" in caught.value.message_dict
    other_meeting = MeetingFactory(date=D(2026, 5, 1))
    with pytest.raises(ValidationError) as caught:
        make_action(meeting=other_meeting)
    assert "meeting" in caught.value.message_dict
    assert not Action.objects.exists()


def test_only_administrators_create_change_and_close(
    make_action, council_member, icb_member, panel_chair, irap
):
    with pytest.raises(NotAllowed):
        services.action_create(actor=council_member, panel=irap, action="Anything")
    chaired = services.action_create(actor=panel_chair, panel=irap, action="Chair's action")
    action = make_action()
    with pytest.raises(NotAllowed):
        services.action_change(actor=icb_member, action=action, version=1, fields={"action": "Changed"})
    with pytest.raises(NotAllowed):
        services.action_close(
            actor=icb_member, action=action, version=1, completed_on=D(2026, 3, 2), actual_impact="Done"
        )
    assert chaired.number == 1


@pytest.mark.django_db(transaction=True)
def test_two_administrators_adding_at_the_same_moment_get_consecutive_numbers(
    hampshire, hiow_icb, panel_chair, panel_admin
):
    panel = PanelFactory(name="Hampshire IRAP (threads)", host_agency=hampshire)
    for person, role in [(panel_chair, "chair"), (panel_admin, "administrator")]:
        Membership.objects.create(
            panel=panel, person=person, agency=hampshire, role=role, starts_on=D(2026, 1, 1)
        )
    ActionFactory(panel=panel, created_by=panel_admin)  # number 1 already taken
    actors = [panel_chair, panel_admin, panel_chair, panel_admin]
    barrier = threading.Barrier(len(actors))
    results: list[object] = [None] * len(actors)

    def add(index: int, actor) -> None:
        try:
            barrier.wait(timeout=10)
            results[index] = services.action_create(
                actor=actor, panel=panel, action=f"Action from thread {index}"
            )
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test checks
            results[index] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=add, args=(i, a)) for i, a in enumerate(actors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert all(isinstance(r, Action) for r in results), results
    assert sorted(r.number for r in results) == [2, 3, 4, 5]
    assert list(Action.objects.filter(panel=panel).values_list("number", flat=True)) == [1, 2, 3, 4, 5]


# --- Changing: compare-and-swap on the version ------------------------------------------------


def test_a_stale_edit_is_refused_with_an_explanation(make_action, panel_admin, panel_chair):
    action = make_action()
    services.action_change(
        actor=panel_chair,
        action=Action.objects.get(pk=action.pk),
        version=1,
        fields={"due_on": D(2026, 6, 1)},
    )
    with pytest.raises(InvalidTransition, match="Someone else changed this action"):
        services.action_change(actor=panel_admin, action=action, version=1, fields={"action": "Mine"})
    action.refresh_from_db()
    assert action.action == "Report back on health assessments"
    assert action.due_on == D(2026, 6, 1) and action.version == 2


def test_a_change_is_audited_with_what_changed(make_action, panel_admin, icb_member, hiow_icb):
    action = make_action()
    services.action_change(
        actor=panel_admin,
        action=action,
        version=1,
        fields={"action": "Report to the board", "due_on": D(2026, 7, 9)},
        owners=[icb_member],
        owner_agencies=[hiow_icb],
    )
    assert action.version == 2
    event = AuditEvent.objects.get(action="action.changed")
    assert event.changes["action"] == ["Report back on health assessments", "Report to the board"]
    assert event.changes["due_on"] == [None, "2026-07-09"]
    assert event.changes["owners"] == [[], [icb_member.pk]]


def test_a_closed_action_cannot_be_changed(make_action, panel_admin):
    action = make_action()
    services.action_close(
        actor=panel_admin, action=action, version=1, completed_on=D(2026, 3, 2), actual_impact="Plan in place"
    )
    with pytest.raises(InvalidTransition, match="closed"):
        services.action_change(actor=panel_admin, action=action, version=2, fields={"action": "Again"})


# --- Updates: an append-only timeline ---------------------------------------------------------


def test_owners_and_administrators_add_updates_others_may_not(
    make_action, council_member, icb_member, panel_admin
):
    action = make_action(owners=[council_member])
    services.action_add_update(actor=council_member, action=action, text="Timetable circulated")
    services.action_add_update(actor=panel_admin, action=action, text="Discussed at branch meeting")
    with pytest.raises(NotAllowed):
        services.action_add_update(actor=icb_member, action=action, text="Not mine")
    with pytest.raises(ValidationError):
        services.action_add_update(actor=council_member, action=action, text="  ")
    assert list(action.updates.values_list("text", flat=True)) == [
        "Timetable circulated",
        "Discussed at branch meeting",
    ]
    assert AuditEvent.objects.filter(action="action.update_added").count() == 2


def test_the_database_refuses_to_change_or_remove_an_update(make_action, panel_admin):
    action = make_action()
    update = services.action_add_update(actor=panel_admin, action=action, text="Pack being prepared")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ActionUpdate.objects.filter(pk=update.pk).update(text="Rewritten")
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        update.text = "Rewritten"
        update.save()
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        ActionUpdate.objects.filter(pk=update.pk).delete()
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("DELETE FROM panels_actionupdate WHERE action_id = %s", [action.pk])
    update.refresh_from_db()
    assert update.text == "Pack being prepared"


def test_no_updates_on_a_closed_action(make_action, panel_admin):
    action = make_action()
    services.action_close(
        actor=panel_admin, action=action, version=1, completed_on=D(2026, 3, 2), actual_impact="x"
    )
    with pytest.raises(InvalidTransition, match="reopen"):
        services.action_add_update(actor=panel_admin, action=action, text="Late news")


# --- Closing and reopening --------------------------------------------------------------------


def test_closing_needs_the_completed_date_and_the_actual_impact(make_action, panel_admin):
    action = make_action()
    with pytest.raises(ValidationError) as caught:
        services.action_close(
            actor=panel_admin, action=action, version=1, completed_on=None, actual_impact=" "
        )
    assert caught.value.message_dict == {
        "completed_on": ["Enter the date the action was completed"],
        "actual_impact": ["Enter the actual impact"],
    }
    with pytest.raises(ValidationError, match="today or in the past"):
        services.action_close(
            actor=panel_admin, action=action, version=1, completed_on=D(2026, 3, 3), actual_impact="x"
        )
    with pytest.raises(ValidationError, match="on or after 2 March 2026"):
        services.action_close(
            actor=panel_admin, action=action, version=1, completed_on=D(2026, 3, 1), actual_impact="x"
        )
    closed = services.action_close(
        actor=panel_admin,
        action=action,
        version=1,
        completed_on=D(2026, 3, 2),
        actual_impact="Young people attend",
    )
    assert (closed.status, closed.completed_on, closed.version) == ("closed", D(2026, 3, 2), 2)
    with pytest.raises(InvalidTransition):
        services.action_close(
            actor=panel_admin, action=action, version=2, completed_on=D(2026, 3, 2), actual_impact="x"
        )
    assert AuditEvent.objects.filter(action="action.closed").count() == 1


def test_reopening_needs_a_reason_which_goes_on_the_timeline(make_action, panel_admin, panel_chair):
    action = make_action()
    services.action_close(
        actor=panel_admin, action=action, version=1, completed_on=D(2026, 3, 2), actual_impact="x"
    )
    with pytest.raises(ValidationError) as caught:
        services.action_reopen(actor=panel_chair, action=action, version=2, reason="")
    assert "reason" in caught.value.message_dict
    with pytest.raises(InvalidTransition, match="Someone else"):
        services.action_reopen(actor=panel_chair, action=action, version=1, reason="Not finished")
    reopened = services.action_reopen(actor=panel_chair, action=action, version=2, reason="Not finished")
    assert (reopened.status, reopened.completed_on, reopened.version) == ("open", None, 3)
    assert reopened.updates.get().text == "Reopened: Not finished"
    with pytest.raises(InvalidTransition, match="already open"):
        services.action_reopen(actor=panel_chair, action=action, version=3, reason="Again")
    assert AuditEvent.objects.get(action="action.reopened").changes["reason"] == [None, "Not finished"]


# --- Who sees which actions --------------------------------------------------------------------


def test_members_owners_and_administrators_see_actions_outsiders_none(
    make_action, irap, council_member, icb_member, panel_admin, social_worker, outsider, hampshire
):
    mine = make_action(owners=[social_worker])
    other = make_action()
    elsewhere = PanelFactory(name="Hampshire JSP", host_agency=hampshire)
    hosted = services.action_create(actor=panel_admin, panel=elsewhere, action="Host agency's panel")
    assert set(access.actions_visible_to(user=council_member)) == {mine, other}
    assert set(access.actions_visible_to(user=icb_member)) == {mine, other}
    assert set(access.actions_visible_to(user=social_worker)) == {mine}  # owner, not a member
    assert set(access.actions_visible_to(user=panel_admin)) == {mine, other, hosted}
    assert not access.actions_visible_to(user=outsider).exists()
    assert not access.actions_visible_to(user=None).exists()
    ended = Membership.objects.get(panel=irap, person=icb_member)
    ended.ends_on = D(2026, 3, 1)
    ended.save()
    assert not access.actions_visible_to(user=icb_member).exists()


def test_visible_actions_are_one_query(make_action, council_member, django_assert_num_queries):
    for _ in range(3):
        make_action()
    with django_assert_num_queries(1):
        assert len(list(access.actions_visible_to(user=council_member))) == 3


# --- Overdue, and carrying forward ------------------------------------------------------------


def test_an_open_action_past_its_due_date_is_overdue(make_action, irap, council_member, panel_admin, clock):
    due = make_action(due_on=D(2026, 3, 10))
    undated = make_action()
    assert not selectors.action_is_overdue(due)
    clock.move_to(at(D(2026, 3, 10)), tick=False)
    assert not selectors.action_is_overdue(due)  # due today is not late yet
    clock.move_to(at(D(2026, 3, 11)), tick=False)
    assert selectors.action_is_overdue(due) and not selectors.action_is_overdue(undated)
    log = {a.number: a.is_overdue for a in selectors.action_log(user=council_member, panel=irap)}
    assert log == {1: True, 2: False}
    overdue = selectors.action_log(
        user=council_member, panel=irap, filters=selectors.ActionFilters(status="overdue")
    )
    assert [a.number for a in overdue] == [1]
    services.action_close(
        actor=panel_admin, action=due, version=1, completed_on=D(2026, 3, 11), actual_impact="x"
    )
    assert not selectors.action_is_overdue(Action.objects.get(pk=due.pk))


def test_open_actions_created_before_a_meeting_carry_forward_to_it(
    make_action, irap, irap_meeting, next_meeting, panel_admin, council_member, clock
):
    earlier = make_action(due_on=D(2026, 3, 20))
    closed = make_action()
    services.action_close(
        actor=panel_admin, action=closed, version=1, completed_on=D(2026, 3, 2), actual_impact="x"
    )
    clock.move_to(at(MEETING_DAY), tick=False)
    raised_there = make_action(meeting=irap_meeting)
    elsewhere = services.action_create(
        actor=panel_admin, panel=PanelFactory(host_agency=irap.host_agency), action="Other panel"
    )
    assert [a.pk for a in selectors.open_actions_for_meeting(irap_meeting)] == [earlier.pk]
    carried = list(selectors.open_actions_for_meeting(next_meeting))
    assert [a.pk for a in carried] == [earlier.pk, raised_there.pk]
    assert carried[0].is_overdue and not carried[1].is_overdue
    assert elsewhere.pk not in {a.pk for a in carried}
    outsider_view = selectors.open_actions_for_meeting(
        next_meeting, user=UserFactory(agency=irap.host_agency)
    )
    assert not outsider_view.exists()  # not a member and owns nothing
    assert selectors.open_actions_for_meeting(next_meeting, user=council_member).count() == 2
