"""Every write to a referral. Pages, API, admin and tasks call these.

Each status change is one service that checks the starting state by compare-and-swap (a change no
longer allowed raises InvalidTransition → 409), writes a StatusChange row and an audit event, and
queues notices after the commit. Sources: seeds 002 (request form sections; "all referrals must be
approved by a service manager or panel member prior to being submitted"; papers 7 working days
before the meeting, Joint Funding Panel 3.7; 3.12 closing only once provision is accessed or no
longer needed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from casework import access as casework_access
from casework import outbox
from casework.access import NotAllowed
from casework.audit import diff, record_child_view, record_event, snapshot
from casework.models import Agency, Child, Role, User
from casework.notifications import notify
from casework.services import InvalidTransition
from casework.stale import moment
from panels.access import can_chair, panels_visible_to
from panels.models import Meeting, MeetingStatus, Panel
from panels.selectors import meeting_deadlines
from referrals import access
from referrals.jobs import REFERRAL_PAPER
from referrals.models import (
    EDITABLE_STATUSES,
    Evidence,
    Option,
    OptionShare,
    Referral,
    RequestType,
    ShareBasis,
    SignOff,
    SignOffDecision,
    SignOffStage,
    Status,
    StatusChange,
    Urgency,
)

# The form's sections, each a page of the task list: (key, title, fields).
SECTIONS: list[tuple[str, str, tuple[str, ...]]] = [
    ("referrer", "Referrer and relationship to the child", ("referrer_relationship",)),
    ("needs", "1. Assessed needs", ("assessed_needs",)),
    ("support", "2. Support in place", ("current_support",)),
    ("iro", "3. IRO comments", ("iro_comments",)),
    ("permanency", "4. Permanency plan", ("permanency_plan",)),
    (
        "education",
        "5. Education",
        (
            "education_change",
            "education_has_ehc_plan",
            "education_discussed_with_sen",
            "education_sen_comments",
            "education_current_school",
            "education_school_type",
        ),
    ),
    ("elsewhere", "6. Considered elsewhere", ("considered_elsewhere",)),
    ("child_voice", "7. The child's voice", ("child_voice",)),
    ("parents_voice", "8. Parents' and carers' views", ("parents_voice",)),
    (
        "reason",
        "Reason for referral and summary of circumstances",
        ("reason_for_referral", "summary_of_circumstances"),
    ),
]
SECTION_FIELDS = {key: fields for key, _title, fields in SECTIONS}
SECTION_TITLES = {key: title for key, title, _fields in SECTIONS}
ALL_SECTION_FIELDS = tuple(f for _k, _t, fields in SECTIONS for f in fields)
OPTION_FIELDS = ("description", "provider", "cost", "period", "starts_on", "ends_on", "benefits", "risks")
FINAL_STATUSES = {Status.WITHDRAWN, Status.CLOSED}


class CloseReason:
    PROVISION_ACCESSED = "provision_accessed"
    NO_LONGER_NEEDED = "no_longer_needed"
    choices = [
        (PROVISION_ACCESSED, "The child has accessed suitable provision"),
        (NO_LONGER_NEEDED, "The child no longer needs a response from the panel"),
    ]


# --- Reading the state -------------------------------------------------------------------------


def section_problems(referral: Referral, key: str) -> list[str]:
    """What is missing from one section, in the words shown next to it. Empty when complete."""
    r = referral
    if key == "referrer":
        return [] if r.referrer_relationship.strip() else ["Enter your relationship to the child"]
    if key == "iro":
        # Only for a looked-after child (the form: "If the child is Looked After ...").
        if r.child.is_looked_after and not r.iro_comments.strip():
            return ["Enter the IRO's comments on the proposed plan: the child is looked after"]
        return []
    if key == "education":
        problems = []
        if r.education_change is None:
            problems.append(
                "Say whether this might change the school placement or affect the child's education"
            )
        elif r.education_change:
            if r.education_has_ehc_plan is None:
                problems.append("Say whether the child has an EHC plan")
            elif r.education_has_ehc_plan and r.education_discussed_with_sen is None:
                problems.append("Say whether this has been discussed with the SEN team")
            elif (
                r.education_has_ehc_plan
                and r.education_discussed_with_sen
                and not r.education_sen_comments.strip()
            ):
                problems.append("Enter the SEN team's comments")
        if not r.education_current_school.strip():
            problems.append("Enter the current school, or 'not in school'")
        if not r.education_school_type:
            problems.append("Say whether the school is mainstream, special or other")
        return problems
    if key == "reason":
        problems = []
        if not r.reason_for_referral.strip():
            problems.append("Enter the reason for referral")
        if not r.summary_of_circumstances.strip():
            problems.append("Enter a summary of the circumstances")
        return problems
    field = SECTION_FIELDS[key][0]
    if not str(getattr(r, field) or "").strip():
        return [f"Complete section {SECTION_TITLES[key]}"]
    return []


def option_problems(referral: Referral, options: list[Option] | None = None) -> list[str]:
    options = list(referral.options.prefetch_related("shares")) if options is None else options
    if not options:
        return ["Add at least one option with its cost"]
    problems = []
    if sum(1 for o in options if o.is_recommended) != 1:
        problems.append("Choose the option you recommend")
    for option in options:
        problem = split_problem(option, list(option.shares.all()))
        if problem:
            problems.append(f"Option {option.position}: {problem}")
    return problems


def split_problem(option: Option, shares: list[OptionShare]) -> str | None:
    """Why the proposed split does not account for the whole cost exactly, or None."""
    if not shares:
        return "say which agencies pay what share"
    if any(s.value < 0 for s in shares):
        return "no agency's share can be less than zero"
    bases = {s.basis for s in shares}
    if len(bases) > 1:
        return "use either percentages or amounts for every agency, not both"
    if bases == {ShareBasis.PERCENTAGE}:
        total = sum((s.value for s in shares), Decimal("0"))
        if total != Decimal("100"):
            return f"the percentages add up to {total.normalize():f}%, not 100%"
    else:
        total = sum((s.value for s in shares), Decimal("0"))
        if total != option.cost:
            return f"the amounts add up to £{total:,.2f}, not the cost of £{option.cost:,.2f}"
    return None


def completeness(referral: Referral) -> dict[str, list[str]]:
    """Every problem that stops sending for sign-off, keyed by task-list item."""
    problems = {key: section_problems(referral, key) for key, _t, _f in SECTIONS}
    problems["options"] = option_problems(referral)
    if not referral.evidence.filter(removed_at__isnull=True).exists():
        # seeds 002, Joint Funding Panel 3.7: "referrals ... must be supported by attached evidence".
        problems["evidence"] = ["Attach at least one piece of evidence"]
    return {key: msgs for key, msgs in problems.items() if msgs}


def content_hash(referral: Referral) -> str:
    """A fingerprint of everything a signer vouches for: sections, options, splits, evidence."""
    options = [
        {
            **{f: str(getattr(o, f)) for f in OPTION_FIELDS},
            "recommended": o.is_recommended,
            "shares": sorted([s.agency_id, s.basis, str(s.value)] for s in o.shares.all()),
        }
        for o in referral.options.prefetch_related("shares").order_by("pk")
    ]
    payload = {
        "sections": {f: str(getattr(referral, f)) for f in ALL_SECTION_FIELDS},
        "head": [referral.pathway, referral.request_type, referral.urgency, referral.review_of_id],
        "options": options,
        "evidence": sorted(
            referral.evidence.filter(removed_at__isnull=True).values_list("sha256", flat=True)
        ),
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def current_signatures(referral: Referral) -> list[SignOff]:
    return list(
        referral.sign_offs.filter(decision=SignOffDecision.SIGNED, withdrawn_at__isnull=True).select_related(
            "signer"
        )
    )


# --- Transitions -------------------------------------------------------------------------------


def _transition(
    *, referral: Referral, allowed: set[str], to: str, actor: User, reason: str = "", **stamps: Any
) -> Referral:
    """Move the referral from one of `allowed` to `to`. The row is locked and its status read first,
    so two people acting at once cannot both win and the history records the real old status."""
    now = timezone.now()
    current = (
        Referral.objects.select_for_update().filter(pk=referral.pk).values_list("status", flat=True).first()
    )
    if current not in allowed:
        label = Status(current).label.lower() if current else "gone"
        raise InvalidTransition(f"This referral is now {label}, so this can no longer be done")
    Referral.objects.filter(pk=referral.pk).update(status=to, updated_at=now, **stamps)
    StatusChange.objects.create(
        referral=referral, old_status=current, new_status=to, actor=actor, reason=reason, at=now
    )
    record_event(
        actor=actor,
        action=f"referral.{to}",
        obj=referral,
        child=referral.child,
        changes={"status": [current, to], **({"reason": [None, reason]} if reason else {})},
    )
    referral.refresh_from_db()
    return referral


def _link(referral: Referral) -> str:
    return reverse("referrals:detail", args=[referral.pk])


def _team_managers_for(referral: Referral) -> list[User]:
    team_ids = list(referral.referrer.teams.values_list("pk", flat=True))
    managers = User.objects.filter(
        agency_id=referral.referrer_agency_id, is_active=True, roles__contains=[Role.TEAM_MANAGER]
    ).exclude(pk=referral.referrer_id)
    in_team = managers.filter(teams__in=team_ids).distinct()
    return list(in_team) or list(managers)


def _service_managers_for(referral: Referral) -> list[User]:
    return list(
        User.objects.filter(
            agency_id=referral.referrer_agency_id, is_active=True, roles__contains=[Role.SERVICE_MANAGER]
        ).exclude(pk=referral.referrer_id)
    )


@transaction.atomic
def referral_create(
    *,
    actor: User,
    child: Child,
    panel: Panel,
    pathway: str,
    request_type: str = RequestType.NEW,
    urgency: str = Urgency.ROUTINE,
    review_of: Referral | None = None,
) -> Referral:
    """Start a draft referral for a child the actor can see (the caller fetched it via access)."""
    if not access.can_create(user=actor):
        raise NotAllowed("Your role does not allow writing referrals")
    if not casework_access.children_visible_to(user=actor).filter(pk=child.pk).exists():
        raise NotAllowed("You cannot see this child")
    if not panels_visible_to(user=actor).filter(pk=panel.pk).exists():
        raise ValidationError({"panel": ["Choose a panel of your partnership"]})
    if request_type == RequestType.REVIEW and review_of is None:
        raise ValidationError({"review_of": ["Choose the earlier referral whose funding this reviews"]})
    if review_of is not None and review_of.child_id != child.pk:
        raise ValidationError({"review_of": ["Choose an earlier referral for the same child"]})
    referral = Referral(
        child=child,
        panel=panel,
        pathway=pathway,
        request_type=request_type,
        urgency=urgency,
        review_of=review_of if request_type == RequestType.REVIEW else None,
        referrer=actor,
        referrer_agency=actor.agency,
        created_by=actor,
    )
    referral.full_clean()
    referral.save()
    StatusChange.objects.create(referral=referral, new_status=Status.DRAFT, actor=actor, reason="Started")
    record_event(
        actor=actor,
        action="referral.created",
        obj=referral,
        child=child,
        changes={"panel": [None, panel.pk], "pathway": [None, pathway], "urgency": [None, urgency]},
    )
    return referral


def _lock_editable(*, actor: User, referral: Referral) -> Referral:
    if not access.can_edit(user=actor, referral=referral):
        raise NotAllowed("Only the referring team can change this referral")
    locked = Referral.objects.select_for_update().select_related("child").get(pk=referral.pk)
    if locked.status not in EDITABLE_STATUSES:
        raise InvalidTransition(
            f"This referral is {locked.get_status_display().lower()} and can no longer be changed"
        )
    return locked


SIGN_OFF_STATUSES = {Status.AWAITING_TEAM_MANAGER, Status.AWAITING_SERVICE_MANAGER, Status.READY_TO_SUBMIT}


def _after_content_change(*, actor: User, referral: Referral, what: str, before: str) -> None:
    """A signature covers exact content. When the content really changed (its fingerprint differs
    from `before`), the signatures are withdrawn and a referral in sign-off goes back to draft, with
    a visible notice in its timeline."""
    if content_hash(referral) == before:
        return
    signatures = current_signatures(referral)
    reason = f"Signatures withdrawn because {what} changed after signing"
    if signatures:
        SignOff.objects.filter(pk__in=[s.pk for s in signatures]).update(
            withdrawn_at=timezone.now(), withdrawn_reason=reason[:300]
        )
    if referral.status in SIGN_OFF_STATUSES:
        if not signatures:
            reason = f"Back to draft because {what} changed during sign-off"
        _transition(referral=referral, allowed=SIGN_OFF_STATUSES, to=Status.DRAFT, actor=actor, reason=reason)
    elif signatures:
        record_event(actor=actor, action="referral.signatures_withdrawn", obj=referral, child=referral.child)


def _check_text_lengths(obj: Any, fields: tuple[str, ...]) -> None:
    errors = {}
    for name in fields:
        field = obj._meta.get_field(name)
        value = getattr(obj, name)
        if isinstance(value, str) and field.max_length and len(value) > field.max_length:
            errors[name] = [f"Enter {field.max_length:,} characters or fewer"]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def referral_update_section(
    *, actor: User, referral: Referral, section: str, fields: Mapping[str, Any]
) -> Referral:
    """Save one section of the form (a draft may be incomplete; completeness is checked at sign-off)."""
    if section not in SECTION_FIELDS and section != "details":
        raise ValueError(f"Unknown section {section!r}")
    allowed = SECTION_FIELDS.get(section, ("pathway", "request_type", "urgency", "review_of"))
    unknown = set(fields) - set(allowed)
    if unknown:
        raise ValueError(f"Fields {sorted(unknown)} are not in section {section!r}")
    locked = _lock_editable(actor=actor, referral=referral)
    fingerprint = content_hash(locked)
    before = snapshot(locked, allowed)
    for name, value in fields.items():
        setattr(locked, name, value)
    if section == "details":
        if locked.request_type == RequestType.NEW:
            locked.review_of = None
        elif locked.review_of_id is None:
            raise ValidationError({"review_of": ["Choose the earlier referral whose funding this reviews"]})
        elif locked.review_of.child_id != locked.child_id or locked.review_of_id == locked.pk:
            raise ValidationError({"review_of": ["Choose an earlier referral for the same child"]})
    _check_text_lengths(locked, allowed)
    locked.full_clean(exclude=["meeting"])
    changes = diff(before, snapshot(locked, allowed))
    if not changes:
        return locked
    locked.updated_at = timezone.now()
    locked.save()
    record_event(
        actor=actor, action=f"referral.section.{section}", obj=locked, child=locked.child, changes=changes
    )
    _after_content_change(
        actor=actor,
        referral=locked,
        what=SECTION_TITLES.get(section, "the referral's details"),
        before=fingerprint,
    )
    return locked


def _check_option(option: Option) -> None:
    if option.starts_on and option.ends_on and option.ends_on < option.starts_on:
        raise ValidationError({"ends_on": ["The end date must be on or after the start date"]})
    option.full_clean(exclude=["referral"])


@transaction.atomic
def option_save(
    *,
    actor: User,
    referral: Referral,
    fields: Mapping[str, Any],
    shares: list[tuple[Agency, str, Decimal]],
    option: Option | None = None,
) -> Option:
    """Add or change an option and its proposed split. The split must account for the cost exactly."""
    locked = _lock_editable(actor=actor, referral=referral)
    fingerprint = content_hash(locked)
    if option is None:
        position = (locked.options.order_by("-position").values_list("position", flat=True).first() or 0) + 1
        option = Option(referral=locked, position=position)
        before: dict[str, Any] = {}
    else:
        if option.referral_id != locked.pk:
            raise NotAllowed("That option belongs to another referral")
        before = snapshot(option, OPTION_FIELDS)
    for name in OPTION_FIELDS:
        if name in fields:
            setattr(option, name, fields[name])
    _check_option(option)
    agencies = [agency.pk for agency, _b, _v in shares]
    if len(set(agencies)) != len(agencies):
        raise ValidationError({"shares": ["Name each agency once"]})
    _check_split_agencies(referral=locked, option=option, agencies=[agency for agency, _b, _v in shares])
    candidate = [OptionShare(agency=a, basis=b, value=v) for a, b, v in shares]
    problem = split_problem(option, candidate)
    if problem:
        raise ValidationError({"shares": [problem[0].upper() + problem[1:]]})
    if not locked.options.exists():
        option.is_recommended = True  # a single option is the recommended one until another is chosen
    option.save()
    option.shares.all().delete()
    OptionShare.objects.bulk_create(
        [OptionShare(option=option, agency=a, basis=b, value=v) for a, b, v in shares]
    )
    record_event(
        actor=actor,
        action="referral.option.saved",
        obj=option,
        child=locked.child,
        changes={
            **diff(before, snapshot(option, OPTION_FIELDS)),
            "shares": [None, [[a.pk, b, str(v)] for a, b, v in shares]],
        },
    )
    locked.updated_at = timezone.now()
    locked.save(update_fields=["updated_at"])
    _after_content_change(actor=actor, referral=locked, what="the options and costs", before=fingerprint)
    return option


def split_agencies(*, referral: Referral, option: Option | None = None) -> QuerySet[Agency]:
    """The agencies an option's split may name (the page offers these): of the child's partnership,
    and involved with the child now or hosting the panel; an agency the option already names stays
    (its involvement may have ended since)."""
    today = timezone.localdate()
    involved = Q(involvements__child_id=referral.child_id, involvements__started_on__lte=today) & (
        Q(involvements__ended_on__isnull=True) | Q(involvements__ended_on__gt=today)
    )
    wanted = involved | Q(pk=referral.panel.host_agency_id)
    if option is not None and option.pk:
        wanted |= Q(pk__in=OptionShare.objects.filter(option=option).values("agency_id"))
    partnership = referral.child.owning_agency.partnership
    return Agency.objects.filter(wanted, partnership=partnership).distinct()


def _check_split_agencies(*, referral: Referral, option: Option, agencies: list[Agency]) -> None:
    """Issue 12: a split never names another partnership's agency, or one not involved with the
    child (whose people could not see the referral to agree their share)."""
    allowed = set(split_agencies(referral=referral, option=option).values_list("pk", flat=True))
    refused = sorted(agency.name for agency in agencies if agency.pk not in allowed)
    if refused:
        raise ValidationError(
            {
                "shares": [
                    f"{', '.join(refused)} cannot share this cost: choose agencies involved with the child "
                    "or the panel's host agency"
                ]
            }
        )


@transaction.atomic
def option_remove(*, actor: User, option: Option) -> None:
    locked = _lock_editable(actor=actor, referral=option.referral)
    fingerprint = content_hash(locked)
    was_recommended = option.is_recommended
    record_event(actor=actor, action="referral.option.removed", obj=option, child=locked.child)
    option.delete()
    if was_recommended:
        first = locked.options.order_by("position").first()
        if first is not None and locked.options.count() == 1:
            Option.objects.filter(pk=first.pk).update(is_recommended=True)
    _after_content_change(actor=actor, referral=locked, what="the options and costs", before=fingerprint)


@transaction.atomic
def option_recommend(*, actor: User, option: Option) -> Option:
    locked = _lock_editable(actor=actor, referral=option.referral)
    fingerprint = content_hash(locked)
    Option.objects.filter(referral=locked, is_recommended=True).exclude(pk=option.pk).update(
        is_recommended=False
    )
    Option.objects.filter(pk=option.pk).update(is_recommended=True)
    option.refresh_from_db()
    record_event(actor=actor, action="referral.option.recommended", obj=option, child=locked.child)
    _after_content_change(actor=actor, referral=locked, what="the recommended option", before=fingerprint)
    return option


def evidence_add(*, actor: User, referral: Referral, upload, title: str = "") -> Evidence:
    """Check an uploaded file by its content, store it privately and attach it.

    The file is written before the database transaction (slow I/O stays outside it) and removed
    again if the referral can no longer take it.
    """
    from referrals.evidence import store_upload

    if not access.can_edit(user=actor, referral=referral):
        raise NotAllowed("Only the referring team can change this referral")
    stored = store_upload(upload)  # raises ValidationError({"file": [...]}) for a bad file
    try:
        with transaction.atomic():
            locked = _lock_editable(actor=actor, referral=referral)
            fingerprint = content_hash(locked)
            evidence = Evidence(
                referral=locked,
                title=title.strip()[:200],
                original_name=stored.display_name,
                stored_name=stored.stored_name,
                content_type=stored.content_type,
                size=stored.size,
                sha256=stored.sha256,
                uploaded_by=actor,
            )
            evidence.full_clean()
            evidence.save()
            record_event(
                actor=actor,
                action="referral.evidence.added",
                obj=evidence,
                child=locked.child,
                changes={"name": [None, evidence.original_name], "sha256": [None, evidence.sha256]},
            )
            _after_content_change(actor=actor, referral=locked, what="the evidence", before=fingerprint)
    except Exception:
        stored.discard()
        raise
    return evidence


@transaction.atomic
def evidence_remove(*, actor: User, evidence: Evidence) -> None:
    """Take evidence off the referral. The file is kept (the audit trail refers to it)."""
    locked = _lock_editable(actor=actor, referral=evidence.referral)
    fingerprint = content_hash(locked)
    updated = Evidence.objects.filter(pk=evidence.pk, removed_at__isnull=True).update(
        removed_at=timezone.now(), removed_by=actor
    )
    if updated != 1:
        raise InvalidTransition("This evidence has already been removed")
    record_event(actor=actor, action="referral.evidence.removed", obj=evidence, child=locked.child)
    _after_content_change(actor=actor, referral=locked, what="the evidence", before=fingerprint)


def evidence_record_download(*, actor: User, evidence: Evidence) -> None:
    """A download is audited and, being a read of the child's record, in the view log too (issue 12)."""
    child = evidence.referral.child
    record_event(actor=actor, action="referral.evidence.downloaded", obj=evidence, child=child)
    record_child_view(user=actor, child=child, channel="download", path=f"evidence:{evidence.pk}")


