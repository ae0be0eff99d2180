"""`{% engine_panel deployment %}`: the engine's part of the staff deployment page.

A template tag rather than context from the register's view, so that the register never
imports the engine (audit <- legal <- deployments <- matching).
"""

from __future__ import annotations

from typing import Any

from django import template

from matching.selectors import engine_panel as engine_panel_context

register = template.Library()


@register.inclusion_tag("matching/includes/engine_panel.html", takes_context=True)
def engine_panel(context: dict[str, Any], deployment: Any) -> dict[str, Any]:
    request = context["request"]
    return engine_panel_context(deployment, request.user)


@register.inclusion_tag("matching/includes/operator_summary.html", takes_context=True)
def operator_summary(context: dict[str, Any]) -> dict[str, Any]:
    """`{% operator_summary %}`: the alerts waiting for this operator, on the dashboard."""
    from matching.selectors import pending_alert_count

    return {"pending": pending_alert_count(context["request"].user)}
