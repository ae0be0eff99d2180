"""A part of a page that another app draws: a template and its context.

A lower app's page shows panels that higher apps give it (through `deployments.hooks`), so that
the lower app never imports them; `{% panel p %}` (core/templatetags/panels.py) draws one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Panel:
    template: str
    context: dict[str, Any] = field(default_factory=dict)
