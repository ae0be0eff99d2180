"""Celery tasks of the public record. Thin: they call one service."""

from celery import shared_task


@shared_task
def refresh_report_pdfs(deployment_id: int) -> list[str]:
    """Re-render the trial and annual report PDFs that show this deployment, if they changed."""
    from .services import report_pdfs_refresh_for

    return report_pdfs_refresh_for(deployment_id=deployment_id)


@shared_task
def send_subscription_message(subscription_id: int, message: str) -> str:
    """Send a subscription's confirmation or reminder (through the outbox; sent once)."""
    from .subscriptions import subscription_message_send

    return subscription_message_send(subscription_id=subscription_id, message=message)


@shared_task
def send_notice_messages(deployment_id: int, event: str) -> int:
    """E-mail the subscribers of the trial's borough its new notice or results (sent once)."""
    from .subscriptions import notice_messages_send

    return notice_messages_send(deployment_id=deployment_id, event=event)


@shared_task
def send_answer_message(question_id: int) -> str:
    """Tell a questioner their question is answered, then forget their address (sent once)."""
    from .subscriptions import answer_message_send

    return answer_message_send(question_id=question_id)


@shared_task
def purge_unconfirmed_subscriptions() -> int:
    """Beat task (hourly): delete subscriptions not confirmed in time."""
    from .subscriptions import subscriptions_purge_unconfirmed

    return subscriptions_purge_unconfirmed()


@shared_task
def refresh_public_files() -> list[str]:
    """Regenerate the stored open data and annual reports that the last change made stale."""
    from .services import public_files_refresh

    return public_files_refresh()
