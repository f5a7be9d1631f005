"""People's pages for referrals: start, the task list and its section pages, options and costs,
evidence, sign-off, submission to a meeting, the chair's late-paper decisions, and the lists.

Thin, like casework/views.py: parse input, check access, call a service, render. Referrals are
fetched only through referrals/access.py, first, so anyone who may not see one gets a 404 for every
URL, GET or POST (POST-only and GET-only pages check the method after access). InvalidTransition (someone else changed
it first, a double-submitted form) becomes the 409 page and NotAllowed the 403 page in
config.middleware.DomainErrorMiddleware. State-changing forms carry the status the page showed
("status"): a form posted against a referral that has moved on is a 409, never a second action.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from casework import access as casework_access
from casework import money
from casework.access import NOT_FOUND_MESSAGE, NotAllowed, record_id
from casework.audit import filters_text, record_child_list_view, record_child_view
from casework.forms import add_service_errors
from casework.models import Agency, Role
from casework.services import InvalidTransition
from panels import access as panels_access
from panels.selectors import meeting_deadlines, upcoming_meetings
from referrals import access, selectors, services
from referrals.evidence import open_stored
from referrals.forms import (
    PERIOD_LABELS,
    CloseForm,
    EvidenceForm,
    MeetingForm,
    OptionForm,
    ReferralDetailsForm,
    ReferralFilterForm,
    SectionForm,
    SignOffForm,
    StartReferralForm,
    WithdrawForm,
    section_labels,
)
from referrals.models import (
    CostPeriod,
    Option,
    OptionShare,
    Referral,
    SignOff,
    SignOffDecision,
    SignOffStage,
    Status,
)

PAGE_SIZE = 25


# --- Helpers -------------------------------------------------------------------------------------


def _require_editable(referral: Referral) -> None:
    """Editing pages of a referral that can no longer change: the 409 page, as its save would be."""
    if not referral.is_editable:
        raise InvalidTransition(
            f"This referral is {referral.get_status_display().lower()} and can no longer be changed"
        )


def _check_unchanged(request, referral: Referral) -> None:
    """The status the page showed must still be the status now (a double-submitted or stale form)."""
    seen = request.POST.get("status")
    if seen and seen != referral.status:
        raise InvalidTransition(
            f"{services.referral_last_move(referral, actor=request.user)}, after you opened it: it is now "
            f"{referral.get_status_display().lower()}, so this can no longer be done"
        )


def _option(referral: Referral, option_pk: object) -> Option:
    """One option of a referral the user has already been allowed to see."""
    option = referral.options.prefetch_related("shares").filter(pk=record_id(option_pk)).first()
    if option is None:
        raise Http404(NOT_FOUND_MESSAGE)
    return option


def _is_chair(user, referral: Referral) -> bool:
    """Shows the chair's buttons; services check it again (the panel's partnership's chair)."""
    return bool(
        user.has_role(Role.PANEL_CHAIR)
        and user.agency_id
        and user.agency.partnership == referral.panel.partnership
    )


def _signing_stage(referral: Referral) -> str | None:
    if referral.status == Status.AWAITING_TEAM_MANAGER:
        return SignOffStage.TEAM_MANAGER
    if referral.status == Status.AWAITING_SERVICE_MANAGER:
        return SignOffStage.SERVICE_MANAGER
    return None


def _section_url(referral: Referral, key: str) -> str:
    if key == "options":
        return reverse("referrals:options", args=[referral.pk])
    if key == "evidence":
        return reverse("referrals:evidence", args=[referral.pk])
    if key in services.SECTION_FIELDS:
        return reverse("referrals:section", args=[referral.pk, key])
    return reverse("referrals:tasks", args=[referral.pk])


def _problem_links(referral: Referral, problems: dict[str, list[str]]) -> list[tuple[str, str]]:
    """(link, message) for each problem, in task-list order, for an error summary."""
    order = [key for key, _t, _f in services.SECTIONS] + ["options", "evidence"]
    keys = sorted(problems, key=lambda k: order.index(k) if k in order else len(order))
    return [(_section_url(referral, key), message) for key in keys for message in problems[key]]


@dataclass
class OptionCosts:
    """An option with its cost per agency: per period, weekly and annual side by side."""

    option: Option
    rows: list[tuple[OptionShare, money.AgencyCostLine]]
    weekly: Decimal | None
    annual: Decimal | None
    period_label: str
    problem: str | None


