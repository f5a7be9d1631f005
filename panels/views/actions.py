"""Pages for the panel's action log (seeds 003) and its tracker of referrals, decisions and budgets
(seeds 002 section 4), with the tracker's CSV and XLSX exports. Thin: parse input, check access,
call a service or selector, render.

Panels come from panels.access.get_panel_for_user and actions from get_action_for_user, so another
partnership's panel or an action the person may not see is a 404 on every URL, whatever the method.
Administrator-only pages raise NotAllowed (403 page); a stale or no longer allowed change raises
InvalidTransition (409 page), both mapped in config.middleware.DomainErrorMiddleware.

Tracker exports are the same filtered rows as the page, every row, not one page; their columns
and how each is written are panels.exports.TRACKER (the shared kit, casework.exports).
"""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotAllowed, StreamingHttpResponse
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework import stale
from casework.access import NotAllowed
from casework.paging import WindowCountPaginator
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from panels import access, services
from panels.exports import TRACKER, tracker_lines
from panels.forms.actions import (
    ActionCloseForm,
    ActionFilterForm,
    ActionForm,
    ActionReopenForm,
    ActionUpdateForm,
    TrackerFilterForm,
)
from panels.models import Action, ActionStatus, Panel
from panels.selectors import actions as selectors
from panels.views.read_log import log_children

PAGE_SIZE = 25
EXPORT_COLUMNS = TRACKER.headings


def _get_only(request) -> HttpResponseNotAllowed | None:
    """Checked after access, so an outsider's POST is the same 404 as their GET."""
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET", "HEAD"])


def _log_url(panel_id: int) -> str:
    return reverse("panels:actions", args=[panel_id])


def _action_url(action: Action) -> str:
    return reverse("panels:action", args=[action.pk])


# --- The action log -------------------------------------------------------------------------------


def action_list(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk)
    if refused := _get_only(request):
        return refused
    form = ActionFilterForm(request.GET or None, agencies=selectors.panel_agencies(panel=panel))
    filters = selectors.ActionFilters()
    if form.is_bound and form.is_valid():
        agency = form.cleaned_data["owner_agency"]
        filters = selectors.ActionFilters(
            status=form.cleaned_data["status"], owner_agency=agency.pk if agency else None
        )
    actions = selectors.action_log(user=request.user, panel=panel, filters=filters)
    page = WindowCountPaginator(actions, PAGE_SIZE).get_page(request.GET.get("page"))
    log_children(request, [action.child_pk for action in page])  # of the items that raised them
    return render(
        request,
        "panels/actions/log.html",
        {
            "panel": panel,
            "page": page,
            "form": form,
            "filters": filters,
            "can_administer": access.can_administer(user=request.user, panel=panel),
        },
    )


def _action_form(request, panel: Panel, *, initial: dict, data=None) -> ActionForm:
    meetings = selectors.action_meeting_choices(panel=panel, today=timezone.localdate())
    return ActionForm(
        data,
        initial=initial,
        people=selectors.panel_people(panel=panel),
        agencies=selectors.panel_agencies(panel=panel),
        meetings=meetings,
        items=selectors.action_item_choices(panel=panel, meetings=meetings),
    )


