"""People's pages for the core domain. Thin: parse input, check access, call a service, render.

Records are fetched only through access.py (another agency's child is a 404); domain errors that
escape a view (InvalidTransition → 409, NotAllowed → 403) are mapped in DomainErrorMiddleware.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Page, Paginator
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework import access, selectors, services
from casework.audit import record_child_list_view, record_child_view
from casework.child_page import child_page_context
from casework.context_processors import ERROR_PAGE
from casework.forms import (
    AccessDecisionForm,
    AccessRequestForm,
    ChildForm,
    ChildSearchForm,
    EndInvolvementForm,
    InvolvementForm,
    ParentCarerForm,
    add_service_errors,
)
from casework.models import AccessRequestStatus, Role
from casework.my_work import my_work_for_request
from casework.team import can_manage_people
from casework.timeline import child_timeline
from casework.web import form_page, form_step

PAGE_SIZE = 25
# Reads of a child's record, one row per person per day, on its history.
READS_PAGE_SIZE = 20


class CountedPaginator(Paginator):
    """A paginator told its total by a cheaper query than COUNT over the page's queryset."""

    def __init__(self, *args, total: int, **kwargs):
        super().__init__(*args, **kwargs)
        self._total = total

    @property
    def count(self) -> int:
        return self._total


def home(request):
    """My work: everything waiting for this person, grouped, most urgent first (casework/my_work.py
    gathers it from every app's sources): each group's first items and its number, with a page for
    the whole group; the header's count is the groups' numbers added up."""
    work = my_work_for_request(request)
    return render(
        request,
        "casework/home.html",
        {
            "items": work.items,
            "groups": work.groups,
            "my_work": work,
            "work": selectors.my_work(user=request.user),
            "can_register": access.can_edit_children(user=request.user),
            "can_decide": access.can_decide_access_requests(user=request.user),
            "can_manage_people": can_manage_people(user=request.user),
            "can_run_panels": request.user.has_role(Role.PANEL_ADMINISTRATOR, Role.PANEL_CHAIR),
            "nav_section": "home",
        },
    )


def accessibility(request):
    return render(request, "casework/accessibility.html")


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")


def not_found(request, exception=None):
    return render(request, "404.html", ERROR_PAGE, status=404)


