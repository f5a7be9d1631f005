from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework: agencies, people and children"
    default_auto_field = "django.db.models.BigAutoField"
