"""The agencies and teams of the administrator's partnership."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework import access
from casework import services as core_services
from casework.administration import forms, selectors, services
from casework.administration.views.common import _admin, _read_only
from casework.web import form_page, form_step


def agency_list(request):
    user = _admin(request)
    if refused := _read_only(request):
        return refused
    return render(
        request,
        "casework/administration/agency_list.html",
        {
            "agencies": list(selectors.agency_list(user=user)),
            "partnership": access.agency_of(user).partnership,
        },
    )


@require_http_methods(["GET", "POST"])
def agency_new(request):
    user = _admin(request)
    form = forms.AgencyForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: core_services.agency_create(
            actor=user,
            name=data["name"].strip(),
            kind=data["kind"],
            ods_code=data["ods_code"],
            partnership=access.agency_of(user).partnership,
        ),
        message=lambda agency: f"{agency.name} added to {agency.partnership}",
        then=lambda agency: reverse("administration:agency", args=[agency.pk]),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add an agency",
        caption=access.agency_of(user).partnership,
        intro=[
            f"The agency joins {access.agency_of(user).partnership}. An agency's partnership never changes."
        ],
        back_url=reverse("administration:agencies"),
        submit_label="Add agency",
    )


def agency_detail(request, pk):
    user = _admin(request)
    agency = access.get_administered_agency(user=user, pk=pk)
    if refused := _read_only(request):
        return refused
    return render(
        request,
        "casework/administration/agency_detail.html",
        {"agency": agency, "teams": list(selectors.agency_teams(agency=agency))},
    )


@require_http_methods(["GET", "POST"])
def agency_edit(request, pk):
    user = _admin(request)
    agency = access.get_administered_agency(user=user, pk=pk)
    form = forms.AgencyForm(
        request.POST or None, initial={"name": agency.name, "kind": agency.kind, "ods_code": agency.ods_code}
    )
    done = form_step(
        request,
        form,
        lambda data: services.agency_update(actor=user, agency=agency, **data),
        message="Agency details saved",
        then=reverse("administration:agency", args=[agency.pk]),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"Change {agency.name}",
        caption=agency.partnership,
        back_url=reverse("administration:agency", args=[agency.pk]),
        submit_label="Save changes",
    )


@require_http_methods(["GET", "POST"])
def team_new(request, pk):
    user = _admin(request)
    agency = access.get_administered_agency(user=user, pk=pk)
    form = forms.TeamForm(request.POST or None)
    done = form_step(
        request,
        form,
        lambda data: core_services.team_create(actor=user, agency=agency, name=data["name"]),
        message=lambda team: f"{team.name} added",
        then=reverse("administration:agency", args=[agency.pk]) + "#teams",
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add a team",
        caption=agency.name,
        back_url=reverse("administration:agency", args=[agency.pk]) + "#teams",
        submit_label="Add team",
    )


@require_http_methods(["GET", "POST"])
def team_rename(request, pk):
    user = _admin(request)
    team = access.get_administered_team(user=user, pk=pk)
    form = forms.TeamForm(request.POST or None, initial={"name": team.name})
    back = reverse("administration:agency", args=[team.agency_id]) + "#teams"
    done = form_step(
        request,
        form,
        lambda data: services.team_rename(actor=user, team=team, name=data["name"]),
        message="Team renamed",
        then=back,
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"Rename {team.name}",
        caption=team.agency.name,
        back_url=back,
        submit_label="Rename team",
    )
