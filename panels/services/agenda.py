"""Writes for a meeting's agenda, its circulation and who may read its papers.

Sources: seeds 002 (Joint Funding Panel terms of reference 3.3: papers are not held longer than
necessary; 3.7: papers due N working days before, later papers only with the chair's agreement;
3.9: papers circulated N working days before the meeting), seeds 003 (the action log is reviewed
at every meeting).

Every change is made by the panel's chair, vice-chair or administrators
(panels.access.can_administer), audited, and compare-and-swap on the meeting's version, so two
administrators editing the agenda at once cannot both win: the second gets InvalidTransition (409)
and reloads. Referral items move the referral's status through referrals.services
(referral_place_on_agenda / referral_take_off_agenda), which refuse a late paper the chair has not
accepted.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Max
from django.urls import reverse
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import StaleEdit
from panels import access
from panels.models import (
    CHAIRING_ROLES,
    AgendaItem,
    AgendaItemKind,
    Meeting,
    MeetingStatus,
    Membership,
    PapersGrant,
    PapersGrantReason,
)
from panels.models.records import Action, ActionStatus
from referrals import services as referral_services
from referrals.models import Referral, Status

__all__ = [
    "AGENDA_CHANGED",
    "agenda_build",
    "agenda_item_add_other",
    "agenda_item_add_referral",
    "agenda_item_move",
    "agenda_item_set_lead",
    "agenda_item_withdraw",
    "late_paper_awaiting_chair",
    "meeting_circulate",
    "meeting_end_of_day",
    "papers_grant_new_member",
]

LONDON = ZoneInfo("Europe/London")
AGENDA_CHANGED = (
    "Someone else changed this agenda since you opened it: reload the page to see it as it is now"
)
ACTION_LOG_TITLE = "Action log review"


# --- Late papers (seeds 002 3.7: later papers only with the chair's agreement) ---------------------

# The same rule as a filter, for referrals already known to be submitted to the meeting.
AWAITING_CHAIR = {"is_late_paper": True, "late_accepted_by__isnull": True}


def late_paper_awaiting_chair(*, referral) -> bool:
    """A late paper submitted to this meeting that the chair has not yet accepted: it waits for the
    chair and cannot go on the agenda (referrals.services.referral_place_on_agenda refuses it)."""
    return (
        referral.status == Status.SUBMITTED
        and referral.is_late_paper
        and referral.late_accepted_by_id is None
    )


# --- Helpers ---------------------------------------------------------------------------------------


def _require_admin(actor: User, meeting: Meeting) -> None:
    if not access.can_administer(user=actor, panel=meeting.panel):
        raise NotAllowed("Only the panel's chair or administrators can change the agenda")


def _meeting_over(meeting: Meeting) -> bool:
    ends = dt.datetime.combine(meeting.date, meeting.ends_at, tzinfo=LONDON)
    return timezone.now() >= ends


def _require_open(meeting: Meeting) -> None:
    """The agenda changes only for a scheduled meeting that has not yet happened."""
    if meeting.status != MeetingStatus.SCHEDULED:
        raise InvalidTransition(
            f"This meeting is {meeting.get_status_display().lower()}, so its agenda cannot be changed"
        )
    if _meeting_over(meeting):
        raise InvalidTransition("This meeting has already taken place, so its agenda cannot be changed")


def _version(meeting: Meeting) -> int | None:
    """The agenda's version as saved now, for a stale editor (the API's 409 body)."""
    return Meeting.objects.filter(pk=meeting.pk).values_list("version", flat=True).first()


def _claim(meeting: Meeting, version: int, **values) -> Meeting:
    """Compare-and-swap on the meeting's version: the agenda the actor saw must still be current."""
    updated = Meeting.objects.filter(pk=meeting.pk, version=version, status=MeetingStatus.SCHEDULED).update(
        version=F("version") + 1, **values
    )
    if updated != 1:
        raise StaleEdit(AGENDA_CHANGED, current={"version": _version(meeting)})
    meeting.refresh_from_db(fields=["version", "circulated_at", "circulated_by", "status"])
    if meeting.circulated_at is not None:
        # A change after circulation is a supplement: a new version of the pack follows the commit.
        transaction.on_commit(lambda: _repack(meeting.pk))
    return meeting


