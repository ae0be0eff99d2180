"""Types every app shares: the person using the register, and a signed-in staff request."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest

__all__ = ["StaffRequest", "User"]


class StaffRequest(HttpRequest):
    """A request from a signed-in member of staff: every view behind `login_required`."""

    user: User
