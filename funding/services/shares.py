"""Each agency's share of a package: approved within the approver's delegated limit, queried,
the query answered, or disputed onto the deciding panel's next agenda. One winner (issue 13): an
action is taken on the share as the person saw it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from casework.access import NotAllowed
from casework.audit import record_event
from casework.models import Role, User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import moment
from funding import access
from funding.models import FundingDispute, FundingPackage, PackageEvent, ShareLine, ShareStatus
from funding.services.packages import (
    _event,
    _link,
    _lock,
    _refresh_status,
    _require_text,
    approver_for,
    awaiting_recommendations,
)

__all__ = [
    "share_answer_query",
    "share_approve",
    "share_dispute",
    "share_last_act",
    "share_query",
]


def _lock_share(share: ShareLine, package: FundingPackage, expected_version: int | None) -> ShareLine:
    locked = _lock(package, expected_version)
    current = ShareLine.objects.select_related("decided_by", "agency").get(pk=share.pk)
    if current.version_id != locked.current_version_id:
        raise InvalidTransition(
            f"This share belongs to an earlier version of the package (now version {locked.version_number}). "
            "Nothing was saved: look at the current version."
        )
    current.package = locked
    return current


# What each share action reads as in a refusal ("Priya Shah disputed this share at 10:02").
_SHARE_ACTS = {
    "approved": "approved this share",
    "queried": "queried this share",
    "disputed": "disputed this share",
    "answered": "answered the query on this share",
}


def share_last_act(share: ShareLine) -> str:
    """Who last acted on this agency's share, what they did and when, from the package's history
    (one indexed query; an approval carried over from an earlier version names its approver)."""
    if share.status == ShareStatus.APPROVED and share.decided_by is not None:
        return f"{share.decided_by.full_name} approved this share {moment(share.decided_at)}"
    event = (
        PackageEvent.objects.filter(
            package_id=share.package_id, agency_id=share.agency_id, action__in=_SHARE_ACTS
        )
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )
    if event is None:
        return f"This share is now {share.get_status_display().lower()}"
    return f"{event.actor.full_name} {_SHARE_ACTS[event.action]} {moment(event.at)}"


def _lock_unapproved(
    share: ShareLine, expected_version: int | None, expected_status: str | None, *, doing: str = ""
) -> tuple[ShareLine, str]:
    """The share, locked as it is now, and its status as the approver saw it (`expected_status`, or
    as the caller loaded it). One winner (issue 13): an approval that landed first stands, so a
    later approval, query or dispute is refused; changing an agreed share is a variation of the
    package, not a query or dispute that silently undoes the approval."""
    seen = expected_status or share.status
    current = _lock_share(share, share.package, expected_version)
    if current.status == ShareStatus.APPROVED:
        who = current.decided_by.full_name if current.decided_by else "someone"
        already = f"Your agency's share was already approved by {who} {moment(current.decided_at)}"
        if doing:
            raise InvalidTransition(
                f"{already}, so it can no longer be {doing}: ask for a variation of the package instead"
            )
        raise InvalidTransition(already.rstrip())
    return current, seen


def _swap(current: ShareLine, seen: str, **fields) -> None:
    """Compare-and-swap: the share moves only from the status it was seen in (one winner)."""
    if ShareLine.objects.filter(pk=current.pk, status=seen).update(**fields) != 1:
        raise InvalidTransition("Someone else acted on this share at the same moment; nothing was saved")


def _recorded(
    *, actor: User, package: FundingPackage, share: ShareLine, action: str, text: str, changes: dict
) -> None:
    """A share action ("approved", "queried", ...) in the package's history and the audit trail."""
    _event(package=package, actor=actor, action=action, agency=share.agency, text=text)
    record_event(
        actor=actor, action=f"funding.share.{action}", obj=share, child=package.child, changes=changes
    )


def _refuse_if_moved(current: ShareLine, seen_status: str) -> None:
    """One winner (issue 13): an action is taken on the share as the person saw it. If its status
    changed since (someone approved, queried, disputed or answered first), the later action loses
    with a 409 saying who did what, instead of silently undoing the first."""
    if current.status != seen_status:
        raise InvalidTransition(
            f"{share_last_act(current)}, after you opened it. Nothing was saved: look at the share again"
        )


