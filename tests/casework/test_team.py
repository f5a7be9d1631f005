"""The one skeleton every reassigning service calls (casework.team.give_work, issue 16): a person's
records of one kind are locked, refused when there are none or the receiver cannot see them,
compare-and-swapped to the receiver (a conflict when they changed meanwhile), audited a row at a
time with the old and new owner, and the receiver is told once. Tried here on referrals (an owner
foreign key) and actions (an owners many-to-many), with callables standing in for an app's rules."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from casework.access import NotAllowed
from casework.models import AuditEvent, Notification
from casework.services import InvalidTransition
from casework.team import give_work
from panels.models import Action
from referrals.access import referrals_visible_to
from referrals.models import Referral
from tests.factories import ActionFactory, referral_row
from tests.panels.conftest import *  # noqa: F403  (IRAP, its meetings, the clock)

D = dt.date


@transaction.atomic
def _give(*, actor, person, receiver, **how):
    """As an app's service calls it: in its own transaction, here a referral's referrer."""
    how = {
        "records": Referral.objects.filter(referrer=person).select_related("child", "panel"),
        "owner": "referrer",
        "audit_action": "referral.reassigned",
        "nothing_left": "{person} has nothing to give",
        "notice": "{actor} gave you {count} referral{s} of {person}",
        "changed": "These referrals changed while you were giving them: reload the page",
        "child": "child",
        **how,
    }
    return give_work(actor=actor, person=person, receiver=receiver, **how)


@pytest.fixture
def two(irap, child, social_worker):
    return [referral_row(child=child, panel=irap, referrer=social_worker) for _ in range(2)]


def _nothing_moved(rows, person):
    assert {r.referrer_id for r in Referral.objects.filter(pk__in=[r.pk for r in rows])} == {person.pk}
    assert not AuditEvent.objects.filter(action="referral.reassigned").exists()
    assert not Notification.objects.exists()


def test_each_row_is_audited_with_its_old_and_new_owner_and_the_receiver_told_once(
    two, child, team_manager, social_worker, colleague
):
    moved = _give(
        actor=team_manager,
        person=social_worker,
        receiver=colleague,
        also_set={"referrer_agency_id": colleague.agency_id},
        visible_to=referrals_visible_to,
    )
    assert [r.pk for r in moved] == sorted(r.pk for r in two)
    assert all(r.referrer == colleague for r in moved)  # the rows returned say so too
    assert {r.referrer_id for r in Referral.objects.filter(pk__in=[r.pk for r in two])} == {colleague.pk}
    events = AuditEvent.objects.filter(action="referral.reassigned").order_by("object_id")
    assert [(e.object_id, e.actor, e.child, e.changes) for e in events] == [
        (str(r.pk), team_manager, child, {"referrer": [social_worker.pk, colleague.pk]})
        for r in sorted(two, key=lambda r: str(r.pk))
    ]
    (notice,) = Notification.objects.all()
    assert notice.user == colleague and notice.subject == "Tara Bell gave you 2 referrals of Sam Okafor"


def test_an_empty_set_is_refused(irap, team_manager, social_worker, colleague):
    with pytest.raises(ValidationError) as refused:
        _give(actor=team_manager, person=social_worker, receiver=colleague)
    assert refused.value.message_dict == {"to": ["Sam Okafor has nothing to give"]}
    assert not AuditEvent.objects.exists() and not Notification.objects.exists()


def test_a_receiver_who_cannot_see_them_is_refused_and_nothing_moves(
    two, team_manager, social_worker, colleague
):
    def sees_one(*, user):
        assert user == colleague
        return Referral.objects.filter(pk=two[0].pk)

    with pytest.raises(ValidationError) as refused:
        _give(
            actor=team_manager, person=social_worker, receiver=colleague, visible_to=sees_one, unseen="cases"
        )
    assert refused.value.message_dict == {
        "to": ["Cara Vale cannot see 1 of these cases: choose someone else"]
    }
    _nothing_moved(two, social_worker)


def test_a_receiver_whose_role_does_not_do_this_work_is_refused(two, team_manager, social_worker, colleague):
    with pytest.raises(ValidationError) as refused:
        _give(
            actor=team_manager,
            person=social_worker,
            receiver=colleague,
            receiver_may=lambda *, user: False,
            role_refused="{receiver}'s role does not allow this",
        )
    assert refused.value.message_dict == {"to": ["Cara Vale's role does not allow this"]}
    _nothing_moved(two, social_worker)


def test_only_between_people_the_actor_manages(two, team_manager, social_worker, elsewhere, outsider):
    with pytest.raises(NotAllowed):
        _give(actor=team_manager, person=social_worker, receiver=elsewhere)
    with pytest.raises(NotAllowed):
        _give(actor=outsider, person=social_worker, receiver=elsewhere)
    _nothing_moved(two, social_worker)


def test_a_change_made_meanwhile_is_a_conflict(two, team_manager, social_worker, colleague, panel_chair):
    """The swap only takes rows still as they were locked (their owner and state): if one moved on
    meanwhile (here the app's check changes it, as another writer would), nothing moves: 409."""

    def someone_else_takes_one(rows):
        Referral.objects.filter(pk=rows[0].pk).update(referrer=panel_chair)

    with pytest.raises(InvalidTransition) as conflict:
        _give(actor=team_manager, person=social_worker, receiver=colleague, check=someone_else_takes_one)
    assert str(conflict.value) == "These referrals changed while you were giving them: reload the page"
    _nothing_moved(two, social_worker)  # the service's transaction undid the other change as well


def test_an_owner_many_to_many_swaps_the_person_for_the_receiver(
    irap, team_manager, social_worker, colleague, panel_chair
):
    shared = ActionFactory(panel=irap, owners=[social_worker, panel_chair], due_on=D(2026, 3, 20))
    both = ActionFactory(panel=irap, owners=[social_worker, colleague], due_on=D(2026, 3, 20))
    actions = {"records": Action.objects.filter(owners=social_worker), "owner": "owners", "child": None}
    moved = _give(actor=team_manager, person=social_worker, receiver=colleague, **actions)
    assert [a.pk for a in moved] == [shared.pk, both.pk]
    assert set(shared.owners.all()) == {panel_chair, colleague}
    assert set(both.owners.all()) == {colleague}
    changes = dict(
        AuditEvent.objects.filter(action="referral.reassigned").values_list("object_id", "changes")
    )
    assert changes == {
        str(shared.pk): {
            "owners": [sorted([social_worker.pk, panel_chair.pk]), sorted([panel_chair.pk, colleague.pk])]
        },
        str(both.pk): {"owners": [sorted([social_worker.pk, colleague.pk]), [colleague.pk]]},
    }
    assert Notification.objects.get().subject == "Tara Bell gave you 2 referrals of Sam Okafor"


def test_an_owner_taken_off_meanwhile_is_a_conflict(
    irap, team_manager, social_worker, colleague, panel_chair
):
    first, second = (
        ActionFactory(panel=irap, owners=[social_worker], due_on=D(2026, 3, 20)) for _ in range(2)
    )

    def someone_else_takes_one(rows):
        rows[0].owners.set([panel_chair])

    with pytest.raises(InvalidTransition):
        _give(
            actor=team_manager,
            person=social_worker,
            receiver=colleague,
            records=Action.objects.filter(owners=social_worker),
            owner="owners",
            child=None,
            check=someone_else_takes_one,
        )
    assert set(first.owners.all()) == set(second.owners.all()) == {social_worker}
    assert not AuditEvent.objects.exists() and not Notification.objects.exists()


def test_the_queries_do_not_grow_with_the_rows(irap, child, team_manager, social_worker, colleague):
    def count():
        with CaptureQueriesContext(connection) as queries:
            _give(
                actor=team_manager, person=social_worker, receiver=colleague, visible_to=referrals_visible_to
            )
        _give(actor=team_manager, person=colleague, receiver=social_worker)  # back again
        return len(queries)

    referral_row(child=child, panel=irap, referrer=social_worker)
    one = count()
    for _ in range(19):
        referral_row(child=child, panel=irap, referrer=social_worker)
    # savepoint, the people managed, lock, what the receiver sees, swap, audit, notice (3), release
    assert count() == one <= 10
