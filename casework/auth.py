from __future__ import annotations

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.tokens import default_token_generator
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from casework.models import User


def normalise_email(value: str) -> str:
    """E-mail addresses are stored in lower case; whatever is typed is looked up the same way."""
    return value.strip().lower()


class CaseworkBackend(ModelBackend):
    """Email sign-in; loads the person's agency with them, since every page shows and scopes by it."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.pop(User.USERNAME_FIELD, None)
        if username is not None:
            username = normalise_email(username)
        return super().authenticate(request, username=username, password=password, **kwargs)

    def get_user(self, user_id):
        user = User.objects.select_related("agency").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None


def password_set_url(user: User) -> str:
    """A link, for an e-mail, that lets this person choose a password (an invitation, or a reset).

    It works once: the token is made from the current password hash and last sign-in, so setting a
    password or signing in ends it. It lasts PASSWORD_RESET_TIMEOUT seconds.
    """
    path = reverse(
        "password_reset_confirm",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": default_token_generator.make_token(user),
        },
    )
    return settings.SITE_URL.rstrip("/") + path