def _repack(meeting_id: int) -> None:
    from panels.services.packs import pack_request

    meeting = Meeting.objects.filter(pk=meeting_id).select_related("panel").first()
    if meeting is not None:
        pack_request(actor=None, meeting=meeting)


def _next_position(meeting: Meeting) -> int:
    top = AgendaItem.objects.filter(meeting=meeting).aggregate(top=Max("position"))["top"]
    return (top or 0) + 1


def meeting_end_of_day(meeting: Meeting) -> dt.datetime:
    """When members' papers grants end: midnight at the end of the meeting day, London time.

    The end of the day rather than the end of the meeting, so papers stay open while a meeting
    overruns and while members write up their own notes that day; from the next morning only the
    chair's copy and each lead member's item remain (seeds 002, Joint Funding Panel 3.3).
    """
    next_day = meeting.date + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, dt.time(0, 0), tzinfo=LONDON)


def _check_lead(meeting: Meeting, lead_member: Membership | None) -> None:
    if lead_member is None:
        return
    current = Membership.objects.current().filter(pk=lead_member.pk, panel_id=meeting.panel_id).exists()
    if not current:
        raise ValidationError({"lead_member": ["Choose a current member of this panel"]})


def _grant_lead(item: AgendaItem, lead_member: Membership, now: dt.datetime) -> None:
    PapersGrant.objects.create(
        meeting_id=item.meeting_id,
        person_id=lead_member.person_id,
        agenda_item=item,
        reason=PapersGrantReason.LEAD_MEMBER,
        starts_at=now,
        ends_at=None,
        granted_at=now,
    )


def _revoke_item_grants(item: AgendaItem, now: dt.datetime) -> None:
    PapersGrant.objects.filter(agenda_item=item, revoked_at__isnull=True).update(revoked_at=now)


def _create_item(*, actor: User, meeting: Meeting, **fields) -> AgendaItem:
    item = AgendaItem(
        meeting=meeting,
        position=_next_position(meeting),
        is_supplement=meeting.circulated_at is not None,
        added_by=actor,
        **fields,
    )
    item.full_clean(validate_constraints=False)
    item.save()
    return item


# --- Building the agenda -------------------------------------------------------------------------


@transaction.atomic
def agenda_item_add_referral(
    *,
    actor: User,
    meeting: Meeting,
    referral,
    version: int,
    lead_member: Membership | None = None,
) -> AgendaItem:
    """Put a referral on the agenda: one submitted to this meeting (a late paper only once the chair
    has accepted it, seeds 002 3.7) or one deferred from an earlier meeting of the panel. After
    circulation it is a supplement, covered by the members' meeting-wide papers grants."""
    _require_admin(actor, meeting)
    _require_open(meeting)
    _check_lead(meeting, lead_member)
    meeting = _claim(meeting, version)
    referral_services.referral_place_on_agenda(actor=actor, referral=referral, meeting=meeting)
    item = _create_item(
        actor=actor,
        meeting=meeting,
        kind=AgendaItemKind.REFERRAL,
        referral=referral,
        title=f"Referral for {referral.child.initials}: {referral.get_pathway_display()}",
        lead_member=lead_member,
    )
    if meeting.circulated_at is not None and lead_member is not None:
        _grant_lead(item, lead_member, timezone.now())
    record_event(
        actor=actor,
        action="agenda.referral_added",
        obj=meeting,
        child=referral.child,
        changes={"referral": [None, referral.pk], "supplement": [None, item.is_supplement]},
    )
    return item


