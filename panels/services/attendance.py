"""Correcting a meeting's attendance after a decision of the meeting is signed.

Who was present decides what was a decision and what a recommendation to an absent agency (seeds
002, Joint Funding Panel: "Decisions are not to be made if they impact upon one of the agencies who
may not be present. The recommendations made to an absent agency will require a response within 3
working days"; Leicester JSP: "Quorate will be a minimum of two members from each organisation").
So once a decision is signed attendance never changes silently (panels.services.running refuses
the plain route, 409): a change is a correction, with a reason, by the panel's chair or its
administrators, that works out each signed decision of the meeting again
(panels.services.decisions.decision_reevaluate) and tells the people concerned once.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from casework.audit import record_event
from casework.models import User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import moment
from panels import access
from panels.models import (
    Attendance,
    AttendanceStatus,
    Decision,
    DecisionStatus,
    Meeting,
    MemberRole,
    Membership,
)
from panels.selectors.running import decision_impacts, whole_meeting_inquorate
from panels.services.decision_rules import INQUORATE_OUTCOMES
from panels.services.decisions import Reevaluation, decision_reevaluate
from panels.services.recommendations import _recommendation_recipients
from panels.services.running import _seated, require_open

__all__ = ["NOT_RECORDED", "AttendanceCorrection", "attendance_correct"]

# What `expected_status` says when the member had no attendance recorded.
NOT_RECORDED = "not_recorded"


@dataclass(frozen=True)
class AttendanceCorrection:
    """What a correction did: the attendance as corrected, the signed decisions given a new version
    (each a decisions.Reevaluation), and those whose parts did not change."""

    attendance: Attendance
    reevaluated: list[Reevaluation]
    unchanged: list[Decision]


def _status_words(status: str | None) -> str:
    return AttendanceStatus(status).label.lower() if status else "not recorded"


@transaction.atomic
def attendance_correct(
    *,
    actor: User,
    meeting: Meeting,
    membership: Membership,
    present: bool,
    reason: str,
    expected_status: str | None = None,
) -> AttendanceCorrection:
    """Correct whether a member was present at the meeting, with a reason: the panel's chair,
    vice-chair or administrators (panels.access, need "administer"). Recorded with the old and new
    status in the audit; then every signed decision of the meeting is worked out again from the
    corrected attendance (decision_reevaluate): one whose parts change gets a new signed version
    that opens or closes recommendations and holds the funding a new one impacts; the others stay
    as they are. The referrer, the impacted agencies' contacts and the chair are told once each.

    `expected_status`: the member's attendance as the person correcting saw it (a status, or
    NOT_RECORDED); if it changed since, the correction is refused (InvalidTransition, 409) rather
    than made over someone else's. Corrections of one meeting are made one at a time (the meeting
    row is locked), so each works from the attendance the one before it left."""
    access.require(user=actor, panel=meeting.panel, need="administer")
    require_open(meeting)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = ["Enter why the attendance is being corrected"]
    elif len(reason) > 2000:
        errors["reason"] = ["The reason must be 2000 characters or fewer"]
    if not _seated(meeting, membership):
        errors["membership"] = ["Choose a member of this panel on the day of the meeting"]
    if present and meeting.date > timezone.localdate():
        errors["present"] = ["Nobody can be recorded present before the day of the meeting"]
    if errors:
        raise ValidationError(errors)
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    row = (
        Attendance.objects.select_for_update()
        .select_related("recorded_by")
        .filter(meeting=meeting, membership=membership)
        .first()
    )
    before = row.status if row is not None else None
    name = membership.person.full_name
    if expected_status is not None and (before or NOT_RECORDED) != expected_status:
        who = f" ({row.recorded_by.full_name} recorded it {moment(row.recorded_at)})" if row else ""
        raise InvalidTransition(
            f"{name}'s attendance is now recorded as {_status_words(before)}{who}, not as "
            f"{_status_words(None if expected_status == NOT_RECORDED else expected_status)} as you saw "
            "it: nothing was saved. Look at the attendance again"
        )
    after: str
    if present:
        after = AttendanceStatus.PRESENT
    else:
        after = (
            before
            if before in (AttendanceStatus.APOLOGIES, AttendanceStatus.ABSENT)
            else AttendanceStatus.ABSENT
        )
    if before == after or before is None and not present:
        already = (
            "not recorded as present" if before is None else f"already recorded as {_status_words(before)}"
        )
        raise ValidationError({"present": [f"{name} is {already}: there is nothing to correct"]})
    old_deputy = row.deputy_for_id if row is not None else None
    if row is None:
        row = Attendance(meeting=meeting, membership=membership)
    row.status = after
    row.deputy_for = None
    row.recorded_by = actor
    row.recorded_at = timezone.now()
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError as exc:  # the member's first attendance recorded at the same moment
        raise InvalidTransition(
            f"Someone else recorded {name}'s attendance at the same moment: reload the page"
        ) from exc
    record_event(
        actor=actor,
        action="meeting.attendance_corrected",
        obj=meeting,
        changes={
            "member": [None, membership.pk],
            "status": [before, after],
            "deputy_for": [old_deputy, None],
            "reason": [None, reason],
        },
    )
    signed = list(
        Decision.objects.filter(
            agenda_item__meeting=meeting,
            agenda_item__withdrawn_at__isnull=True,
            status=DecisionStatus.SIGNED,
        )
        .select_related("agenda_item__meeting__panel", "referral__child", "referral__referrer", "lead_agency")
        .order_by("agenda_item__position", "pk")
    )
    inquorate = whole_meeting_inquorate(meeting)
    if inquorate:
        stuck = [d for d in signed if d.outcome not in INQUORATE_OUTCOMES]
        if stuck:
            items = ", ".join(str(d.agenda_item.position) for d in stuck)
            raise ValidationError(
                {
                    "present": [
                        f"With this correction the meeting was not quorate ({inquorate}), so it could only "
                        f"recommend or defer: correct the decision on item{'s' if len(stuck) > 1 else ''} "
                        f"{items} first"
                    ]
                }
            )
    reevaluated, unchanged = [], []
    for decision in signed:
        done = decision_reevaluate(actor=actor, decision=decision, reason=reason)
        if done is None:
            unchanged.append(decision)
        else:
            reevaluated.append(done)
    _tell(actor=actor, meeting=meeting, name=name, present=present, reevaluated=reevaluated)
    return AttendanceCorrection(attendance=row, reevaluated=reevaluated, unchanged=unchanged)


def _tell(
    *, actor: User, meeting: Meeting, name: str, present: bool, reevaluated: list[Reevaluation]
) -> None:
    """One notice per person, whatever the number of decisions or roles they have in them: the
    referrer of each decision given a new version, the contacts of the agencies it impacts (its
    managers, finance approvers and panel members: those who answer a recommendation) and the
    panel's chair; not the person who made the correction. An agency with a new recommendation is
    pointed at it. The reason is on the new versions, behind the access check, not in the notice
    (e-mails carry no child's details). The e-mails go after the commit (casework.notifications:
    the outbox)."""
    if not reevaluated:
        return
    panel = meeting.panel
    lines: dict[int, list[str]] = {}
    people: dict[int, User] = {}
    links: dict[int, str] = {}
    run_url = reverse("panels:run_meeting", args=[meeting.pk])

    def tell(user: User | None, line: str, url: str, *, strong: bool = False) -> None:
        if user is None or not user.is_active or user.pk == actor.pk:
            return
        people[user.pk] = user
        if line not in lines.setdefault(user.pk, []):
            lines[user.pk].append(line)
        if strong or user.pk not in links:
            links[user.pk] = url

    chairs = list(
        User.objects.filter(
            is_active=True,
            pk__in=Membership.objects.current()
            .filter(panel_id=panel.pk, role=MemberRole.CHAIR)
            .values("person_id"),
        )
    )
    for done in reevaluated:
        decision = done.decision
        item = decision.agenda_item
        initials = decision.referral.child.initials if decision.referral is not None else ""
        changes = [
            f"{r.agency.name}'s part is now a recommendation to it ({r.why}), to answer by {r.due_on:%-d %B %Y}"
            for r in done.opened
        ] + [f"{r.agency.name}'s part is now decided" for r in done.closed]
        line = (
            f"Item {item.position} ({initials}), now version {decision.version}: " + "; ".join(changes) + "."
        )
        for chair in chairs:
            tell(chair, line, run_url)
        if decision.referral is not None:
            tell(decision.referral.referrer, line, reverse("referrals:detail", args=[decision.referral_id]))
        opened = {r.agency_id: r for r in done.opened}
        for agency_pk, agency in decision_impacts(decision).items():
            recommendation = opened.get(agency_pk)
            url = (
                reverse("panels:recommendation_respond", args=[recommendation.pk])
                if recommendation
                else reverse("panels:recommendations")
            )
            for person in _recommendation_recipients(agency, panel.pk):
                tell(person, line, url, strong=recommendation is not None)
    now = "present" if present else "not present"
    subject = f"{panel.name} on {meeting.date:%-d %B %Y}: attendance corrected, decisions worked out again"
    groups: dict[tuple[str, str], list[User]] = {}
    for pk, person in people.items():
        body = (
            f"{name} is now recorded as {now} at the meeting. Who was present decides which "
            "parts of a decision are decisions and which are recommendations to an absent agency, so "
            "these decisions have a new version:\n" + "\n".join(lines[pk])
        )
        groups.setdefault((body, links[pk]), []).append(person)
    for (body, url), users in groups.items():
        notify(users=users, subject=subject, body=body, url=url)
