"""Writes for a meeting's minutes: draft, edit, approve, circulate, and the PDF.

seeds 002 (Joint Funding Panel terms of reference 3.14): "Members of the Joint Funding Panel will
receive minutes of the meetings within three working days" — the number is the panel's setting
`minutes_working_days`, counted in working days (panels.selectors.meeting_deadlines).

The draft is built from what was recorded at the meeting: attendance (present, apologies, absent,
deputies), declarations of interest per item, and each item's current decision (outcome,
rationale, conditions, lead agency, key worker, where the costs fall, review date, recommendations
to absent agencies). Children appear only by initials and referral number: the minutes go to every
member, and a member's agency need not be involved with every child.

Workflow: draft → approved (by the chair or vice-chair only) → circulated. Edits are allowed only
while draft and are compare-and-swap on `version`, so two editors cannot overwrite each other
(InvalidTransition → 409). Circulating owes a "minutes.pdf" job in the same transaction
(panels/jobs.py): the PDF is rendered and stored in the background, and never lost to a broker or
worker that is down (casework/outbox.py).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING, TypedDict

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Prefetch
from django.urls import reverse
from django.utils import timezone

from casework import outbox, pdf
from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import User
from casework.money import format_money, share_equivalents
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import StaleEdit, moment
from panels import access
from panels.jobs import MINUTES_PDF
from panels.models import (
    AgendaItem,
    AgendaItemKind,
    Attendance,
    AttendanceStatus,
    Decision,
    DecisionStatus,
    Declaration,
    Meeting,
    MeetingStatus,
    Membership,
    Minutes,
    MinutesStatus,
)
from panels.selectors.running import whole_meeting_inquorate
from referrals.models import CostPeriod

if TYPE_CHECKING:
    # django-stubs-ext is a dev dependency: the types of prefetched attributes, for mypy only.
    from django_stubs_ext import WithAnnotations

__all__ = [
    "MINUTES_MAX_LENGTH",
    "describe_cost",
    "describe_shares",
    "minutes_approve",
    "minutes_build_text",
    "minutes_circulate",
    "minutes_draft",
    "minutes_edit",
    "minutes_record_download",
    "minutes_store_pdf",
    "shield_child_name",
]

MINUTES_MAX_LENGTH = 100_000


def _stale(minutes: Minutes, *, sent_version: int | None = None) -> StaleEdit:
    """The loser of two saves of the same minutes: who saved them, and when (issue 13)."""
    who = ""
    if minutes.updated_by_id:
        who = f" ({minutes.updated_by.full_name} saved them {moment(minutes.updated_at)})"
    if sent_version is None:
        message = (
            f"These minutes are already drafted, version {minutes.version}{who}. Nothing was replaced: "
            "send the version you read to draft them again"
        )
    else:
        message = (
            f"Someone else changed these minutes since you opened them{who}. Your changes have not been "
            "saved: open the minutes again to see the latest version, then make your changes again"
        )
    return StaleEdit(message, current=_saved(minutes))


def _require_admin(actor: User, meeting: Meeting) -> None:
    if not access.can_administer(user=actor, panel=meeting.panel):
        raise NotAllowed("Only the panel's chair or administrators can do this")


# --- Words for the text ----------------------------------------------------------------------


def _money(amount: Decimal, period: str | None = None) -> str:
    """£1,486.40 a week: casework.money.format_money, the words pages, letters and PDFs share."""
    return format_money(amount, period)


def _day(day) -> str:
    return f"{day:%-d %B %Y}" if day else "Not set"


def _a_year(amount: Decimal | None, decision: Decision) -> str:
    """ ", £38,000.00 a year (38 weeks)": the year's figure beside an amount a period, counting the
    decision's weeks a year for a weekly cost; empty for a one-off cost."""
    if amount is None:
        return ""
    weeks = f" ({decision.weeks_per_year} weeks)" if decision.cost_period == CostPeriod.WEEKLY else ""
    return f", {_money(amount)} a year{weeks}"


