"""Writing the referral: starting it, its sections, its options and costs with their split, and
its evidence. Each change to signed content goes through transitions._after_content_change."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from casework import access as casework_access
from casework.access import NotAllowed
from casework.audit import diff, record_child_view, record_event, snapshot
from casework.models import Agency, Child, User
from casework.models import SchoolType as ChildSchoolType
from casework.money import MAX_COST, MAX_COST_TEXT, CostPeriod, ShareBasis, annual, weekly_from_hours
from casework.services import InvalidTransition
from referrals import access
from referrals.models import (
    Evidence,
    Option,
    OptionShare,
    Referral,
    RequestType,
    SchoolType,
    Status,
    StatusChange,
    Urgency,
)

# panels' names, imported once in __init__.py (the import contract's declared exceptions)
from referrals.services import Panel, panels_visible_to
from referrals.services.state import (
    OPTION_FIELDS,
    OPTION_HOURS_FIELDS,
    OPTION_PLACEMENT_FIELDS,
    SECTION_FIELDS,
    SECTION_TITLES,
    content_hash,
    split_problem,
)
from referrals.services.transitions import _after_content_change, _lock_editable


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
        **education_from_child(child),
    )
    referral.full_clean()
    referral.save()
    StatusChange.objects.create(referral=referral, new_status=Status.DRAFT, actor=actor, reason="Started")
    record_event(
        actor=actor,
        action="referral.created",
        obj=referral,
        child=child,
        changes={
            "panel": [None, panel.pk],
            "pathway": [None, pathway],
            "urgency": [None, urgency],
            **{name: [None, value] for name, value in education_from_child(child).items()},
        },
    )
    return referral


# The child record's school types in the referral form's words (seeds 002, section 5: "mainstream,
# special or other"): alternative provision and not being in school are "other".
_SCHOOL_TYPE_FROM_CHILD: dict[str, str] = {
    ChildSchoolType.MAINSTREAM: SchoolType.MAINSTREAM,
    ChildSchoolType.SPECIAL: SchoolType.SPECIAL,
    ChildSchoolType.ALTERNATIVE: SchoolType.OTHER,
    ChildSchoolType.NONE: SchoolType.OTHER,
}


def education_from_child(child: Child) -> dict[str, Any]:
    """Section 5 (Education, seeds 002) as the child's record already says it: the current school,
    its type and whether the child has an EHC plan. A new referral starts with these answers; the
    referrer may change them on the referral (the child's record is not changed)."""
    school = child.school_name.strip()
    if not school and child.school_type == ChildSchoolType.NONE:
        school = "Not in school"
    return {
        "education_current_school": school,
        "education_school_type": _SCHOOL_TYPE_FROM_CHILD.get(child.school_type, ""),
        "education_has_ehc_plan": child.has_ehc_plan,
    }


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
        elif locked.review_of is None:
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


def _option_problems(option: Option) -> dict[str, list[str]]:
    """Every problem of the option's own fields at once (issue 16, "every field validated at once,
    not in stages"): the cost or its hours and rate (pricing the option when they are right), the
    dates, and the model's own checks of the fields not already refused."""
    problems: dict[str, list[str]] = {}
    try:
        _cost_from_hours(option)
    except ValidationError as error:
        problems.update(error.message_dict)
    if option.starts_on and option.ends_on and option.ends_on < option.starts_on:
        problems["ends_on"] = ["The end date must be on or after the start date"]
    # The cost is worked out from the hours and rate: when they are refused, so is it, in their words.
    priced = "cost" if problems.keys() & {"hours_per_week", "hourly_rate"} else None
    try:
        option.full_clean(exclude=["referral", *problems, *filter(None, [priced])])
    except ValidationError as error:
        for name, messages in error.message_dict.items():
            problems.setdefault(name, messages)
    return problems


def _split_problems(
    *, referral: Referral, option: Option, shares: list[tuple[Agency, str, Decimal]], cost_known: bool
) -> list[str]:
    """What is wrong with the proposed split: an agency named twice, agencies that may not share the
    cost, and whether it accounts for the cost exactly (not for amounts when the cost itself was
    refused: a total against no cost would mislead)."""
    agencies = [agency.pk for agency, _b, _v in shares]
    if len(set(agencies)) != len(agencies):
        return ["Name each agency once"]
    try:
        _check_split_agencies(
            referral=referral, option=option, agencies=[agency for agency, _b, _v in shares]
        )
    except ValidationError as error:
        return error.message_dict["shares"]
    candidate = [OptionShare(agency=a, basis=b, value=v) for a, b, v in shares]
    if not cost_known and candidate and all(share.basis == ShareBasis.AMOUNT for share in candidate):
        return []
    problem = split_problem(option, candidate)
    return [problem[0].upper() + problem[1:]] if problem else []


def _cost_from_hours(option: Option) -> None:
    """Home support priced by the hour (issue 15): with hours a week and an hourly rate, the cost is
    their product a week (casework.money.weekly_from_hours, docs/adr/0012-money.md)."""
    hours, rate = option.hours_per_week, option.hourly_rate
    if hours is None and rate is None:
        if option.cost is None:
            raise ValidationError({"cost": ["Enter the cost, or the hours a week and the hourly rate"]})
        return
    if hours is None:
        raise ValidationError({"hours_per_week": ["Enter the hours a week, or leave the hourly rate blank"]})
    if rate is None:
        raise ValidationError({"hourly_rate": ["Enter the hourly rate, or leave the hours a week blank"]})
    cost = weekly_from_hours(hours, rate)
    yearly = annual(cost, CostPeriod.WEEKLY, option.weeks_per_year)
    if yearly is not None and yearly > MAX_COST:
        raise ValidationError(
            {
                "hourly_rate": [
                    f"That comes to £{yearly:,.2f} a year, more than {MAX_COST_TEXT}: check the figure"
                ]
            }
        )
    option.cost = cost
    option.period = CostPeriod.WEEKLY


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
        before = snapshot(option, (*OPTION_FIELDS, *OPTION_PLACEMENT_FIELDS, *OPTION_HOURS_FIELDS))
    for name in (*OPTION_FIELDS, *OPTION_PLACEMENT_FIELDS, *OPTION_HOURS_FIELDS):
        if name in fields:
            setattr(option, name, fields[name])
    problems = _option_problems(option)
    cost_known = option.cost is not None and not problems.keys() & {"cost", "hours_per_week", "hourly_rate"}
    if said := _split_problems(referral=locked, option=option, shares=shares, cost_known=cost_known):
        problems["shares"] = said
    if problems:
        raise ValidationError(problems)
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
            **diff(
                before, snapshot(option, (*OPTION_FIELDS, *OPTION_PLACEMENT_FIELDS, *OPTION_HOURS_FIELDS))
            ),
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
