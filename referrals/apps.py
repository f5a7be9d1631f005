from django.apps import AppConfig


class ReferralsConfig(AppConfig):
    name = "referrals"
    verbose_name = "Referrals to joint panels"
    default_auto_field = "django.db.models.BigAutoField"