def _option_costs(option: Option) -> OptionCosts:
    shares = list(option.shares.all())
    return OptionCosts(
        option=option,
        rows=list(zip(shares, option.cost_lines(), strict=True)),
        weekly=money.weekly(option.cost, option.period),
        annual=money.annual(option.cost, option.period),
        period_label=CostPeriod(option.period).label,
        problem=services.split_problem(option, shares),
    )


def _split_agencies(referral: Referral, option: Option | None) -> list[Agency]:
    """Rows offered for the split: the agencies the service lets it name (services.split_agencies)."""
    return list(services.split_agencies(referral=referral, option=option).order_by("name"))


# --- Lists ---------------------------------------------------------------------------------------


def _logged_page(request, referrals):
    """A page of referrals, logged as a list of the children it names (issue 12)."""
    page = Paginator(referrals, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    record_child_list_view(
        user=request.user,
        child_ids=[referral.child_id for referral in page.object_list],
        channel="page",
        path=request.path,
        query=filters_text(request.GET),
    )
    return page


def _list_page(request, *, referrals, heading: str, tab: str, **extra):
    page = _logged_page(request, referrals)
    return render(
        request,
        "referrals/referral_list.html",
        {"page": page, "heading": heading, "tab": tab, **extra},
    )


def my_referrals(request):
    return _list_page(
        request,
        referrals=selectors.my_referrals(user=request.user),
        heading="My referrals",
        tab="mine",
        empty="You have not started any referrals. To start one, find the child and choose "
        "'Start a referral' on their record.",
    )


def awaiting_sign_off(request):
    return _list_page(
        request,
        referrals=selectors.awaiting_my_sign_off(user=request.user),
        heading="Awaiting my sign-off",
        tab="awaiting",
        empty="Nothing is waiting for your signature.",
    )


def all_referrals(request):
    form = ReferralFilterForm(
        request.GET or None,
        panels=panels_access.panels_visible_to(user=request.user),
        statuses=Status.choices,
    )
    filters = selectors.ReferralFilters()
    if form.is_valid():
        data = form.cleaned_data
        filters = selectors.ReferralFilters(
            status=data["status"] or "",
            panel=data["panel"].pk if data["panel"] else None,
            pathway=data["pathway"] or "",
            urgency=data["urgency"] or "",
        )
    return _list_page(
        request,
        referrals=selectors.referral_list(user=request.user, filters=filters),
        heading="All referrals I can see",
        tab="all",
        form=form,
        filtered=filters != selectors.ReferralFilters(),
        empty="No referrals match.",
    )


def meeting_referrals(request, meeting_pk):
    """A meeting's "Submitted for this meeting" list, for the partnership's panel people."""
    meeting = (
        panels_access.meetings_visible_to(user=request.user)
        .select_related("panel")
        .filter(pk=record_id(meeting_pk))
        .first()
    )
    if meeting is None or not selectors.can_see_panel_lists(user=request.user):
        raise Http404(NOT_FOUND_MESSAGE)
    referrals = selectors.submitted_for_meeting(user=request.user, meeting_id=meeting.pk)
    page = _logged_page(request, referrals)
    return render(
        request,
        "referrals/meeting_referrals.html",
        {"meeting": meeting, "deadlines": meeting_deadlines(meeting), "page": page},
    )


# --- Starting a referral -------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def referral_start(request, child_pk):
    child = casework_access.get_child_for_user(user=request.user, pk=child_pk)
    if not access.can_create(user=request.user):
        raise NotAllowed("Your role does not allow writing referrals")
    earlier = selectors.referral_list(user=request.user).filter(child=child).order_by("-created_at")
    form = StartReferralForm(
        request.POST or None,
        panels=panels_access.panels_visible_to(user=request.user),
        earlier_referrals=earlier,
    )
    if request.method == "POST" and form.is_valid():
        data = form.service_fields()
        try:
            referral = services.referral_create(
                actor=request.user,
                child=child,
                panel=data["panel"],
                pathway=data["pathway"],
                request_type=data["request_type"],
                urgency=data["urgency"],
                review_of=data["review_of"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(
                request, "Draft referral started: complete each section, then send it for sign-off"
            )
            return redirect("referrals:tasks", pk=referral.pk)
    return render(
        request,
        "referrals/start.html",
        {"form": form, "child": child, "has_earlier": earlier.exists()},
    )


# --- The referral page ---------------------------------------------------------------------------


@dataclass
class Actions:
    """What this user may do with this referral now (services check each again)."""

    edit: bool = False
    send: bool = False
    sign_stage: str | None = None
    submit: bool = False
    accept_late: bool = False
    move: bool = False
    withdraw: bool = False
    close: bool = False
    any: bool = field(init=False, default=False)

    def __post_init__(self):
        self.any = any(
            [self.send, self.sign_stage, self.submit, self.accept_late, self.move, self.withdraw, self.close]
        )


def _actions(user, referral: Referral, sign_offs: list[SignOff]) -> Actions:
    can_edit = access.can_edit(user=user, referral=referral)
    chair = _is_chair(user, referral)
    stage = _signing_stage(referral)
    if stage and not access.can_sign(user=user, referral=referral, stage=stage):
        stage = None
    if stage == SignOffStage.SERVICE_MANAGER and any(
        s.signer_id == user.pk and s.decision == SignOffDecision.SIGNED and s.withdrawn_at is None
        for s in sign_offs
    ):
        stage = None  # the second signature comes from someone else
    status = referral.status
    return Actions(
        edit=can_edit and referral.is_editable,
        send=can_edit and status in {Status.DRAFT, Status.RETURNED},
        sign_stage=stage,
        submit=can_edit and status == Status.READY_TO_SUBMIT,
        accept_late=chair
        and status == Status.SUBMITTED
        and referral.is_late_paper
        and referral.late_accepted_by_id is None,
        move=chair and status == Status.SUBMITTED,
        withdraw=can_edit and status not in services.FINAL_STATUSES | {Status.DECIDED},
        close=(can_edit or chair) and status == Status.DECIDED,
    )


def referral_detail(request, pk):
    referral = selectors.referral_detail(user=request.user, pk=pk)
    record_child_view(user=request.user, child=referral.child, channel="page", path=request.path)
    sign_offs = list(referral.sign_offs.all())
    actions = _actions(request.user, referral, sign_offs)
    problems = _problem_links(referral, services.completeness(referral)) if actions.send else []
    withdrawn = [s for s in sign_offs if s.decision == SignOffDecision.SIGNED and s.withdrawn_at]
    return render(
        request,
        "referrals/detail.html",
        {
            "referral": referral,
            "sections": _section_summaries(referral),
            "options": [_option_costs(option) for option in referral.options.all()],
            "evidence": list(referral.evidence.all()),
            "sign_offs": sign_offs,
            "withdrawn": withdrawn[-1] if withdrawn and referral.status == Status.DRAFT else None,
            "timeline": list(referral.status_changes.all()),
            "actions": actions,
            "problems": problems,
            "sign_form": SignOffForm() if actions.sign_stage else None,
        },
    )


@dataclass
class SectionSummary:
    key: str
    title: str
    rows: list[tuple[str, object]]


def _section_summaries(referral: Referral) -> list[SectionSummary]:
    labels = section_labels(looked_after=referral.child.is_looked_after)
    summaries = []
    for key, title, fields in services.SECTIONS:
        rows = []
        for name in fields:
            value = getattr(referral, name)
            if name == "education_school_type":
                value = referral.get_education_school_type_display()
            elif isinstance(value, bool):
                value = "Yes" if value else "No"
            rows.append((labels[name], value))
        summaries.append(SectionSummary(key=key, title=title, rows=rows))
    return summaries


# --- The task list and its section pages ---------------------------------------------------------


@dataclass
class Task:
    key: str
    title: str
    url: str
    status: str  # "completed", "incomplete", "not_needed", "cannot_start"
    hint: str = ""


def referral_tasks(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if not referral.is_editable:
        return redirect("referrals:detail", pk=referral.pk)
    problems = services.completeness(referral)
    looked_after = referral.child.is_looked_after
    tasks = [
        Task(
            "details",
            "Panel, pathway and urgency",
            reverse("referrals:details", args=[referral.pk]),
            "completed",
        )
    ]
    for key, title, fields in services.SECTIONS:
        url = reverse("referrals:section", args=[referral.pk, key])
        if key == "iro" and not looked_after and not referral.iro_comments.strip():
            tasks.append(Task(key, title, url, "not_needed", "Only for a child who is looked after"))
            continue
        found = problems.get(key, [])
        hint = "; ".join(found) if found and len(fields) > 1 else ""
        tasks.append(Task(key, title, url, "incomplete" if found else "completed", hint))
    for key, title in (("options", "Options and costs"), ("evidence", "Evidence")):
        found = problems.get(key, [])
        tasks.append(
            Task(
                key,
                title,
                _section_url(referral, key),
                "incomplete" if found else "completed",
                "; ".join(found),
            )
        )
    return render(
        request,
        "referrals/tasks.html",
        {
            "referral": referral,
            "tasks": tasks,
            "ready": not problems,
            "incomplete": sum(1 for t in tasks if t.status == "incomplete"),
            "can_send": referral.status in {Status.DRAFT, Status.RETURNED},
        },
    )


def _saved(request, referral: Referral, before_status: str, *, message: str, next_url: str):
    """After a content change: say so, and say when it withdrew the signatures (back to draft)."""
    if before_status != Status.DRAFT and referral.status == Status.DRAFT:
        messages.info(
            request,
            "Signatures withdrawn: the referral changed after it was signed, so it is back to draft "
            "and needs sending for sign-off again",
        )
    messages.success(request, message)
    return redirect(next_url)


def _section_next(request, referral: Referral) -> tuple[str, str]:
    """ "Save as draft" stays on the page; "Save and return" goes back to the task list."""
    if request.POST.get("then") == "stay":
        return "Saved as draft", request.path
    return "Saved", reverse("referrals:tasks", args=[referral.pk])


@require_http_methods(["GET", "POST"])
def referral_section(request, pk, section):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if section not in services.SECTION_FIELDS:
        raise Http404(NOT_FOUND_MESSAGE)
    _require_editable(referral)
    fields = services.SECTION_FIELDS[section]
    form = SectionForm(
        request.POST or None,
        section=section,
        looked_after=referral.child.is_looked_after,
        initial={name: getattr(referral, name) for name in fields},
    )
    if request.method == "POST" and form.is_valid():
        before = referral.status
        try:
            referral = services.referral_update_section(
                actor=request.user, referral=referral, section=section, fields=form.cleaned_data
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            message, next_url = _section_next(request, referral)
            return _saved(request, referral, before, message=message, next_url=next_url)
    return render(
        request,
        "referrals/section.html",
        {
            "referral": referral,
            "form": form,
            "section": section,
            "title": services.SECTION_TITLES[section],
        },
    )


@require_http_methods(["GET", "POST"])
def referral_details(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    earlier = (
        selectors.referral_list(user=request.user)
        .filter(child_id=referral.child_id)
        .exclude(pk=referral.pk)
        .order_by("-created_at")
    )
    form = ReferralDetailsForm(
        request.POST or None,
        earlier_referrals=earlier,
        initial={
            "pathway": referral.pathway,
            "request_type": referral.request_type,
            "review_of": referral.review_of_id,
            "urgency": referral.urgency,
        },
    )
    if request.method == "POST" and form.is_valid():
        before = referral.status
        try:
            referral = services.referral_update_section(
                actor=request.user, referral=referral, section="details", fields=form.service_fields()
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            message, next_url = _section_next(request, referral)
            return _saved(request, referral, before, message=message, next_url=next_url)
    return render(request, "referrals/details.html", {"referral": referral, "form": form})


# --- Options and costs ---------------------------------------------------------------------------


def option_list(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    options = referral.options.prefetch_related("shares__agency")
    return render(
        request,
        "referrals/options.html",
        {
            "referral": referral,
            "options": [_option_costs(option) for option in options],
            "problems": services.option_problems(referral, list(options)),
        },
    )


@require_http_methods(["GET", "POST"])
def option_edit(request, pk, option_pk=None):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    option = _option(referral, option_pk) if option_pk is not None else None
    _require_editable(referral)
    agencies = _split_agencies(referral, option)
    form = OptionForm(request.POST or None, agencies=agencies, option=option)
    if request.method == "POST" and form.is_valid():
        before = referral.status
        try:
            saved = services.option_save(
                actor=request.user,
                referral=referral,
                fields=form.option_fields(),
                shares=form.shares,
                option=option,
            )
        except ValidationError as exc:
            form.add_service_errors(exc)
        else:
            referral.refresh_from_db(fields=["status"])
            return _saved(
                request,
                referral,
                before,
                message=f"Option {saved.position} saved" if option else f"Option {saved.position} added",
                next_url=reverse("referrals:options", args=[referral.pk]),
            )
    return render(
        request,
        "referrals/option_form.html",
        {"referral": referral, "form": form, "option": option, "period_labels": PERIOD_LABELS},
    )


@require_http_methods(["GET", "POST"])
def option_remove(request, pk, option_pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    option = _option(referral, option_pk)
    _require_editable(referral)
    back = reverse("referrals:options", args=[referral.pk])
    if request.method == "POST":
        services.option_remove(actor=request.user, option=option)
        messages.success(request, f"Option {option.position} removed")
        return redirect(back)
    return render(
        request,
        "referrals/confirm.html",
        {
            "referral": referral,
            "heading": f"Remove option {option.position}?",
            "intro": [option.description],
            "back_url": back,
            "submit_label": "Remove option",
            "warning": True,
        },
    )


def option_recommend(request, pk, option_pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    option = _option(referral, option_pk)
    back = reverse("referrals:options", args=[referral.pk])
    if request.method != "POST":
        return redirect(back)
    _require_editable(referral)
    services.option_recommend(actor=request.user, option=option)
    messages.success(request, f"Option {option.position} is now the recommended option")
    return redirect(back)


# --- Evidence ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def evidence_list(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    max_mb = settings.EVIDENCE_MAX_UPLOAD_MB
    form = EvidenceForm(request.POST or None, request.FILES or None, max_mb=max_mb)
    if request.method == "POST" and form.is_valid():
        before = referral.status
        try:
            evidence = services.evidence_add(
                actor=request.user,
                referral=referral,
                upload=form.cleaned_data["file"],
                title=form.cleaned_data["title"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            referral.refresh_from_db(fields=["status"])
            return _saved(
                request, referral, before, message=f"{evidence.original_name} uploaded", next_url=request.path
            )
    return render(
        request,
        "referrals/evidence.html",
        {
            "referral": referral,
            "form": form,
            "evidence": list(referral.evidence.filter(removed_at__isnull=True).select_related("uploaded_by")),
        },
    )


def evidence_download(request, pk, evidence_pk):
    evidence = access.get_evidence_for_user(user=request.user, referral_pk=pk, pk=evidence_pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    services.evidence_record_download(actor=request.user, evidence=evidence)
    response = FileResponse(
        open_stored(evidence),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@require_http_methods(["GET", "POST"])
def evidence_remove(request, pk, evidence_pk):
    evidence = access.get_evidence_for_user(user=request.user, referral_pk=pk, pk=evidence_pk)
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    _require_editable(referral)
    back = reverse("referrals:evidence", args=[referral.pk])
    if request.method == "POST":
        evidence.referral = referral
        services.evidence_remove(actor=request.user, evidence=evidence)
        messages.success(request, f"{evidence.original_name} removed")
        return redirect(back)
    return render(
        request,
        "referrals/confirm.html",
        {
            "referral": referral,
            "heading": f"Remove {evidence.title or evidence.original_name}?",
            "intro": ["It will no longer be part of the referral. The file is kept in the record's history."],
            "back_url": back,
            "submit_label": "Remove evidence",
            "warning": True,
        },
    )


# --- Sign-off ------------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def referral_send(request, pk):
    """Check the referral is complete and send it to the team manager."""
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    errors: list[tuple[str, str]] = []
    if request.method == "POST":
        _check_unchanged(request, referral)
        try:
            referral = services.referral_send_for_sign_off(actor=request.user, referral=referral)
        except ValidationError as exc:
            errors = _problem_links(referral, exc.message_dict)
        else:
            messages.success(request, "Sent to your team manager for sign-off")
            return redirect("referrals:detail", pk=referral.pk)
    elif referral.status not in {Status.DRAFT, Status.RETURNED}:
        return redirect("referrals:detail", pk=referral.pk)
    problems = errors or _problem_links(referral, services.completeness(referral))
    return render(
        request,
        "referrals/send.html",
        {"referral": referral, "errors": errors, "problems": problems},
    )


@require_http_methods(["GET", "POST"])
def referral_sign(request, pk):
    """Sign, or return with comments, as the team manager or the service manager."""
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    # The status the page showed: a signature or return that crossed with someone else's (or a
    # double submit) is a 409 saying who did what, never a 403 about the person's role (issue 13).
    seen = (request.POST.get("status") or None) if request.method == "POST" else None
    returning = request.POST.get("decision") == "return"
    stage = services.signer_stage(
        actor=request.user, referral=referral, expected_status=seen, returning=returning
    )
    form = SignOffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        comments = form.cleaned_data["comments"]
        try:
            if returning:
                services.referral_return(
                    actor=request.user, referral=referral, comments=comments, expected_status=seen
                )
                done = "Returned to the referrer with your comments"
            else:
                services.referral_sign(
                    actor=request.user, referral=referral, comments=comments, expected_status=seen
                )
                done = "Signed"
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/sign.html",
        {"referral": referral, "form": form, "stage": SignOffStage(stage).label.lower()},
    )


# --- Submission and the chair's decisions ------------------------------------------------------


def _meeting_form(request, referral: Referral, *, label: str, exclude: int | None = None):
    meetings = upcoming_meetings(panel=referral.panel).select_related("panel")
    if exclude:
        meetings = meetings.exclude(pk=exclude)
    closures = frozenset(referral.panel.closure_days.values_list("day", flat=True))
    deadlines = {m.pk: meeting_deadlines(m, closures).papers_due for m in meetings}
    form = MeetingForm(
        request.POST or None,
        meetings=meetings,
        deadlines=deadlines,
        today=timezone.localdate(),
        label=label,
    )
    return form, bool(deadlines)


@require_http_methods(["GET", "POST"])
def referral_submit(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if request.method == "POST":
        _check_unchanged(request, referral)
    if referral.status != Status.READY_TO_SUBMIT:
        raise InvalidTransition(
            f"This referral is {referral.get_status_display().lower()}: only a referral signed by both "
            "managers can be submitted"
        )
    form, has_meetings = _meeting_form(request, referral, label="Which meeting is it for?")
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_submit(
                actor=request.user, referral=referral, meeting=form.cleaned_data["meeting"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            if referral.is_late_paper:
                messages.success(
                    request,
                    "Submitted as a late paper: the chair will decide whether to take it at this "
                    "meeting or move it to another",
                )
            else:
                messages.success(request, f"Submitted to {referral.meeting}")
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/meeting_form.html",
        {
            "referral": referral,
            "form": form,
            "has_meetings": has_meetings,
            "heading": "Submit to a meeting",
            "submit_label": "Submit referral",
            "late_warning": True,
        },
    )


def referral_accept_late(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    if request.method != "POST":
        return redirect("referrals:detail", pk=referral.pk)
    _check_unchanged(request, referral)
    services.referral_accept_late(actor=request.user, referral=referral)
    messages.success(request, f"Late paper accepted for {referral.meeting}")
    return redirect("referrals:detail", pk=referral.pk)


@require_http_methods(["GET", "POST"])
def referral_move(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        _check_unchanged(request, referral)
    if not _is_chair(request.user, referral):
        raise NotAllowed("Only the panel's chair can do this")
    if referral.status != Status.SUBMITTED:
        raise InvalidTransition("Only a submitted referral can be moved to another meeting")
    form, has_meetings = _meeting_form(
        request, referral, label="Which meeting should it move to?", exclude=referral.meeting_id
    )
    if request.method == "POST" and form.is_valid():
        try:
            referral = services.referral_move_to_meeting(
                actor=request.user, referral=referral, meeting=form.cleaned_data["meeting"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, f"Moved to {referral.meeting}")
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/meeting_form.html",
        {
            "referral": referral,
            "form": form,
            "has_meetings": has_meetings,
            "heading": "Move to another meeting",
            "submit_label": "Move referral",
        },
    )


@require_http_methods(["GET", "POST"])
def referral_withdraw(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk, need="edit")
    if request.method == "POST":
        _check_unchanged(request, referral)
    form = WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_withdraw(
                actor=request.user, referral=referral, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Referral withdrawn")
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/action_form.html",
        {
            "referral": referral,
            "form": form,
            "heading": "Withdraw the referral",
            "intro": ["A withdrawn referral cannot be submitted or changed again."],
            "submit_label": "Withdraw referral",
            "warning": True,
        },
    )


@require_http_methods(["GET", "POST"])
def referral_close(request, pk):
    referral = access.get_referral_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        _check_unchanged(request, referral)
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.referral_close(actor=request.user, referral=referral, reason=form.cleaned_data["reason"])
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, "Referral closed")
            return redirect("referrals:detail", pk=referral.pk)
    return render(
        request,
        "referrals/action_form.html",
        {
            "referral": referral,
            "form": form,
            "heading": "Close the referral",
            "intro": [
                "A referral the panel accepted is closed only once the child has accessed suitable "
                "provision or no longer needs a response from the panel."
            ],
            "submit_label": "Close referral",
        },
    )
