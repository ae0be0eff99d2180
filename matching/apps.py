from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching engine"
    default_auto_field = "django.db.models.BigAutoField"
