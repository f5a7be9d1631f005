"""The people of the administrator's partnership: invite, change, move, close and reopen an
account, reset an authenticator, resend an invitation."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from casework import access, leavers
from casework.administration import forms, selectors, services
from casework.administration.views.common import PAGE_SIZE, _admin, _person_url, _read_only
from casework.models import User
from casework.web import form_page


def people_list(request):
    user = _admin(request)
    if refused := _read_only(request):
        return refused
    agencies = access.agencies_administered_by(user=user).order_by("name")
    form = forms.PeopleFilterForm(request.GET or None, agencies=agencies)
    agency, state = None, "active"
    if form.is_bound and form.is_valid():
        agency, state = form.cleaned_data["agency"], form.cleaned_data["state"] or "active"
    people = selectors.people_list(user=user, agency=agency, state=state)
    page = Paginator(people, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "casework/administration/people_list.html",
        {"page": page, "form": form, "partnership": access.agency_of(user).partnership},
    )


@require_http_methods(["GET", "POST"])
def person_invite(request):
    user = _admin(request)
    form = forms.InviteForm(
        request.POST or None,
        agencies=access.agencies_administered_by(user=user).order_by("name"),
        teams=access.teams_administered_by(user=user),
    )
    return form_page(
        request,
        form=form,
        run=lambda data: services.person_invite(
            actor=user,
            email=data["email"],
            full_name=data["full_name"],
            agency=data["agency"],
            roles=data["roles"],
            job_title=data["job_title"],
            teams=list(data["teams"]),
            delegated_limit=data["delegated_limit"],
        ),
        message=lambda person: f"Invitation sent to {person.email}",
        then=_person_url,
        heading="Invite a person",
        caption=access.agency_of(user).partnership,
        intro=[
            "We e-mail them a link to set their password. Until they do, they cannot sign in.",
            "A role gives what that job needs and nothing more. No role shows a child's record by itself: "
            "people see the children their agency is involved with.",
        ],
        back_url=reverse("administration:people"),
        submit_label="Send invitation",
    )


def person_detail(request, pk):
    user = _admin(request)
    person = access.get_administered_account(user=user, pk=pk)
    if refused := _read_only(request):
        return refused
    context: dict[str, object] = {
        "person": person,
        "own": person.pk == user.pk,
        "teams": selectors.account_teams(account=person),
        "invited": not person.is_service_account and not person.has_usable_password(),
        "has_authenticator": selectors.has_authenticator(account=person),
    }
    if person.is_service_account:
        tokens = list(selectors.account_tokens(account=person))
        for token in tokens:
            token.revoke_url = reverse("administration:token_revoke", args=[person.pk, token.pk])
        context["tokens"] = tokens
    return render(request, "casework/administration/person_detail.html", context)


@require_http_methods(["GET", "POST"])
def person_edit(request, pk):
    user = _admin(request)
    person = access.get_administered_account(user=user, pk=pk)
    own = person.pk == user.pk
    initial = {
        "full_name": person.full_name,
        "job_title": person.job_title,
        "roles": person.roles,
        "delegated_limit": person.delegated_limit,
    }
    form = forms.PersonForm(
        request.POST or None, initial=initial, own=own, service_account=person.is_service_account
    )

    def update(cleaned: dict[str, Any]) -> User:
        # Fields the form leaves out (a person's own roles and limit) keep what they were.
        data = {**initial, **cleaned}
        return services.person_update(
            actor=user,
            person=person,
            full_name=data["full_name"],
            job_title=data["job_title"],
            roles=list(data["roles"]),
            delegated_limit=data["delegated_limit"],
        )

    return form_page(
        request,
        form=form,
        run=update,
        message="Changes saved",
        then=_person_url(person),
        heading=f"Change {person.full_name or person.email}'s details",
        caption=access.agency_of(person).name,
        inset="Your own roles and delegated limit are changed by another partnership administrator."
        if own
        else "",
        back_url=_person_url(person),
        submit_label="Save changes",
    )


@require_http_methods(["GET", "POST"])
def person_move(request, pk):
    user = _admin(request)
    person = access.get_administered_account(user=user, pk=pk)
    access.require_not_self(actor=user, account=person, doing="change the agency or teams")
    form = forms.MoveForm(
        request.POST or None,
        initial={
            "agency": person.agency_id,
            "teams": [t.pk for t in selectors.account_teams(account=person)],
        },
        agencies=access.agencies_administered_by(user=user).order_by("name"),
        teams=access.teams_administered_by(user=user),
    )
    return form_page(
        request,
        form=form,
        run=lambda data: services.person_move(
            actor=user, person=person, agency=data["agency"], teams=list(data["teams"])
        ),
        message="Agency and teams saved",
        then=_person_url(person),
        heading=f"Change {person.full_name or person.email}'s agency or teams",
        caption=access.agency_of(person).name,
        intro=[
            "People move between teams and agencies of your partnership only. They see the children of their new agency."
        ],
        back_url=_person_url(person),
        submit_label="Save",
    )


def _confirmation(
    request: HttpRequest, *, run: Callable[[], object], message: str, then: str, **page: Any
) -> HttpResponse:
    """A yes-or-no page (no fields): its POST runs the service, says so and goes to `then`; a
    refusal is the service's (InvalidTransition's 409, NotAllowed's 403), as on every form page."""
    return form_page(
        request, form=Form(request.POST), run=lambda _data: run(), then=then, message=message, **page
    )


