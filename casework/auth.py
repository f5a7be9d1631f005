from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from casework.models import User


class CaseworkBackend(ModelBackend):
    """Email sign-in; loads the person's agency with them, since every page shows and scopes by it."""

    def get_user(self, user_id):
        user = User.objects.select_related("agency").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
