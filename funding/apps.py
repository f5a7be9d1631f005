from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Funding: packages, splits between agencies, approvals and commitments"
    default_auto_field = "django.db.models.BigAutoField"