def _refuse_while_recommended(share: ShareLine) -> None:
    """seeds 002, Joint Funding Panel: "Decisions are not to be made if they impact upon one of the
    agencies who may not be present": while the panel's recommendation to this share's agency
    awaits its answer, or once the agency has declined it (until a corrected decision), the share
    is not approved."""
    if not share.package.decision_id:
        return
    for recommendation in awaiting_recommendations(share.package):
        if recommendation.agency_id == share.agency_id:
            raise ValidationError(
                {
                    "share": [
                        f"{recommendation.agency.name} could not decide this at the panel "
                        f"({recommendation.why or 'no member of the agency was present'}): the panel's "
                        f"recommendation awaits its answer, due {recommendation.due_on:%-d %B %Y}. "
                        "The share can be approved once the agency accepts it"
                    ]
                }
            )
    for recommendation in _declined_recommendations(share.package):
        if recommendation.agency_id == share.agency_id:
            raise ValidationError(
                {
                    "share": [
                        f"{recommendation.agency.name} declined the panel's recommendation "
                        f"({recommendation.response_reason}): the panel decides again, so the share "
                        "can be approved only once the chair has signed a corrected decision"
                    ]
                }
            )


def _declined_recommendations(package: FundingPackage) -> list:
    """The panel's recommendations on this package's decision (any version of its item that is not
    superseded) that the absent agency declined. seeds 002, Joint Funding Panel: "Decisions and
    recommendations are not to be made if they impact upon one of the agencies who may not be
    present": a "no" sends the item back to the chair and the next agenda
    (panels.services.recommendations), so that agency's share of the split it refused is not
    approved until the panel decides again (a corrected decision supersedes the declined one)."""
    from panels.models import AgencyRecommendation, Decision, DecisionStatus, RecommendationStatus

    if package.decision_id is None:  # an existing arrangement: no panel, no recommendations
        return []
    return list(
        AgencyRecommendation.objects.filter(
            decision__agenda_item_id__in=Decision.objects.filter(pk=package.decision_id).values(
                "agenda_item_id"
            ),
            status=RecommendationStatus.DECLINED,
        )
        .exclude(decision__status=DecisionStatus.SUPERSEDED)
        .select_related("agency")
        .order_by("pk")
    )


@transaction.atomic
def share_approve(
    *, actor: User, share: ShareLine, expected_version: int | None, expected_status: str | None = None
) -> ShareLine:
    """Approve one agency's share, within the approver's delegated limit (a year's worth, or the
    one-off amount). Above it, the share goes to the next approver up.

    `expected_status`: the share's status as the approver saw it (the page's hidden field, the API's
    `status`); left out, the status of `share` as the caller loaded it. A query or dispute that came
    in since wins: the approval is refused (409) naming who did what."""
    access.require_approver_of(user=actor, share=share)
    current, seen = _lock_unapproved(share, expected_version, expected_status)
    _refuse_if_moved(current, seen)
    _refuse_while_recommended(current)
    limit = actor.delegated_limit
    if limit is None or current.annual_amount > limit:
        up = approver_for(agency_id=current.agency_id, annual_amount=current.annual_amount)
        where = f"it goes to {up.full_name}" if up else "nobody in your agency has a high enough limit"
        yours = f"£{limit:,.2f}" if limit is not None else "not set"
        raise ValidationError(
            {
                "share": [
                    f"This share is £{current.annual_amount:,.2f} a year, above your delegated limit "
                    f"({yours}): {where}"
                ]
            }
        )
    now = timezone.now()
    _swap(current, seen, status=ShareStatus.APPROVED, decided_by=actor, decided_at=now)
    package = current.package
    _recorded(
        actor=actor,
        package=package,
        share=current,
        action="approved",
        text="Share approved",
        changes={
            "status": [current.status, ShareStatus.APPROVED],
            "annual_amount": [None, str(current.annual_amount)],
        },
    )
    _refresh_status(package=package, actor=actor)
    current.refresh_from_db()
    return current


def _panel_administrators(package: FundingPackage) -> list[User]:
    from panels.models import MemberRole, Membership

    if package.panel_id is None:
        return []
    return [
        m.person
        for m in Membership.objects.current()
        .filter(panel_id=package.panel_id, role=MemberRole.ADMINISTRATOR)
        .select_related("person")
    ]


