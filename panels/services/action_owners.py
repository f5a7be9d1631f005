"""Giving a leaver's or an absent colleague's open actions from the action log to someone else in
the team, as their owner (issue 16: the team view of My work). seeds 003: the action log is the
panel's own; an action's owners are people of the panel's partnership."""

from __future__ import annotations

from collections import Counter

from django.db import transaction

from casework.models import User
from casework.team import Reassigner, give_work, reassigner
from panels.models import Action, ActionStatus

__all__ = ["actions_reassign", "actions_to_reassign"]


def actions_to_reassign(*, person: User):
    """The open actions `person` owns."""
    return Action.objects.filter(owners=person, status=ActionStatus.OPEN)


@transaction.atomic
def actions_reassign(*, actor: User, person: User, receiver: User) -> list[Action]:
    """Make `receiver` an owner of every open action `person` owns, in `person`'s place (the other
    owners stay). Only between people the actor manages (casework.team, so both of one agency and
    partnership). Each action is audited; the receiver is told once."""
    return give_work(
        actor=actor,
        person=person,
        receiver=receiver,
        records=actions_to_reassign(person=person).select_related("panel"),
        owner="owners",
        nothing_left="{person} owns no open actions to give",
        changed="These actions changed while you were giving them: reload the page",
        audit_action="action.owner_changed",
        notice="{actor} gave you {count} action{s} of {person} from the action log",
    )


def _counts(person_ids: list[int]) -> dict[int, int]:
    owned = Action.owners.through.objects.filter(user_id__in=person_ids, action__status=ActionStatus.OPEN)
    return dict(Counter(owned.values_list("user_id", flat=True)))


reassigner(
    Reassigner(
        key="actions",
        label="Open actions from the action log, as owner",
        counts=_counts,
        reassign=actions_reassign,
    )
)
