"""The chair's page that runs a meeting, and absent agencies' recommendations. Thin: parse input,
check access, call a service, render.

The meeting comes from panels/access.py (another partnership's meeting is a 404 on every URL,
for every method). The page is seen by the chair, vice-chair and administrators, who record
attendance, declarations and draft decisions, and by members holding the meeting's papers; only
the chair or vice-chair signs. Run the meeting is the agenda with each item's state, the live quorum
and attendance; each item has its own page (previous and next items, its papers, CETR, declarations
and decision). Each form posts to its own URL and returns to the item's page; on a problem the
item's page (or, for attendance, the agenda page) is shown again with that form's errors next to its
fields and the typing kept.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone

from casework import stale
from casework.access import NOT_FOUND_MESSAGE, NotAllowed
from casework.audit import record_child_view, record_child_views
from casework.forms import add_service_errors
from casework.models import Agency
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from panels import access, selectors, services
from panels.forms.running import (
    AttendanceForm,
    CorrectionForm,
    DecisionForm,
    DeclarationCorrectionForm,
    DeclarationForm,
    RecommendationResponseForm,
)
from panels.models import AgendaItem, AgendaItemKind, DecisionStatus, Meeting
from panels.views.read_log import log_children

PAGE_SIZE = 25


def _methods(request, allowed: tuple[str, ...]) -> HttpResponseNotAllowed | None:
    """Checked after access, so an outsider's wrong method is the same 404 as their right one."""
    return None if request.method in allowed else HttpResponseNotAllowed(list(allowed))


GET = ("GET", "HEAD")
POST = ("POST",)
GET_POST = ("GET", "HEAD", "POST")


def _item(meeting: Meeting, item_pk: object) -> AgendaItem:
    return access.get_agenda_item_for_meeting(meeting=meeting, pk=item_pk)


def _run_url(meeting: Meeting, anchor: str = "") -> str:
    return reverse("panels:run_meeting", args=[meeting.pk]) + (f"#{anchor}" if anchor else "")


def _partnership_agencies(meeting: Meeting) -> list[Agency]:
    return list(selectors.panel_agencies(panel=meeting.panel))


def _item_url(meeting: Meeting, item_pk: int, anchor: str = "") -> str:
    """The item's own page of Run the meeting, where every form of the item returns."""
    return reverse("panels:run_item", args=[meeting.pk, item_pk]) + (f"#{anchor}" if anchor else "")


def _log_child_views(request, page: selectors.RunningPage) -> None:
    """Each child whose summary the page shows is logged as viewed (one insert for the page)."""
    children = [v.item.referral.child for v in page.items if v.item.referral_id]
    record_child_views(user=request.user, children=children, channel="page", path=request.path)


def _render_run(request, meeting: Meeting, *, attendance_form=None):
    """The top of the chair's page: the live quorum, attendance, and the agenda with each item's
    state, each linking to the item's own page. The agenda names the children (a list view)."""
    page = selectors.running_overview(meeting)
    can_run = access.can_run_meeting(user=request.user, meeting=meeting)
    log_children(request, [line.item.referral.child_id for line in page.lines if line.item.referral_id])
    return render(
        request,
        "panels/running/run_meeting.html",
        {
            "meeting": meeting,
            "panel": meeting.panel,
            "page": page,
            "can_run": can_run,
            "is_open": meeting.status != "cancelled",
            "attendance_form": attendance_form
            or (AttendanceForm(members=page.members, attendance=page.attendance) if can_run else None),
            "today": timezone.localdate(),
            "error_form": attendance_form if attendance_form is not None and attendance_form.errors else None,
        },
    )


