"""Giving a leaver's or an absent colleague's open actions from the action log to someone else in
the team, as their owner (issue 16: the team view of My work). seeds 003: the action log is the
panel's own; an action's owners are people of the panel's partnership."""

from __future__ import annotations

from collections import Counter

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from casework.audit import record_event
from casework.models import User
from casework.notifications import notify
from casework.team import Reassigner, reassigner, require_manages
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
    require_manages(actor=actor, person=person, receiver=receiver)
    rows = list(actions_to_reassign(person=person).select_for_update(of=("self",)).select_related("panel"))
    if not rows:
        raise ValidationError({"to": [f"{person.full_name} owns no open actions to give"]})
    for action in rows:
        before = sorted(action.owners.values_list("pk", flat=True))
        action.owners.remove(person)
        action.owners.add(receiver)
        after = sorted(action.owners.values_list("pk", flat=True))
        record_event(
            actor=actor, action="action.owner_changed", obj=action, changes={"owners": [before, after]}
        )
    notify(
        users=[receiver],
        subject=f"{actor.full_name} gave you {len(rows)} action{'' if len(rows) == 1 else 's'} "
        f"of {person.full_name} from the action log",
        url=reverse("my_work"),
    )
    return rows


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