def _record_id_or_none(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


@require_http_methods(["GET", "POST"])
def action_new(request, pk):
    panel = access.get_panel_for_user(user=request.user, pk=pk, need="administer")
    initial = {"meeting": _record_id_or_none(request.GET.get("meeting"))}
    if item := _record_id_or_none(request.GET.get("item")):
        initial["agenda_item"] = item
    form = _action_form(request, panel, initial=initial, data=request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.action_create(
            actor=request.user,
            panel=panel,
            owners=data["owners"],
            owner_agencies=data["owner_agencies"],
            **form.service_fields(),
        ),
        message=lambda action: f"Action {action.number} added to the log",
        then=_action_url,
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add an action",
        caption=panel.name,
        intro=[
            "Actions are numbered in order. Open actions carry forward to the next meeting's action log review."
        ],
        back_url=_log_url(panel.pk),
        submit_label="Add action",
    )


def action_detail(request, pk):
    action = selectors.action_detail(user=request.user, pk=pk)
    if refused := _get_only(request):
        return refused
    log_children(request, [action.child_pk])  # the child of the item that raised it, if any
    return _render_detail(request, action, ActionUpdateForm())


def _render_detail(request, action: Action, update_form: ActionUpdateForm, status: int = 200, conflict=None):
    can_update = action.status == ActionStatus.OPEN and access.can_update_action(
        user=request.user, action=action
    )
    return render(
        request,
        "panels/actions/detail.html",
        {
            "action": action,
            "panel": action.panel,
            "update_form": update_form if can_update else None,
            "can_administer": access.can_administer(user=request.user, panel=action.panel),
            "stale": conflict,
        },
        status=status,
    )


def action_add_update(request, pk):
    action = access.get_action_for_user(user=request.user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    if not access.can_update_action(user=request.user, action=action):
        raise NotAllowed("Only the action's owners and the panel's administrators can add updates")
    form = ActionUpdateForm(request.POST)

    def closed_meanwhile(exc: InvalidTransition) -> HttpResponse:
        # Closed while they wrote: updates go on open actions only, so keep their text to copy.
        detail = selectors.action_detail(user=request.user, pk=action.pk)
        conflict = stale.conflict(
            form=form,
            message=str(exc),
            saved={},
            saved_by=stale.last_saved(detail),
            context=[
                ("Status", detail.get_status_display()),
                ("Date completed", detail.completed_on),
                ("Actual impact", detail.actual_impact),
            ],
        )
        return _render_detail(request, detail, form, conflict=conflict)

    done = form_step(
        request,
        form,
        lambda data: services.action_add_update(actor=request.user, action=action, text=data["text"]),
        then=_action_url(action) + "#updates",
        message="Update added",
        stale_page=closed_meanwhile,
    )
    if done:
        return done
    return _render_detail(request, selectors.action_detail(user=request.user, pk=action.pk), form, status=400)


def _open_action(request, pk) -> Action:
    action = access.get_action_for_user(user=request.user, pk=pk, need="administer")
    if action.status != ActionStatus.OPEN:
        raise InvalidTransition("This action is closed: reopen it to change it")
    return action


def _action_initial(action: Action) -> dict[str, object]:
    return {
        "version": action.version,
        "action": action.action,
        "desired_outcome": action.desired_outcome,
        "owners": selectors.action_owner_ids(action=action),
        "owner_agencies": selectors.action_owner_agency_ids(action=action),
        "partner_agency": action.partner_agency_id,
        "due_on": action.due_on,
        "meeting": action.meeting_id,
        "agenda_item": action.agenda_item_id,
        "completed_on": action.completed_on,
        "actual_impact": action.actual_impact,
    }


def _action_conflict(request, pk, form, exc: InvalidTransition, *, still: str) -> stale.Conflict:
    """Someone changed the action while this person had the form open: their typing stays, beside
    the action as saved now. `still`: the status in which the form can be sent again."""
    saved = access.get_action_for_user(user=request.user, pk=pk)
    retry = isinstance(exc, stale.StaleEdit) and saved.status == still
    return stale.conflict(
        form=form,
        message=str(exc),
        saved=_action_initial(saved),
        refresh={"version": saved.version} if retry else None,
        saved_by=stale.last_saved(saved),
        context=[("Action", saved.action), ("Status", saved.get_status_display())],
    )


@require_http_methods(["GET", "POST"])
def action_edit(request, pk):
    action = _open_action(request, pk)
    form = _action_form(request, action.panel, initial=_action_initial(action), data=request.POST or None)
    # A change says which version it was made over (issue 13): without it, a form error, not a save.
    form.fields["version"].required = True
    form.fields["version"].error_messages.update(required=stale.NOT_SEEN, invalid=stale.NOT_SEEN)
    return form_page(
        request,
        form=form,
        run=lambda data: services.action_change(
            actor=request.user,
            action=action,
            version=data["version"],
            fields=form.service_fields(),
            owners=data["owners"],
            owner_agencies=data["owner_agencies"],
        ),
        then=_action_url(action),
        message=f"Action {action.number} changed",
        conflict=lambda exc: _action_conflict(request, pk, form, exc, still=ActionStatus.OPEN),
        heading=f"Change action {action.number}",
        caption=action.panel.name,
        back_url=_action_url(action),
        submit_label="Save changes",
    )


@require_http_methods(["GET", "POST"])
def action_close(request, pk):
    action = _open_action(request, pk)
    form = ActionCloseForm(
        request.POST or None,
        initial={
            "version": action.version,
            "completed_on": timezone.localdate(),
            "actual_impact": action.actual_impact,
        },
    )
    return form_page(
        request,
        form=form,
        run=lambda data: services.action_close(
            actor=request.user,
            action=action,
            version=data["version"],
            completed_on=data["completed_on"],
            actual_impact=data["actual_impact"],
        ),
        then=_action_url(action),
        message=f"Action {action.number} closed",
        conflict=lambda exc: _action_conflict(request, pk, form, exc, still=ActionStatus.OPEN),
        heading=f"Close action {action.number}",
        caption=action.panel.name,
        inset=action.action,
        back_url=_action_url(action),
        submit_label="Close action",
    )


@require_http_methods(["GET", "POST"])
def action_reopen(request, pk):
    action = access.get_action_for_user(user=request.user, pk=pk, need="administer")
    if action.status != ActionStatus.CLOSED:
        raise InvalidTransition("This action is already open")
    form = ActionReopenForm(request.POST or None, initial={"version": action.version})
    return form_page(
        request,
        form=form,
        run=lambda data: services.action_reopen(
            actor=request.user, action=action, version=data["version"], reason=data["reason"]
        ),
        then=_action_url(action),
        message=f"Action {action.number} reopened",
        conflict=lambda exc: _action_conflict(request, pk, form, exc, still=ActionStatus.CLOSED),
        heading=f"Reopen action {action.number}",
        caption=action.panel.name,
        inset=action.action,
        back_url=_action_url(action),
        submit_label="Reopen action",
    )


# --- The tracker ----------------------------------------------------------------------------------


def _tracker_query(request, pk) -> tuple[Panel, TrackerFilterForm, selectors.TrackerFilters | None]:
    panel = access.get_panel_for_user(user=request.user, pk=pk)
    form = TrackerFilterForm(request.GET or None, agencies=selectors.panel_agencies(panel=panel))
    if not form.is_bound:
        return panel, form, selectors.TrackerFilters()
    if not form.is_valid():
        return panel, form, None
    data = form.cleaned_data
    filters = selectors.TrackerFilters(
        outcome=data["outcome"],
        pathway=data["pathway"],
        status=data["status"],
        agency=data["agency"].pk if data["agency"] else None,
        meeting_from=data["meeting_from"],
        meeting_to=data["meeting_to"],
    )
    return panel, form, filters


def tracker(request, pk):
    panel, form, filters = _tracker_query(request, pk)
    if refused := _get_only(request):
        return refused
    context = {"panel": panel, "form": form}
    if filters is None:
        return render(request, "panels/actions/tracker.html", context, status=400)
    referrals = selectors.tracker_referrals(user=request.user, panel=panel, filters=filters)
    page = WindowCountPaginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    log_children(request, [referral.child_id for referral in page])
    query = request.GET.copy()
    query.pop("page", None)
    totals = selectors.tracker_totals(referrals)
    context.update(
        {
            "page": page,
            "rows": selectors.tracker_rows(page.object_list),
            "totals": totals.agreed,
            "awaiting_totals": totals.awaiting,
            "export_query": query.urlencode(),
        }
    )
    return render(request, "panels/actions/tracker.html", context)


def _export(request, pk, file_format: str):
    """Every filtered row, streamed: the audit event and read log are written first (from the rows'
    ids, one query), then the rows are read EXPORT_CHUNK at a time through a server-side cursor, so
    memory stays flat however many rows there are (bench/exports.py). The CSV is sent as it is
    made; the XLSX (a zip, finished only at its end) is made in a temporary file and then sent."""
    panel, form, filters = _tracker_query(request, pk)
    if refused := _get_only(request):
        return refused
    if filters is None:
        return render(request, "panels/actions/tracker.html", {"panel": panel, "form": form}, status=400)
    referrals = selectors.tracker_referrals(user=request.user, panel=panel, filters=filters)
    ids = list(referrals.values_list("pk", "child_id"))
    services.tracker_record_export(
        actor=request.user,
        panel=panel,
        file_format=file_format,
        filters=filters.as_dict(),
        referral_ids=[referral_id for referral_id, _ in ids],
    )
    log_children(request, [child_id for _, child_id in ids], channel="export")
    del ids
    lines = tracker_lines(selectors.tracker_rows_streamed(referrals))
    name = f"tracker-{panel.pk}-{timezone.localdate():%Y-%m-%d}.{file_format}"
    response: StreamingHttpResponse
    if file_format == "csv":
        response = TRACKER.csv_response(lines, filename=name)
    else:
        response = TRACKER.xlsx_response(lines, filename=name)
    response["Cache-Control"] = "no-store"
    return response


def tracker_csv(request, pk):
    return _export(request, pk, "csv")


def tracker_xlsx(request, pk):
    return _export(request, pk, "xlsx")


urlpatterns = [
    path("<str:pk>/actions/", action_list, name="actions"),
    path("<str:pk>/actions/new/", action_new, name="action_new"),
    path("actions/<str:pk>/", action_detail, name="action"),
    path("actions/<str:pk>/updates/", action_add_update, name="action_add_update"),
    path("actions/<str:pk>/edit/", action_edit, name="action_edit"),
    path("actions/<str:pk>/close/", action_close, name="action_close"),
    path("actions/<str:pk>/reopen/", action_reopen, name="action_reopen"),
    path("<str:pk>/tracker/", tracker, name="tracker"),
    path("<str:pk>/tracker.csv", tracker_csv, name="tracker_csv"),
    path("<str:pk>/tracker.xlsx", tracker_xlsx, name="tracker_xlsx"),
]
