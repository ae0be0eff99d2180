"""The public record's part in the register (see `deployments.hooks`)."""

from __future__ import annotations

import logging

from core import public_changes
from core.roles import Role, has_role
from core.types import User
from deployments import hooks
from deployments.hooks import Panel
from deployments.models import Deployment

logger = logging.getLogger(__name__)

MODERATION_SHOWN = 5


@hooks.after_change.register
def refresh_pdfs(deployment: Deployment, action: str) -> None:
    """The public record changed, so its PDFs may have: re-render them once this commits."""
    from .services import queue_report_refresh

    queue_report_refresh(deployment)


@hooks.after_change.register
def email_subscribers(deployment: Deployment, action: str) -> None:
    """A notice or results published: e-mail the subscribers once this commits."""
    from .subscriptions import queue_notice_messages

    queue_notice_messages(deployment, action)


@hooks.after_change.register
def invalidate_pages(deployment: Deployment, action: str) -> None:
    """Sign-off, suspension, lifting one, completion, an outcome, a report published: the
    pages and exports that list trials, and this trial's notice, change in this transaction.
    A deployment whose notice was never published is on no public page: its drafts, reviews
    and refusals leave the cache alone."""
    from .cache import bump

    if deployment.notice_published_at is None:
        return
    bump((public_changes.REGISTER, public_changes.notice_scope(deployment.reference)))


@public_changes.changed.register
def invalidate_scopes(scopes: tuple[str, ...]) -> None:
    """A legal version published or withdrawn, census figures imported: in that transaction."""
    from .cache import bump

    bump(scopes)


@hooks.panels["dashboard"].register
def moderation_summary(deployment: Deployment | None, user: User) -> Panel | None:
    """The questions waiting for moderation, on a moderator's dashboard."""
    from .models import PublicQuestion

    if not has_role(user, Role.MODERATOR):
        return None
    pending = PublicQuestion.objects.filter(status=PublicQuestion.Status.PENDING)
    return Panel(
        "staff/moderation/dashboard_summary.html",
        {
            "count": pending.count(),
            "oldest": list(
                pending.select_related("deployment").order_by("submitted_at")[:MODERATION_SHOWN]
            ),
        },
    )


# The register's actions that publish something: a notice (the chair's sign-off) or a results
# report. Each is followed by a signed checkpoint of the audit trail, in the same transaction,
# so the published record and the signed chain that covers it commit together.
PUBLISHING_ACTIONS = ("approved", "report_published")


@hooks.after_change.register
def checkpoint_publication(deployment: Deployment, action: str) -> None:
    """Sign the audit chain's head whenever a notice or a report is published."""
    from audit.services import ChainContradictsCheckpoint, audit_checkpoint_create

    if action not in PUBLISHING_ACTIONS:
        return
    try:
        audit_checkpoint_create(reason=f"{action} {deployment.reference}")
    except ChainContradictsCheckpoint:
        # Tampering found: never sign it, but do not hold the publication hostage either.
        # `verify_audit` names the fault; the periodic task fails loudly until it is dealt with.
        logger.exception("No audit checkpoint after %s of %s", action, deployment.reference)