@transaction.atomic
def agenda_item_add_other(
    *, actor: User, meeting: Meeting, version: int, title: str, description: str = ""
) -> AgendaItem:
    """Any other business: a titled item with no referral (no child's details in it)."""
    _require_admin(actor, meeting)
    _require_open(meeting)
    if not title.strip():
        raise ValidationError({"title": ["Enter a title for the item"]})
    meeting = _claim(meeting, version)
    item = _create_item(
        actor=actor,
        meeting=meeting,
        kind=AgendaItemKind.OTHER_BUSINESS,
        title=title.strip(),
        description=description.strip(),
    )
    record_event(actor=actor, action="agenda.item_added", obj=meeting, changes={"title": [None, item.title]})
    return item


def _has_live_action_log(meeting: Meeting) -> bool:
    return AgendaItem.objects.filter(
        meeting=meeting, kind=AgendaItemKind.ACTION_LOG, withdrawn_at__isnull=True
    ).exists()


@transaction.atomic
def agenda_build(*, actor: User, meeting: Meeting, version: int) -> list[AgendaItem]:
    """Add to the agenda every referral submitted to this meeting that may go on it (late papers wait
    for the chair), and an action log review when the panel has open actions (seeds 003). Items
    already there are left alone. Returns the items added."""
    _require_admin(actor, meeting)
    _require_open(meeting)
    meeting = _claim(meeting, version)
    added: list[AgendaItem] = []
    open_actions = Action.objects.filter(panel_id=meeting.panel_id, status=ActionStatus.OPEN).exists()
    if open_actions and not _has_live_action_log(meeting):
        added.append(
            _create_item(
                actor=actor,
                meeting=meeting,
                kind=AgendaItemKind.ACTION_LOG,
                title=ACTION_LOG_TITLE,
                description="Review the open actions on the panel's action log.",
            )
        )
    ready = (
        Referral.objects.filter(meeting=meeting, panel_id=meeting.panel_id, status=Status.SUBMITTED)
        .exclude(**AWAITING_CHAIR)
        .select_related("child")
        .order_by("submitted_at", "pk")
    )
    for referral in ready:
        referral_services.referral_place_on_agenda(actor=actor, referral=referral, meeting=meeting)
        added.append(
            _create_item(
                actor=actor,
                meeting=meeting,
                kind=AgendaItemKind.REFERRAL,
                referral=referral,
                title=f"Referral for {referral.child.initials}: {referral.get_pathway_display()}",
            )
        )
    record_event(
        actor=actor,
        action="agenda.built",
        obj=meeting,
        changes={"items_added": [None, [item.title for item in added]]},
    )
    return added


@transaction.atomic
def agenda_item_move(*, actor: User, item: AgendaItem, version: int, direction: str) -> AgendaItem:
    """Move an item one place up or down the agenda (the chair orders it)."""
    meeting = item.meeting
    _require_admin(actor, meeting)
    _require_open(meeting)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": ["Choose up or down"]})
    if item.withdrawn_at is not None:
        raise InvalidTransition("This item has been withdrawn from the agenda")
    meeting = _claim(meeting, version)
    items = list(
        AgendaItem.objects.select_for_update()
        .filter(meeting=meeting, withdrawn_at__isnull=True)
        .order_by("position", "pk")
    )
    index = next((i for i, row in enumerate(items) if row.pk == item.pk), None)
    if index is None:
        raise InvalidTransition("This item has been withdrawn from the agenda")
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    # Renumber 1..n so positions stay unique however items were added or withdrawn.
    changed = []
    for position, row in enumerate(items, start=1):
        if row.position != position:
            row.position = position
            changed.append(row)
    AgendaItem.objects.bulk_update(changed, ["position"])
    item.refresh_from_db(fields=["position"])
    record_event(
        actor=actor,
        action="agenda.item_moved",
        obj=meeting,
        changes={"item": [None, item.pk], "direction": [None, direction]},
    )
    return item


