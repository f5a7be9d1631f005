from django.apps import AppConfig


class PathwaysConfig(AppConfig):
    name = "pathways"
    verbose_name = "Pathways: Continuing Care, Section 117, Complex Lives, IFR and escalation"
    default_auto_field = "django.db.models.BigAutoField"
