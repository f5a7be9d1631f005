from django.apps import AppConfig


class CaseworkConfig(AppConfig):
    name = "casework"
    verbose_name = "Casework: agencies, people and children"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from casework.db_roles import regrant_after_migrate

        # Tables a migration makes are granted to the application role straight away (ADR 0006).
        post_migrate.connect(regrant_after_migrate, sender=self, dispatch_uid="casework.db_roles.regrant")
        # Connects the sign-in receiver that starts every sign-in at the code step when it needs one.
        from casework import mfa  # noqa: F401
