"""Two-step verification (MFA): an authenticator app's 6-digit codes (TOTP) and one-use recovery
codes, kept in django-otp's own models (otp_totp, otp_static). ADR 0007 says why.

The rule, in one place: a person whose role is in MFA_REQUIRED_ROLES, or who has set up an
authenticator app, has not finished signing in until they enter a code. Until then MfaMiddleware
lets them reach only the code step (or, if they have no app yet, setting one up) and signing out;
the API treats their session as no session. A finished sign-in is marked in the session the way
django-otp marks it (django_otp.login), and checked there without a query on every request.
Wrong codes count towards the same django-axes lockout as wrong passwords.
"""

from __future__ import annotations

import re
import time
from base64 import b32encode
from binascii import unhexlify
from urllib.parse import quote, urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.dispatch import receiver
from django.shortcuts import redirect
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY, verify_token
from django_otp import login as otp_login
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from casework.audit import record_event
from casework.models import Role, User

# Partnership administrators, panel chairs, finance approvers and auditors (issue 12): everyone
# else may choose to turn it on from their account page.
MFA_REQUIRED_ROLES = frozenset(
    {Role.PARTNERSHIP_ADMINISTRATOR, Role.PANEL_CHAIR, Role.FINANCE_APPROVER, Role.AUDITOR}
)
RECOVERY_CODE_COUNT = 10
AUTHENTICATOR_NAME = "Authenticator app"
RECOVERY_CODES_NAME = "Recovery codes"

# Set at sign-in: whether the person had an authenticator app then (so the check on each request
# needs no query). Absent (a session made some other way) means "not known yet": worked out once.
HAS_DEVICE_SESSION_KEY = "mfa_has_device"
# The secret of an authenticator app being set up, until its first code confirms it.
SETUP_KEY_SESSION_KEY = "mfa_setup_key"

# Pages a person may reach while their second step is outstanding (URL names).
PENDING_ALLOWED = frozenset(
    {
        "login",
        "logout",
        "mfa_verify",
        "password_reset",
        "password_reset_done",
        "password_reset_confirm",
        "password_reset_complete",
        "accessibility",
        "healthz",
    }
)


def role_requires_mfa(user) -> bool:
    # Platform operators (the Django admin) always need it too.
    return bool(getattr(user, "is_superuser", False)) or bool(
        set(getattr(user, "roles", None) or ()) & MFA_REQUIRED_ROLES
    )