@transaction.atomic
def referral_send_for_sign_off(*, actor: User, referral: Referral) -> Referral:
    """Draft (or returned) → awaiting the team manager, once every section is complete."""
    locked = _lock_editable(actor=actor, referral=referral)
    problems = completeness(locked)
    if problems:
        raise ValidationError(problems)
    referral = _transition(
        referral=locked,
        allowed={Status.DRAFT, Status.RETURNED},
        to=Status.AWAITING_TEAM_MANAGER,
        actor=actor,
    )
    notify(
        users=_team_managers_for(referral),
        subject=f"Referral for {referral.child.initials} is waiting for your signature",
        body=f"{actor.full_name} sent a referral to {referral.panel.name} for your sign-off as team manager.",
        url=_link(referral),
    )
    return referral


# What each move of a referral reads as when it is why someone else's action lost (issue 13).
_MOVES = {
    Status.DRAFT: "took this referral back to draft",
    Status.AWAITING_TEAM_MANAGER: "sent this referral for sign-off",
    Status.AWAITING_SERVICE_MANAGER: "signed this referral as team manager",
    Status.READY_TO_SUBMIT: "gave this referral its second signature",
    Status.SUBMITTED: "submitted this referral",
    Status.ON_AGENDA: "put this referral on an agenda",
    Status.DECIDED: "recorded the panel's decision on this referral",
    Status.RETURNED: "returned this referral to the referrer",
    Status.DEFERRED: "recorded this referral as deferred",
    Status.WITHDRAWN: "withdrew this referral",
    Status.CLOSED: "closed this referral",
}


