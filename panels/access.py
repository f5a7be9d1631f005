"""Who may see which panels and meetings.

Panels are partnership forums: anyone signed in to an agency of the partnership may see the panel
and its meeting dates (not its papers; the referrals and papers rules live in referrals/access.py).
"""

from __future__ import annotations

from typing import Literal

from django.db.models import QuerySet
from django.http import Http404

from casework.access import (
    NOT_FOUND_MESSAGE,
    NotAllowed,
    agency_of,
    is_partnership_administrator,
    is_usable,
    record_id,
)
from casework.models import Role, User
from panels.models import Meeting, Panel
from referrals.access import referrals_visible_to

# What a page or endpoint needs of a panel or meeting it fetches by id (healthchecks'
# _get_rw_check_for_user, Zulip's access_stream_by_id(require_...)): "view" is seeing it at all
# (else 404); "follow" its running (can_view_running), "run" running it (can_run_meeting),
# "administer" its agenda, papers, letters and meetings (can_administer), "chair" what only the chair
# signs (can_chair), "manage" its terms and membership (can_manage_panel). A need the person lacks
# is NotAllowed (403) with REFUSALS[need], or the `refusal` the caller names its task with.
Need = Literal["view", "follow", "run", "administer", "chair", "manage"]
REFUSALS: dict[str, str] = {
    "follow": "Only the panel's chair, administrators and members with the papers can see this",
    "run": "Only the panel's chair, vice-chair or administrators can do this",
    "administer": "Only the panel's chair or administrators can do this",
    "chair": "Only the panel's chair or vice-chair can do this",
    "manage": "Only the panel's chair, its administrators or the partnership administrator can do this",
}


def require(
    *, user: User, panel: Panel, need: Need, meeting: Meeting | None = None, refusal: str | None = None
) -> None:
    """NotAllowed (403) unless `user` has `need` on the panel (or its meeting, for follow and run)."""
    if need == "view":
        return
    if need == "administer":
        allowed = can_administer(user=user, panel=panel)
    elif need == "chair":
        allowed = can_chair(user=user, panel=panel)
    elif need == "manage":
        allowed = can_manage_panel(user=user, panel=panel)
    elif need in ("run", "follow") and meeting is not None:
        runs = need == "run"
        allowed = (can_run_meeting if runs else can_view_running)(user=user, meeting=meeting)
    else:
        raise ValueError(f"No such need of a panel: {need!r}")
    if not allowed:
        raise NotAllowed(refusal or REFUSALS[need])


def panels_visible_to(*, user: User | None) -> QuerySet[Panel]:
    if not is_usable(user):
        return Panel.objects.none()
    return Panel.objects.filter(partnership=agency_of(user).partnership, is_active=True)


def meetings_visible_to(*, user: User | None) -> QuerySet[Meeting]:
    return Meeting.objects.filter(panel__in=panels_visible_to(user=user))


def get_panel_for_user(*, user: User, pk: object, need: Need = "view", refusal: str | None = None) -> Panel:
    """The panel if the user may see it (else Http404), and has `need` of it (else NotAllowed)."""
    pk_int = record_id(pk)
    panel = panels_visible_to(user=user).filter(pk=pk_int).first()
    if panel is None:
        raise Http404(NOT_FOUND_MESSAGE)
    require(user=user, panel=panel, need=need, refusal=refusal)
    return panel


def get_seat_for_panel(*, panel: Panel, pk: object):
    """A seat (membership) on this panel, with its person (the caller fetched the panel through
    this module, with its own check); Http404 for any other id."""
    from django.shortcuts import get_object_or_404

    from panels.models import Membership

    return get_object_or_404(
        Membership.objects.select_related("person", "panel"), pk=record_id(pk), panel=panel
    )


def get_closure_day_for_panel(*, panel: Panel, pk: object):
    """One of this panel's closure days (the caller fetched the panel through this module); Http404
    for any other id."""
    from django.shortcuts import get_object_or_404

    from panels.models import ClosureDay

    return get_object_or_404(ClosureDay.objects.select_related("panel"), pk=record_id(pk), panel=panel)


def can_administer(*, user: User | None, panel: Panel) -> bool:
    """Panel settings, membership and meetings are run by the panel's chair, vice-chair and
    administrators and panel administrators of the host agency. (A partnership administrator
    manages panels' terms and membership, never their papers: can_manage_panel.)"""
    from panels.models import CHAIRING_ROLES, MemberRole, Membership

    if not is_usable(user):
        return False
    if user.has_role(Role.PANEL_ADMINISTRATOR) and user.agency_id == panel.host_agency_id:
        return True
    return (
        Membership.objects.current()
        .filter(panel=panel, person=user, role__in=[*CHAIRING_ROLES, MemberRole.ADMINISTRATOR])
        .exists()
    )


