"""Pages for pathway cases, under /pathways/. Thin: parse input, check access, call a service, render.

Cases are fetched only through pathways/access.py (another agency's child's case is a 404);
InvalidTransition → 409 page and NotAllowed → 403 page are mapped by DomainErrorMiddleware.
Every page about a child's case is logged in the child's access log.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework import stale
from casework.access import NOT_FOUND_MESSAGE, NotAllowed, get_child_for_user
from casework.audit import record_child_view
from casework.services import InvalidTransition
from casework.web import form_page, form_step
from pathways import access, forms, selectors, services
from pathways.models import CaseKind, PathwayCase, Status

START_KINDS = {
    "continuing-care": CaseKind.CONTINUING_CARE,
    "section-117": CaseKind.SECTION_117,
    "complex-lives": CaseKind.COMPLEX_LIVES,
    "ifr": CaseKind.IFR,
}


def _case_url(case: PathwayCase) -> str:
    return reverse("pathways:case", args=[case.pk])


def child_cases(request, child_pk):
    child = get_child_for_user(user=request.user, pk=child_pk)
    record_child_view(user=request.user, child=child, channel="page", path=request.path)
    return render(
        request,
        "pathways/child_cases.html",
        {
            "child": child,
            "summaries": selectors.pathway_timeline_for_child(user=request.user, child=child),
            "can_edit": access.can_edit_cases(user=request.user),
            "can_submit_ifr": access.can_submit_ifr(user=request.user),
        },
    )


@require_http_methods(["GET", "POST"])
def case_start(request, child_pk, kind):
    child = get_child_for_user(user=request.user, pk=child_pk)
    kind = START_KINDS.get(kind)
    if kind is None:
        raise Http404(NOT_FOUND_MESSAGE)
    back = reverse("pathways:child_cases", args=[child.pk])
    data = request.POST or None
    if kind == CaseKind.IFR:
        access.require(user=request.user, need="submit_ifr")
        form = forms.IFRForm(data)
    else:
        if not access.can_edit_cases(user=request.user):
            raise NotAllowed("Your role does not allow opening pathway cases")
        form_class = {
            CaseKind.CONTINUING_CARE: forms.ContinuingCareOpenForm,
            CaseKind.SECTION_117: forms.Section117OpenForm,
            CaseKind.COMPLEX_LIVES: forms.ComplexLivesOpenForm,
        }[kind]
        form = form_class(data, child=child)

    def start(d):
        people = {"actor": request.user, "child": child}
        if kind == CaseKind.CONTINUING_CARE:
            return services.cc_open(
                **people,
                lead_agency=d["lead_agency"],
                case_worker=d["case_worker"],
                referral_received_on=d["referral_received_on"],
            )
        if kind == CaseKind.SECTION_117:
            fields = {k: v for k, v in d.items() if k not in ("lead_agency", "case_worker")}
            return services.s117_open(
                **people, lead_agency=d["lead_agency"], case_worker=d["case_worker"], fields=fields
            )
        if kind == CaseKind.COMPLEX_LIVES:
            return services.complex_lives_open(
                **people,
                lead_agency=d["lead_agency"],
                case_worker=d["case_worker"],
                unmet_need=d["unmet_need"],
                reason=d.get("reason", ""),
            )
        return services.ifr_submit(**people, **d)

    done = form_step(
        request,
        form,
        start,
        message=lambda case: f"{case.get_kind_display()} case started",
        then=_case_url,
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"Start a {kind.label} case",
        caption=child.full_name,
        back_url=back,
        submit_label="Start the case" if kind != CaseKind.IFR else "Submit the request",
    )


def case_detail(request, pk):
    summary = selectors.case_detail(user=request.user, pk=pk)
    case = summary.case
    record_child_view(user=request.user, child=case.child, channel="page", path=request.path)
    context = {
        "summary": summary,
        "case": case,
        "child": case.child,
        "can_edit": access.can_edit_cases(user=request.user),
        "can_assess": access.can_assess(user=request.user),
    }
    if case.kind == CaseKind.CONTINUING_CARE:
        cc = case.continuing_care
        scores = selectors.dst_scores(cc=cc)
        context.update(
            cc=cc,
            package=selectors.recorded_package(user=request.user, case=case, ref=cc.funding_package_ref),
            dst=selectors.dst_rows(cc=cc),
            prompt=selectors.dst_prompt(scores=scores, settings=selectors.settings_for(case.lead_agency)),
            transition=selectors.transition_steps(cc=cc, child=case.child),
        )
    elif case.kind == CaseKind.SECTION_117:
        s117 = case.section_117
        context.update(
            s117=s117,
            s117_side=access.s117_side(user=request.user, s117=s117),
            package=selectors.recorded_package(user=request.user, case=case, ref=s117.funding_package_ref),
        )
    elif case.kind == CaseKind.COMPLEX_LIVES:
        context.update(cl=case.complex_lives, meetings=selectors.mdt_meetings(case=case))
    elif case.kind == CaseKind.IFR:
        context.update(
            ifr=case.ifr,
            can_decide_ifr=access.can_decide_ifr(user=request.user),
            can_submit_ifr=access.can_submit_ifr(user=request.user),
        )
    return render(request, "pathways/case_detail.html", context)


def _step(
    request,
    pk,
    *,
    heading: str,
    submit_label: str,
    form_factory: Callable,
    call: Callable,
    kinds=None,
    success: str = "Saved",
    intro: list[str] | None = None,
    saved: Callable | None = None,
    may: access.IFRNeed | None = None,
):
    """A one-form step on a case: fetch (404 if not visible), build the form, call the service,
    put a ValidationError back on the form with what was typed. Someone else's change first
    (InvalidTransition) answers 409 with this page, keeping what was typed beside the case as saved;
    `saved(case) -> (values, refresh)` gives, for a form that edits saved text, the saved value of
    each field and its hidden fingerprint's new value, so a second save after a StaleEdit goes through.
    `may`: the access.require need: someone the service would refuse is not shown the form either
    (403 with access.REFUSALS[may], after the 404 for a case they cannot see)."""
    case = access.get_case_for_user(user=request.user, pk=pk)
    if kinds and case.kind not in kinds:
        raise Http404(NOT_FOUND_MESSAGE)
    if may is not None:
        access.require(user=request.user, need=may)
    if request.method == "GET":  # the form shows the child and the case as saved (issue 12)
        record_child_view(user=request.user, child=case.child, channel="page", path=request.path)
    form = form_factory(case, request.POST or None)

    def conflict(error: InvalidTransition) -> stale.Conflict:
        now = access.get_case_for_user(user=request.user, pk=pk)
        values, refresh = saved(now) if saved else ({}, None)
        return stale.conflict(
            form=form,
            message=str(error),
            saved=values,
            refresh=refresh if isinstance(error, stale.StaleEdit) else None,
            saved_by=stale.last_saved(now),
            context=[("Stage", now.get_status_display())],
        )

    return form_page(
        request,
        form=form,
        run=lambda _data: call(case, form),
        then=_case_url(case),
        back_url=_case_url(case),
        message=success,
        conflict=conflict,
        heading=heading,
        caption=f"{case.get_kind_display()}: {case.child.full_name}",
        submit_label=submit_label,
        intro=intro or [],
    )


def _plain(form_class):
    return lambda case, data: form_class(data)


def _service_step(
    service: Callable,
    form_class,
    *,
    kinds,
    heading: str,
    submit_label: str,
    success: str,
    intro=None,
    may: access.IFRNeed | None = None,
):
    """The page of a step whose form's fields are the service's keywords, as they are."""

    def view(request, pk):
        return _step(
            request,
            pk,
            heading=heading,
            submit_label=submit_label,
            kinds=kinds,
            form_factory=_plain(form_class),
            call=lambda case, f: service(actor=request.user, case=case, **f.cleaned_data),
            success=success,
            intro=intro,
            may=may,
        )

    # Each page keeps a name of its own (tracebacks, the access sweep's one-door-per-view).
    view.__name__ = view.__qualname__ = f"{service.__name__}_page"
    return require_http_methods(["GET", "POST"])(view)


CC = [CaseKind.CONTINUING_CARE]


cc_checklist = _service_step(
    services.cc_record_checklist,
    forms.ChecklistForm,
    kinds=CC,
    heading="Checklist (pre-assessment)",
    submit_label="Save the checklist",
    success="Checklist recorded",
)


@require_http_methods(["GET", "POST"])
def cc_evidence(request, pk):
    def saved(case):
        cc = case.continuing_care
        seen = services.evidence_fingerprint(cc)
        return {k: getattr(cc, k) for k in services.EVIDENCE_FIELDS}, {"seen": seen}

    def factory(case, data):
        values, refresh = saved(case)
        return forms.EvidenceForm(data, initial={**values, **refresh})

    def call(case, f):
        d = dict(f.cleaned_data)
        seen = d.pop("seen")
        services.cc_record_evidence(actor=request.user, case=case, **d, seen=seen)

    return _step(
        request,
        pk,
        heading="Areas of evidence",
        submit_label="Save the evidence",
        kinds=CC,
        form_factory=factory,
        call=call,
        success="Evidence recorded",
        saved=saved,
    )


@require_http_methods(["GET", "POST"])
def cc_dst(request, pk):
    def saved(case):
        cc = case.continuing_care
        values = {}
        for score in selectors.dst_scores(cc=cc):
            values[f"{score.domain.code}-level"] = score.level
            values[f"{score.domain.code}-evidence"] = score.evidence
        return values, {"seen": services.dst_fingerprint(cc)}

    def factory(case, data):
        cc = case.continuing_care
        return forms.DSTForm(
            data,
            scores={s.domain_id: s for s in selectors.dst_scores(cc=cc)},
            initial={"seen": services.dst_fingerprint(cc)},
        )

    def call(case, f):
        try:
            services.cc_save_dst(
                actor=request.user, case=case, scores=f.scores(), seen=f.cleaned_data["seen"]
            )
        except ValidationError as error:
            raise f.service_errors(error) from None

    return _step(
        request,
        pk,
        heading="Decision Support Tool",
        submit_label="Save the scores",
        kinds=CC,
        form_factory=factory,
        call=call,
        success="Decision Support Tool saved",
        saved=saved,
        intro=[
            "Score each care domain at the level that best describes the child's needs, with the evidence."
        ],
    )


@require_http_methods(["GET", "POST"])
def cc_recommend(request, pk):
    case = access.get_case_for_user(user=request.user, pk=pk)
    intro = []
    if case.kind == CaseKind.CONTINUING_CARE:
        prompt = selectors.dst_prompt(
            scores=selectors.dst_scores(cc=case.continuing_care),
            settings=selectors.settings_for(case.lead_agency),
        )
        intro = [
            f"The DST prompt suggests: {prompt.summary.lower()}"
            + (f" ({'; '.join(prompt.reasons)})." if prompt.reasons else "."),
            "It is only a prompt: you make the recommendation and give your reasons.",
        ]
    return _step(
        request,
        pk,
        heading="Recommendation",
        submit_label="Make the recommendation",
        kinds=CC,
        form_factory=_plain(forms.RecommendForm),
        call=lambda case, f: services.cc_recommend(actor=request.user, case=case, **f.cleaned_data),
        success="Recommendation recorded",
        intro=intro,
    )


@require_http_methods(["GET", "POST"])
def cc_decision(request, pk):
    def call(case, f):
        services.cc_record_decision(actor=request.user, case=case, **f.cleaned_data)

    return _step(
        request,
        pk,
        heading="Multi-agency decision",
        submit_label="Record the decision",
        kinds=CC,
        form_factory=lambda case, data: forms.DecisionForm(
            data, referrals=selectors.panel_referrals_for_case(user=request.user, case=case)
        ),
        call=call,
        success="Decision recorded",
    )


@require_http_methods(["GET", "POST"])
def cc_package(request, pk):
    return _step(
        request,
        pk,
        heading="Package",
        submit_label="Record the package",
        kinds=CC,
        form_factory=lambda case, data: forms.PackageForm(
            data, packages=selectors.funding_packages_for_case(user=request.user, case=case)
        ),
        call=lambda case, f: services.cc_record_package(actor=request.user, case=case, **f.cleaned_data),
        success="Package recorded",
    )


cc_transition = _service_step(
    services.cc_record_transition_step,
    forms.TransitionForm,
    kinds=CC,
    heading="Transition to adult NHS Continuing Healthcare",
    submit_label="Record the step",
    success="Transition step recorded",
)


review_add = _service_step(
    services.review_record,
    forms.ReviewForm,
    kinds=[CaseKind.CONTINUING_CARE, CaseKind.SECTION_117],
    heading="Record a review",
    submit_label="Record the review",
    success="Review recorded",
)


case_close = _service_step(
    services.case_close,
    forms.CloseForm,
    kinds=[CaseKind.CONTINUING_CARE, CaseKind.COMPLEX_LIVES],
    heading="Close the case",
    submit_label="Close the case",
    success="Case closed",
)


@require_http_methods(["GET", "POST"])
def s117_plan(request, pk):
    def saved(case):
        s = case.section_117
        seen = services.plan_fingerprint(s)
        return {k: getattr(s, k) for k in services.S117_UPDATABLE}, {"seen": seen}

    def factory(case, data):
        values, refresh = saved(case)
        return forms.S117PlanForm(
            data,
            initial={**values, **refresh},
            packages=selectors.funding_packages_for_case(user=request.user, case=case),
        )

    def call(case, f):
        fields = dict(f.cleaned_data)
        seen = fields.pop("seen")
        services.s117_update(actor=request.user, case=case, fields=fields, seen=seen)

    return _step(
        request,
        pk,
        heading="Aftercare plan",
        submit_label="Save the plan",
        kinds=[CaseKind.SECTION_117],
        form_factory=factory,
        call=call,
        success="Aftercare plan saved",
        saved=saved,
    )


s117_end = _service_step(
    services.s117_confirm_end,
    forms.S117EndForm,
    kinds=[CaseKind.SECTION_117],
    heading="Confirm aftercare can end",
    submit_label="Confirm for my agency",
    success="Confirmation recorded",
    intro=[
        "Section 117 aftercare ends only when both the ICB and the council confirm, and never while a "
        "community treatment order is in force."
    ],
)


@require_http_methods(["GET", "POST"])
def mdt_add(request, pk):
    def call(case, f):
        d = dict(f.cleaned_data)
        agencies = d.pop("agencies")
        services.mdt_record(actor=request.user, case=case, fields=d, agencies=agencies)

    return _step(
        request,
        pk,
        heading="Record an MDT meeting",
        submit_label="Record the meeting",
        kinds=[CaseKind.COMPLEX_LIVES],
        form_factory=lambda case, data: forms.MDTForm(data, child=case.child),
        call=call,
        success="MDT meeting recorded",
    )


IFR = [CaseKind.IFR]


@require_http_methods(["GET", "POST"])
def ifr_decision(request, pk):
    return _step(
        request,
        pk,
        heading="IFR panel decision",
        submit_label="Record the decision",
        kinds=IFR,
        may="decide_ifr",
        form_factory=_plain(forms.IFRDecisionForm),
        call=lambda case, f: services.ifr_decide(
            actor=request.user, case=case, decision=f.cleaned_data["decision"], reasons=f.reasons_given()
        ),
        success="Decision recorded",
    )


ifr_information = _service_step(
    services.ifr_add_information,
    forms.IFRInformationForm,
    kinds=IFR,
    may="add_to_ifr",
    heading="Send more information",
    submit_label="Send",
    success="Information sent",
)


ifr_appeal = _service_step(
    services.ifr_request_appeal,
    forms.IFRAppealForm,
    kinds=IFR,
    may="add_to_ifr",
    heading="Ask for an appeal or review",
    submit_label="Ask for an appeal",
    success="Appeal requested",
)


__all__ = ["Status"]
