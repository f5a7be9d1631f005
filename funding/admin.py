"""The platform operator's admin: providers only. Packages (a child's care) are never shown here."""

from django.contrib import admin

from funding.models import Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "regulator_reference"]
    search_fields = ["name", "regulator_reference"]
