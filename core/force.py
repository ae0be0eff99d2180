"""The force that runs the register: the data controller the public pages and PDFs name."""

from __future__ import annotations

from django.conf import settings


def force_details() -> dict[str, str]:
    """The force as data controller: shown in every footer, web page and PDF alike."""
    return {
        "name": settings.OVERSIGHT_FORCE_NAME,
        "address": settings.OVERSIGHT_FORCE_ADDRESS,
        "dpo_email": settings.OVERSIGHT_FORCE_DPO_EMAIL,
        "complaints_url": settings.OVERSIGHT_FORCE_COMPLAINTS_URL,
        "accessibility_email": settings.OVERSIGHT_FORCE_ACCESSIBILITY_EMAIL,
    }