def can_chair(*, user: User | None, panel: Panel) -> bool:
    """The panel's own chair or vice-chair, seated on it today (Membership): signs decisions,
    approves minutes, deals with late papers and closes referrals with their referring team."""
    from panels.models import CHAIRING_ROLES, Membership

    if not (is_usable(user) and user.agency_id):
        return False
    return Membership.objects.current().filter(panel=panel, person=user, role__in=CHAIRING_ROLES).exists()


def can_manage_panel(*, user: User | None, panel: Panel) -> bool:
    """A panel's terms and settings, membership and closure days: those who administer it
    (can_administer), and the partnership administrator of its partnership. Only those pages: a
    partnership administrator gets no agenda, papers, pack, decision, minutes or letter by this."""
    if is_partnership_administrator(user) and agency_of(user).partnership == panel.partnership:
        return True
    return can_administer(user=user, panel=panel)


def can_create_panel(*, user: User | None) -> bool:
    """New panels are set up by a partnership administrator, for their own partnership."""
    return is_partnership_administrator(user)


def get_meeting_for_user(
    *, user: User, pk: object, need: Need = "view", refusal: str | None = None
) -> Meeting:
    """The meeting (with its panel) if the user may see it (else Http404), and has `need` of it
    (else NotAllowed)."""
    pk_int = record_id(pk)
    meeting = meetings_visible_to(user=user).select_related("panel").filter(pk=pk_int).first()
    if meeting is None:
        raise Http404(NOT_FOUND_MESSAGE)
    require(user=user, panel=meeting.panel, meeting=meeting, need=need, refusal=refusal)
    return meeting


# --- Running a meeting, decisions and absent-agency recommendations (panels/views/running.py) ----


def can_run_meeting(*, user: User, meeting: Meeting) -> bool:
    """Attendance, declarations and draft decisions are recorded by the panel's chair or
    vice-chair (can_chair) and its administrators (can_administer)."""
    return can_chair(user=user, panel=meeting.panel) or can_administer(user=user, panel=meeting.panel)


def has_meeting_papers(*, user: User, meeting: Meeting) -> bool:
    """A live papers grant for the meeting (all items or one): members with the papers may view the
    chair's page; grants end after the meeting except the chair's copy and the lead member's item
    (seeds 002, Joint Funding Panel 3.3)."""
    return papers_grants_held(user=user, meeting=meeting).exists()


def can_view_running(*, user: User, meeting: Meeting) -> bool:
    return can_run_meeting(user=user, meeting=meeting) or has_meeting_papers(user=user, meeting=meeting)


def administered_panels(*, user: User | None) -> QuerySet[Panel]:
    """The panels this person administers (can_administer), as one query for list filters."""
    from django.db.models import Q

    from panels.models import CHAIRING_ROLES, MemberRole, Membership

    if not is_usable(user):
        return Panel.objects.none()
    rule = Q(
        pk__in=Membership.objects.current()
        .filter(person=user, role__in=[*CHAIRING_ROLES, MemberRole.ADMINISTRATOR])
        .values("panel_id")
    )
    if user.has_role(Role.PANEL_ADMINISTRATOR):
        rule |= Q(host_agency_id=user.agency_id)
    return Panel.objects.filter(rule)


def recommendations_visible_to(*, user: User | None):
    """A recommendation to an absent agency is seen by that agency's people and by the panel's
    administrators (seeds 002: "no decision will be made that impacts on an agency that is not
    present"). Fail closed: anyone else sees none."""
    from django.db.models import Q

    from panels.models import AgencyRecommendation

    if not is_usable(user):
        return AgencyRecommendation.objects.none()
    return AgencyRecommendation.objects.filter(
        Q(agency_id=user.agency_id)
        | Q(decision__agenda_item__meeting__panel__in=administered_panels(user=user))
    )


def can_see_recommendation(*, user: User | None, recommendation, panel: Panel) -> bool:
    """The same rule as recommendations_visible_to, for one recommendation already in hand, made at
    a meeting of `panel`: its agency's people and the panel's administrators."""
    if not is_usable(user):
        return False
    return user.agency_id == recommendation.agency_id or can_administer(user=user, panel=panel)


