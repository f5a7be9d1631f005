"""Pages of the escalation ladder (seeds 002), under /pathways/. Thin: parse, check access, call a
service of pathways/services/, render. Included by pathways/urls.py (names `pathways:escalation*`).

Escalations come only through pathways/access.py (another partnership's is a 404);
InvalidTransition → 409 page and NotAllowed → 403 page come from DomainErrorMiddleware. Every page
about a child's escalation is logged in the child's access log.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import Http404
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework import stale
from casework.access import NOT_FOUND_MESSAGE, NotAllowed, get_child_for_user
from casework.audit import record_child_view
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from pathways import access, selectors, services
from pathways.forms import escalations as forms
from pathways.models import Escalation, EscalationLevel

LEVELS = {"jsp": EscalationLevel.JSP, "erg": EscalationLevel.ERG}


def _url(escalation: Escalation) -> str:
    return reverse("pathways:escalation", args=[escalation.pk])


def _require_recorder(user) -> None:
    if not access.can_record_escalation(user=user):
        raise NotAllowed("Your role does not allow recording escalations")


def child_escalations(request, child_pk):
    child = get_child_for_user(user=request.user, pk=child_pk)
    record_child_view(user=request.user, child=child, channel="page", path=request.path)
    return render(
        request,
        "pathways/escalation/child_list.html",
        {
            "child": child,
            "summaries": selectors.escalations_for_child(user=request.user, child=child),
            "can_record": access.can_record_escalation(user=request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def escalation_open(request, child_pk):
    child = get_child_for_user(user=request.user, pk=child_pk)
    _require_recorder(request.user)
    form = forms.OpenForm(request.POST or None, child=child)
    done = form_step(
        request,
        form,
        lambda data: services.escalation_open(actor=request.user, child=child, **data),
        message="Escalation recorded",
        then=_url,
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Escalate",
        caption=child.full_name,
        back_url=reverse("pathways:escalation_list", args=[child.pk]),
        submit_label="Record the escalation",
        intro=[
            "Escalation needs the authorisation of a Service Group Manager or Assistant Director, or their "
            "equivalent in a partner organisation."
        ],
    )


def escalation_page(request, pk):
    detail = selectors.escalation_detail(user=request.user, pk=pk)
    escalation = detail.escalation
    record_child_view(user=request.user, child=escalation.child, channel="page", path=request.path)
    return render(
        request,
        "pathways/escalation/detail.html",
        {
            "detail": detail,
            "escalation": escalation,
            "child": escalation.child,
            "can_record": access.can_record_escalation(user=request.user),
        },
    )


def _step(
    request,
    pk,
    *,
    heading: str,
    submit_label: str,
    form_factory: Callable,
    call: Callable,
    success: str,
    intro: list[str] | None = None,
    saved: Callable | None = None,
):
    """A one-form step on an escalation: 404 if not visible, 403 if the role may not record, the
    service's ValidationError back on the form with what was typed. A form with a `seen` field
    carries the escalation as it was opened; someone else's change first (InvalidTransition) answers
    409 with this page, keeping what was typed beside what was saved (`saved(escalation)`: the saved
    value of each field), and, while still open, a fresh `seen` so a second save goes through."""
    escalation = access.get_escalation_for_user(user=request.user, pk=pk, need="change")
    if request.method == "GET":  # the form shows the child and the escalation as saved (issue 12)
        record_child_view(user=request.user, child=escalation.child, channel="page", path=request.path)
    form = form_factory(escalation, request.POST or None)
    if "seen" in form.fields:
        form.initial["seen"] = services.escalation_seen(escalation)

    def conflict(error: InvalidTransition) -> stale.Conflict:
        now = access.get_escalation_for_user(user=request.user, pk=pk, need="change")
        retry = isinstance(error, stale.StaleEdit) and now.is_open and "seen" in form.fields
        return stale.conflict(
            form=form,
            message=str(error),
            saved=saved(now) if saved else {},
            refresh={"seen": services.escalation_seen(now)} if retry else None,
            saved_by=stale.last_saved(now),
            context=[
                ("Level", now.get_level_display()),
                ("Status", now.get_status_display()),
                *([("Outcome", now.outcome)] if now.outcome else []),
            ],
        )

    return form_page(
        request,
        form=form,
        run=lambda _data: call(escalation, form),
        then=_url(escalation),
        back_url=_url(escalation),
        message=success,
        conflict=conflict,
        heading=heading,
        caption=f"{escalation.get_level_display()}: {escalation.child.full_name}",
        submit_label=submit_label,
        intro=intro or [],
    )


def _saved_step(escalation: Escalation) -> dict[str, object]:
    """The rung reached last, in the escalate form's terms."""
    step = selectors.current_step(escalation=escalation)
    if step is None:
        return {}
    return {
        "authorised_by": step.authorised_by_id,
        "reason": step.reason,
        "chair": step.chair_id,
        "target_panel": step.target_panel_id,
        "cetr_override_reason": step.cetr_override_reason,
    }