_STAGE_OF = {
    Status.AWAITING_TEAM_MANAGER: SignOffStage.TEAM_MANAGER,
    Status.AWAITING_SERVICE_MANAGER: SignOffStage.SERVICE_MANAGER,
}


def _last_change(referral: Referral) -> StatusChange | None:
    return (
        StatusChange.objects.filter(referral_id=referral.pk)
        .select_related("actor")
        .order_by("-at", "-id")
        .first()
    )


def referral_last_move(referral: Referral, *, actor: User | None = None) -> str:
    """Who last moved the referral, what they did and when: "Tara Bell signed this referral as team
    manager at 10:02" ("You ..." when it was `actor`). One indexed query (statuschange_referral_at)."""
    change = _last_change(referral)
    if change is None:
        return f"This referral is {referral.get_status_display().lower()}"
    who = "You" if actor is not None and change.actor_id == actor.pk else change.actor.full_name
    what = _MOVES.get(change.new_status, "changed this referral")
    return f"{who} {what} {moment(change.at)}"


def _signing_refusal(stage: str) -> str:
    return (
        "You cannot sign this referral: it needs a "
        + ("team manager" if stage == SignOffStage.TEAM_MANAGER else "service manager or panel member")
        + " of the referring agency who did not write it"
    )


def signer_stage(
    *, actor: User, referral: Referral, expected_status: str | None = None, returning: bool = False
) -> str:
    """The signature `actor` is about to give or refuse, or why not. The referral must still be in
    the status the signer saw (`expected_status`; left out, the status of `referral` as the caller
    loaded it): if someone signed, returned or withdrew it since, or it is not waiting for a
    signature, InvalidTransition (409) says who did what and when. Only a signer who could not have
    acted on it a moment ago either gets NotAllowed (403): a double submit, or a colleague who got
    there first, is a conflict, never a refusal of the person's role (issue 13). `returning`: the
    signer returns it instead of signing (the first signer may return it at the second stage)."""
    seen = expected_status or referral.status
    if referral.status != seen:
        raise InvalidTransition(
            f"{referral_last_move(referral, actor=actor)}, after you opened it: nothing was saved"
        )
    stage = _STAGE_OF.get(referral.status)
    if stage is None:
        raise InvalidTransition(
            f"{referral_last_move(referral, actor=actor)}: it is no longer waiting for a signature"
        )
    change = _last_change(referral)
    if not access.can_sign(user=actor, referral=referral, stage=stage):
        before = _STAGE_OF.get(change.old_status) if change else None
        if before and before != stage and access.can_sign(user=actor, referral=referral, stage=before):
            raise InvalidTransition(
                f"{referral_last_move(referral, actor=actor)}: it now waits for a "
                f"{SignOffStage(stage).label.lower()}, so there is nothing for you to sign"
            )
        raise NotAllowed(_signing_refusal(stage))
    if (
        not returning
        and stage == SignOffStage.SERVICE_MANAGER
        and any(s.signer_id == actor.pk for s in current_signatures(referral))
    ):
        # A rule about the person, whatever the timing (a page never offers it; a double submit
        # from the page carries the status it saw and is a 409 above).
        raise NotAllowed(
            f"{referral_last_move(referral, actor=actor)}: the second signature must come from someone "
            "other than the first signer"
        )
    return stage


