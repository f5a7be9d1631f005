"""Two-step verification for tests: a test authenticator app, verified sessions, fresh codes."""

from __future__ import annotations

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework import mfa


def authenticator_for(user) -> TOTPDevice:
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=mfa.AUTHENTICATOR_NAME, confirmed=True)
    return device


def fresh_recovery_code(user) -> str:
    """A new one-use recovery code for this person (made with an authenticator app if they have none)."""
    authenticator_for(user)
    device, _ = StaticDevice.objects.get_or_create(
        user=user, name=mfa.RECOVERY_CODES_NAME, defaults={"confirmed": True}
    )
    code = StaticToken.random_token()
    StaticToken.objects.create(device=device, token=code)
    return code


def verify_session(client, user) -> None:
    """Mark the test client's session as having finished the second step, as entering a code does."""
    device = authenticator_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session[mfa.HAS_DEVICE_SESSION_KEY] = True
    session.save()


def needs_second_step(user) -> bool:
    return mfa.role_requires_mfa(user) or mfa.has_authenticator(user)
