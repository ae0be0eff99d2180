"""Celery tasks of the register. Thin: they call one service."""

from celery import shared_task

from .services import deployments_complete_ended


@shared_task
def complete_ended_deployments() -> list[str]:
    """Beat task: close every deployment whose window has passed."""
    return deployments_complete_ended()


@shared_task
def refresh_report_pdfs(deployment_id: int) -> list[str]:
    """Re-render the trial and annual report PDFs that show this deployment, if they changed."""
    from .public_services import report_pdfs_refresh_for

    return report_pdfs_refresh_for(deployment_id=deployment_id)