def describe_cost(decision: Decision) -> str:
    """ "£1,000.00 a week from 1 May 2026, £38,000.00 a year (38 weeks)": the agreed cost, its dates and
    its year's worth (casework.money.share_equivalents with the decision's weeks a year, the figure
    the tracker and the funding matrix show)."""
    if decision.cost is None:
        return "Not recorded"
    period = decision.cost_period if decision.cost_period in CostPeriod.values else None
    words = _money(decision.cost, period)
    if decision.starts_on:
        words += f" from {_day(decision.starts_on)}"
    if decision.ends_on:
        words += f" to {_day(decision.ends_on)}"
    if period is not None:
        [(_, yearly)] = share_equivalents([decision.cost], period, decision.weeks_per_year)
        words += _a_year(yearly, decision)
    return words


def describe_shares(decision: Decision) -> list[str]:
    """One line per paying agency: where the costs fall (the decision's shares, prefetched), each with
    its year's worth worked out from its amount by casework.money.share_equivalents, so the lines add
    up to the agreed cost's year to the penny."""
    shares = list(decision.shares.all())
    period = decision.cost_period if decision.cost_period in CostPeriod.values else None
    if period is None:
        yearly: list[Decimal | None] = [None] * len(shares)
    else:
        yearly = [
            a for _, a in share_equivalents([s.amount for s in shares], period, decision.weeks_per_year)
        ]
    lines = []
    for share, year in zip(shares, yearly, strict=True):
        basis = f"{share.value.normalize():f}%" if share.basis == "percentage" else "fixed amount"
        lines.append(
            f"{share.agency.name}: {_money(share.amount, period)} ({basis}){_a_year(year, decision)}"
        )
    return lines


def shield_child_name(text: str, child) -> str:
    """Free text with the child's names replaced by their initials (minutes and letters carry
    initials only; a rationale typed at the meeting may name the child)."""
    if child is None or not text:
        return text
    names = [child.full_name, child.given_name, child.family_name]
    for name in sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(name)}(?!\w)", child.initials, text, flags=re.IGNORECASE)
    return text


def _person(membership: Membership) -> str:
    return f"{membership.person.full_name or membership.person.email}, {membership.agency.name} ({membership.get_role_display()})"


def _item_heading(item: AgendaItem) -> str:
    if item.kind == AgendaItemKind.REFERRAL and item.referral is not None:
        return f"{item.position}. Referral {item.referral_id} for {item.referral.child.initials}"
    return f"{item.position}. {item.title}"


def _attendance_lines(meeting: Meeting, attendance: list[Attendance]) -> list[str]:
    lines: list[str] = []
    for status, heading in (
        (AttendanceStatus.PRESENT, "Present"),
        (AttendanceStatus.APOLOGIES, "Apologies"),
        (AttendanceStatus.ABSENT, "Absent"),
    ):
        rows = [a for a in attendance if a.status == status]
        lines.append(heading)
        if not rows:
            lines.append("- None recorded")
        for row in rows:
            line = f"- {_person(row.membership)}"
            if row.deputy_for is not None:
                line += f", deputising for {row.deputy_for.person.full_name}"
            lines.append(line)
        lines.append("")
    return lines


def _quorum_line(meeting: Meeting, attendance: list[Attendance]) -> str:
    """seeds 002 (Leicester JSP): quorate with N members from each named organisation. When the
    whole meeting is inquorate by the panel's settings, the minutes say why and that it could only
    recommend or defer (Joint Funding Panel: "Decisions are not to be made if they impact upon one
    of the agencies who may not be present")."""
    whole = whole_meeting_inquorate(meeting, attendance=attendance)
    if whole:
        return (
            f"Quorum: the meeting was not quorate ({whole}), so it made no decisions: each item was "
            "recommended to the agencies it impacts for their answer, or deferred"
        )
    needed = meeting.panel.quorum_members_per_agency
    agencies = list(meeting.panel.quorum_agencies.all())
    if not agencies:
        return "Quorum: no quorum agencies are set for this panel"
    present: dict[int, int] = {}
    for row in attendance:
        if row.status == AttendanceStatus.PRESENT:
            present[row.membership.agency_id] = present.get(row.membership.agency_id, 0) + 1
    short = [
        f"{a.name} ({present.get(a.pk, 0)} of {needed})" for a in agencies if present.get(a.pk, 0) < needed
    ]
    if short:
        return (
            "Quorum: the meeting was not quorate. Members present short of the quorum: "
            + "; ".join(short)
            + ". What the panel agreed that impacts those agencies is a recommendation to them"
        )
    return f"Quorum: the meeting was quorate ({needed} or more members present from each of {', '.join(a.name for a in agencies)})"


