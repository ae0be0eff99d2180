"""Celery tasks of the public record. Thin: they call one service."""

from celery import shared_task


@shared_task
def refresh_report_pdfs(deployment_id: int) -> list[str]:
    """Re-render the trial and annual report PDFs that show this deployment, if they changed."""
    from .services import report_pdfs_refresh_for

    return report_pdfs_refresh_for(deployment_id=deployment_id)
