"""Pages for the CETR safeguard (casework.cetr): record a child's Care, Education and Treatment
Review, or a named senior person's override with the reason. Under /children/<id>/cetr/."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpResponseNotAllowed
from django.urls import reverse

from casework import access, selectors
from casework.access import NOT_FOUND_MESSAGE
from casework.cetr import cetr_override, cetr_record, cetr_report_open, senior_people
from casework.child_page import child_page_context
from casework.forms import CetrForm, CetrOverrideForm
from casework.models import CetrRecord
from casework.web import form_page, form_step

INTRO = [
    "For an autistic child or a child with a learning disability, a CETR is held before escalation to a "
    "Joint Solutions Panel (seeds 002). A residential placement of 38 weeks a year or more needs one too "
    "(seeds 003): the referral is not submitted, nor the panel's decision signed, without it. A CETR "
    "or override counts for the referral it is recorded for, for a limited time."
]


def _back(child) -> str:
    return reverse("children:detail", args=[child.pk]) + "#cetr"


def _referrals(request, child):
    """The child's referrals this person may open (the child's page parts: referrals.child_page)."""
    referrals = child_page_context(user=request.user, child=child).get("referrals")
    if referrals is None:  # no app adds referrals to the child's page: there is nothing to name
        return CetrRecord.objects.none()
    return referrals


def _who_may(child) -> str:
    people = senior_people(child)
    if people is None:
        return "A service manager or panel chair may decide to go ahead without one: say who, and why."
    if not people.titles:
        return (
            f"Only a {people.grade} or more senior, as the partnership names them for escalation, may decide "
            "to go ahead without one, and the partnership has named nobody at that grade: ask its "
            "partnership administrator."
        )
    return (
        f"A {people.grade} or more senior, as the partnership names them for escalation, may decide to go "
        "ahead without one: say who, and why."
    )


def cetr_record_page(request, pk):
    child = access.get_child_for_user(user=request.user, pk=pk, need="change")
    form = CetrForm(request.POST or None, request.FILES or None, referrals=_referrals(request, child))
    done = form_step(
        request,
        form,
        lambda data: cetr_record(actor=request.user, child=child, **data),
        message="CETR recorded",
        then=_back(child),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Record a Care, Education and Treatment Review",
        caption=child.full_name,
        back_url=_back(child),
        submit_label="Record the CETR",
        intro=INTRO,
    )


def cetr_override_page(request, pk):
    child = access.get_child_for_user(user=request.user, pk=pk, need="change")
    form = CetrOverrideForm(
        request.POST or None, user=request.user, child=child, referrals=_referrals(request, child)
    )
    done = form_step(
        request,
        form,
        lambda data: cetr_override(actor=request.user, child=child, **data),
        message="Override recorded",
        then=_back(child),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Go ahead without a CETR",
        caption=child.full_name,
        back_url=_back(child),
        submit_label="Record the override",
        intro=[*INTRO, _who_may(child)],
    )


def cetr_report_download(request, pk, record_pk):
    """The CETR's report, for anyone who may see the child (another agency: 404, as evidence is)."""
    child = access.get_child_for_user(user=request.user, pk=pk)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    record = selectors.cetr_report_of(child=child, pk=record_pk) if str(record_pk).isdigit() else None
    if record is None:
        raise Http404(NOT_FOUND_MESSAGE)
    response = FileResponse(
        cetr_report_open(actor=request.user, record=record),
        as_attachment=True,
        filename=record.report_name,
        content_type=record.report_content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
