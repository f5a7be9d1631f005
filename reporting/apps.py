from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting: where cases wait, and the partnership's figures"
    default_auto_field = "django.db.models.BigAutoField"