def child_list(request):
    form = ChildSearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    children, search = selectors.child_search(user=request.user, query=query)
    total = selectors.child_list_count(user=request.user, search=search, children=children)
    page = CountedPaginator(children, PAGE_SIZE, total=total).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    record_child_list_view(
        user=request.user,
        child_ids=[child.pk for child in page.object_list],
        channel="page",
        path=request.path,
        query=query,
    )
    return render(
        request,
        "casework/child_list.html",
        {
            "form": form,
            "page": page,
            "search": search,
            "can_register": access.can_edit_children(user=request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def child_register(request):
    if not access.can_edit_children(user=request.user):
        raise access.NotAllowed("Your role does not allow registering children")
    form = ChildForm(request.POST or None, user=request.user)
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            child = services.child_register(actor=request.user, fields=form.service_fields())
        except services.DuplicateNHSNumber as exc:
            # Only a child this person can already see is named.
            add_service_errors(form, exc)
            existing = exc.child
        except ValidationError as exc:
            # NHSNumberHeldElsewhere lands here too: the neutral answer, and the ask it made is kept.
            add_service_errors(form, exc)
        else:
            messages.success(request, f"{child.full_name} has been registered")
            return redirect("children:detail", pk=child.pk)
    return render(request, "casework/child_form.html", {"form": form, "existing": existing})


def child_detail(request, pk):
    child = selectors.child_detail(user=request.user, pk=pk)
    record_child_view(user=request.user, child=child, channel="page", path=request.path)
    show_history = access.can_read_history(user=request.user)
    changes = selectors.child_history(child=child) if show_history else []
    reads: Page[selectors.ReadsOnADay] | None = None
    if show_history:
        # Paginator needs only len() and slices of a page; the stubs ask for a whole sequence.
        paginator: Paginator[selectors.ReadsOnADay] = Paginator(
            selectors.ChildReads(child=child, page_size=READS_PAGE_SIZE, page=request.GET.get("reads", 1)),  # type: ignore[arg-type]
            READS_PAGE_SIZE,
        )
        reads = paginator.get_page(request.GET.get("reads"))
    return render(
        request,
        "casework/child_detail.html",
        {
            "child": child,
            "can_edit": access.can_edit_children(user=request.user),
            "show_history": show_history,
            "changes": changes,
            "reads": reads,
            **child_page_context(user=request.user, child=child),
            "timeline": child_timeline(user=request.user, child=child),
        },
    )


@require_http_methods(["GET", "POST"])
def child_edit(request, pk):
    child = access.get_child_for_user(user=request.user, pk=pk, need="change")
    if request.method == "GET":
        record_child_view(user=request.user, child=child, channel="page", path=request.path)
    initial = {name: getattr(child, name) for name in services.CHILD_FIELDS}
    initial["nhs_number"] = child.nhs_number_display
    form = ChildForm(
        request.POST or None, initial=initial, user=request.user, owning_agency_id=child.owning_agency_id
    )
    done = form_step(
        request,
        form,
        lambda _data: services.child_update(actor=request.user, child=child, fields=form.service_fields()),
        message="Changes saved",
        then=reverse("children:detail", args=[child.pk]),
    )
    if done:
        return done
    return render(request, "casework/child_form.html", {"form": form, "child": child})


@require_http_methods(["GET", "POST"])
def parent_carer_add(request, pk):
    child = access.get_child_for_user(user=request.user, pk=pk, need="change")
    form = ParentCarerForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: services.parent_carer_add(actor=request.user, child=child, fields=data),
        message="Parent or carer added",
        then=reverse("children:detail", args=[child.pk]) + "#parents-carers",
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add a parent or carer",
        caption=child.full_name,
        back_url=reverse("children:detail", args=[child.pk]) + "#parents-carers",
        submit_label="Add",
    )


def _parent_carer(request, pk, person_pk) -> tuple:
    child = access.get_child_for_user(user=request.user, pk=pk, need="change")
    person = selectors.parent_carer_on(child=child, pk=person_pk)
    if person is None:
        raise Http404(access.NOT_FOUND_MESSAGE)
    return child, person


@require_http_methods(["GET", "POST"])
def parent_carer_edit(request, pk, person_pk):
    child, person = _parent_carer(request, pk, person_pk)
    initial = {name: getattr(person, name) for name in services.PARENT_CARER_FIELDS}
    form = ParentCarerForm(request.POST or None, initial=initial)
    done = form_step(
        request,
        form,
        lambda data: services.parent_carer_update(actor=request.user, person=person, fields=data),
        message="Parent or carer updated",
        then=reverse("children:detail", args=[child.pk]) + "#parents-carers",
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"Change {person.name}'s details",
        caption=child.full_name,
        back_url=reverse("children:detail", args=[child.pk]) + "#parents-carers",
        submit_label="Save changes",
    )


@require_http_methods(["GET", "POST"])
def parent_carer_remove(request, pk, person_pk):
    child, person = _parent_carer(request, pk, person_pk)
    if request.method == "POST":
        services.parent_carer_remove(actor=request.user, person=person)
        messages.success(request, f"{person.name} removed")
        return redirect(reverse("children:detail", args=[child.pk]) + "#parents-carers")
    return form_page(
        request,
        form=None,
        heading=f"Remove {person.name}?",
        caption=child.full_name,
        intro=[
            f"{person.name} ({person.relationship}) will no longer be listed as a parent or carer. "
            "The change is kept in the record's history."
        ],
        back_url=reverse("children:detail", args=[child.pk]) + "#parents-carers",
        submit_label="Remove",
        warning=True,
    )


@require_http_methods(["GET", "POST"])
def involvement_add(request, pk):
    child = access.get_child_for_user(user=request.user, pk=pk, need="change")
    form = InvolvementForm(request.POST or None, user=request.user)
    done = form_step(
        request,
        form,
        lambda data: services.involvement_add(
            actor=request.user,
            child=child,
            agency=data["agency"],
            role=data["role"],
            started_on=data["started_on"],
        ),
        message=lambda involvement: f"{involvement.agency.name} is now involved",
        then=reverse("children:detail", args=[child.pk]) + "#agencies",
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add an agency",
        caption=child.full_name,
        intro=["Everyone in the agency you add will be able to see this child's record."],
        back_url=reverse("children:detail", args=[child.pk]) + "#agencies",
        submit_label="Add agency",
    )


@require_http_methods(["GET", "POST"])
def involvement_end(request, pk, involvement_pk):
    child = access.get_child_for_user(user=request.user, pk=pk, need="change")
    involvement = selectors.involvement_on(child=child, pk=involvement_pk)
    if involvement is None:
        raise Http404(access.NOT_FOUND_MESSAGE)
    form = EndInvolvementForm(request.POST or None)

    def after_ending(_result: object) -> str:
        # Ending their own agency's involvement can take the record out of this person's sight.
        if not access.can_see_child(user=request.user, child_id=child.pk):
            return reverse("children:list")
        return reverse("children:detail", args=[child.pk]) + "#agencies"

    done = form_step(
        request,
        form,
        lambda data: services.involvement_end(
            actor=request.user, involvement=involvement, ended_on=data["ended_on"]
        ),
        message=f"{involvement.agency.name}'s involvement has ended",
        then=after_ending,
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"End {involvement.agency.name}'s involvement",
        caption=child.full_name,
        intro=[
            "People in that agency will no longer see this child's record, unless they hold an individual grant."
        ],
        back_url=reverse("children:detail", args=[child.pk]) + "#agencies",
        submit_label="End involvement",
        warning=True,
    )


@require_http_methods(["GET", "POST"])
def access_request_new(request):
    if not access.can_edit_children(user=request.user):
        raise access.NotAllowed("Your role does not allow requesting access to a child's record")
    form = AccessRequestForm(
        request.POST or None, initial={"nhs_number": request.GET.get("nhs_number", "")[:14]}
    )
    existing = None
    if request.method == "POST" and form.is_valid():
        try:
            ask = services.access_request_ask(
                actor=request.user,
                nhs_number=form.cleaned_data["nhs_number"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if ask.outcome == services.AccessAskOutcome.SENT:
                # The same redirect whether or not a record exists: nothing in it depends on the answer.
                return redirect("children:access_request_sent")
            form.add_error("nhs_number", ask.message)
            existing = ask.child
    return render(request, "casework/access_request_new.html", {"form": form, "existing": existing})


def access_request_sent(request):
    if not access.can_edit_children(user=request.user):
        raise access.NotAllowed("Your role does not allow requesting access to a child's record")
    return render(request, "casework/access_request_sent.html", {"answer": services.ACCESS_ASK_ANSWER})


def access_request_list(request):
    if not access.can_decide_access_requests(user=request.user):
        raise access.NotAllowed("Only team and service managers decide access requests")
    requests_ = selectors.access_requests_to_decide(user=request.user)
    page = Paginator(requests_, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "casework/access_request_list.html", {"page": page})


@require_http_methods(["GET", "POST"])
def access_request_decide(request, request_pk):
    found = access.get_access_request_for_decision(user=request.user, pk=request_pk)
    form = AccessDecisionForm(request.POST or None) if found.status == AccessRequestStatus.PENDING else None
    if form is not None:
        done = form_step(
            request,
            form,
            lambda data: (
                services.access_request_grant
                if data["decision"] == "grant"
                else services.access_request_decline
            )(actor=request.user, request=found, note=form.note_given()),
            message="Decision recorded",
            then=reverse("children:access_requests"),
        )
        if done:
            return done
    return render(request, "casework/access_request_decide.html", {"form": form, "access_request": found})


def notification_list(request):
    """My notices, newest first; unread ones are marked."""
    notices = Paginator(selectors.notifications_for(user=request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "casework/notifications.html", {"page": notices})


@require_http_methods(["POST"])
def notifications_mark_read(request):
    raw = request.POST.getlist("notice")
    ids = [int(value) for value in raw if value.isdigit() and len(value) < 19] if raw else None
    changed = services.notifications_mark_read(actor=request.user, ids=ids)
    if changed:
        messages.success(request, f"{changed} notice{'s' if changed != 1 else ''} marked as read")
    return redirect("notifications")