def get_recommendation_for_user(*, user: User, pk: object):
    pk_int = record_id(pk)
    found = (
        recommendations_visible_to(user=user)
        .select_related(
            "agency",
            "decision__agenda_item__meeting__panel",
            "decision__referral__child",
            "decision__lead_agency",
            "decision__option",
            "responded_by",
        )
        .filter(pk=pk_int)
        .first()
    )
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


# Who answers for the absent agency: its managers, finance approvers and panel members.
RECOMMENDATION_RESPONDER_ROLES = ("service_manager", "finance_approver", "panel_member", "panel_chair")


def can_respond_to_recommendation(*, user: User, recommendation) -> bool:
    return bool(
        is_usable(user)
        and user.agency_id == recommendation.agency_id
        and user.has_role(*RECOMMENDATION_RESPONDER_ROLES)
    )


# --- The action log (seeds 003) -------------------------------------------------------------------


def actions_visible_to(*, user: User | None):
    """Action-log rows this person may see, as one SQL query (fail closed).

    seeds 003: the log is the panel's own. Seen by the panel's current members (any role), the
    people who own an action (that action only), and those who administer the panel (panel
    administrators of the host agency). Always within
    the person's partnership and only for active panels, so another area sees nothing.
    """
    from django.db.models import Exists, OuterRef, Q

    from panels.models import Action, Membership

    if not is_usable(user):
        return Action.objects.none()
    seats = Membership.objects.current().filter(person_id=user.pk).values("panel_id")
    owns = Q(Exists(Action.owners.through.objects.filter(action_id=OuterRef("pk"), user_id=user.pk)))
    who = Q(panel_id__in=seats) | owns
    if user.has_role(Role.PANEL_ADMINISTRATOR):
        who |= Q(panel__host_agency_id=user.agency_id)
    return Action.objects.filter(who, panel__partnership=agency_of(user).partnership, panel__is_active=True)


def get_action_for_user(
    *,
    user: User,
    pk: object,
    shape=None,
    need: Literal["view", "administer"] = "view",
    refusal: str | None = None,
):
    """The action with this id if the person may see it, else Http404 (missing and forbidden look
    the same); with need="administer", NotAllowed unless they administer its panel. `shape` may add
    select_related / prefetch_related; it must not widen the filter."""
    visible = actions_visible_to(user=user).select_related(
        "panel", "meeting", "agenda_item", "partner_agency"
    )
    if shape is not None:
        visible = shape(visible)
    action = visible.filter(pk=record_id(pk)).first()
    if action is None:
        raise Http404(NOT_FOUND_MESSAGE)
    require(user=user, panel=action.panel, need=need, refusal=refusal)
    return action


def can_update_action(*, user: User, action) -> bool:
    """seeds 003 "Updates": an action's owners add updates, and so do the panel's administrators."""
    if not is_usable(user):
        return False
    if can_administer(user=user, panel=action.panel):
        return True
    return action.owners.filter(pk=user.pk).exists()


# --- Minutes and decision letters (minutes/letters part) ------------------------------------------


def can_read_minutes(*, user: User, meeting: Meeting) -> bool:
    """A meeting's minutes are for the panel's members seated on the meeting day, its chair and its
    administrators (seeds 002, Joint Funding Panel 3.14: members receive the minutes)."""
    from panels.models import Membership

    if not is_usable(user):
        return False
    if can_administer(user=user, panel=meeting.panel):
        return True
    return Membership.objects.current(on=meeting.date).filter(panel=meeting.panel, person=user).exists()


def get_meeting_minutes_for_user(
    *,
    user: User,
    pk: object,
    need: Literal["view", "administer", "chair"] = "view",
    refusal: str | None = None,
) -> Meeting:
    """The meeting whose minutes the user may read: Http404 if they cannot see the panel at all,
    NotAllowed if they can see it but were not on it that day, or lack `need` (write: "administer",
    approve: "chair")."""
    meeting = get_meeting_for_user(user=user, pk=pk)
    if not can_read_minutes(user=user, meeting=meeting):
        raise NotAllowed(
            "Only the panel's members on the day of the meeting, its chair and administrators can read its minutes"
        )
    require(user=user, panel=meeting.panel, need=need, refusal=refusal)
    return meeting


def letters_visible_to(*, user: User | None):
    """Decision letters of referrals the user may see (referrals.access), or of panels of their
    partnership they administer: one SQL query, so an existing letter of someone else's costs the
    same as a missing one (bench/not_found_timing.py)."""
    from django.db.models import Q

    from panels.models import DecisionLetter

    if not is_usable(user):
        return DecisionLetter.objects.none()
    administered = administered_panels(user=user).filter(partnership=agency_of(user).partnership)
    return DecisionLetter.objects.filter(
        Q(decision__referral__in=referrals_visible_to(user=user))
        | Q(decision__agenda_item__meeting__panel__in=administered)
    )