@transaction.atomic
def share_query(
    *,
    actor: User,
    share: ShareLine,
    expected_version: int | None,
    question: str,
    expected_status: str | None = None,
) -> ShareLine:
    """Ask the panel administrator and the referrer a question before approving.
    `expected_status`: as for share_approve."""
    access.require_approver_of(user=actor, share=share)
    text = _require_text(question, "question", "Enter your question")
    current, seen = _lock_unapproved(share, expected_version, expected_status, doing="queried")
    _refuse_if_moved(current, seen)
    if current.status not in (ShareStatus.AWAITING, ShareStatus.QUERIED):
        raise InvalidTransition(
            f"This share is {current.get_status_display().lower()}, so it cannot be queried"
        )
    _swap(current, seen, status=ShareStatus.QUERIED, query_text=text, query_answer="")
    package = current.package
    _recorded(
        actor=actor,
        package=package,
        share=current,
        action="queried",
        text=text,
        changes={"question": [None, text]},
    )
    people = _panel_administrators(package)
    if package.referral is not None:
        people.append(package.referral.referrer)
    notify(
        users=[p for p in people if p.pk != actor.pk],
        subject="A finance approver has a question about a funding package",
        body=text,
        url=_link(package),
    )
    current.refresh_from_db()
    return current


@transaction.atomic
def share_answer_query(*, actor: User, share: ShareLine, answer: str) -> ShareLine:
    """The panel administrator or referrer answers; the share awaits approval again."""
    package = share.package
    is_referrer = package.referral is not None and package.referral.referrer_id == actor.pk
    if not (is_referrer or actor.has_role(Role.PANEL_ADMINISTRATOR)):
        raise NotAllowed("Only the panel administrator or the referrer can answer a query")
    text = _require_text(answer, "answer", "Enter your answer")
    current = _lock_share(share, package, None)
    if current.status != ShareStatus.QUERIED:
        # Someone answered first, or the approver approved or disputed instead: say who.
        raise InvalidTransition(f"{share_last_act(current)}, so there is no open query to answer")
    _swap(current, ShareStatus.QUERIED, status=ShareStatus.AWAITING, query_answer=text)
    _recorded(
        actor=actor,
        package=package,
        share=current,
        action="answered",
        text=text,
        changes={"answer": [None, text]},
    )
    if current.routed_to is not None:
        notify(
            users=[current.routed_to],
            subject="Your funding query was answered",
            body=text,
            url=_link(package),
        )
    current.refresh_from_db()
    return current


@transaction.atomic
def share_dispute(
    *,
    actor: User,
    share: ShareLine,
    expected_version: int | None,
    reason: str,
    expected_status: str | None = None,
) -> FundingDispute:
    """Dispute this agency's share. The dispute is recorded and put on the next scheduled meeting of
    the panel that made the decision (seeds 004: disagreement resolution between the council and the
    NHS), as a supplement if that agenda has been circulated. `expected_status`: as for
    share_approve."""
    from panels.models import AgendaItem, AgendaItemKind, Meeting, MeetingStatus

    access.require_approver_of(user=actor, share=share)
    text = _require_text(reason, "reason", "Give the reason for the dispute")
    current, seen = _lock_unapproved(share, expected_version, expected_status, doing="disputed")
    if current.status == ShareStatus.DISPUTED:
        raise InvalidTransition(f"Your agency has already disputed this share: {share_last_act(current)}")
    _refuse_if_moved(current, seen)
    _swap(current, seen, status=ShareStatus.DISPUTED, dispute_reason=text, decided_by=None, decided_at=None)
    package = current.package
    dispute = FundingDispute(
        package=package, share=current, agency=current.agency, reason=text, raised_by=actor
    )
    meeting = None
    if package.panel_id:
        meeting = (
            Meeting.objects.filter(
                panel_id=package.panel_id, status=MeetingStatus.SCHEDULED, date__gte=timezone.localdate()
            )
            .order_by("date", "starts_at")
            .first()
        )
    if meeting is None:
        dispute.not_listed_reason = (
            "No meeting of the deciding panel is scheduled: the dispute must be listed by hand"
            if package.panel_id
            else "This package did not come from a panel, so there is no panel agenda to list it on"
        )
    else:
        last = meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0
        dispute.agenda_item = AgendaItem.objects.create(
            meeting=meeting,
            kind=AgendaItemKind.OTHER_BUSINESS,
            title=f"Funding dispute: {current.agency.name}, package {package.pk}"[:300],
            description=text,
            position=last + 1,
            is_supplement=meeting.circulated_at is not None,
            added_by=actor,
        )
    dispute.save()
    where = f"listed for {meeting}" if meeting else dispute.not_listed_reason
    _recorded(
        actor=actor,
        package=package,
        share=current,
        action="disputed",
        text=f"{text} ({where})",
        changes={"reason": [None, text], "agenda_item": [None, dispute.agenda_item_id]},
    )
    _refresh_status(package=package, actor=actor)
    notify(
        users=[u for u in _panel_administrators(package) if u.pk != actor.pk],
        subject="A funding share has been disputed",
        body=text,
        url=_link(package),
    )
    return dispute
