"""Celery tasks of the audit trail. Thin: they call one service."""

from celery import shared_task


@shared_task
def sign_checkpoint() -> int | None:
    """The periodic checkpoint: sign the chain's head if it moved since the last one."""
    from .services import audit_checkpoint_create

    checkpoint = audit_checkpoint_create(reason="interval", only_if_changed=True)
    return checkpoint.pk if checkpoint is not None else None
