"""The Django admin: the platform operator's tool, never a partnership's.

Mounted only at DJANGO_ADMIN_PATH (unset: not at all), never linked, and open only to platform
operators (superusers without an agency, made with `createsuperuser`), who cannot sign in to the
service's own pages. Partnerships administer themselves in the service (casework/admin_views.py).
Nothing here shows a child, an audit row or an API token: the operator sets up agencies and a
partnership's first administrator; everything else is the partnership's.
"""

from __future__ import annotations

from django.contrib import admin
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from casework import services
from casework.models import Agency, Team, User


def operator_only(request) -> bool:
    """A platform operator who has finished two-step verification (casework/mfa.py requires it of
    every superuser, so the admin's own sign-in is followed by the code step)."""
    from casework.mfa import session_is_verified

    user = request.user
    return bool(
        user.is_active
        and user.is_superuser
        and user.is_staff
        and user.agency_id is None
        and session_is_verified(request)
    )


# The default site is patched rather than replaced, so every app's admin.register keeps working.
admin.site.has_permission = operator_only  # type: ignore[method-assign]


def _before(form) -> dict:
    return {name: form.initial.get(name) for name in form.changed_data}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ods_code", "partnership"]
    list_filter = ["kind", "partnership"]
    search_fields = ["name", "ods_code"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            services.record_admin_change(actor=request.user, obj=obj, before=_before(form))
        else:
            created = services.agency_create(
                actor=request.user,
                name=obj.name,
                kind=obj.kind,
                ods_code=obj.ods_code,
                partnership=obj.partnership,
            )
            obj.pk = created.pk


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "agency"]
    list_filter = ["agency"]
    search_fields = ["name"]
    list_select_related = ["agency"]

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            services.record_admin_change(actor=request.user, obj=obj, before=_before(form))
        else:
            obj.pk = services.team_create(actor=request.user, agency=obj.agency, name=obj.name).pk


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    """The operator adds a partnership's first administrator here; the partnership does the rest."""

    list_display = ["full_name", "email", "agency", "is_active"]
    list_filter = ["agency", "is_active"]
    search_fields = ["full_name", "email"]
    list_select_related = ["agency"]
    # No is_staff / is_superuser / password / tokens: nobody with an agency becomes an operator.
    fields = ["email", "full_name", "job_title", "agency", "roles", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(is_superuser=False)

    def save_model(self, request, obj, form, change):
        # New people are added here without a password: they set one through password reset.
        if change:
            super().save_model(request, obj, form, change)
            services.record_admin_change(actor=request.user, obj=obj, before=_before(form))
        else:
            created = services.user_create(
                actor=request.user,
                email=obj.email,
                full_name=obj.full_name,
                agency=obj.agency,
                roles=list(obj.roles),
                job_title=obj.job_title,
            )
            obj.pk = created.pk


admin.site.site_header = "Joint complex care casework – platform operator"


# Authenticator apps and recovery codes are each person's own secrets (casework/mfa.py): django-otp
# registers them for the admin, and the operator's admin shows no secret of anyone's.
for _device_model in (TOTPDevice, StaticDevice):
    if admin.site.is_registered(_device_model):
        admin.site.unregister(_device_model)
