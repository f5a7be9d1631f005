"""Pages for panels and their meetings, under /panels/. Thin: parse input, check access, call a
service, render.

Panels and meetings are fetched only through panels/access.py (another partnership's panel is a
404 on every URL); admin actions need access.can_administer (else NotAllowed, the 403 page); a
stale meeting version raises InvalidTransition (the 409 page). Both are mapped in
config.middleware.DomainErrorMiddleware.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.http.request import split_domain_port
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from casework import stale
from casework.access import NOT_FOUND_MESSAGE
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from panels import access, ics, services
from panels.cadence import describe
from panels.forms import (
    ClosureDayForm,
    GenerateMeetingsForm,
    MeetingCancelForm,
    MeetingFilterForm,
    MeetingMoveForm,
    MeetingScheduleForm,
    MembershipEndForm,
    MembershipForm,
    PanelNewForm,
    PanelSettingsForm,
)
from panels.models import Meeting, MeetingStatus, Panel
from panels.selectors import (
    closures_by_panel,
    host_agency_choices,
    meeting_as_saved,
    meeting_deadlines,
    open_seats,
    panel_closure_days,
    panel_seats,
    panels_by_name,
    panels_with_next_meeting,
    quorum_agencies,
    seatable_people,
    upcoming_meetings,
    upcoming_meetings_for,
)
from referrals import selectors as referral_selectors

PAGE_SIZE = 25
# The panel page shows the next year of a monthly panel; the meetings list has the rest.
PANEL_PAGE_MEETINGS = 12


def _not_allowed(request) -> HttpResponseNotAllowed | None:
    """Pages about one panel or meeting check access before the method, so an outsider's POST is
    the same 404 as their GET rather than a 405 that would confirm the record exists."""
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET", "HEAD"])


def _panel_url(panel: Panel, anchor: str = "") -> str:
    return reverse("panels:detail", args=[panel.pk]) + (f"#{anchor}" if anchor else "")


def _a_year_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


# --- Panels --------------------------------------------------------------------------------------


@require_GET
def panel_list(request):
    panels = panels_with_next_meeting(user=request.user, today=timezone.localdate())
    page = Paginator(panels, PAGE_SIZE).get_page(request.GET.get("page"))
    for panel in page:
        panel.cadence_words = describe(panel)
    return render(
        request,
        "panels/panel_list.html",
        {"page": page, "can_create": access.can_create_panel(user=request.user)},
    )


def panel_detail(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk)
    if refused := _not_allowed(request):
        return refused
    today = timezone.localdate()
    closures = panel_closure_days(panel=panel)
    closed = frozenset(c.day for c in closures)
    meetings = list(upcoming_meetings(panel=panel, today=today)[:PANEL_PAGE_MEETINGS])
    for meeting in meetings:
        meeting.panel = panel  # already loaded: no query per meeting
        meeting.deadlines = meeting_deadlines(meeting, closures=closed)
    members = panel_seats(panel=panel)
    return render(
        request,
        "panels/panel_detail.html",
        {
            "panel": panel,
            "cadence_words": describe(panel),
            "review_overdue": bool(
                panel.terms_of_reference_review_date and panel.terms_of_reference_review_date < today
            ),
            "quorum_agencies": quorum_agencies(panel=panel),
            "members": list(members),
            "closures": closures,
            "meetings": meetings,
            "today": today,
            "can_administer": access.can_administer(user=request.user, panel=panel),
            "can_manage": access.can_manage_panel(user=request.user, panel=panel),
        },
    )


@require_http_methods(["GET", "POST"])
def panel_new(request):
    """A new panel of the partnership, then its settings page for the terms and cadence."""
    if not access.can_create_panel(user=request.user):
        raise Http404(NOT_FOUND_MESSAGE)
    hosts = host_agency_choices(user=request.user)
    form = PanelNewForm(request.POST or None, hosts=hosts)
    done = form_step(
        request,
        form,
        lambda data: services.panel_create(actor=request.user, **data),
        message=lambda panel: f"{panel.name} added: now set its terms of reference and cadence",
        then=lambda panel: reverse("panels:settings", args=[panel.pk]),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add a panel",
        caption=request.user.agency.partnership,
        intro=[
            "Next you set its terms of reference, when it meets, its deadlines and its quorum, then its members."
        ],
        back_url=reverse("panels:list"),
        submit_label="Add panel",
    )


@require_http_methods(["GET", "POST"])
def panel_settings(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="manage")
    form = PanelSettingsForm(request.POST or None, panel=panel)
    done = form_step(
        request,
        form,
        lambda data: services.panel_update_settings(
            actor=request.user,
            panel=panel,
            fields=form.service_fields(),
            quorum_agencies=list(data["quorum_agencies"]),
        ),
        message="Panel settings saved",
        then=reverse("panels:detail", args=[panel.pk]),
    )
    if done:
        return done
    return render(request, "panels/settings_form.html", {"panel": panel, "form": form})


@require_http_methods(["GET", "POST"])
def member_add(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="manage")
    # A partnership administrator seats others, never themselves (services.membership_add).
    may_seat_self = access.can_administer(user=request.user, panel=panel)
    people = seatable_people(panel=panel, other_than=None if may_seat_self else request.user)
    seats = open_seats(panel=panel)
    form = MembershipForm(request.POST or None, people=people, seats=seats)
    done = form_step(
        request,
        form,
        lambda data: services.membership_add(
            actor=request.user,
            panel=panel,
            person=data["person"],
            role=data["role"],
            starts_on=data["starts_on"],
            deputy_for=data["deputy_for"],
        ),
        message=lambda seat: f"{seat.person.full_name or seat.person.email} added to the panel",
        then=_panel_url(panel, "members"),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add a member",
        caption=panel.name,
        intro=["Members come from the agencies of the panel's partnership and sit for their own agency."],
        back_url=_panel_url(panel, "members"),
        submit_label="Add member",
    )


@require_http_methods(["GET", "POST"])
def member_end(request, pk, membership_pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="manage")
    seat = access.get_seat_for_panel(panel=panel, pk=membership_pk)
    if seat.ends_on is not None:
        raise InvalidTransition("This membership has already ended")
    form = MembershipEndForm(request.POST or None)
    name = seat.person.full_name or seat.person.email
    done = form_step(
        request,
        form,
        lambda data: services.membership_end(actor=request.user, membership=seat, ends_on=data["ends_on"]),
        message=f"{name}'s membership has ended",
        then=_panel_url(panel, "members"),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"End {name}'s membership",
        caption=panel.name,
        back_url=_panel_url(panel, "members"),
        submit_label="End membership",
        warning=True,
    )


@require_http_methods(["GET", "POST"])
def closure_day_add(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="manage")
    form = ClosureDayForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.closure_day_add(
            actor=request.user, panel=panel, day=data["day"], reason=data["reason"]
        ),
        message=lambda closure: f"{closure.day:%-d %B %Y} added as a closure day",
        then=_panel_url(panel, "closure-days"),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add a closure day",
        caption=panel.name,
        intro=[
            "Deadlines are not counted on closure days, and meetings generated from the cadence "
            "move to the next working day. Meetings already scheduled stay where they are."
        ],
        back_url=_panel_url(panel, "closure-days"),
        submit_label="Add closure day",
    )


@require_http_methods(["GET", "POST"])
def closure_day_remove(request, pk, closure_pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="manage")
    closure = access.get_closure_day_for_panel(panel=panel, pk=closure_pk)
    if request.method == "POST":
        services.closure_day_remove(actor=request.user, closure=closure)
        messages.success(request, f"{closure.day:%-d %B %Y} is no longer a closure day")
        return redirect(_panel_url(panel, "closure-days"))
    return form_page(
        request,
        form=None,
        heading=f"Remove {closure.day:%-d %B %Y} as a closure day?",
        caption=panel.name,
        intro=["Deadlines will count it as a working day again."],
        back_url=_panel_url(panel, "closure-days"),
        submit_label="Remove",
        warning=True,
    )


def _scheduled(made: list) -> str:
    count = len(made)
    return f"{count} meeting{'s' if count != 1 else ''} scheduled" if count else "No new meetings to schedule"


@require_http_methods(["GET", "POST"])
def meetings_generate(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="administer")
    form = GenerateMeetingsForm(request.POST or None, initial={"until": _a_year_after(timezone.localdate())})
    done = form_step(
        request,
        form,
        lambda data: services.meetings_generate(actor=request.user, panel=panel, until=data["until"]),
        message=_scheduled,
        then=_panel_url(panel, "meetings"),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Generate meetings",
        caption=panel.name,
        intro=[f"Meetings are scheduled from the panel's cadence: {describe(panel)}."],
        back_url=_panel_url(panel, "meetings"),
        submit_label="Generate meetings",
    )


@require_http_methods(["GET", "POST"])
def meeting_schedule(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="administer")
    form = MeetingScheduleForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.meeting_schedule(
            actor=request.user,
            panel=panel,
            date=data["date"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
            location=data["location"],
            in_the_past=data["in_the_past"],
        ),
        message=lambda meeting: f"Meeting scheduled for {meeting.date:%-d %B %Y}",
        then=lambda meeting: reverse("panels:meeting", args=[meeting.pk]),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Schedule a meeting",
        caption=panel.name,
        intro=["For a one-off or extra meeting. Regular meetings can be generated from the cadence."],
        back_url=_panel_url(panel, "meetings"),
        submit_label="Schedule meeting",
    )


# --- Meetings ------------------------------------------------------------------------------------


@require_GET
def meeting_list(request):
    """Upcoming meetings of the panels this person can see, soonest first."""
    panels = panels_by_name(user=request.user)
    form = MeetingFilterForm(request.GET or None, panels=panels)
    chosen = form.cleaned_data["panel"] if form.is_bound and form.is_valid() else None
    meetings = upcoming_meetings_for(user=request.user, panel=chosen)
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    closures = closures_by_panel(panel_ids={meeting.panel_id for meeting in page})
    for meeting in page:
        meeting.deadlines = meeting_deadlines(meeting, closures=closures[meeting.panel_id])
    return render(request, "panels/meeting_list.html", {"page": page, "form": form, "chosen": chosen})


def meeting_detail(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk)
    if refused := _not_allowed(request):
        return refused
    administers = access.can_administer(user=request.user, panel=meeting.panel)
    # The papers and the chair's page follow the papers grants (panels/access.py); the pack needs a
    # grant for the whole meeting, not only a lead member's item.
    grants = [] if administers else list(access.papers_grants_held(user=request.user, meeting=meeting))
    has_papers = administers or bool(grants)
    has_whole_papers = administers or any(grant.agenda_item_id is None for grant in grants)
    return render(
        request,
        "panels/meeting_detail.html",
        {
            "meeting": meeting,
            "panel": meeting.panel,
            "deadlines": meeting_deadlines(meeting),
            "is_scheduled": meeting.status == MeetingStatus.SCHEDULED,
            "can_administer": administers,
            "has_papers": has_papers,
            "has_whole_papers": has_whole_papers,
            "can_read_minutes": administers or access.can_read_minutes(user=request.user, meeting=meeting),
            "can_see_referrals": referral_selectors.can_see_panel_lists(user=request.user),
        },
    )


def _changeable(request, pk) -> Meeting:
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="administer")
    if meeting.status != MeetingStatus.SCHEDULED:
        raise InvalidTransition(
            f"This meeting is {meeting.get_status_display().lower()}, so it cannot be changed"
        )
    return meeting


def _meeting_conflict(form, exc: InvalidTransition, meeting: Meeting) -> stale.Conflict:
    """Someone moved or cancelled the meeting while this person was changing it: keep what they
    typed beside the saved meeting, with a fresh version so a second save goes through (if the
    meeting is still scheduled)."""
    saved = meeting_as_saved(meeting=meeting)
    return stale.conflict(
        form=form,
        message=str(exc),
        saved={
            "date": saved.date,
            "starts_at": saved.starts_at,
            "ends_at": saved.ends_at,
            "reason": saved.change_reason,
        },
        refresh={"version": saved.version} if saved.status == MeetingStatus.SCHEDULED else None,
        saved_by=stale.last_saved(saved),
        context=[("Status", saved.get_status_display())],
    )


@require_http_methods(["GET", "POST"])
def meeting_move(request, pk):
    # A POST reaches the service even if the meeting changed meanwhile: its refusal keeps the typing.
    meeting = (
        _changeable(request, pk)
        if request.method == "GET"
        else access.get_meeting_for_user(user=request.user, pk=pk, need="administer")
    )
    form = MeetingMoveForm(request.POST or None, initial={"version": meeting.version})
    return form_page(
        request,
        form=form,
        run=lambda data: services.meeting_move(
            actor=request.user,
            meeting=meeting,
            version=data["version"],
            date=data["date"],
            reason=data["reason"],
            starts_at=data["starts_at"],
            ends_at=data["ends_at"],
        ),
        then=lambda moved: reverse("panels:meeting", args=[moved.pk]),
        message=lambda moved: f"Meeting moved to {moved.date:%-d %B %Y}",
        conflict=lambda exc: _meeting_conflict(form, exc, meeting),
        heading="Move this meeting",
        caption=f"{meeting.panel.name}, {meeting.date:%-d %B %Y}",
        intro=["Referrals submitted to this meeting move with it."],
        back_url=reverse("panels:meeting", args=[meeting.pk]),
        submit_label="Move meeting",
    )


@require_http_methods(["GET", "POST"])
def meeting_cancel(request, pk):
    meeting = (
        _changeable(request, pk)
        if request.method == "GET"
        else access.get_meeting_for_user(user=request.user, pk=pk, need="administer")
    )
    form = MeetingCancelForm(request.POST or None, initial={"version": meeting.version})
    return form_page(
        request,
        form=form,
        run=lambda data: services.meeting_cancel(
            actor=request.user, meeting=meeting, version=data["version"], reason=data["reason"]
        ),
        then=reverse("panels:meeting", args=[meeting.pk]),
        message="Meeting cancelled",
        conflict=lambda exc: _meeting_conflict(form, exc, meeting),
        heading="Cancel this meeting",
        caption=f"{meeting.panel.name}, {meeting.date:%-d %B %Y}",
        back_url=reverse("panels:meeting", args=[meeting.pk]),
        submit_label="Cancel meeting",
        warning=True,
    )


def meeting_calendar(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk)
    if refused := _not_allowed(request):
        return refused
    body = ics.meeting_ics(
        meeting=meeting,
        host=split_domain_port(request.get_host())[0],
        url=request.build_absolute_uri(reverse("panels:meeting", args=[meeting.pk])),
        now=timezone.now(),
    )
    response = HttpResponse(body.encode("utf-8"), content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.pk}.ics"'
    return response