def _saved_meeting(escalation: Escalation) -> dict[str, object]:
    """The meeting recorded last on the current rung, in the meeting form's terms."""
    step = selectors.current_step(escalation=escalation)
    meeting = selectors.last_meeting_on(step=step) if step else None
    if meeting is None:
        return {}
    held = timezone.localtime(meeting.held_at)
    return {
        "held_at": held.date(),
        "held_time": held.time(),
        "chair": meeting.chair_id,
        "agencies": selectors.meeting_agency_ids(meeting=meeting),
        "attendees": meeting.attendees,
        "notes": meeting.notes,
        "actions": meeting.actions,
    }


@require_http_methods(["GET", "POST"])
def escalation_escalate(request, pk, level):
    to_level = LEVELS.get(level)
    if to_level is None:
        access.get_escalation_for_user(user=request.user, pk=pk)
        raise Http404(NOT_FOUND_MESSAGE)
    intro = {
        EscalationLevel.JSP: [
            "Escalation to a Joint Solutions Panel needs the authorisation of a Service Group Manager or "
            "Assistant Director (or equivalent). For an autistic child or a child with a learning "
            "disability, record the Care, Education and Treatment Review first."
        ],
        EscalationLevel.ERG: [
            "An Exceptional Resourcing Group is established with the agreement of a Director and chaired "
            "by a Director. It meets at most once a week and reports to the partnership monthly."
        ],
    }[to_level]

    def call(escalation, f):
        services.escalation_escalate(
            actor=request.user, escalation=escalation, to_level=to_level, **f.cleaned_data
        )

    return _step(
        request,
        pk,
        heading=f"Escalate to the {to_level.label}",
        submit_label="Escalate",
        form_factory=lambda e, data: forms.EscalateForm(data, child=e.child, level=to_level),
        call=call,
        success=f"Escalated to the {to_level.label}",
        intro=intro,
        saved=_saved_step,
    )


@require_http_methods(["GET", "POST"])
def escalation_meeting(request, pk):
    def factory(escalation, data):
        child = escalation.child
        if escalation.level == EscalationLevel.ERG:
            chairs = access.erg_chairs_for(child=child)
        else:
            chairs = access.workers_for(child=child)
        return forms.MeetingForm(data, child=child, chairs=chairs)

    def call(escalation, f):
        d = dict(f.cleaned_data)
        d.pop("held_time")
        d["held_at"] = f.when()
        services.escalation_record_meeting(actor=request.user, escalation=escalation, **d)

    return _step(
        request,
        pk,
        heading="Record a meeting",
        submit_label="Record the meeting",
        form_factory=factory,
        call=call,
        success="Meeting recorded",
        saved=_saved_meeting,
    )


@require_http_methods(["GET", "POST"])
def escalation_cetr(request, pk):
    return _step(
        request,
        pk,
        heading="Record a Care, Education and Treatment Review",
        submit_label="Record the review",
        form_factory=lambda e, data: forms.CETRForm(data),
        call=lambda e, f: services.escalation_record_cetr(actor=request.user, escalation=e, **f.cleaned_data),
        success="Care, Education and Treatment Review recorded",
    )


@require_http_methods(["GET", "POST"])
def escalation_report(request, pk):
    return _step(
        request,
        pk,
        heading="Record a report to the partnership",
        submit_label="Record the report",
        form_factory=lambda e, data: forms.ReportForm(data),
        call=lambda e, f: services.escalation_record_report(
            actor=request.user, escalation=e, **f.cleaned_data
        ),
        success="Report recorded",
    )


@require_http_methods(["GET", "POST"])
def escalation_resolve(request, pk):
    return _step(
        request,
        pk,
        heading="Record the outcome",
        submit_label="Resolve the escalation",
        form_factory=lambda e, data: forms.ResolveForm(data),
        call=lambda e, f: services.escalation_resolve(actor=request.user, escalation=e, **f.cleaned_data),
        success="Escalation resolved",
        saved=lambda e: {"outcome": e.outcome},
    )


urlpatterns = [
    path("children/<str:child_pk>/escalations/", child_escalations, name="escalation_list"),
    path("children/<str:child_pk>/escalations/new/", escalation_open, name="escalation_open"),
    path("escalations/<str:pk>/", escalation_page, name="escalation"),
    path("escalations/<str:pk>/escalate/<str:level>/", escalation_escalate, name="escalation_escalate"),
    path("escalations/<str:pk>/meetings/new/", escalation_meeting, name="escalation_meeting"),
    path("escalations/<str:pk>/cetr/new/", escalation_cetr, name="escalation_cetr"),
    path("escalations/<str:pk>/reports/new/", escalation_report, name="escalation_report"),
    path("escalations/<str:pk>/resolve/", escalation_resolve, name="escalation_resolve"),
]
