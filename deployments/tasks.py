"""Celery tasks of the register. Thin: they call one service."""

from celery import shared_task

from .services import deployments_complete_ended


@shared_task
def complete_ended_deployments() -> list[str]:
    """Beat task: close every deployment whose window has passed."""
    return deployments_complete_ended()


@shared_task
def lapse_overdue_urgent_use() -> list[str]:
    """Beat task: urgent use whose decision is overdue lapses, and its data are deleted."""
    from .services import urgent_use_lapse_overdue

    return urgent_use_lapse_overdue()
