"""Read-mostly admin: providers may be corrected here; packages change only through services."""

from django.contrib import admin

from funding.models import FundingPackage, Provider


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "regulator_reference"]
    search_fields = ["name", "regulator_reference"]


@admin.register(FundingPackage)
class FundingPackageAdmin(admin.ModelAdmin):
    list_display = ["pk", "status", "pathway", "version_number", "created_at"]
    list_filter = ["status", "pathway"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
