from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    """The register: sites, areas, deployment requests, authorisation, review, outcomes."""

    name = "deployments"
    verbose_name = "Deployments"
    default_auto_field = "django.db.models.BigAutoField"