def get_letter_for_user(
    *,
    user: User,
    pk: object,
    need: Literal["view", "administer"] = "view",
    refusal: str | None = None,
):
    """A decision letter for someone who may see its referral (referrals.access) or administers
    its panel; Http404 for anyone else, exactly as for a letter that does not exist. With
    need="administer" (changing it), NotAllowed unless they administer its panel."""
    letter = (
        letters_visible_to(user=user)
        .select_related("decision__agenda_item__meeting__panel", "decision__referral__child")
        .filter(pk=record_id(pk))
        .first()
    )
    if letter is None:
        raise Http404(NOT_FOUND_MESSAGE)
    require(user=user, panel=letter.decision.agenda_item.meeting.panel, need=need, refusal=refusal)
    return letter


# --- Papers (appended by the agenda part) ---------------------------------------------------------


def papers_grants_held(*, user: User | None, meeting: Meeting):
    """The papers grants this person holds for the meeting right now (seeds 002, Joint Funding Panel
    3.3: papers are not held longer than necessary). Revoked, not yet started or ended grants give
    nothing. The same rule as referrals.access.papers_granted."""
    from django.db.models import Q
    from django.utils import timezone

    from panels.models import PapersGrant

    if not is_usable(user):
        return PapersGrant.objects.none()
    now = timezone.now()
    return PapersGrant.objects.filter(
        person_id=user.pk, meeting_id=meeting.pk, starts_at__lte=now, revoked_at__isnull=True
    ).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))


def papers_visible_to(*, user: User | None) -> QuerySet[Meeting]:
    """Meetings whose papers this person holds an active grant for now. Administrators read any of
    their panels' papers: that is checked per meeting by can_read_papers."""
    from django.db.models import Exists, OuterRef, Q
    from django.utils import timezone

    from panels.models import PapersGrant

    if not is_usable(user):
        return Meeting.objects.none()
    now = timezone.now()
    held = PapersGrant.objects.filter(
        person_id=user.pk, meeting_id=OuterRef("pk"), starts_at__lte=now, revoked_at__isnull=True
    ).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    return meetings_visible_to(user=user).filter(Exists(held))


def can_read_papers(*, user: User | None, meeting: Meeting) -> bool:
    """The panel's administrators, and anyone holding an active papers grant for the meeting."""
    if not is_usable(user):
        return False
    return (
        can_administer(user=user, panel=meeting.panel)
        or papers_grants_held(user=user, meeting=meeting).exists()
    )


def get_agenda_item_for_meeting(*, meeting: Meeting, pk: object):
    """An item of this meeting's agenda (the caller fetched the meeting through this module, with
    its own check); Http404 for an id that is not one of the meeting's items."""
    from panels.models import AgendaItem

    item = (
        AgendaItem.objects.select_related("referral__child", "lead_member")
        .filter(meeting=meeting, pk=record_id(pk))
        .first()
    )
    if item is None:
        raise Http404(NOT_FOUND_MESSAGE)
    item.meeting = meeting
    return item


def get_declaration_for_meeting(*, meeting: Meeting, pk: object):
    """A declaration made at this meeting (the caller fetched the meeting through this module, with
    its own check), with its member; Http404 for an id that is not one of the meeting's."""
    from panels.models import Declaration

    found = (
        Declaration.objects.select_related("agenda_item__meeting__panel", "membership__person")
        .filter(agenda_item__meeting=meeting, pk=record_id(pk))
        .first()
    )
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def get_decision_for_meeting(*, meeting: Meeting, pk: object):
    """A decision (any version) made at this meeting, with its item, child and option (the caller
    fetched the meeting through this module); Http404 for an id that is not one of the meeting's."""
    from panels.models import Decision

    found = (
        Decision.objects.select_related(
            "agenda_item__meeting__panel", "agenda_item__referral__child", "referral__child", "option"
        )
        .filter(agenda_item__meeting=meeting, pk=record_id(pk))
        .first()
    )
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