@transaction.atomic
def agenda_item_withdraw(*, actor: User, item: AgendaItem, version: int, reason: str) -> AgendaItem:
    """Withdraw an item before the meeting. A referral goes back to submitted (to this meeting), and
    papers grants for the item end: nobody reads a withdrawn item's papers through this agenda."""
    meeting = item.meeting
    _require_admin(actor, meeting)
    _require_open(meeting)
    if not reason.strip():
        raise ValidationError({"reason": ["Enter why the item is withdrawn"]})
    meeting = _claim(meeting, version)
    now = timezone.now()
    updated = AgendaItem.objects.filter(pk=item.pk, withdrawn_at__isnull=True).update(
        withdrawn_at=now, withdrawn_by=actor, withdrawn_reason=reason.strip()[:500]
    )
    if updated != 1:
        raise InvalidTransition("This item has already been withdrawn from the agenda")
    if item.referral is not None:
        referral_services.referral_take_off_agenda(
            actor=actor, referral=item.referral, reason=f"Withdrawn from the agenda: {reason.strip()}"
        )
    _revoke_item_grants(item, now)
    item.refresh_from_db()
    record_event(
        actor=actor,
        action="agenda.item_withdrawn",
        obj=meeting,
        child=item.referral.child if item.referral else None,
        changes={"item": [item.title, None], "reason": [None, reason.strip()]},
    )
    return item


@transaction.atomic
def agenda_item_set_lead(
    *, actor: User, item: AgendaItem, version: int, lead_member: Membership | None
) -> AgendaItem:
    """Name the member who presents the item; after circulation they keep its papers (seeds 002 3.3)."""
    meeting = item.meeting
    _require_admin(actor, meeting)
    _require_open(meeting)
    if item.withdrawn_at is not None:
        raise InvalidTransition("This item has been withdrawn from the agenda")
    _check_lead(meeting, lead_member)
    meeting = _claim(meeting, version)
    old = item.lead_member_id
    new = lead_member.pk if lead_member else None
    if old != new:
        AgendaItem.objects.filter(pk=item.pk).update(lead_member=lead_member)
        item.lead_member = lead_member
        if meeting.circulated_at is not None:
            now = timezone.now()
            PapersGrant.objects.filter(
                agenda_item=item, reason=PapersGrantReason.LEAD_MEMBER, revoked_at__isnull=True
            ).update(revoked_at=now)
            if lead_member is not None:
                _grant_lead(item, lead_member, now)
        record_event(
            actor=actor,
            action="agenda.lead_member_set",
            obj=meeting,
            changes={"item": [None, item.pk], "lead_member": [old, new]},
        )
    return item


# --- Circulation ---------------------------------------------------------------------------------