def _leaving(person) -> list[str]:
    """What closing the account ends and leaves (casework.leavers), for the page that asks."""
    name = person.full_name or person.email
    work, ends = leavers.what_they_hold(person=person)
    said = [f"{held.label} end now: {held.count}." for held in ends]
    if work:
        listed = "; ".join(f"{held.label[0].lower()}{held.label[1:]} ({held.count})" for held in work)
        managers = [m.full_name for m in leavers.managers_of(person)]
        said.append(
            f"Still {name}'s, for someone else to finish: {listed}. "
            + (
                f"{', '.join(managers)} will be told to give it to someone else."
                if managers
                else "Nobody in the service manages them: ask their agency's service manager to give it "
                "to someone else."
            )
        )
    return said


def _set_active(request, pk, *, active: bool):
    user = _admin(request)
    person = access.get_administered_account(user=user, pk=pk)
    access.require_not_self(actor=user, account=person, doing="close or reopen the account")
    name = person.full_name or person.email
    change = services.person_reactivate if active else services.person_deactivate
    return _confirmation(
        request,
        run=lambda: change(actor=user, person=person),
        message=f"{name}'s account {'reopened' if active else 'closed'}",
        then=_person_url(person),
        heading=f"{'Reopen' if active else 'Close'} {name}'s account?",
        caption=access.agency_of(person).name,
        intro=[
            "They will be able to sign in again with their password, and their API tokens work again."
            if active
            else "They will no longer be able to sign in, and their API tokens stop working. "
            "Their records and history stay.",
            *([] if active else _leaving(person)),
        ],
        back_url=_person_url(person),
        submit_label="Reopen account" if active else "Close account",
        warning=not active,
    )


@require_http_methods(["GET", "POST"])
def authenticator_reset(request, pk):
    """A lost phone: remove the person's authenticator app and recovery codes and end their
    sessions; at their next sign-in they set up a new app (casework.mfa.authenticator_reset)."""
    from casework import mfa

    user = _admin(request)
    person = access.get_administered_account(user=user, pk=pk)
    access.require_not_self(actor=user, account=person, doing="reset the authenticator app")
    name = person.full_name or person.email
    return _confirmation(
        request,
        run=lambda: mfa.authenticator_reset(actor=user, user=person),
        message=f"{name}'s authenticator app removed and their sessions ended",
        then=_person_url(person),
        heading=f"Reset {name}'s authenticator app?",
        caption=access.agency_of(person).name,
        intro=[
            "Do this when they have lost the phone with their authenticator app and have no recovery codes "
            "left. Their app and recovery codes stop working and they are signed out everywhere.",
            "At their next sign-in they set up a new app. Make sure it is really them who asked.",
        ],
        back_url=_person_url(person),
        submit_label="Reset authenticator app",
        warning=True,
    )


@require_http_methods(["GET", "POST"])
def person_deactivate(request, pk):
    return _set_active(request, pk, active=False)


@require_http_methods(["GET", "POST"])
def person_reactivate(request, pk):
    return _set_active(request, pk, active=True)


@require_http_methods(["GET", "POST"])
def invitation_resend(request, pk):
    user = _admin(request)
    person = access.get_administered_account(user=user, pk=pk)
    return _confirmation(
        request,
        run=lambda: services.invitation_resend(actor=user, person=person),
        message=f"Invitation sent again to {person.email}",
        then=_person_url(person),
        heading=f"Send {person.full_name or person.email} a new invitation?",
        caption=access.agency_of(person).name,
        intro=[f"We e-mail {person.email} a new link to set their password."],
        back_url=_person_url(person),
        submit_label="Send invitation",
    )