def _lock_for_signing(
    *, actor: User, referral: Referral, expected_status: str | None, returning: bool = False
) -> tuple[Referral, str]:
    """The referral row, locked, and the stage being signed (signer_stage on the locked row)."""
    seen = expected_status or referral.status
    locked = Referral.objects.select_for_update().filter(pk=referral.pk).first()
    if locked is None:
        raise InvalidTransition("This referral no longer exists")
    return locked, signer_stage(actor=actor, referral=locked, expected_status=seen, returning=returning)


@transaction.atomic
def referral_sign(
    *, actor: User, referral: Referral, comments: str = "", expected_status: str | None = None
) -> Referral:
    """The team manager, then the service manager (or a panel member), signs the exact content.
    `expected_status`: the status the signer saw (signer_stage); two signers, or a signer and one
    returning it, acting at once have one winner and the other gets a 409 naming who did what."""
    referral, stage = _lock_for_signing(actor=actor, referral=referral, expected_status=expected_status)
    problems = completeness(referral)
    if problems:
        raise ValidationError(problems)
    fingerprint = content_hash(referral)
    to = Status.AWAITING_SERVICE_MANAGER if stage == SignOffStage.TEAM_MANAGER else Status.READY_TO_SUBMIT
    allowed = {
        Status.AWAITING_TEAM_MANAGER
        if stage == SignOffStage.TEAM_MANAGER
        else Status.AWAITING_SERVICE_MANAGER
    }
    referral = _transition(referral=referral, allowed=allowed, to=to, actor=actor, reason=comments)
    SignOff.objects.create(
        referral=referral,
        stage=stage,
        decision=SignOffDecision.SIGNED,
        signer=actor,
        comments=comments,
        content_hash=fingerprint,
    )
    if to == Status.AWAITING_SERVICE_MANAGER:
        notify(
            users=_service_managers_for(referral),
            subject=f"Referral for {referral.child.initials} is waiting for your signature",
            body=f"{actor.full_name} signed as team manager. It needs a service manager's signature.",
            url=_link(referral),
        )
    else:
        notify(
            users=[referral.referrer],
            subject=f"Referral for {referral.child.initials} is signed and ready to submit",
            body=f"{actor.full_name} signed it. You can now submit it to a meeting of {referral.panel.name}.",
            url=_link(referral),
        )
    return referral


