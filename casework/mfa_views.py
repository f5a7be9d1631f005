"""Two-step verification pages: the code step of signing in, setting up (or replacing) an
authenticator app, and recovery codes. The rules are in casework/mfa.py.

Every journey works without a camera or JavaScript: the secret is shown as text and as an
otpauth:// link beside the QR code.
"""

from __future__ import annotations

import qrcode
import qrcode.image.svg
from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from casework import mfa, selectors
from casework.forms import GovUKForm, add_service_errors


class CodeForm(GovUKForm):
    code = forms.CharField(
        label="Code",
        max_length=20,
        error_messages={"required": "Enter the 6-digit code from your authenticator app"},
    )

    def __init__(self, *args, label: str = "Code", hint: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        field.label = label
        field.help_text = hint
        field.widget.attrs.update(
            {
                "class": "govuk-input govuk-input--width-10",
                "autocomplete": "one-time-code",
                "spellcheck": "false",
                "autocapitalize": "none",
            }
        )


def _next_url(request) -> str:
    """Where to go once the step is done: the page they asked for, if it is one of ours."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse(settings.LOGIN_REDIRECT_URL)


def _qr_svg(uri: str) -> str:
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathImage, box_size=15, border=2)
    svg = image.to_string(encoding="unicode")
    return svg.replace("<svg ", '<svg role="img" aria-label="QR code for your authenticator app" ', 1)


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_verify(request):
    """The second step of signing in: a code from the app, or a recovery code."""
    user = request.user
    if not user.is_authenticated:
        return redirect("login")
    if not mfa.second_step_outstanding(request):
        return redirect(_next_url(request))
    if not mfa.has_authenticator(user):
        return redirect(reverse("mfa_setup") + "?" + request.GET.urlencode())
    request.session[mfa.HAS_DEVICE_SESSION_KEY] = True
    form = CodeForm(
        request.POST or None,
        label="Enter the 6-digit code from your authenticator app",
        hint="Or enter one of your recovery codes. Each recovery code works once.",
    )
    if request.method == "POST" and form.is_valid():
        if mfa.is_locked_out(request, user):
            mfa.lock_out(request, user)
            return redirect("login")  # AxesMiddleware answers with the lockout page instead
        code = form.cleaned_data["code"]
        wait = mfa.verification_waiting_seconds(user=user, code=code)
        if wait:
            form.add_error(
                "code",
                f"Too many wrong codes. Wait {wait} second{'s' if wait != 1 else ''}, then enter a new code",
            )
        else:
            device = mfa.verify_code(user=user, code=code)
            if device is not None:
                mfa.finish_sign_in(request, device)
                return redirect(_next_url(request))
            if mfa.record_wrong_code(request, user):
                return redirect("login")  # AxesMiddleware answers with the lockout page instead
            form.add_error(
                "code",
                "The code is not correct. Enter the code your authenticator app shows now, or a recovery code",
            )
    return render(
        request, "casework/account/mfa_verify.html", {"form": form, "next": request.GET.get("next", "")}
    )


def _may_set_up(request) -> bool:
    """A person may set up an app when their sign-in is finished, or when they have no app yet
    (so a password alone can never replace someone's app)."""
    return mfa.session_is_verified(request) or not mfa.has_authenticator(request.user)


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_setup(request):
    if not _may_set_up(request):
        request.session[mfa.HAS_DEVICE_SESSION_KEY] = True  # an app was added since signing in
        return redirect(reverse("mfa_verify") + "?" + request.GET.urlencode())
    replacing = mfa.has_authenticator(request.user)
    key = request.session.get(mfa.SETUP_KEY_SESSION_KEY)
    if not key:
        key = mfa.new_secret()
        request.session[mfa.SETUP_KEY_SESSION_KEY] = key
    form = CodeForm(
        request.POST or None,
        label="Enter the 6-digit code your app now shows",
        hint="This checks the app is set up. The code changes every 30 seconds.",
    )
    if request.method == "POST" and form.is_valid():
        try:
            device, codes = mfa.authenticator_set_up(
                actor=request.user, user=request.user, key_hex=key, code=form.cleaned_data["code"]
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            mfa.finish_sign_in(request, device)
            return render(
                request,
                "casework/account/mfa_recovery_codes.html",
                {"codes": codes, "next": _next_url(request), "first_time": not replacing},
            )
    uri = mfa.otpauth_uri(key_hex=key, user=request.user, issuer=settings.SERVICE_NAME)
    return render(
        request,
        "casework/account/mfa_setup.html",
        {
            "form": form,
            "secret": mfa.secret_base32(key),
            "otpauth_uri": uri,
            "qr_svg": mark_safe(_qr_svg(uri)),  # noqa: S308 - made by qrcode from our own URI
            "replacing": replacing,
            "required": mfa.role_requires_mfa(request.user),
            "pending": getattr(request, "mfa_pending", False),
            "next": request.GET.get("next", ""),
        },
    )


@never_cache
def mfa_overview(request):
    user = request.user
    on = mfa.has_authenticator(user)
    return render(
        request,
        "casework/account/mfa_overview.html",
        {
            "on": on,
            "required": mfa.role_requires_mfa(user),
            "device": selectors.authenticator_of(user=user) if on else None,
            "codes_left": mfa.recovery_codes_left(user) if on else 0,
        },
    )


@never_cache
@require_http_methods(["GET", "POST"])
def mfa_recovery_codes(request):
    if not mfa.has_authenticator(request.user):
        messages.info(request, "Set up an authenticator app first: recovery codes come with it")
        return redirect("mfa_overview")
    if request.method == "POST":
        codes = mfa.recovery_codes_renew(actor=request.user, user=request.user)
        return render(
            request,
            "casework/account/mfa_recovery_codes.html",
            {"codes": codes, "next": reverse("mfa_overview"), "first_time": False},
        )
    return render(
        request,
        "casework/form_page.html",
        {
            "form": forms.Form(),
            "heading": "Make new recovery codes",
            "caption": "Two-step verification",
            "intro": [
                "You will get 10 new recovery codes. Your old recovery codes will stop working.",
                "Keep the new codes somewhere safe, away from your phone.",
            ],
            "back_url": reverse("mfa_overview"),
            "submit_label": "Make new recovery codes",
        },
    )
