"""The partnership administrator's escalation pages, under /pathways/: who may authorise each rung
of the ladder, at which grade, and the partnership's escalation settings. Included by
pathways/urls.py (names `pathways:authoriser*` and `pathways:escalation_settings`).

Anyone but a partnership administrator gets the same 404 as a missing page; an authoriser of
another partnership is the same 404 too. Nothing here shows a child or an escalation.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods

from casework import access as core_access
from casework.web import form_page, form_step
from pathways import access, selectors, services
from pathways.forms import AuthoriserForm, EscalationSettingsForm


def _admin(request):
    core_access.require_partnership_administrator(request.user)
    return request.user


def authoriser_list(request):
    user = _admin(request)
    if request.method not in ("GET", "HEAD"):  # after the access check: an outsider's POST is a 404 too
        return HttpResponseNotAllowed(["GET", "HEAD"])
    authorisers = selectors.authorisers_listed(user=user)
    partnership = user.agency.partnership
    return render(
        request,
        "pathways/escalation/authorisers.html",
        {
            "authorisers": authorisers,
            "settings": services.settings_of(partnership=partnership),
            "partnership": partnership,
            "nav_section": "administration",
        },
    )


@require_http_methods(["GET", "POST"])
def authoriser_add(request):
    user = _admin(request)
    people = selectors.authoriser_candidates(user=user)
    form = AuthoriserForm(request.POST or None, people=people)
    done = form_step(
        request,
        form,
        lambda data: services.escalation_authoriser_add(actor=user, **data),
        message=lambda row: f"{row.user.full_name} may now authorise as {row.get_seniority_display()}",
        then=reverse("pathways:authorisers"),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add an escalation authoriser",
        caption=user.agency.partnership,
        intro=[
            "Escalation needs the authorisation of a Service Group Manager or Assistant Director, or a "
            "Director for an Exceptional Resourcing Group, or their equivalent in a partner organisation. "
            "Record each person's grade here. Recording a grade shows them no child's record."
        ],
        back_url=reverse("pathways:authorisers"),
        nav_section="administration",
        submit_label="Add authoriser",
    )


@require_http_methods(["GET", "POST"])
def authoriser_end(request, pk):
    user = _admin(request)
    row = access.get_administered_authoriser(user=user, pk=pk)
    core_access.require_not_self(actor=user, account=row.user, doing="record an escalation grade")
    name = row.user.full_name or row.user.email
    if request.method == "POST":
        services.escalation_authoriser_end(actor=user, authoriser=row)
        messages.success(request, f"{name} may no longer authorise escalation")
        return redirect("pathways:authorisers")
    return form_page(
        request,
        form=None,
        heading=f"End {name}'s grade as an authoriser?",
        caption=row.job_title,
        intro=["They will no longer be offered as an authoriser. Steps they authorised keep their record."],
        back_url=reverse("pathways:authorisers"),
        nav_section="administration",
        submit_label="End grade",
        warning=True,
    )


@require_http_methods(["GET", "POST"])
def escalation_settings(request):
    user = _admin(request)
    partnership = user.agency.partnership
    current = services.settings_of(partnership=partnership)
    form = EscalationSettingsForm(request.POST or None, instance=current)
    done = form_step(
        request,
        form,
        lambda data: services.escalation_settings_update(
            actor=user,
            partnership=partnership,
            fields={name: data[name] for name in services.SETTINGS_FIELDS},
        ),
        message="Escalation settings saved",
        then=reverse("pathways:authorisers"),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Escalation settings",
        caption=partnership,
        intro=[
            "The escalation ladder's clocks and the grade each decision needs (seeds 002: a Rapid Solutions "
            "Group within 24 hours and at least twice a week; an Exceptional Resourcing Group at most weekly, "
            "reporting monthly, agreed by a Director)."
        ],
        back_url=reverse("pathways:authorisers"),
        nav_section="administration",
        submit_label="Save settings",
    )


urlpatterns = [
    path("escalation-authorisers/", authoriser_list, name="authorisers"),
    path("escalation-authorisers/new/", authoriser_add, name="authoriser_add"),
    path("escalation-authorisers/<str:pk>/end/", authoriser_end, name="authoriser_end"),
    path("escalation-settings/", escalation_settings, name="escalation_settings"),
]
