"""Writes for the panel's action log, and the audit of tracker exports.

seeds 003 (Hampshire Corporate Parenting Board action log): each action has a number, the date it
was created, the action, the desired outcome, the people and agencies responsible, a partner agency,
a due date, a timeline of updates, the date completed and the actual impact. Actions are numbered
per panel in order; updates are never changed or removed (a database trigger refuses it); an
action is closed with its completed date and actual impact, and reopened with a reason that is kept
as an update. Changes are compare-and-swap on `Action.version`, so a stale edit is refused (409).

Who: the panel's administrators (panels.access.can_administer) create, change, close and reopen;
owners and administrators add updates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import diff, record_event, snapshot
from casework.models import Agency, User
from casework.services import InvalidTransition
from casework.stale import StaleEdit, who_saved
from panels import access
from panels.models import Action, ActionStatus, ActionUpdate, AgendaItem, Meeting, Panel

__all__ = [
    "ACTION_FIELDS",
    "action_add_update",
    "action_change",
    "action_close",
    "action_create",
    "action_reopen",
    "tracker_record_export",
]

# What an administrator may change on an open action (owners are set alongside).
ACTION_FIELDS = ("action", "desired_outcome", "partner_agency", "due_on", "meeting", "agenda_item")
STALE = "Someone else changed this action since you opened it: reload to see it as it is now"


def _require_admin(actor: User, panel: Panel) -> None:
    if not access.can_administer(user=actor, panel=panel):
        raise NotAllowed("Only the panel's chair or administrators can do this")


def _clean_text(value: str, field: str, message: str) -> str:
    text = (value or "").strip()
    if not text:
        raise ValidationError({field: [message]})
    return text


def _check_people(panel: Panel, owners: Iterable[User], owner_agencies: Iterable[Agency]) -> None:
    if any(not p.is_active or p.agency is None or p.agency.partnership != panel.partnership for p in owners):
        raise ValidationError({"owners": ["Choose people from the agencies of the panel's partnership"]})
    if any(a.partnership != panel.partnership for a in owner_agencies):
        raise ValidationError({"owner_agencies": ["Choose agencies of the panel's partnership"]})


def _check_links(
    panel: Panel, meeting: Meeting | None, agenda_item: AgendaItem | None, partner_agency: Agency | None
) -> Meeting | None:
    """The meeting (and agenda item) an action was raised at belong to its panel; an item alone
    names its meeting."""
    if agenda_item is not None:
        if meeting is None:
            meeting = agenda_item.meeting
        if agenda_item.meeting_id != meeting.pk:
            raise ValidationError({"agenda_item": ["Choose an item of the meeting the action was raised at"]})
    if meeting is not None and meeting.panel_id != panel.pk:
        raise ValidationError({"meeting": ["Choose a meeting of this panel"]})
    if partner_agency is not None and partner_agency.partnership != panel.partnership:
        raise ValidationError({"partner_agency": ["Choose an agency of the panel's partnership"]})
    return meeting


@transaction.atomic
def action_create(
    *,
    actor: User,
    panel: Panel,
    action: str,
    desired_outcome: str = "",
    owners: Iterable[User] = (),
    owner_agencies: Iterable[Agency] = (),
    partner_agency: Agency | None = None,
    due_on: dt.date | None = None,
    meeting: Meeting | None = None,
    agenda_item: AgendaItem | None = None,
) -> Action:
    """Add an action to the panel's log with the next number (seeds 003: "Action no.").

    The panel row is locked while the number is taken, so two administrators adding actions at the
    same moment get consecutive numbers rather than a clash.
    """
    _require_admin(actor, panel)
    owners, owner_agencies = list(owners), list(owner_agencies)
    text = _clean_text(action, "action", "Enter the action")
    _check_people(panel, owners, owner_agencies)
    meeting = _check_links(panel, meeting, agenda_item, partner_agency)
    Panel.objects.select_for_update().filter(pk=panel.pk).values_list("pk", flat=True).get()
    last = Action.objects.filter(panel=panel).aggregate(last=Max("number"))["last"] or 0
    row = Action(
        panel=panel,
        number=last + 1,
        created_on=timezone.localdate(),
        meeting=meeting,
        agenda_item=agenda_item,
        action=text,
        desired_outcome=(desired_outcome or "").strip(),
        partner_agency=partner_agency,
        due_on=due_on,
        created_by=actor,
    )
    row.full_clean(validate_unique=False, validate_constraints=False)
    row.save()
    row.owners.set(owners)
    row.owner_agencies.set(owner_agencies)
    record_event(
        actor=actor,
        action="action.created",
        obj=row,
        changes={
            **{
                k: [None, v]
                for k, v in snapshot(row, ("number", *ACTION_FIELDS)).items()
                if v not in (None, "")
            },
            "owners": [None, sorted(p.pk for p in owners)],
            "owner_agencies": [None, sorted(a.pk for a in owner_agencies)],
        },
    )
    return row


@transaction.atomic
def action_change(
    *,
    actor: User,
    action: Action,
    version: int,
    fields: Mapping[str, Any],
    owners: Iterable[User] | None = None,
    owner_agencies: Iterable[Agency] | None = None,
) -> Action:
    """Change an open action. `version` is the one the editor saw: if someone changed, closed or
    reopened the action since, the edit is refused (InvalidTransition, 409) rather than overwriting
    their change."""
    _require_admin(actor, action.panel)
    unknown = set(fields) - set(ACTION_FIELDS)
    if unknown:
        raise ValueError(f"Unknown action fields: {sorted(unknown)}")
    values = dict(fields)
    if "action" in values:
        values["action"] = _clean_text(values["action"], "action", "Enter the action")
    if "desired_outcome" in values:
        values["desired_outcome"] = (values["desired_outcome"] or "").strip()
    owners = None if owners is None else list(owners)
    owner_agencies = None if owner_agencies is None else list(owner_agencies)
    _check_people(action.panel, owners or [], owner_agencies or [])
    meeting = values.get("meeting", action.meeting)
    item = values.get("agenda_item", action.agenda_item)
    if "meeting" in values and "agenda_item" not in values and item is not None and meeting != item.meeting:
        values["agenda_item"] = item = None  # a new meeting drops the old meeting's item
    values["meeting"] = _check_links(
        action.panel, meeting, item, values.get("partner_agency", action.partner_agency)
    )
    before = snapshot(action, ACTION_FIELDS)
    candidate = Action(**{**{f: getattr(action, f) for f in ACTION_FIELDS}, **values})
    candidate.panel, candidate.number, candidate.created_by = action.panel, action.number, action.created_by
    candidate.full_clean(validate_unique=False, validate_constraints=False)
    updated = Action.objects.filter(pk=action.pk, version=version, status=ActionStatus.OPEN).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        _refuse(action)
    action.refresh_from_db()
    changes = diff(before, snapshot(action, ACTION_FIELDS))
    if owners is not None:
        old = sorted(action.owners.values_list("pk", flat=True))
        if old != sorted(p.pk for p in owners):
            action.owners.set(owners)
            changes["owners"] = [old, sorted(p.pk for p in owners)]
    if owner_agencies is not None:
        old = sorted(action.owner_agencies.values_list("pk", flat=True))
        if old != sorted(a.pk for a in owner_agencies):
            action.owner_agencies.set(owner_agencies)
            changes["owner_agencies"] = [old, sorted(a.pk for a in owner_agencies)]
    record_event(actor=actor, action="action.changed", obj=action, changes=changes)
    return action


def _saved(action: Action) -> dict[str, Any]:
    """The action as saved now, for a stale editor to compare (the API's 409 body)."""
    saved = Action.objects.get(pk=action.pk)
    return {
        **snapshot(saved, (*ACTION_FIELDS, "status", "completed_on", "actual_impact")),
        "version": saved.version,
        "owners": sorted(saved.owners.values_list("pk", flat=True)),
        "owner_agencies": sorted(saved.owner_agencies.values_list("pk", flat=True)),
    }


_SAVES = ("action.created", "action.changed", "action.closed", "action.reopened")


def _stale(action: Action) -> StaleEdit:
    """The loser of two changes to one action, told who won and when (issue 13)."""
    who = who_saved(action, actions=_SAVES)
    message = STALE.replace(" since you opened it:", f" since you opened it ({who}):") if who else STALE
    return StaleEdit(message, current=_saved(action))


def _refuse(action: Action) -> None:
    current = Action.objects.filter(pk=action.pk).values_list("status", flat=True).first()
    if current == ActionStatus.CLOSED:
        who = who_saved(action, actions=["action.closed"])
        raise InvalidTransition(
            f"This action has been closed since you opened it{f' ({who})' if who else ''}: "
            "reopen it to change it"
        )
    raise _stale(action)


@transaction.atomic
def action_add_update(*, actor: User, action: Action, text: str) -> ActionUpdate:
    """Add to the action's timeline (seeds 003 "Updates"). Updates are never edited or removed."""
    if not access.can_update_action(user=actor, action=action):
        raise NotAllowed("Only the action's owners and the panel's administrators can add updates")
    body = _clean_text(text, "text", "Enter the update")
    if not Action.objects.filter(pk=action.pk, status=ActionStatus.OPEN).exists():
        raise InvalidTransition("This action is closed: reopen it to add an update")
    update = ActionUpdate(action=action, text=body, author=actor, at=timezone.now())
    update.full_clean()
    update.save()
    record_event(actor=actor, action="action.update_added", obj=action, changes={"update": [None, update.pk]})
    return update


@transaction.atomic
def action_close(
    *, actor: User, action: Action, version: int, completed_on: dt.date | None, actual_impact: str
) -> Action:
    """seeds 003 "Date complete" and "Actual impact": both are needed to close an action."""
    _require_admin(actor, action.panel)
    errors: dict[str, list[str]] = {}
    today = timezone.localdate()
    if completed_on is None:
        errors["completed_on"] = ["Enter the date the action was completed"]
    elif completed_on > today:
        errors["completed_on"] = ["The date completed must be today or in the past"]
    elif completed_on < action.created_on:
        errors["completed_on"] = [f"The date completed must be on or after {action.created_on:%-d %B %Y}"]
    impact = (actual_impact or "").strip()
    if not impact:
        errors["actual_impact"] = ["Enter the actual impact"]
    elif len(impact) > 5000:
        errors["actual_impact"] = ["The actual impact must be 5000 characters or fewer"]
    if errors:
        raise ValidationError(errors)
    updated = Action.objects.filter(pk=action.pk, version=version, status=ActionStatus.OPEN).update(
        version=F("version") + 1, status=ActionStatus.CLOSED, completed_on=completed_on, actual_impact=impact
    )
    if updated != 1:
        _refuse(action)
    action.refresh_from_db()
    record_event(
        actor=actor,
        action="action.closed",
        obj=action,
        changes={"status": ["open", "closed"], "completed_on": [None, str(completed_on)]},
    )
    return action


@transaction.atomic
def action_reopen(*, actor: User, action: Action, version: int, reason: str) -> Action:
    """Reopen a closed action; the reason goes on its timeline as an update."""
    _require_admin(actor, action.panel)
    why = _clean_text(reason, "reason", "Enter why the action is being reopened")
    if len(why) > 4000:
        raise ValidationError({"reason": ["The reason must be 4000 characters or fewer"]})
    was = Action.objects.filter(pk=action.pk).values_list("completed_on", flat=True).first()
    updated = Action.objects.filter(pk=action.pk, version=version, status=ActionStatus.CLOSED).update(
        version=F("version") + 1, status=ActionStatus.OPEN, completed_on=None
    )
    if updated != 1:
        current = Action.objects.filter(pk=action.pk).values_list("status", flat=True).first()
        if current == ActionStatus.OPEN:
            raise InvalidTransition("This action is already open")
        raise _stale(action)
    action.refresh_from_db()
    ActionUpdate.objects.create(action=action, text=f"Reopened: {why}", author=actor, at=timezone.now())
    record_event(
        actor=actor,
        action="action.reopened",
        obj=action,
        changes={
            "status": ["closed", "open"],
            "completed_on": [str(was), None],
            "reason": [None, why],
        },
    )
    return action


@transaction.atomic
def tracker_record_export(
    *, actor: User, panel: Panel, file_format: str, filters: Mapping[str, Any], referral_ids: list[int]
) -> None:
    """Every tracker download is in the audit trail: who took which rows, in what format, filtered how."""
    record_event(
        actor=actor,
        action="tracker.exported",
        obj=panel,
        changes={
            "format": [None, file_format],
            "filters": [None, {k: str(v) for k, v in filters.items() if v not in (None, "")}],
            "referrals": [None, referral_ids],
        },
    )
