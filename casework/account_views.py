"""The signed-in person's own account pages: their API tokens.

A token's secret is shown once, on the page that answers its creation, and never again.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from casework import access, services
from casework.forms import add_service_errors
from casework.models import ApiToken


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        help_text="What it is for, so you recognise it later. For example, “Team spreadsheet refresh”",
        error_messages={"required": "Enter a name for the token"},
    )
    expires_in_days = forms.IntegerField(
        label="Expires after (days)",
        min_value=1,
        error_messages={
            "required": "Enter how many days the token lasts",
            "invalid": "Enter a whole number of days",
            "min_value": "Enter at least 1 day",
        },
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expires_in_days"].validators.append(_max_days)
        self.fields["expires_in_days"].help_text = f"From 1 to {settings.API_TOKEN_MAX_DAYS} days"
        self.fields["expires_in_days"].widget.attrs.update({"class": "govuk-input govuk-input--width-4"})


def _max_days(value: int) -> None:
    if value > settings.API_TOKEN_MAX_DAYS:
        raise ValidationError(f"Enter {settings.API_TOKEN_MAX_DAYS} days or fewer")


def _own_token(request, pk) -> ApiToken:
    token = ApiToken.objects.filter(pk=access.record_id(pk), user=request.user).first()
    if token is None:
        raise Http404(access.NOT_FOUND_MESSAGE)
    return token


def api_token_list(request):
    tokens = ApiToken.objects.filter(user=request.user).select_related("revoked_by")
    return render(request, "casework/account/api_tokens.html", {"tokens": tokens})


@never_cache
@require_http_methods(["GET", "POST"])
def api_token_new(request):
    form = ApiTokenForm(request.POST or None, initial={"expires_in_days": settings.API_TOKEN_DEFAULT_DAYS})
    if request.method == "POST" and form.is_valid():
        try:
            token, secret = services.api_token_create(
                actor=request.user,
                user=request.user,
                name=form.cleaned_data["name"],
                expires_in_days=form.cleaned_data["expires_in_days"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return render(request, "casework/account/api_token_made.html", {"token": token, "secret": secret})
    return render(request, "casework/account/api_token_new.html", {"form": form})


@require_POST
def api_token_revoke(request, pk):
    token = _own_token(request, pk)
    services.api_token_revoke(actor=request.user, token=token)
    messages.success(request, f"Token “{token.name}” revoked: it no longer works")
    return redirect("api_tokens")
