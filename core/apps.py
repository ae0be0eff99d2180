from django.apps import AppConfig


class CoreConfig(AppConfig):
    """What every app uses and that knows no app: errors, roles, storage, PDFs, form helpers,
    the outbox of work queued after an action, and rate limits."""

    name = "core"
    verbose_name = "Core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the system checks)