@transaction.atomic
def referral_return(
    *, actor: User, referral: Referral, comments: str, expected_status: str | None = None
) -> Referral:
    """A signer sends the referral back to the referrer with comments. `expected_status`: as for
    referral_sign."""
    referral, stage = _lock_for_signing(
        actor=actor, referral=referral, expected_status=expected_status, returning=True
    )
    if not comments.strip():
        raise ValidationError({"comments": ["Enter what needs to change before you can sign"]})
    allowed = {
        Status.AWAITING_TEAM_MANAGER
        if stage == SignOffStage.TEAM_MANAGER
        else Status.AWAITING_SERVICE_MANAGER
    }
    referral = _transition(
        referral=referral, allowed=allowed, to=Status.RETURNED, actor=actor, reason=comments
    )
    SignOff.objects.create(
        referral=referral,
        stage=stage,
        decision=SignOffDecision.RETURNED,
        signer=actor,
        comments=comments,
        content_hash=content_hash(referral),
    )
    # Earlier signatures no longer stand: the referral will be changed and signed again.
    SignOff.objects.filter(
        referral=referral, decision=SignOffDecision.SIGNED, withdrawn_at__isnull=True
    ).update(withdrawn_at=timezone.now(), withdrawn_reason="Returned for changes")
    notify(
        users=[referral.referrer],
        subject=f"Referral for {referral.child.initials} has been returned to you",
        body=f"{actor.full_name} returned it with comments.",
        url=_link(referral),
    )
    return referral


