"""Celery tasks of the public record. Thin: they call one service."""

from celery import shared_task


@shared_task
def refresh_report_pdfs(deployment_id: int) -> list[str]:
    """Re-render the trial and annual report PDFs that show this deployment, if they changed."""
    from .services import report_pdfs_refresh_for

    return report_pdfs_refresh_for(deployment_id=deployment_id)


@shared_task
def refresh_public_files() -> list[str]:
    """Regenerate the stored open data and annual reports that the last change made stale."""
    from .services import public_files_refresh

    return public_files_refresh()
