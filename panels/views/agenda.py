"""Pages for a meeting's agenda (built by the chair and administrators) and its papers (read by the
members while their papers grant lasts). Thin: parse input, check access, call a service, render.

Meetings come only from panels.access (another partnership's meeting is 404 on every URL, before
the method is looked at); changing the agenda needs access.can_administer (else NotAllowed, 403);
a stale version raises InvalidTransition (the 409 page), except on the pages where something was
typed, which answer 409 themselves with the typing kept beside the agenda as it is now
(casework.stale). Buttons are POST forms: no JavaScript.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone

from casework import stale
from casework.access import NotAllowed
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from panels import access, services
from panels.forms.agenda import (
    AgendaAddReferralForm,
    AgendaLeadForm,
    AgendaMoveForm,
    AgendaOtherBusinessForm,
    AgendaVersionForm,
    AgendaWithdrawForm,
)
from panels.models import AgendaItem, AgendaItemKind, Meeting, MeetingStatus
from panels.selectors import (
    agenda_candidates,
    agenda_items,
    agenda_lead_choices,
    meeting_deadlines,
    open_actions_for_meeting,
    papers_window,
)
from panels.views.read_log import log_children
from referrals.access import get_referral_for_user

NOT_ADMIN = "Only the panel's chair or administrators can build the agenda"
NO_PAPERS = "The papers for this meeting are not available to you"


def _item(meeting: Meeting, item_pk: object) -> AgendaItem:
    return access.get_agenda_item_for_meeting(meeting=meeting, pk=item_pk)


def _agenda_conflict(request, pk, form, exc: InvalidTransition) -> stale.Conflict:
    """Someone else changed the agenda while this person filled in a form: what they typed stays,
    beside the agenda as it is now; while it can still change, with its new version to save over."""
    now = access.get_meeting_for_user(user=request.user, pk=pk)
    retry = isinstance(exc, stale.StaleEdit) and now.status == MeetingStatus.SCHEDULED
    listing = "\n".join(f"{i.position}. {i.title}" for i in agenda_items(meeting=now)) or "Nothing yet"
    return stale.conflict(
        form=form,
        message=str(exc),
        saved={},
        refresh={"version": now.version} if retry else None,
        saved_by=stale.last_saved(now),
        context=[("The agenda now", listing)],
    )


def log_agenda_read(request, items, *, channel: str) -> list[AgendaItem]:
    """The agenda's items (from agenda_items: referral and child joined), logged as a list of the
    children they name (issue 12), for the API's answers that carry the agenda."""
    items = list(items)
    log_children(request, [item.referral.child_id for item in items if item.referral_id], channel=channel)
    return items


def _agenda_url(meeting: Meeting, anchor: str = "") -> str:
    return reverse("panels:agenda", args=[meeting.pk]) + (f"#{anchor}" if anchor else "")


def _caption(meeting: Meeting) -> str:
    return f"{meeting.panel.name}, {meeting.date:%-d %B %Y}"


def _is_open(meeting: Meeting) -> bool:
    return meeting.status == MeetingStatus.SCHEDULED and meeting.date >= timezone.localdate()


def _circulation(meeting: Meeting, deadlines) -> dict:
    circulated_on = timezone.localdate(meeting.circulated_at) if meeting.circulated_at else None
    return {
        "deadlines": deadlines,
        "circulated_on": circulated_on,
        "circulated_late": bool(circulated_on and circulated_on > deadlines.circulation),
        "circulation_overdue": bool(
            not circulated_on and _is_open(meeting) and timezone.localdate() > deadlines.circulation
        ),
    }


# --- The agenda (administrators) -----------------------------------------------------------------


def agenda(request, pk):
    """The agenda as it stands, with what could go on it and the late papers waiting for the chair.

    Queries: session and user, the meeting with its panel, can_administer (membership), closure
    days, circulated-by user, the items with referral, child and lead member, the candidates
    (scoped by referrals.access) with their children, can_chair (membership), the lead choices.
    """
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])

    items = list(agenda_items(meeting=meeting, include_withdrawn=True))
    live = [item for item in items if item.withdrawn_at is None]
    candidates = list(agenda_candidates(user=request.user, meeting=meeting))
    late = [r for r in candidates if services.late_paper_awaiting_chair(referral=r)]
    ready = [r for r in candidates if not services.late_paper_awaiting_chair(referral=r)]
    log_children(
        request,
        [item.referral.child_id for item in items if item.referral_id] + [r.child_id for r in candidates],
    )
    return render(
        request,
        "panels/agenda/agenda.html",
        {
            "meeting": meeting,
            "panel": meeting.panel,
            "items": live,
            "withdrawn": [item for item in items if item.withdrawn_at is not None],
            "ready": ready,
            "late": late,
            "is_open": _is_open(meeting),
            "is_chair": access.can_chair(user=request.user, panel=meeting.panel),
            "circulated_by": meeting.circulated_by if meeting.circulated_by_id else None,
            **_circulation(meeting, meeting_deadlines(meeting)),
        },
    )


