from django.contrib import admin

from panels.models import ClosureDay, Meeting, Panel


class ClosureDayInline(admin.TabularInline):
    model = ClosureDay
    extra = 0


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "partnership", "host_agency", "papers_due_working_days", "is_active"]
    list_filter = ["kind", "partnership", "is_active"]
    list_select_related = ["host_agency"]
    inlines = [ClosureDayInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ["panel", "date", "starts_at", "status"]
    list_filter = ["panel", "status"]
    list_select_related = ["panel"]
    date_hierarchy = "date"