def _render_item(
    request,
    meeting: Meeting,
    item: AgendaItem,
    *,
    bound: dict | None = None,
    conflict: stale.Conflict | None = None,
):
    """One item's page: its summary and papers, CETR, declarations and decision, with the decision
    form closed until the chair opens it (open again with errors or a stale edit). `bound` holds
    the item's bound forms {"decision": form, "declaration": form}; `conflict`, a stale edit of the
    item's draft decision, is answered with 409."""
    if item.withdrawn_at is not None:
        raise Http404(NOT_FOUND_MESSAGE)
    bound = bound or {}
    page = selectors.running_item_page(meeting, item_pk=item.pk)
    view = page.items[0]
    can_run = access.can_run_meeting(user=request.user, meeting=meeting)
    can_sign = access.can_chair(user=request.user, panel=meeting.panel)
    if can_run and view.item.kind == AgendaItemKind.REFERRAL:
        view.declaration_form = bound.get("declaration") or DeclarationForm(
            members=page.members, prefix=f"item-{item.pk}-dec"
        )
        if view.decision is None or view.decision.status == DecisionStatus.DRAFT:
            view.form = bound.get("decision") or DecisionForm(
                options=[o.option for o in view.options],
                agencies=_partnership_agencies(meeting),
                decision=view.decision,
                prefix=f"item-{item.pk}",
            )
    _log_child_views(request, page)
    error_forms = [f for f in bound.values() if f is not None and f.errors]
    previous, following = page.neighbours(view.item)
    line = next((line for line in page.lines if line.item.pk == item.pk), None)
    return render(
        request,
        "panels/running/run_item.html",
        {
            "meeting": meeting,
            "panel": meeting.panel,
            "page": page,
            "view": view,
            "line": line,
            "position": [line.item.pk for line in page.lines].index(item.pk) + 1,
            "previous": previous,
            "next": following,
            "can_run": can_run,
            "can_sign": can_sign,
            "is_open": meeting.status != "cancelled",
            "today": timezone.localdate(),
            "error_form": error_forms[0] if error_forms else None,
            "stale": conflict,
        },
        status=409 if conflict else 200,
    )