def agenda_build(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AgendaVersionForm(request.POST)
    if not form.is_valid():
        raise InvalidTransition(services.AGENDA_CHANGED)
    added = services.agenda_build(actor=request.user, meeting=meeting, version=form.cleaned_data["version"])
    count = len(added)
    messages.success(
        request,
        f"{count} item{'s' if count != 1 else ''} added to the agenda" if count else "Nothing new to add",
    )
    return redirect(_agenda_url(meeting, "agenda"))


def agenda_add_referral(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])

    # Late papers the chair has not accepted cannot go on (referral_place_on_agenda refuses them).
    referrals = [
        r
        for r in agenda_candidates(user=request.user, meeting=meeting)
        if not services.late_paper_awaiting_chair(referral=r)
    ]
    if request.method != "POST":  # the choices name each referral's child
        log_children(request, [referral.child_id for referral in referrals])
    form = AgendaAddReferralForm(
        request.POST or None,
        referrals=referrals,
        leads=agenda_lead_choices(meeting=meeting),
        initial={"version": meeting.version, "referral": request.GET.get("referral")},
    )

    def add(data) -> AgendaItem:
        return services.agenda_item_add_referral(
            actor=request.user,
            meeting=meeting,
            referral=get_referral_for_user(user=request.user, pk=data["referral"]),
            version=data["version"],
            lead_member=data["lead_member"],
        )

    return form_page(
        request,
        form=form,
        run=add,
        then=_agenda_url(meeting, "agenda"),
        message=lambda item: f"{item.title} added{' as a supplement' if item.is_supplement else ''}",
        conflict=lambda exc: _agenda_conflict(request, pk, form, exc),
        heading="Add a referral to the agenda",
        caption=_caption(meeting),
        intro=[
            "Referrals submitted to this meeting, and referrals deferred from an earlier meeting of "
            "the panel. A late paper can be added once the chair has accepted it."
            + (
                " The papers have been circulated: the item will be a supplement."
                if meeting.circulated_at
                else ""
            )
        ],
        back_url=_agenda_url(meeting),
        submit_label="Add to agenda",
    )


