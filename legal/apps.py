from django.apps import AppConfig


class LegalConfig(AppConfig):
    name = "legal"
    verbose_name = "Legal basis"
    default_auto_field = "django.db.models.BigAutoField"