def has_authenticator(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def session_is_verified(request) -> bool:
    return DEVICE_ID_SESSION_KEY in request.session


def second_step_outstanding(request) -> bool:
    """True while a signed-in person still owes a code (or must set up an app first)."""
    user = request.user
    if not user.is_authenticated or session_is_verified(request):
        return False
    has_device = request.session.get(HAS_DEVICE_SESSION_KEY)
    if has_device is None:
        has_device = has_authenticator(user)
        request.session[HAS_DEVICE_SESSION_KEY] = has_device
    return has_device or role_requires_mfa(user)


@receiver(user_logged_in, dispatch_uid="casework.mfa.start_sign_in")
def _start_sign_in(sender, request, user, **kwargs):
    """Every sign-in starts unverified: a password alone never carries an earlier second step."""
    if request is None or not hasattr(request, "session"):
        return
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    request.session.pop(SETUP_KEY_SESSION_KEY, None)
    has_device = has_authenticator(user)
    request.session[HAS_DEVICE_SESSION_KEY] = has_device
    if not (has_device or role_requires_mfa(user)):
        # Signed in completely: wrong attempts before it are forgiven (AXES_RESET_ON_SUCCESS is off
        # so that a right password alone never wipes the count of wrong codes).
        reset_lockout(request, user)


class MfaMiddleware:
    """Holds a half-signed-in person at the second step. Comes after AuthenticationMiddleware.

    Pages redirect to the code step (or to setting up an app, for a person whose role needs one
    and who has none); the API sees no session at all, so it answers 401 unless the request
    carries a token (tokens are made on a page that itself needs a finished sign-in).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not second_step_outstanding(request):
            return self.get_response(request)
        request.mfa_pending = True
        name = _url_name(request.path_info)
        if request.path.startswith("/api/") and name != "api-docs":
            request.user = AnonymousUser()
            return self.get_response(request)
        if name in PENDING_ALLOWED or (name == "mfa_setup" and not request.session[HAS_DEVICE_SESSION_KEY]):
            return self.get_response(request)
        if request.path.startswith(settings.STATIC_URL):
            return self.get_response(request)
        step = "mfa_verify" if request.session[HAS_DEVICE_SESSION_KEY] else "mfa_setup"
        target = reverse(step)
        if request.method == "GET":
            target += "?" + urlencode({"next": request.get_full_path()})
        return redirect(target)


def _url_name(path: str) -> str | None:
    try:
        return resolve(path).url_name
    except Resolver404:
        return None


# --- Codes ----------------------------------------------------------------------------------------


def normalise_code(raw: str) -> str:
    """People type codes with spaces or dashes ("123 456", "abcd-efgh"); recovery codes are lower case."""
    return re.sub(r"[\s-]", "", raw or "").lower()


def is_totp_shaped(code: str) -> bool:
    return len(code) == 6 and code.isdigit()


def new_secret() -> str:
    """A new authenticator secret: 20 random bytes, hex, as django-otp stores it."""
    return random_hex(20)


def secret_base32(key_hex: str) -> str:
    """The secret as people type it into an authenticator app: base32, in groups of four."""
    plain = b32encode(unhexlify(key_hex)).decode("ascii").rstrip("=")
    return " ".join(plain[i : i + 4] for i in range(0, len(plain), 4))


def otpauth_uri(*, key_hex: str, user: User, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code, as django-otp builds it
    (the key-URI format authenticator apps share)."""
    issuer = issuer.replace(":", "")
    label = quote(f"{issuer}:{user.email}")
    secret = b32encode(unhexlify(key_hex)).decode("ascii")
    params = urlencode({"secret": secret, "algorithm": "SHA1", "digits": 6, "period": 30})
    return f"otpauth://totp/{label}?{params}&issuer={quote(issuer)}"


def current_code(key_hex: str, *, at: float | None = None) -> str:
    """The 6-digit code an authenticator app shows now for this secret."""
    totp = TOTP(unhexlify(key_hex), step=30, t0=0, digits=6)
    totp.time = time.time() if at is None else at
    return f"{totp.token():06d}"


def next_unused_code(device: TOTPDevice) -> str | None:
    """The code the device will accept next: the current one, or, if that has been used, the next
    (within the device's tolerance). None if both are used: wait for the next 30 seconds."""
    now = int(time.time() - device.t0) // device.step
    centre = now + device.drift
    accepted = [
        t for t in range(centre - device.tolerance, centre + device.tolerance + 1) if t > device.last_t
    ]
    if not accepted:
        return None
    step = min(accepted, key=lambda t: abs(t - now))
    return current_code(device.key, at=device.t0 + step * device.step)


def matching_time_step(key_hex: str, code: str) -> int | None:
    """The time step a freshly typed code belongs to (this one, or one either side), or None."""
    if not is_totp_shaped(code):
        return None
    totp = TOTP(unhexlify(key_hex), step=30, t0=0, digits=6)
    totp.time = time.time()
    if totp.verify(int(code), tolerance=1):
        return totp.t()  # includes the offset that matched
    return None


def verify_code(*, user: User, code: str) -> TOTPDevice | StaticDevice | None:
    """The device that accepts this code, if any. A recovery code is used up by accepting it.

    Through django_otp.verify_token, which locks the device row, so one code cannot be accepted
    twice by two requests at once; the devices' own back-off still applies.
    """
    code = normalise_code(code)
    model = TOTPDevice if is_totp_shaped(code) else StaticDevice
    for device in model.objects.filter(user=user, confirmed=True):
        accepted = verify_token(user, device.persistent_id, code)
        if accepted is not None:
            return accepted
    return None


def verification_waiting_seconds(*, user: User, code: str) -> int:
    """Seconds django-otp's back-off still asks for before it will check a code (0: none)."""
    model = TOTPDevice if is_totp_shaped(normalise_code(code)) else StaticDevice
    longest = 0
    for device in model.objects.filter(user=user, confirmed=True):
        allowed, data = device.verify_is_allowed()
        if not allowed and data and data.get("locked_until"):
            longest = max(longest, int((data["locked_until"] - timezone.now()).total_seconds()) + 1)
    return longest


# --- Finishing the sign-in, and the lockout ---------------------------------------------------------


def _credentials(user) -> dict:
    return {"username": user.email}


def is_locked_out(request, user) -> bool:
    return AxesProxyHandler.is_locked(request, credentials=_credentials(user))


def lock_out(request, user) -> None:
    """End the half-finished sign-in; AxesMiddleware answers with the lockout page."""
    request.axes_locked_out = True
    request.axes_credentials = _credentials(user)
    logout(request)


def record_wrong_code(request, user) -> bool:
    """Count a wrong code as django-axes counts a wrong password. True if that locks them out."""
    user_login_failed.send(sender=__name__, credentials=_credentials(user), request=request)
    if getattr(request, "axes_locked_out", False):
        lock_out(request, user)
        return True
    return False


def reset_lockout(request, user) -> None:
    AxesProxyHandler.reset_attempts(
        ip_address=get_client_ip_address(request), username=user.email.lower(), ip_or_username=False
    )


def finish_sign_in(request, device) -> None:
    """The second step is done: mark the session verified (django-otp's way) and forgive the
    wrong attempts made on the way."""
    otp_login(request, device)
    request.session[HAS_DEVICE_SESSION_KEY] = True
    request.session.pop(SETUP_KEY_SESSION_KEY, None)
    reset_lockout(request, request.user)
    if isinstance(device, StaticDevice):
        record_event(
            actor=request.user,
            action="user.recovery_code_used",
            obj=request.user,
            changes={"recovery_codes_left": [None, device.token_set.count()]},
        )


def axes_username(request, credentials: dict | None = None) -> str | None:
    """The username django-axes counts attempts against: the e-mail, in lower case, so
    "Sam.Okafor@..." and "sam.okafor@..." are one person (AXES_USERNAME_CALLABLE)."""
    from casework.auth import normalise_email

    if credentials:
        raw = credentials.get("username") or credentials.get("email")
    else:
        data = getattr(request, "data", None) or request.POST
        raw = data.get("username")
    return normalise_email(raw) if raw else raw


# --- Services -----------------------------------------------------------------------------------


def _new_recovery_codes(device: StaticDevice) -> list[str]:
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create([StaticToken(device=device, token=code) for code in codes])
    return codes


@transaction.atomic
def authenticator_set_up(*, actor: User, user: User, key_hex: str, code: str) -> tuple[TOTPDevice, list[str]]:
    """Confirm a new authenticator app by its first code, replacing any earlier app and recovery
    codes, and make 10 new recovery codes (returned once, to be shown once).

    Raises ValidationError (on "code") when the code does not match the secret.
    """
    if actor.pk != user.pk:
        raise ValidationError("People set up their own authenticator app")
    step = matching_time_step(key_hex, normalise_code(code))
    if step is None:
        raise ValidationError({"code": ["The code is not correct. Enter the code your app shows now"]})
    replaced = TOTPDevice.objects.filter(user=user).exists()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    # last_t: the confirming code has been used, so it cannot also sign someone in.
    device = TOTPDevice(user=user, name=AUTHENTICATOR_NAME, key=key_hex, confirmed=True, last_t=step)
    device.full_clean()
    device.save()
    static = StaticDevice.objects.create(user=user, name=RECOVERY_CODES_NAME, confirmed=True)
    codes = _new_recovery_codes(static)
    record_event(
        actor=actor,
        action="user.authenticator_replaced" if replaced else "user.authenticator_set_up",
        obj=user,
        changes={"recovery_codes": [None, RECOVERY_CODE_COUNT]},
    )
    return device, codes


@transaction.atomic
def recovery_codes_renew(*, actor: User, user: User) -> list[str]:
    """Replace a person's recovery codes with 10 new ones; the old ones stop working."""
    if actor.pk != user.pk:
        raise ValidationError("People make their own recovery codes")
    if not has_authenticator(user):
        raise ValidationError("Set up an authenticator app first")
    static, _ = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_CODES_NAME, defaults={"confirmed": True}
    )
    StaticDevice.objects.filter(user=user).exclude(pk=static.pk).delete()
    codes = _new_recovery_codes(static)
    record_event(
        actor=actor,
        action="user.recovery_codes_renewed",
        obj=user,
        changes={"recovery_codes": [None, len(codes)]},
    )
    return codes


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


@transaction.atomic
def authenticator_reset(*, actor: User, user: User) -> None:
    """A partnership administrator removes a person's authenticator app and recovery codes (a lost
    phone, no codes left). At their next sign-in the person sets up a new app, if their role needs
    one. Nobody resets their own: they replace it from their account page instead."""
    from casework import access

    if actor.pk == user.pk or not access.can_administer_account(actor=actor, account=user):
        raise access.NotAllowed("Only a partnership administrator of this person's partnership may do this")
    had = TOTPDevice.objects.filter(user=user).exists()
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    # Sessions verified with the old app end now, not at the idle timeout.
    User.objects.filter(pk=user.pk).update(session_epoch=F("session_epoch") + 1)
    record_event(
        actor=actor, action="user.authenticator_reset", obj=user, changes={"authenticator": [had, False]}
    )
