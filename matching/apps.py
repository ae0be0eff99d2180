from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching engine"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The register sends these signals without importing the engine (audit <- legal <-
        # deployments <- matching): sign-off pins the watchlist, completion takes the counts.
        from deployments.signals import deployment_approving, deployment_changed

        from . import receivers

        deployment_approving.connect(receivers.pin_watchlist, dispatch_uid="matching_pin_watchlist")
        deployment_changed.connect(receivers.fill_outcome, dispatch_uid="matching_fill_outcome")