def agenda_add_other(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    form = AgendaOtherBusinessForm(request.POST or None, initial={"version": meeting.version})
    return form_page(
        request,
        form=form,
        run=lambda data: services.agenda_item_add_other(
            actor=request.user,
            meeting=meeting,
            version=data["version"],
            title=data["title"],
            description=data["description"],
        ),
        then=_agenda_url(meeting, "agenda"),
        message=lambda item: f"{item.title} added to the agenda",
        conflict=lambda exc: _agenda_conflict(request, pk, form, exc),
        heading="Add any other business",
        caption=_caption(meeting),
        back_url=_agenda_url(meeting),
        submit_label="Add to agenda",
    )


def agenda_item_move(request, pk, item_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    item = _item(meeting, item_pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = AgendaMoveForm(request.POST)
    if not form.is_valid():
        raise InvalidTransition(services.AGENDA_CHANGED)
    services.agenda_item_move(
        actor=request.user,
        item=item,
        version=form.cleaned_data["version"],
        direction=form.cleaned_data["direction"],
    )
    messages.success(request, f"{item.title} moved {form.cleaned_data['direction']}")
    return redirect(_agenda_url(meeting, "agenda"))


def agenda_item_withdraw(request, pk, item_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    item = _item(meeting, item_pk)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if item.withdrawn_at is not None:
        raise InvalidTransition("This item has already been withdrawn from the agenda")
    form = AgendaWithdrawForm(request.POST or None, initial={"version": meeting.version})
    return form_page(
        request,
        form=form,
        run=lambda data: services.agenda_item_withdraw(
            actor=request.user, item=item, version=data["version"], reason=data["reason"]
        ),
        then=_agenda_url(meeting, "agenda"),
        message=f"{item.title} withdrawn from the agenda",
        conflict=lambda exc: _agenda_conflict(request, pk, form, exc),
        heading=f"Withdraw {item.title}",
        caption=_caption(meeting),
        back_url=_agenda_url(meeting),
        submit_label="Withdraw item",
        warning=True,
    )


def agenda_item_lead(request, pk, item_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    item = _item(meeting, item_pk)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    form = AgendaLeadForm(
        request.POST or None,
        leads=agenda_lead_choices(meeting=meeting),
        initial={"version": meeting.version, "lead_member": item.lead_member_id},
    )
    return form_page(
        request,
        form=form,
        run=lambda data: services.agenda_item_set_lead(
            actor=request.user, item=item, version=data["version"], lead_member=data["lead_member"]
        ),
        then=_agenda_url(meeting, "agenda"),
        message=f"Lead member for {item.title} saved",
        conflict=lambda exc: _agenda_conflict(request, pk, form, exc),
        heading=f"Lead member for {item.title}",
        caption=_caption(meeting),
        back_url=_agenda_url(meeting),
        submit_label="Save lead member",
    )


def meeting_circulate(request, pk):
    """Confirm, then fix the agenda and circulate the papers to the members."""
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer", refusal=NOT_ADMIN)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if meeting.circulated_at is not None:
        raise InvalidTransition("The papers for this meeting have already been circulated")
    form = AgendaVersionForm(request.POST or None, initial={"version": meeting.version})
    done = form_step(
        request,
        form,
        lambda data: services.meeting_circulate(actor=request.user, meeting=meeting, version=data["version"]),
        message="Papers circulated to the panel's members",
        then=reverse("panels:papers", args=[meeting.pk]),
    )
    if done:
        return done
    deadlines = meeting_deadlines(meeting)
    count = agenda_items(meeting=meeting).count()
    today = timezone.localdate()
    timing = f"Papers are due to be circulated on {deadlines.circulation:%A %-d %B %Y}" + (
        ": circulating today is late." if today > deadlines.circulation else "."
    )
    return form_page(
        request,
        form=form,
        heading="Circulate the papers",
        caption=_caption(meeting),
        intro=[
            f"The agenda has {count} item{'s' if count != 1 else ''}. Circulating fixes it: items added "
            "later are shown as supplements.",
            "Every current member can read the papers until the end of the meeting day. The chair and "
            "vice-chair keep their copy, and each lead member keeps the papers for their item.",
            timing,
        ],
        back_url=_agenda_url(meeting),
        submit_label="Circulate papers",
    )


# --- The papers (members) --------------------------------------------------------------------------


def papers(request, pk):
    """The fixed agenda as members read it, each referral linking to its page, while their grant lasts.

    Queries: session and user, the meeting with its panel, the user's active grants, can_administer
    (membership), closure days, the items with referral, child and lead member.
    """
    meeting = access.get_meeting_for_user(user=request.user, pk=pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    window = papers_window(user=request.user, meeting=meeting)
    is_admin = access.can_administer(user=request.user, panel=meeting.panel)
    if not (window.any or is_admin):
        raise NotAllowed(NO_PAPERS)
    items = list(agenda_items(meeting=meeting))
    if not (window.whole_meeting or is_admin):
        items = [item for item in items if item.pk in window.items]
    # seeds 003: open actions carry forward to the action-log review item.
    reviews_actions = any(item.kind == AgendaItemKind.ACTION_LOG for item in items)
    open_actions = list(open_actions_for_meeting(meeting, user=request.user)) if reviews_actions else []
    log_children(
        request,
        [item.referral.child_id for item in items if item.referral_id]
        + [action.child_pk for action in open_actions],
    )
    return render(
        request,
        "panels/agenda/papers.html",
        {
            "meeting": meeting,
            "panel": meeting.panel,
            "items": items,
            "window": window,
            "is_admin": is_admin,
            "referral_kind": AgendaItemKind.REFERRAL,
            "reviews_actions": reviews_actions,
            "open_actions": open_actions,
            **_circulation(meeting, meeting_deadlines(meeting)),
        },
    )


urlpatterns = [
    path("meetings/<str:pk>/agenda/", agenda, name="agenda"),
    path("meetings/<str:pk>/agenda/build/", agenda_build, name="agenda_build"),
    path("meetings/<str:pk>/agenda/add-referral/", agenda_add_referral, name="agenda_add_referral"),
    path("meetings/<str:pk>/agenda/add-other-business/", agenda_add_other, name="agenda_add_other"),
    path("meetings/<str:pk>/agenda/items/<str:item_pk>/move/", agenda_item_move, name="agenda_item_move"),
    path(
        "meetings/<str:pk>/agenda/items/<str:item_pk>/withdraw/",
        agenda_item_withdraw,
        name="agenda_item_withdraw",
    ),
    path("meetings/<str:pk>/agenda/items/<str:item_pk>/lead/", agenda_item_lead, name="agenda_item_lead"),
    path("meetings/<str:pk>/agenda/circulate/", meeting_circulate, name="meeting_circulate"),
    path("meetings/<str:pk>/papers/", papers, name="papers"),
]