@transaction.atomic
def meeting_circulate(*, actor: User, meeting: Meeting, version: int) -> Meeting:
    """Fix the agenda and circulate the papers (seeds 002 3.9: N working days before the meeting,
    panels.selectors.meeting_deadlines; early or late is allowed, late is shown as late).

    Papers access (seeds 002, Joint Funding Panel 3.3: papers not held longer than necessary):
    every current member gets the whole meeting's papers from now to the end of the meeting day
    (meeting_end_of_day); the chair and vice-chair keep the chair's copy; each item's lead member
    keeps that item. Items added later are supplements, covered by the meeting-wide grants.
    Members are told the papers are ready, with no child's details in the notice.
    """
    from panels.selectors import meeting_deadlines

    _require_admin(actor, meeting)
    if meeting.status != MeetingStatus.SCHEDULED:
        raise InvalidTransition(
            f"This meeting is {meeting.get_status_display().lower()}, so its papers cannot be circulated"
        )
    if _meeting_over(meeting):
        raise InvalidTransition("This meeting has already taken place, so its papers cannot be circulated")
    if meeting.circulated_at is not None:
        raise InvalidTransition("The papers for this meeting have already been circulated")
    items = list(
        AgendaItem.objects.filter(meeting=meeting, withdrawn_at__isnull=True).select_related("lead_member")
    )
    if not items:
        raise ValidationError({"agenda": ["Add at least one item to the agenda before circulating it"]})
    now = timezone.now()
    updated = Meeting.objects.filter(
        pk=meeting.pk, version=version, status=MeetingStatus.SCHEDULED, circulated_at__isnull=True
    ).update(version=F("version") + 1, circulated_at=now, circulated_by=actor)
    if updated != 1:
        raise StaleEdit(AGENDA_CHANGED, current={"version": _version(meeting)})
    meeting.refresh_from_db(fields=["version", "circulated_at", "circulated_by"])

    seats = list(Membership.objects.current().filter(panel_id=meeting.panel_id).select_related("person"))
    until = meeting_end_of_day(meeting)
    grants = [
        PapersGrant(
            meeting=meeting,
            person_id=seat.person_id,
            reason=PapersGrantReason.MEMBER,
            starts_at=now,
            ends_at=until,
            granted_at=now,
        )
        for seat in seats
    ]
    grants += [
        PapersGrant(
            meeting=meeting,
            person_id=seat.person_id,
            reason=PapersGrantReason.CHAIR,
            starts_at=now,
            ends_at=None,
            granted_at=now,
        )
        for seat in seats
        if seat.role in CHAIRING_ROLES
    ]
    grants += [
        PapersGrant(
            meeting=meeting,
            person_id=item.lead_member.person_id,
            agenda_item=item,
            reason=PapersGrantReason.LEAD_MEMBER,
            starts_at=now,
            ends_at=None,
            granted_at=now,
        )
        for item in items
        if item.lead_member is not None
    ]
    PapersGrant.objects.bulk_create(grants)

    due = meeting_deadlines(meeting).circulation
    late = timezone.localdate() > due
    record_event(
        actor=actor,
        action="meeting.papers_circulated",
        obj=meeting,
        changes={
            "circulated_at": [None, now.isoformat()],
            "items": [None, len(items)],
            "grants": [None, len(grants)],
            "due": [None, str(due)],
            "late": [None, late],
        },
    )
    notify(
        users=[seat.person for seat in seats if seat.person.is_active],
        subject=f"Papers for {meeting.panel.name} on {meeting.date:%-d %B %Y} are ready",
        body=(
            f"The agenda has {len(items)} item{'s' if len(items) != 1 else ''}. "
            f"Members can read the papers until the end of {meeting.date:%-d %B %Y}."
        ),
        url=reverse("panels:papers", args=[meeting.pk]),
    )
    # The PDF pack is made in the background as the papers go out (panels/pack.py).
    from panels.services.packs import pack_request

    pack_request(actor=None, meeting=meeting)
    return meeting


@transaction.atomic
def papers_grant_new_member(*, actor: User | None, membership: Membership) -> list[PapersGrant]:
    """A member seated after the papers went out gets them for the panel's circulated meetings that
    are still to come (to the end of each meeting day; the chair's copy too for a chair)."""
    now = timezone.now()
    meetings = Meeting.objects.filter(
        panel_id=membership.panel_id,
        status=MeetingStatus.SCHEDULED,
        circulated_at__isnull=False,
        date__gte=timezone.localdate(),
    )
    grants = []
    for meeting in meetings:
        held = set(
            PapersGrant.objects.filter(
                meeting=meeting, person_id=membership.person_id, revoked_at__isnull=True, agenda_item=None
            ).values_list("reason", flat=True)
        )
        reasons = [PapersGrantReason.MEMBER]
        if membership.role in CHAIRING_ROLES:
            reasons.append(PapersGrantReason.CHAIR)
        for reason in reasons:
            if reason in held:
                continue
            grants.append(
                PapersGrant(
                    meeting=meeting,
                    person_id=membership.person_id,
                    reason=reason,
                    starts_at=now,
                    ends_at=None if reason == PapersGrantReason.CHAIR else meeting_end_of_day(meeting),
                    granted_at=now,
                )
            )
    made = PapersGrant.objects.bulk_create(grants)
    for grant in made:
        record_event(
            actor=actor,
            action="meeting.papers_granted",
            obj=grant.meeting,
            changes={"person": [None, grant.person_id], "reason": [None, grant.reason]},
        )
    return made
