"""The moderation queue's summary on the staff dashboard (`{% moderation_summary %}`)."""

from __future__ import annotations

from typing import Any

from django import template

from oversight.roles import Role, has_role

from ..models import PublicQuestion

register = template.Library()
SHOWN = 5


@register.inclusion_tag("staff/moderation/dashboard_summary.html", takes_context=True)
def moderation_summary(context: template.Context) -> dict[str, Any]:
    user = context.get("user")
    if not has_role(user, Role.MODERATOR):
        return {"show": False}
    pending = PublicQuestion.objects.filter(status=PublicQuestion.Status.PENDING)
    return {
        "show": True,
        "count": pending.count(),
        "oldest": list(pending.select_related("deployment").order_by("submitted_at")[:SHOWN]),
    }