def run_meeting(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
    if refused := _methods(request, GET):
        return refused
    return _render_run(request, meeting)


def run_item(request, pk, item_pk):
    """One agenda item of Run the meeting, with links to the items before and after it."""
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
    item = _item(meeting, item_pk)
    if refused := _methods(request, GET):
        return refused
    return _render_item(request, meeting, item)


def run_attendance(request, pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
    if refused := _methods(request, POST):
        return refused
    members = list(selectors.meeting_members(meeting))
    attendance = {row.membership_id: row for row in selectors.meeting_attendance(meeting=meeting)}
    form = AttendanceForm(request.POST, members=members, attendance=attendance)
    if form.is_valid():
        seats = {m.pk: m for m in members}
        for seat, status, deputy in form.changes(attendance):
            try:
                services.attendance_record(
                    actor=request.user,
                    meeting=meeting,
                    membership=seat,
                    status=status,
                    deputy_for=seats.get(deputy) if deputy else None,
                )
            except ValidationError as exc:
                for field, problems in (
                    exc.message_dict.items() if hasattr(exc, "error_dict") else [("", exc.messages)]
                ):
                    target = (
                        f"deputy_{seat.pk}"
                        if field == "deputy_for" and f"deputy_{seat.pk}" in form.fields
                        else f"status_{seat.pk}"
                    )
                    for problem in problems:
                        form.add_error(target, problem)
        if not form.errors:
            messages.success(request, "Attendance saved")
            return redirect(_run_url(meeting, "attendance"))
    return _render_run(request, meeting, attendance_form=form)


def run_declaration(request, pk, item_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
    item = _item(meeting, item_pk)
    if refused := _methods(request, POST):
        return refused
    members = list(selectors.meeting_members(meeting))
    form = DeclarationForm(request.POST, members=members, prefix=f"item-{item.pk}-dec")
    if form.is_valid():
        seat = next((m for m in members if m.pk == form.cleaned_data["membership"]), None)
        if seat is None:
            form.add_error("membership", "Choose a member of this panel")
        else:
            try:
                services.declaration_record(
                    actor=request.user,
                    agenda_item=item,
                    membership=seat,
                    interest=form.cleaned_data["interest"],
                    action=form.cleaned_data["action"],
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Declaration recorded")
                return redirect(_item_url(meeting, item.pk, "declarations"))
    return _render_item(request, meeting, item, bound={"declaration": form})


def run_declaration_remove(request, pk, declaration_pk):
    """Before the item's decision is signed only: after it, the service's 409 says who signed and
    when, and the page offers a correction instead (declarations are append-only, issue 13)."""
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
    declaration = access.get_declaration_for_meeting(meeting=meeting, pk=declaration_pk)
    if refused := _methods(request, POST):
        return refused
    services.declaration_remove(actor=request.user, declaration=declaration)
    messages.success(request, "Declaration removed")
    return redirect(_item_url(meeting, declaration.agenda_item_id, "declarations"))


def run_declaration_correct(request, pk, declaration_pk):
    """Correct a declaration with a new entry that names it; the entry it corrects is kept."""
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
    declaration = access.get_declaration_for_meeting(meeting=meeting, pk=declaration_pk)
    if refused := _methods(request, GET_POST):
        return refused
    form = DeclarationCorrectionForm(
        request.POST if request.method == "POST" else None,
        initial={"interest": declaration.interest, "action": declaration.action},
    )
    done = form_step(
        request,
        form,
        lambda data: services.declaration_correct(
            actor=request.user,
            declaration=declaration,
            reason=data["reason"],
            interest=data["interest"] or None,
            action=data["action"] or None,
            withdraw=data["withdraw"],
        ),
        message=lambda _: (
            "Declaration withdrawn" if form.cleaned_data["withdraw"] else "Declaration corrected"
        ),
        then=_item_url(meeting, declaration.agenda_item_id, "declarations"),
    )
    if done:
        return done
    member = declaration.membership.person.full_name
    return form_page(
        request,
        form=form,
        heading=f"Correct {member}'s declaration",
        caption=f"{meeting.panel.name}, item {declaration.agenda_item.position}",
        intro=[
            f"Recorded: {declaration.interest} ({declaration.get_action_display().lower()}).",
            "The entry as recorded is kept in the meeting's record; your correction is added after it.",
        ],
        back_url=_item_url(meeting, declaration.agenda_item_id, "declarations"),
        submit_label="Save correction",
    )


def _decision_form(request, meeting: Meeting, item: AgendaItem, form_class=DecisionForm, **kwargs):
    options = selectors.referral_options(agenda_item=item)
    return form_class(
        request.POST if request.method == "POST" else None,
        options=options,
        agencies=_partnership_agencies(meeting),
        **kwargs,
    )


def run_decision(request, pk, item_pk):
    """Record the item's decision as a draft, or save changes to its draft."""
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
    item = _item(meeting, item_pk)
    if refused := _methods(request, POST):
        return refused
    form = _decision_form(request, meeting, item, prefix=f"item-{item.pk}")
    bound = {"decision": form}
    draft = None
    if form.is_valid():
        if form.cleaned_data.get("decision"):
            draft = selectors.decision_of_item(agenda_item=item, pk=form.cleaned_data["decision"])
            if draft is None:
                raise Http404(NOT_FOUND_MESSAGE)
        if draft is not None and not draft.is_locked and not form.cleaned_data.get("seen_fingerprint"):
            # An edit of a draft says which draft it was made over (issue 13): never saved blind.
            form.add_error(None, stale.NOT_SEEN)
            return _render_item(request, meeting, item, bound=bound)

    def record(data):
        fields, shares = form.service_fields()
        return services.decision_record(
            actor=request.user,
            agenda_item=item,
            fields=fields,
            shares=shares,
            decision=draft,
            seen_fingerprint=data.get("seen_fingerprint") or None,
        )

    done = form_step(
        request,
        form,
        record,
        then=_item_url(meeting, item.pk, "decision"),
        message=f"Draft decision saved for item {item.position}",
        stale_page=lambda exc: _render_item(
            request, meeting, item, bound=bound, conflict=_conflict(item, form, exc)
        ),
    )
    return done or _render_item(request, meeting, item, bound=bound)


def _conflict(item: AgendaItem, form: DecisionForm, exc: InvalidTransition) -> stale.Conflict:
    """Someone else saved (or signed) the item's decision while this person typed a draft: their
    typing stays, beside the decision as saved; while it is still a draft, the form carries that
    draft's id and fingerprint so a second save is over it."""
    current = selectors.decision_being_edited(agenda_item=item)
    retry = current is not None and current.status == DecisionStatus.DRAFT
    return stale.conflict(
        form=form,
        message=str(exc),
        saved=DecisionForm._initial(form.options, current) if current is not None else {},
        refresh={"decision": current.pk, "seen_fingerprint": services.draft_fingerprint(current)}
        if retry
        else None,
        saved_by=stale.last_saved(current) if current is not None else ("", None),
        context=[("Status", current.get_status_display())] if current is not None else [],
        anchor=f"item-{item.pk}-stale-edit",
    )


def run_decision_sign(request, pk, decision_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="follow")
    decision = access.get_decision_for_meeting(meeting=meeting, pk=decision_pk)
    if refused := _methods(request, POST):
        return refused
    try:
        services.decision_sign(actor=request.user, decision=decision)
    except ValidationError as exc:
        for problem in exc.messages:
            messages.error(request, problem)
        return redirect(_item_url(meeting, decision.agenda_item_id, "decision"))
    made = selectors.recommendations_made(decision=decision)
    messages.success(
        request,
        "Decision signed"
        + (
            f": {made} absent agenc{'ies' if made != 1 else 'y'} must answer the recommendation"
            if made
            else ""
        ),
    )
    return redirect(_item_url(meeting, decision.agenda_item_id, "decision"))


def run_decision_correct(request, pk, decision_pk):
    meeting = access.get_meeting_for_user(user=request.user, pk=pk, need="run")
    decision = access.get_decision_for_meeting(meeting=meeting, pk=decision_pk)
    if refused := _methods(request, GET_POST):
        return refused
    if decision.status != DecisionStatus.SIGNED:
        raise InvalidTransition("Only the signed decision can be corrected")
    item = decision.agenda_item
    form = _decision_form(request, meeting, item, form_class=CorrectionForm, decision=decision)

    def correct(data):
        fields, shares = form.service_fields()
        return services.decision_correct(
            actor=request.user,
            decision=decision,
            reason=data["correction_reason"],
            fields=fields,
            shares=shares,
        )

    done = form_step(
        request,
        form,
        correct,
        message="Correction saved as a draft: the chair must sign it",
        then=_item_url(meeting, item.pk, "decision"),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"Correct the decision on item {item.position}",
        caption=f"{meeting.panel.name}, {meeting.date:%-d %B %Y}",
        intro=[
            "The signed decision is kept as it is and marked superseded. The correction is a new "
            "version that the chair or vice-chair must sign."
        ],
        back_url=_item_url(meeting, item.pk, "decision"),
        submit_label="Save correction",
    )


# --- Absent agencies' recommendations --------------------------------------------------------------


def recommendation_list(request):
    """My agency's recommendations to answer (and those of the panels I administer): awaiting first."""
    found = selectors.my_recommendations(user=request.user)
    page = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    for recommendation in page:
        recommendation.overdue = selectors.is_overdue(recommendation, today)
    log_children(request, [r.decision.referral.child_id for r in page if r.decision.referral_id])
    return render(request, "panels/running/recommendation_list.html", {"page": page, "today": today})


def recommendation_respond(request, pk):
    recommendation = access.get_recommendation_for_user(user=request.user, pk=pk)
    if refused := _methods(request, GET_POST):
        return refused
    can_respond = access.can_respond_to_recommendation(user=request.user, recommendation=recommendation)
    form = RecommendationResponseForm(request.POST or None) if can_respond else None
    if request.method == "POST" and not can_respond:
        raise NotAllowed("Only a manager, finance approver or panel member of that agency can answer this")
    done = can_respond and form_step(
        request,
        form,
        lambda data: services.recommendation_respond(
            actor=request.user,
            recommendation=recommendation,
            accept=data["answer"] == "accept",
            reason=data["reason"],
        ),
        message="Your agency's answer has been recorded",
        then=reverse("panels:recommendations"),
    )
    if done:
        return done
    decision = recommendation.decision
    if decision.referral_id:
        record_child_view(user=request.user, child=decision.referral.child, channel="page", path=request.path)
    return render(
        request,
        "panels/running/recommendation_respond.html",
        {
            "recommendation": recommendation,
            "decision": decision,
            "shares": selectors.decision_share_lines(decision=decision),
            "form": form if recommendation.status == "awaiting" else None,
            "can_chase": recommendation.status == "awaiting"
            and access.can_administer(user=request.user, panel=decision.agenda_item.meeting.panel),
            "overdue": selectors.is_overdue(recommendation),
        },
    )


def recommendation_chase(request, pk):
    recommendation = access.get_recommendation_for_user(user=request.user, pk=pk)
    if refused := _methods(request, POST):
        return refused
    services.recommendation_chase(actor=request.user, recommendation=recommendation)
    messages.success(request, f"{recommendation.agency.name} has been reminded")
    return redirect("panels:recommendation_respond", pk=recommendation.pk)


urlpatterns = [
    path("meetings/<str:pk>/run/", run_meeting, name="run_meeting"),
    path("meetings/<str:pk>/run/attendance/", run_attendance, name="run_attendance"),
    path("meetings/<str:pk>/run/items/<str:item_pk>/", run_item, name="run_item"),
    path("meetings/<str:pk>/run/items/<str:item_pk>/declarations/", run_declaration, name="run_declaration"),
    path(
        "meetings/<str:pk>/run/declarations/<str:declaration_pk>/remove/",
        run_declaration_remove,
        name="run_declaration_remove",
    ),
    path(
        "meetings/<str:pk>/run/declarations/<str:declaration_pk>/correct/",
        run_declaration_correct,
        name="run_declaration_correct",
    ),
    path("meetings/<str:pk>/run/items/<str:item_pk>/decision/", run_decision, name="run_decision"),
    path(
        "meetings/<str:pk>/run/decisions/<str:decision_pk>/sign/", run_decision_sign, name="run_decision_sign"
    ),
    path(
        "meetings/<str:pk>/run/decisions/<str:decision_pk>/correct/",
        run_decision_correct,
        name="run_decision_correct",
    ),
    path("recommendations/", recommendation_list, name="recommendations"),
    path("recommendations/<str:pk>/", recommendation_respond, name="recommendation_respond"),
    path("recommendations/<str:pk>/chase/", recommendation_chase, name="recommendation_chase"),
]
