"""The Django admin, for system administrators. Writes go through the same services.

The audit trail and the view log are shown read-only (the database refuses changes anyway).
"""

from __future__ import annotations

from django.contrib import admin

from casework import services
from casework.models import AccessRequest, Agency, AuditEvent, ChildViewLog, Team, User


def _before(form) -> dict:
    return {name: form.initial.get(name) for name in form.changed_data}


@admin.register(Agency)
class AgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "ods_code", "partnership"]
    list_filter = ["kind", "partnership"]
    search_fields = ["name", "ods_code"]

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

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            services.record_admin_change(actor=request.user, obj=obj, before=_before(form))
        else:
            obj.pk = services.team_create(actor=request.user, agency=obj.agency, name=obj.name).pk


@admin.register(User)
class UserAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "agency", "is_active"]
    list_filter = ["agency", "is_active"]
    search_fields = ["full_name", "email"]
    list_select_related = ["agency"]
    fields = [
        "email",
        "full_name",
        "job_title",
        "agency",
        "teams",
        "roles",
        "delegated_limit",
        "is_active",
        "is_staff",
    ]
    filter_horizontal = ["teams"]

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
                delegated_limit=obj.delegated_limit,
            )
            obj.pk = created.pk

    def save_related(self, request, form, formsets, change):
        form.instance = User.objects.get(pk=form.instance.pk)
        super().save_related(request, form, formsets, change)


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "action", "object_type", "object_id", "ip_address"]
    list_filter = ["action", "object_type"]
    list_select_related = ["actor"]
    date_hierarchy = "at"


@admin.register(ChildViewLog)
class ChildViewLogAdmin(ReadOnlyAdmin):
    list_display = ["at", "user", "child_id", "channel", "ip_address"]
    list_select_related = ["user"]
    date_hierarchy = "at"


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "requesting_agency", "owning_agency", "status"]
    list_select_related = ["requesting_agency", "owning_agency"]


# Children are not in the admin: they are managed through the service's own pages, which check
# access and audit every view and change.
admin.site.site_header = "Joint complex care casework – administration"
