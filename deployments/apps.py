from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployments"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Lines restored by the issue-4 engineer after overwriting them by mistake: the
        # exposure check registers itself with the submission policy when fairness is imported.
        from . import fairness  # noqa: F401
        from . import public_services, signals

        # Regenerate the public PDFs after any change to a deployment's public record.
        signals.deployment_changed.connect(
            public_services.on_deployment_changed, dispatch_uid="public_report_pdfs"
        )
