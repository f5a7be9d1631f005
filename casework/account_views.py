"""The signed-in person's own account pages: their password, their API tokens (two-step
verification is in casework/mfa_views.py), and setting a password from an e-mailed link.

A token's secret is shown once, on the page that answers its creation, and never again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import access, selectors, services
from casework.audit import record_event
from casework.forms import ApiTokenForm, add_service_errors, govuk_messages
from casework.web import form_page


def api_token_list(request):
    tokens = selectors.api_tokens_of(user=request.user)
    for token in tokens:
        token.revoke_url = reverse("api_token_revoke", args=[token.pk])
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


@require_http_methods(["GET", "POST"])
def api_token_revoke(request, pk):
    token = access.get_api_token(owner=request.user, pk=pk)
    if request.method == "POST":
        services.api_token_revoke(actor=request.user, token=token)
        messages.success(request, f"Token “{token.name}” revoked: it no longer works")
        return redirect("api_tokens")
    return form_page(
        request,
        form=None,
        heading=f"Revoke the token “{token.name}”?",
        intro=[
            "A program using it will be refused at once. This cannot be undone: make a new token instead."
        ],
        back_url=reverse("api_tokens"),
        submit_label="Revoke token",
        warning=True,
    )


# --- The account page, passwords ---------------------------------------------------------------


def account(request):
    from casework import mfa

    return render(
        request,
        "casework/account/account.html",
        {"mfa_on": mfa.has_authenticator(request.user), "mfa_required": mfa.role_requires_mfa(request.user)},
    )


def _password_hint() -> str:
    """What the sign-up validators ask for, in plain words (AUTH_PASSWORD_VALIDATORS)."""
    from django.contrib.auth import password_validation

    lengths = [
        v.min_length
        for v in password_validation.get_default_password_validators()
        if isinstance(v, password_validation.MinimumLengthValidator)
    ]
    length = f"Use at least {lengths[0]} characters. " if lengths else ""
    return (
        f"{length}Three or four random words together make a strong password that is easy to remember. "
        "Do not use a common password, your name or your email address."
    )


class _NewPasswordFields:
    """GOV.UK labels, hint and messages for the two new-password boxes of Django's forms."""

    # Mixed into Django's password forms, which have these.
    fields: dict[str, forms.Field]
    error_messages: dict[str, Any]

    def _govuk_fields(self) -> None:
        self.fields["new_password1"].label = "New password"
        self.fields["new_password1"].help_text = _password_hint()
        self.fields["new_password2"].label = "Confirm new password"
        self.fields["new_password2"].help_text = ""
        self.fields["new_password1"].error_messages["required"] = "Enter a new password"
        self.fields["new_password2"].error_messages["required"] = "Enter the new password again"
        self.error_messages = {**self.error_messages, "password_mismatch": "The two passwords do not match"}
        for name in ("new_password1", "new_password2"):
            self.fields[name].widget.attrs.update({"class": "govuk-input govuk-!-width-two-thirds"})


class PasswordChangeForm(_NewPasswordFields, auth_forms.PasswordChangeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._govuk_fields()
        self.fields["old_password"].label = "Current password"
        self.fields["old_password"].error_messages["required"] = "Enter your current password"
        self.fields["old_password"].widget.attrs.update({"class": "govuk-input govuk-!-width-two-thirds"})
        self.error_messages = {
            **self.error_messages,
            "password_incorrect": "Your current password is not right. Enter it again",
        }


class SetPasswordForm(_NewPasswordFields, auth_forms.SetPasswordForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._govuk_fields()


class PasswordResetForm(auth_forms.PasswordResetForm):
    """Asks for the e-mail address. People invited by their administrator have no password yet,
    so they may ask too; service accounts and platform operators never use this service's pages."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].label = "Email address"
        self.fields["email"].error_messages.update(
            {
                "required": "Enter your email address",
                "invalid": "Enter an email address like name@example.gov.uk",
            }
        )
        govuk_messages(self)

    def get_users(self, email):
        return selectors.password_reset_recipients(email=email)


class PasswordChangeView(auth_views.PasswordChangeView):
    form_class = PasswordChangeForm
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        # form.user is the signed-in person (the view requires one).
        record_event(actor=form.user, action="user.password_changed", obj=form.user)
        messages.success(self.request, "Your password has been changed")
        return response


class PasswordResetView(auth_views.PasswordResetView):
    form_class = PasswordResetForm
    template_name = "registration/password_reset_form.html"
    email_template_name = "registration/password_reset_email.txt"
    html_email_template_name = "registration/password_reset_email.html"
    subject_template_name = "registration/password_reset_subject.txt"

    def get_extra_email_context(self):
        return {"site_url": settings.SITE_URL.rstrip("/"), "service_name": settings.SERVICE_NAME}

    def form_valid(self, form):
        self.extra_email_context = self.get_extra_email_context()
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    form_class = SetPasswordForm
    template_name = "registration/password_reset_confirm.html"

    def form_valid(self, form):
        response = super().form_valid(form)
        record_event(actor=form.user, action="user.password_set_from_link", obj=form.user)
        return response
