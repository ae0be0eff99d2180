from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public record: notices, trials, results, legal pages, reports, open data, questions."""

    name = "public"
    verbose_name = "Public record"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import hooks  # noqa: F401  (takes part in the register's changes)