def _decision_lines(decision: Decision, child) -> list[str]:
    def text(value: str) -> str:
        return shield_child_name(value, child)

    signed = (
        f" (signed by {decision.signed_by.full_name} on {_day(timezone.localtime(decision.signed_at).date())})"
        if decision.status == DecisionStatus.SIGNED and decision.signed_by
        else " (draft: not yet signed by the chair)"
    )
    lines = [f"Decision: {decision.get_outcome_display()}{signed}"]
    if decision.version > 1:
        lines.append(f"Correction (version {decision.version}): {text(decision.correction_reason)}")
    lines.append(f"Rationale: {text(decision.rationale)}")
    if decision.conditions:
        lines.append(f"Conditions: {text(decision.conditions)}")
    lines.append(f"Lead agency: {decision.lead_agency.name if decision.lead_agency else 'Not set'}")
    lines.append(f"Key worker: {decision.key_worker.full_name if decision.key_worker else 'Not set'}")
    lines.append(f"Agreed cost: {describe_cost(decision)}")
    shares = describe_shares(decision)
    lines.append("Where the costs fall:" if shares else "Where the costs fall: not recorded")
    lines.extend(f"- {line}" for line in shares)
    lines.append(f"Review date: {_day(decision.review_date)}")
    recommendations = list(decision.recommendations.all())
    if recommendations:
        lines.append("Recommendations to agencies not present:")
        lines.extend(
            f"- {rec.agency.name}: to respond by {_day(rec.due_on)} ({rec.get_status_display()})"
            for rec in recommendations
        )
    return lines


class _CurrentDecisions(TypedDict):
    current_decisions: list[Decision]


def _meeting_record(
    meeting: Meeting,
) -> tuple[list[Attendance], list[WithAnnotations[AgendaItem, _CurrentDecisions]]]:
    """Everything the minutes say, in a fixed number of queries whatever the agenda's length."""
    attendance = list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("membership__person", "membership__agency", "deputy_for__person")
        .order_by("membership__agency__name", "membership__role", "membership__person__full_name", "pk")
    )
    current = (
        Decision.objects.exclude(status=DecisionStatus.SUPERSEDED)
        .select_related("lead_agency", "key_worker", "signed_by")
        .prefetch_related("shares__agency", "recommendations__agency")
    )
    items = list(
        AgendaItem.objects.filter(meeting=meeting, withdrawn_at__isnull=True)
        .select_related("referral__child")
        .prefetch_related(
            "declarations__membership__person",
            "declarations__membership__agency",
            Prefetch("decisions", queryset=current, to_attr="current_decisions"),
        )
        .order_by("position", "pk")
    )
    return attendance, items


def minutes_build_text(meeting: Meeting) -> str:
    """The minutes as plain text, from attendance, declarations and decisions."""
    panel = meeting.panel
    attendance, items = _meeting_record(meeting)
    lines = [
        f"{panel.name}",
        f"Minutes of the meeting on {meeting.date:%A %-d %B %Y}, {meeting.starts_at:%H:%M} to {meeting.ends_at:%H:%M}",
    ]
    if meeting.location:
        lines.append(f"Location: {meeting.location}")
    lines.append("")
    lines.extend(_attendance_lines(meeting, attendance))
    lines.append(_quorum_line(meeting, attendance))
    lines.append("")
    lines.append("Items")
    lines.append("")
    if not items:
        lines.extend(["No items were on the agenda.", ""])
    for item in items:
        child = item.referral.child if item.referral is not None else None
        lines.append(_item_heading(item))
        if item.is_supplement:
            lines.append("(Supplementary item, added after the agenda was circulated)")
        declarations = Declaration.current_in(item.declarations.all())
        if declarations:
            lines.append("Declarations of interest:")
            lines.extend(
                f"- {d.membership.person.full_name} ({d.membership.agency.name}): "
                f"{shield_child_name(d.interest, child)}. {d.get_action_display()}"
                for d in declarations
            )
        else:
            lines.append("Declarations of interest: none")
        decisions = item.current_decisions
        if decisions:
            lines.extend(_decision_lines(decisions[0], child))
        elif item.kind == AgendaItemKind.REFERRAL:
            lines.append("Decision: none recorded")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


