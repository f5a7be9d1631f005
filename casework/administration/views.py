"""The partnership administrator's pages, under /administration/. Thin: parse input, check access,
call a service, render.

Anyone who is not a partnership administrator gets the same 404 as a missing page; an agency,
team, person or service account of another partnership is the same 404 too (casework.access).
NotAllowed (their own roles, say) is the 403 page and InvalidTransition the 409 page, both from
DomainErrorMiddleware.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import access
from casework import services as core_services
from casework.administration import forms, selectors, services
from casework.forms import add_service_errors
from casework.models import User
from casework.web import form_page, form_step

PAGE_SIZE = 25


def _admin(request) -> User:
    access.require_partnership_administrator(request.user)
    return request.user


def _read_only(request) -> HttpResponseNotAllowed | None:
    """Pages that only show: access is checked first (by the caller), so another partnership's POST
    is the same 404 as its GET rather than a 405 that would confirm the page exists."""
    if request.method in ("GET", "HEAD"):
        return None
    return HttpResponseNotAllowed(["GET", "HEAD"])


def _person_url(person: User) -> str:
    return reverse("administration:person", args=[person.pk])


def index(request):
    user = _admin(request)
    if refused := _read_only(request):
        return refused
    return render(
        request, "casework/administration/index.html", {"partnership": access.agency_of(user).partnership}
    )


# --- Agencies and teams ---------------------------------------------------------------------------


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


# --- People ---------------------------------------------------------------------------------------


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
    done = form_step(
        request,
        form,
        lambda data: services.person_invite(
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
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
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

    done = form_step(request, form, update, message="Changes saved", then=_person_url(person))
    if done:
        return done
    return form_page(
        request,
        form=form,
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
    done = form_step(
        request,
        form,
        lambda data: services.person_move(
            actor=user, person=person, agency=data["agency"], teams=list(data["teams"])
        ),
        message="Agency and teams saved",
        then=_person_url(person),
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading=f"Change {person.full_name or person.email}'s agency or teams",
        caption=access.agency_of(person).name,
        intro=[
            "People move between teams and agencies of your partnership only. They see the children of their new agency."
        ],
        back_url=_person_url(person),
        submit_label="Save",
    )


def _set_active(request, pk, *, active: bool):
    user = _admin(request)
    person = access.get_administered_account(user=user, pk=pk)
    access.require_not_self(actor=user, account=person, doing="close or reopen the account")
    name = person.full_name or person.email
    if request.method == "POST":
        change = services.person_reactivate if active else services.person_deactivate
        change(actor=user, person=person)
        messages.success(request, f"{name}'s account {'reopened' if active else 'closed'}")
        return redirect(_person_url(person))
    return form_page(
        request,
        form=None,
        heading=f"{'Reopen' if active else 'Close'} {name}'s account?",
        caption=access.agency_of(person).name,
        intro=[
            "They will be able to sign in again with their password, and their API tokens work again."
            if active
            else "They will no longer be able to sign in, and their API tokens stop working. "
            "Their records and history stay."
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
    if request.method == "POST":
        mfa.authenticator_reset(actor=user, user=person)
        messages.success(request, f"{name}'s authenticator app removed and their sessions ended")
        return redirect(_person_url(person))
    return form_page(
        request,
        form=None,
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
    if request.method == "POST":
        services.invitation_resend(actor=user, person=person)
        messages.success(request, f"Invitation sent again to {person.email}")
        return redirect(_person_url(person))
    return form_page(
        request,
        form=None,
        heading=f"Send {person.full_name or person.email} a new invitation?",
        caption=access.agency_of(person).name,
        intro=[f"We e-mail {person.email} a new link to set their password."],
        back_url=_person_url(person),
        submit_label="Send invitation",
    )


# --- Service accounts -----------------------------------------------------------------------------


def service_account_list(request):
    user = _admin(request)
    if refused := _read_only(request):
        return refused
    return render(
        request,
        "casework/administration/service_account_list.html",
        {
            "accounts": list(selectors.service_accounts(user=user)),
            "partnership": access.agency_of(user).partnership,
        },
    )


@require_http_methods(["GET", "POST"])
def service_account_new(request):
    user = _admin(request)
    form = forms.ServiceAccountForm(
        request.POST or None, agencies=access.agencies_administered_by(user=user).order_by("name")
    )
    done = form_step(
        request,
        form,
        lambda data: services.service_account_create(actor=user, **data),
        message=lambda account: f"Service account {account.full_name} added",
        then=_person_url,
    )
    if done:
        return done
    return form_page(
        request,
        form=form,
        heading="Add a service account",
        caption=access.agency_of(user).partnership,
        intro=[
            "A service account lets another system use the API for one agency. It never signs in to "
            "these pages and has no password: it uses tokens you make for it, read only or limited to "
            "named operations."
        ],
        back_url=reverse("administration:service_accounts"),
        submit_label="Add service account",
    )


def _service_account(request, pk) -> tuple[User, User]:
    user = _admin(request)
    account = access.get_administered_account(user=user, pk=pk)
    if not account.is_service_account:
        raise access.NotAllowed("Tokens are made here only for service accounts")
    return user, account


@never_cache
@require_http_methods(["GET", "POST"])
def token_new(request, pk):
    from casework.tokens import api_operation_names

    user, account = _service_account(request, pk)
    form = forms.ServiceTokenForm(
        request.POST or None,
        initial={"expires_in_days": settings.API_TOKEN_DEFAULT_DAYS, "scope": "read_only"},
        operations=sorted(api_operation_names()),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            token, secret = core_services.api_token_create(
                actor=user,
                user=account,
                name=data["name"],
                expires_in_days=data["expires_in_days"],
                scope=data["scope"],
                operations=data["operations"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return render(
                request,
                "casework/administration/token_made.html",
                {"token": token, "secret": secret, "account": account},
            )
    return form_page(
        request,
        form=form,
        heading="Make a token",
        caption=account.full_name,
        intro=["You will see the token once, on the next page: copy it into the system that needs it."],
        back_url=_person_url(account) + "#tokens",
        submit_label="Make token",
    )


@require_http_methods(["GET", "POST"])
def token_revoke(request, pk, token_pk):
    user, account = _service_account(request, pk)
    token = access.get_api_token(owner=account, pk=token_pk)
    if request.method == "POST":
        core_services.api_token_revoke(actor=user, token=token)
        messages.success(request, f"Token “{token.name}” revoked: it no longer works")
        return redirect(_person_url(account) + "#tokens")
    return form_page(
        request,
        form=None,
        heading=f"Revoke the token “{token.name}”?",
        caption=account.full_name,
        intro=[
            "The system using it will be refused at once. This cannot be undone: make a new token instead."
        ],
        back_url=_person_url(account) + "#tokens",
        submit_label="Revoke token",
        warning=True,
    )


# --- Background work ------------------------------------------------------------------------------


def background_work(request):
    """E-mails, packs and papers owed for the partnership: whether the background processes are
    running, what is waiting, and what failed (each can be tried again)."""
    from casework import outbox

    user = _admin(request)
    if refused := _read_only(request):
        return refused
    status = request.GET.get("status")
    if status not in selectors.JOB_STATES:
        status = "failed"
    page = Paginator(selectors.background_jobs(user=user, status=status), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for job in page:
        job.label = outbox.label_for(job.kind)
    return render(
        request,
        "casework/administration/background_work.html",
        {
            "partnership": access.agency_of(user).partnership,
            "summary": selectors.background_summary(user=user),
            "relay": outbox.relay_health(),
            "status": status,
            "states": selectors.JOB_STATES,
            "page": page,
        },
    )


def background_job_retry(request, pk):
    from casework import outbox

    user = _admin(request)
    job = access.get_administered_background_job(user=user, pk=pk)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    outbox.job_retry(actor=user, job=job)
    messages.success(request, f"{outbox.label_for(job.kind)} will be tried again: {job.summary}")
    return redirect(reverse("administration:background_work") + "?status=waiting")
