from django.apps import AppConfig


class PanelsConfig(AppConfig):
    name = "panels"
    verbose_name = "Panels: terms of reference, meetings and decisions"
    default_auto_field = "django.db.models.BigAutoField"