# --- The workflow ----------------------------------------------------------------------------


def _check_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n")
    if not body.strip():
        raise ValidationError({"body": ["Enter the minutes"]})
    if len(body) > MINUTES_MAX_LENGTH:
        raise ValidationError({"body": [f"The minutes must be {MINUTES_MAX_LENGTH:,} characters or fewer"]})
    return body


def _saved(minutes: Minutes) -> dict[str, object]:
    """The minutes as saved now, for a stale editor to compare (the API's 409 body)."""
    return {"version": minutes.version, "status": minutes.status, "body": minutes.body}


@transaction.atomic
def minutes_draft(*, actor: User, meeting: Meeting, version: int | None = None) -> Minutes:
    """Draft the minutes from the meeting's record. Drafting again (while still a draft) replaces
    the text with a fresh draft, and needs the version the person last saw."""
    _require_admin(actor, meeting)
    if meeting.status == MeetingStatus.CANCELLED:
        raise InvalidTransition("This meeting was cancelled, so it has no minutes")
    if meeting.date > timezone.localdate():
        raise InvalidTransition("The minutes can be drafted on or after the day of the meeting")
    locked = Meeting.objects.select_for_update().get(pk=meeting.pk)
    body = minutes_build_text(meeting)
    existing = Minutes.objects.filter(meeting=locked).first()
    now = timezone.now()
    if existing is None:
        minutes = Minutes.objects.create(
            meeting=locked, body=body, drafted_by=actor, updated_by=actor, drafted_at=now, updated_at=now
        )
        record_event(actor=actor, action="minutes.drafted", obj=minutes, changes={"status": [None, "draft"]})
        return minutes
    if existing.status != MinutesStatus.DRAFT:
        raise InvalidTransition(
            f"These minutes are {existing.get_status_display().lower()}, so they cannot be drafted again"
        )
    if version is None or version != existing.version:
        raise _stale(existing, sent_version=version)
    Minutes.objects.filter(pk=existing.pk).update(
        body=body,
        version=F("version") + 1,
        updated_by=actor,
        updated_at=now,
        drafted_by=actor,
        drafted_at=now,
    )
    existing.refresh_from_db()
    record_event(
        actor=actor,
        action="minutes.redrafted",
        obj=existing,
        changes={"version": [version, existing.version]},
    )
    return existing


@transaction.atomic
def minutes_edit(*, actor: User, minutes: Minutes, version: int, body: str) -> Minutes:
    """Save an edited text, only while draft and only over the version the editor opened."""
    _require_admin(actor, minutes.meeting)
    body = _check_body(body)
    updated = Minutes.objects.filter(pk=minutes.pk, version=version, status=MinutesStatus.DRAFT).update(
        body=body, version=F("version") + 1, updated_by=actor, updated_at=timezone.now()
    )
    if updated != 1:
        current = Minutes.objects.filter(pk=minutes.pk).values_list("status", flat=True).first()
        if current != MinutesStatus.DRAFT:
            label = MinutesStatus(current).label.lower() if current else "gone"
            raise InvalidTransition(f"These minutes are now {label}, so they can no longer be changed")
        raise _stale(Minutes.objects.select_related("updated_by").get(pk=minutes.pk), sent_version=version)
    minutes.refresh_from_db()
    record_event(
        actor=actor, action="minutes.edited", obj=minutes, changes={"version": [version, minutes.version]}
    )
    return minutes


