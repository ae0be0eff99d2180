"""System checks for a deployment: the force's details must be its own, not the examples."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def force_details_set(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    """Public pages and PDFs name the force as data controller: examples would mislead."""
    examples: dict[str, str] = getattr(settings, "OVERSIGHT_FORCE_EXAMPLES", {})
    left = [name for name, example in examples.items() if getattr(settings, name, "") == example]
    if not left:
        return []
    return [
        checks.Warning(
            f"{', '.join(left)} still hold the demo's example values; every public page and "
            "PDF names the force from them.",
            hint="Set them in the environment to the force's own name, address, data "
            "protection officer, complaints page and accessibility contact.",
            id="oversight.W001",
        )
    ]
