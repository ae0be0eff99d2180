"""`{% panel p %}`: draw a `core.panels.Panel` with the page's context plus its own."""

from __future__ import annotations

from django import template
from django.template import Engine
from django.template.context import Context
from django.utils.safestring import SafeString

from core.panels import Panel

register = template.Library()


@register.simple_tag(takes_context=True)
def panel(context: Context, panel: Panel) -> SafeString:
    engine = context.template.engine if context.template is not None else Engine.get_default()
    with context.push(**panel.context):
        return engine.get_template(panel.template).render(context)
