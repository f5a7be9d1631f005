"""Service accounts (systems that call the API) and their tokens."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import access
from casework import services as core_services
from casework.administration import forms, selectors, services
from casework.administration.views.common import _admin, _person_url, _read_only
from casework.forms import add_service_errors
from casework.models import User
from casework.web import form_page, form_step


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
