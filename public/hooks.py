"""The public record's part in the register (see `deployments.hooks`)."""

from __future__ import annotations

from core import public_changes
from core.roles import Role, has_role
from core.types import User
from deployments import hooks
from deployments.hooks import Panel
from deployments.models import Deployment

MODERATION_SHOWN = 5


@hooks.after_change.register
def refresh_pdfs(deployment: Deployment, action: str) -> None:
    """The public record changed, so its PDFs may have: re-render them once this commits."""
    from .services import queue_report_refresh

    queue_report_refresh(deployment)


@hooks.after_change.register
def invalidate_pages(deployment: Deployment, action: str) -> None:
    """Sign-off, suspension, lifting one, completion, an outcome, a report published: the
    pages and exports that list trials, and this trial's notice, change in this transaction."""
    from .cache import bump

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