def submission_deadline(meeting: Meeting):
    """The papers deadline for a meeting: N working days before it (the panel's setting; seeds 002 3.7)."""
    return meeting_deadlines(meeting).papers_due


@transaction.atomic
def referral_submit(*, actor: User, referral: Referral, meeting: Meeting) -> Referral:
    """Ready to submit → submitted to a meeting of its panel. After the papers deadline it is a late
    paper for the chair to accept or move; an emergency is flagged to the chair at once."""
    if not access.can_edit(user=actor, referral=referral):
        raise NotAllowed("Only the referring team can submit this referral")
    if meeting.panel_id != referral.panel_id:
        raise ValidationError({"meeting": ["Choose a meeting of the panel this referral is for"]})
    today = timezone.localdate()
    if meeting.status != MeetingStatus.SCHEDULED or meeting.date < today:
        raise ValidationError({"meeting": ["Choose a meeting that is still to come"]})
    signatures = current_signatures(referral)
    fingerprint = content_hash(referral)
    stages = {s.stage for s in signatures if s.content_hash == fingerprint}
    if stages != {SignOffStage.TEAM_MANAGER, SignOffStage.SERVICE_MANAGER}:
        raise InvalidTransition(
            "The referral needs both signatures on its current content before it is submitted"
        )
    late = today > submission_deadline(meeting)
    referral = _transition(
        referral=referral,
        allowed={Status.READY_TO_SUBMIT},
        to=Status.SUBMITTED,
        actor=actor,
        reason="Late paper: after the papers deadline" if late else "",
        meeting=meeting,
        submitted_at=timezone.now(),
        submitted_by=actor,
        is_late_paper=late,
    )
    chairs = _panel_chairs(referral.panel)
    if referral.urgency == Urgency.EMERGENCY:
        notify(
            users=chairs,
            subject=f"Emergency referral for {referral.child.initials} submitted to {referral.panel.name}",
            body="An emergency referral needs the chair's attention now.",
            url=_link(referral),
        )
    elif late:
        notify(
            users=chairs,
            subject=f"Late paper for {meeting}: referral for {referral.child.initials}",
            body="Accept it for this meeting or move it to the next one.",
            url=_link(referral),
        )
    return referral