@transaction.atomic
def minutes_approve(*, actor: User, minutes: Minutes, version: int) -> Minutes:
    """The chair (or vice-chair) approves the text they read: the version they saw."""
    if not access.can_chair(user=actor, panel=minutes.meeting.panel):
        raise NotAllowed("Only the panel's chair or vice-chair can approve the minutes")
    now = timezone.now()
    updated = Minutes.objects.filter(pk=minutes.pk, version=version, status=MinutesStatus.DRAFT).update(
        status=MinutesStatus.APPROVED, approved_by=actor, approved_at=now, version=F("version") + 1
    )
    if updated != 1:
        current = Minutes.objects.filter(pk=minutes.pk).values_list("status", flat=True).first()
        if current != MinutesStatus.DRAFT:
            raise InvalidTransition("These minutes have already been approved")
        raise InvalidTransition(
            "Someone changed these minutes since you opened them: read the latest version before approving it"
        )
    minutes.refresh_from_db()
    record_event(
        actor=actor, action="minutes.approved", obj=minutes, changes={"status": ["draft", "approved"]}
    )
    return minutes


@transaction.atomic
def minutes_circulate(*, actor: User, minutes: Minutes) -> Minutes:
    """Send approved minutes to the panel's current members (a notice and an e-mail with a link;
    the minutes themselves stay behind the sign-in). The PDF is owed as a job, rendered after."""
    meeting = minutes.meeting
    _require_admin(actor, meeting)
    now = timezone.now()
    updated = Minutes.objects.filter(pk=minutes.pk, status=MinutesStatus.APPROVED).update(
        status=MinutesStatus.CIRCULATED, circulated_at=now
    )
    if updated != 1:
        current = Minutes.objects.filter(pk=minutes.pk).values_list("status", flat=True).first()
        if current == MinutesStatus.CIRCULATED:
            raise InvalidTransition("These minutes have already been circulated")
        raise InvalidTransition("The chair must approve the minutes before they are circulated")
    minutes.refresh_from_db()
    members = [
        seat.person
        for seat in Membership.objects.current()
        .filter(panel=meeting.panel, person__is_active=True)
        .select_related("person")
    ]
    notify(
        users=members,
        subject=f"Minutes of {meeting.panel.name}, {meeting.date:%-d %B %Y}",
        body=f"The minutes of the meeting on {meeting.date:%-d %B %Y} have been approved and circulated.",
        url=reverse("panels:minutes", args=[meeting.pk]),
    )
    record_event(
        actor=actor,
        action="minutes.circulated",
        obj=minutes,
        changes={"status": ["approved", "circulated"], "recipients": [None, sorted(m.pk for m in members)]},
    )
    outbox.defer(
        kind=MINUTES_PDF,
        object_id=minutes.pk,
        partnership=meeting.panel.partnership,
        summary=f"Minutes PDF for {meeting}",
    )
    return minutes


def minutes_store_pdf(*, minutes_id: int) -> Minutes | None:
    """Render and store the approved minutes' PDF once (idempotent; for its "minutes.pdf" job). Runs
    outside any transaction: the render is slow and the file is written before the row claims it."""
    minutes = (
        Minutes.objects.select_related("meeting__panel", "approved_by")
        .filter(pk=minutes_id)
        .exclude(status=MinutesStatus.DRAFT)
        .first()
    )
    if minutes is None or minutes.pdf_name:
        return minutes
    meeting = minutes.meeting
    data = pdf.render_pdf(
        template="pdf/minutes.html",
        context={"minutes": minutes, "meeting": meeting, "panel": meeting.panel},
        title=f"Minutes of {meeting.panel.name}, {meeting.date:%-d %B %Y}",
    )
    stored = pdf.store_pdf(data)
    claimed = Minutes.objects.filter(pk=minutes_id, pdf_name="").update(
        pdf_name=stored.name, pdf_sha256=stored.sha256
    )
    if claimed != 1:
        pdf.discard_pdf(stored.name)  # another run stored it first
    else:
        record_event(
            actor=None, action="minutes.pdf_stored", obj=minutes, changes={"sha256": [None, stored.sha256]}
        )
    minutes.refresh_from_db()
    return minutes


def minutes_record_download(*, actor: User, minutes: Minutes) -> None:
    record_event(actor=actor, action="minutes.pdf_downloaded", obj=minutes)
