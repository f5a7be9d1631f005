"""Admin for pathway reference data and settings only. Cases change through services (pages, API)."""

from django.contrib import admin

from pathways.models import DSTDomain, EscalationAuthoriser, EscalationSettings, PathwaySettings


@admin.register(PathwaySettings)
class PathwaySettingsAdmin(admin.ModelAdmin):
    list_display = (
        "__str__",
        "cc_decision_weeks",
        "cc_first_review_months",
        "cc_review_interval_months",
        "ifr_decision_working_days",
    )


@admin.register(DSTDomain)
class DSTDomainAdmin(admin.ModelAdmin):
    list_display = ("position", "name", "allowed_levels")
    ordering = ("position",)


@admin.register(EscalationSettings)
class EscalationSettingsAdmin(admin.ModelAdmin):
    """The escalation ladder's clocks per partnership (seeds 002); the blank partnership is the default."""


@admin.register(EscalationAuthoriser)
class EscalationAuthoriserAdmin(admin.ModelAdmin):
    """Who may authorise an escalation, at what grade: seniority is data, kept here by the system
    administrator (pathways/models/escalations.py)."""

    list_display = ("user", "seniority", "job_title", "active")
    list_filter = ("seniority", "active")
    raw_id_fields = ("user",)