def _panel_chairs(panel: Panel) -> list[User]:
    """The panel's chair and vice-chairs seated today."""
    from panels.models import CHAIRING_ROLES, Membership

    seats = Membership.objects.current().filter(panel=panel, role__in=CHAIRING_ROLES)
    return list(User.objects.filter(pk__in=seats.values("person_id"), is_active=True))


def _require_chair(actor: User, referral: Referral) -> None:
    if not can_chair(user=actor, panel=referral.panel):
        raise NotAllowed("Only the panel's chair can do this")


@transaction.atomic
def referral_accept_late(*, actor: User, referral: Referral) -> Referral:
    _require_chair(actor, referral)
    updated = Referral.objects.filter(
        pk=referral.pk, status=Status.SUBMITTED, is_late_paper=True, late_accepted_by__isnull=True
    ).update(late_accepted_by=actor, updated_at=timezone.now())
    if updated != 1:
        raise InvalidTransition("This late paper has already been dealt with")
    referral.refresh_from_db()
    record_event(actor=actor, action="referral.late_accepted", obj=referral, child=referral.child)
    return referral


@transaction.atomic
def referral_move_to_meeting(*, actor: User, referral: Referral, meeting: Meeting) -> Referral:
    _require_chair(actor, referral)
    if (
        meeting.panel_id != referral.panel_id
        or meeting.status != MeetingStatus.SCHEDULED
        or meeting.date < timezone.localdate()
    ):
        raise ValidationError({"meeting": ["Choose a meeting of the same panel that is still to come"]})
    old_meeting = referral.meeting_id
    updated = Referral.objects.filter(pk=referral.pk, status=Status.SUBMITTED).update(
        meeting=meeting,
        is_late_paper=timezone.localdate() > submission_deadline(meeting),
        late_accepted_by=None,
        updated_at=timezone.now(),
    )
    if updated != 1:
        raise InvalidTransition("Only a submitted referral can be moved to another meeting")
    referral.refresh_from_db()
    record_event(
        actor=actor,
        action="referral.moved",
        obj=referral,
        child=referral.child,
        changes={"meeting": [old_meeting, meeting.pk]},
    )
    notify(
        users=[referral.referrer],
        subject=f"Referral for {referral.child.initials} moved to {meeting}",
        url=_link(referral),
    )
    return referral


