from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Importing fairness registers its exposure check with the submission policy.
        from . import (
            fairness,  # noqa: F401
            public_services,
            signals,
        )

        # Regenerate the public PDFs after any change to a deployment's public record.
        signals.deployment_changed.connect(
            public_services.on_deployment_changed, dispatch_uid="public_report_pdfs"
        )
