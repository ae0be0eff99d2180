from django.apps import AppConfig


class FairnessConfig(AppConfig):
    """Census figures, exposure by group, fairer sites and the threshold guard."""

    name = "fairness"
    verbose_name = "Fairness"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (takes part in submission, review and the pages)