@transaction.atomic
def referral_withdraw(*, actor: User, referral: Referral, reason: str) -> Referral:
    if not access.can_edit(user=actor, referral=referral):
        raise NotAllowed("Only the referring team can withdraw this referral")
    if not reason.strip():
        raise ValidationError({"reason": ["Enter why the referral is withdrawn"]})
    allowed = set(Status.values) - FINAL_STATUSES - {Status.DECIDED}
    return _transition(
        referral=referral, allowed=allowed, to=Status.WITHDRAWN, actor=actor, reason=reason.strip()
    )


def require_closer(*, actor: User, referral: Referral) -> None:
    """NotAllowed unless the actor is the referring team or the panel's chair (panels.access.can_chair:
    the chair's rights are the panel's), for referral_close and for the API to say so before it
    reads the body."""
    if not (access.can_edit(user=actor, referral=referral) or can_chair(user=actor, panel=referral.panel)):
        raise NotAllowed("Only the referring team or the panel chair can close this referral")


@transaction.atomic
def referral_close(*, actor: User, referral: Referral, reason: str) -> Referral:
    """seeds 002, Joint Funding Panel 3.12: a referral accepted by the panel is closed only once the
    child has accessed suitable provision or no longer needs the panel."""
    require_closer(actor=actor, referral=referral)
    if reason not in {CloseReason.PROVISION_ACCESSED, CloseReason.NO_LONGER_NEEDED}:
        raise ValidationError({"reason": ["Choose why the referral is being closed"]})
    return _transition(
        referral=referral,
        allowed={Status.DECIDED},
        to=Status.CLOSED,
        actor=actor,
        reason=dict(CloseReason.choices)[reason],
        closed_reason=reason,
    )


# --- The panel's side: agenda and outcome (called by panels.services, which check the seat) ---

# What a referral becomes when the panel records each kind of outcome (panels.models.Outcome).
PANEL_OUTCOME_STATUSES = {Status.DECIDED, Status.DEFERRED, Status.RETURNED}


@transaction.atomic
def referral_place_on_agenda(*, actor: User, referral: Referral, meeting: Meeting) -> Referral:
    """Submitted to this meeting (a late paper only once the chair accepted it), or deferred from an
    earlier one → on the agenda of `meeting`. panels.services.agenda checks the actor administers
    the panel."""
    if meeting.panel_id != referral.panel_id:
        raise ValidationError({"referral": ["This referral is for another panel"]})
    if referral.status == Status.SUBMITTED:
        if referral.meeting_id != meeting.pk:
            raise ValidationError({"referral": ["This referral was submitted to another meeting"]})
        if referral.is_late_paper and referral.late_accepted_by_id is None:
            raise InvalidTransition("This is a late paper: the chair must accept it for this meeting first")
    referral = _transition(
        referral=referral,
        allowed={Status.SUBMITTED, Status.DEFERRED},
        to=Status.ON_AGENDA,
        actor=actor,
        reason=f"On the agenda for {meeting}",
        meeting=meeting,
    )
    # Its content is final for the panel now: render its paper once, in the background (owed in
    # this transaction, so a broker that is down delays it but never loses it).
    outbox.defer(
        kind=REFERRAL_PAPER,
        object_id=referral.pk,
        partnership=referral.child.owning_agency.partnership,
        summary=f"Paper for referral {referral.pk} on the agenda of {meeting}",
    )
    return referral


@transaction.atomic
def referral_take_off_agenda(*, actor: User, referral: Referral, reason: str) -> Referral:
    """On the agenda → submitted again (the item was withdrawn from the agenda)."""
    return _transition(
        referral=referral, allowed={Status.ON_AGENDA}, to=Status.SUBMITTED, actor=actor, reason=reason
    )


@transaction.atomic
def referral_record_outcome(*, actor: User, referral: Referral, to: str, reason: str) -> Referral:
    """On the agenda → decided, deferred or returned for more information, when the chair signs the
    decision. A signed correction may move it between those three. Returned goes back to the
    referrer to edit and sign off again."""
    if to not in PANEL_OUTCOME_STATUSES:
        raise ValueError(f"{to} is not a panel outcome")
    current = Referral.objects.filter(pk=referral.pk).values_list("status", flat=True).first()
    if current == to:
        return referral
    referral = _transition(
        referral=referral,
        allowed={Status.ON_AGENDA, *PANEL_OUTCOME_STATUSES},
        to=to,
        actor=actor,
        reason=reason,
    )
    if to == Status.RETURNED:
        notify(
            users=[referral.referrer],
            subject=f"The panel returned the referral for {referral.child.initials} for more information",
            body=reason,
            url=_link(referral),
        )
    return referral
