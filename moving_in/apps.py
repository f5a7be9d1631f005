from django.apps import AppConfig


class MovingInConfig(AppConfig):
    name = "moving_in"
    verbose_name = "Moving in: importing a partnership's children from its tracker"
    default_auto_field = "django.db.models.BigAutoField"