def get_letter_for_meeting(*, meeting: Meeting, pk: object):
    """A decision letter of this meeting (the caller fetched the meeting through this module, with
    its own check), with its decision's child and referrer; Http404 for any other id."""
    from panels.models import DecisionLetter

    letter = (
        DecisionLetter.objects.select_related(
            "decision__agenda_item", "decision__referral__child", "decision__referral__referrer"
        )
        .filter(pk=record_id(pk), decision__agenda_item__meeting=meeting)
        .first()
    )
    if letter is None:
        raise Http404(NOT_FOUND_MESSAGE)
    letter.decision.agenda_item.meeting = meeting
    return letter


def can_read_whole_papers(*, user: User | None, meeting: Meeting) -> bool:
    """The whole meeting's papers, as the panel pack carries them: the panel's administrators and
    holders of a live meeting-wide grant (members until the end of the meeting day, the chair's
    copy). A lead member keeps only their own item after the meeting (seeds 002, Joint Funding
    Panel 3.3), so an item grant never opens the pack."""
    if not is_usable(user):
        return False
    return (
        can_administer(user=user, panel=meeting.panel)
        or papers_grants_held(user=user, meeting=meeting).filter(agenda_item__isnull=True).exists()
    )


def get_meeting_with_papers_for_user(*, user: User, pk: object) -> Meeting:
    """The meeting whose whole papers (its pack) this person may read now; Http404 otherwise, as
    for a meeting of another partnership (members lose the pack after the meeting)."""
    meeting = get_meeting_for_user(user=user, pk=pk)
    if not can_read_whole_papers(user=user, meeting=meeting):
        raise Http404(NOT_FOUND_MESSAGE)
    return meeting


def get_ready_pack_for_user(*, user: User, meeting_pk: object, version: object):
    """One ready version of a meeting's pack, for someone with the whole papers; else Http404."""
    from panels.models import MeetingPack, PackStatus

    meeting = get_meeting_with_papers_for_user(user=user, pk=meeting_pk)
    found = (
        MeetingPack.objects.filter(meeting=meeting, version=record_id(version), status=PackStatus.READY)
        .select_related("meeting")
        .first()
    )
    if found is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return found


# --- A meeting's running records by id (the API's /agenda-items/, /decisions/, /declarations/) -----


def _running_record(
    *, user: User, found, meeting: Meeting | None, referral_id: int | None, need: Literal["follow", "run"]
):
    """A record of how a meeting ran (an item, a declaration, a decision) by its id. Someone who
    may neither see the meeting's running nor the referral it is about gets the 404 of a missing
    one, even in the same partnership, so the id says nothing; NotAllowed (403) only for someone
    who may see the referral but not run or follow the meeting."""
    if found is None or meeting is None or not is_usable(user):
        raise Http404(NOT_FOUND_MESSAGE)
    follows = can_view_running(user=user, meeting=meeting)
    if (
        not follows
        and referral_id is not None
        and not referrals_visible_to(user=user).filter(pk=referral_id).exists()
    ):
        raise Http404(NOT_FOUND_MESSAGE)
    if need == "run" and not can_run_meeting(user=user, meeting=meeting):
        raise NotAllowed(REFUSALS["run"])
    if not follows:
        raise NotAllowed(REFUSALS["follow"])
    return found


def get_agenda_item_for_user(*, user: User, pk: object, need: Literal["follow", "run"] = "follow"):
    from panels.models import AgendaItem

    found = (
        AgendaItem.objects.filter(meeting__in=meetings_visible_to(user=user), pk=record_id(pk))
        .select_related("meeting__panel", "referral__child")
        .first()
    )
    return _running_record(
        user=user,
        found=found,
        meeting=found.meeting if found else None,
        referral_id=found.referral_id if found else None,
        need=need,
    )


def get_decision_for_user(*, user: User, pk: object, need: Literal["follow", "run"] = "follow"):
    from panels.models import Decision

    found = (
        Decision.objects.filter(agenda_item__meeting__in=meetings_visible_to(user=user), pk=record_id(pk))
        .select_related("agenda_item__meeting__panel", "agenda_item__referral__child")
        .first()
    )
    return _running_record(
        user=user,
        found=found,
        meeting=found.agenda_item.meeting if found else None,
        referral_id=found.referral_id if found else None,
        need=need,
    )


def get_declaration_for_user(*, user: User, pk: object, need: Literal["follow", "run"] = "follow"):
    from panels.models import Declaration

    found = (
        Declaration.objects.filter(agenda_item__meeting__in=meetings_visible_to(user=user), pk=record_id(pk))
        .select_related("agenda_item__meeting__panel")
        .first()
    )
    return _running_record(
        user=user,
        found=found,
        meeting=found.agenda_item.meeting if found else None,
        referral_id=found.agenda_item.referral_id if found else None,
        need=need,
    )
