"""The question rate limit counts the client's address, read through the trusted proxy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from public import services as ps
from public.models import PublicQuestion

pytestmark = pytest.mark.django_db


def ask(client: Client, trial: Any, forwarded: str, text: str) -> Any:
    return client.post(
        reverse("public:trial_detail", args=[trial.reference]),
        {"text": text, "name": "", "email": "", "website": ""},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def test_visitors_behind_the_proxy_are_counted_apart(
    client: Client, approved_trial: Any, settings: Any
):
    settings.TRUSTED_PROXY_HOPS = 1
    for n in range(ps.QUESTIONS_PER_HOUR):
        assert ask(client, approved_trial, "203.0.113.1", f"Q{n}").status_code == 302
    assert ask(client, approved_trial, "203.0.113.1", "One too many").status_code == 429
    # Another visitor through the same proxy is not limited by the first one's questions...
    assert ask(client, approved_trial, "203.0.113.2", "Mine").status_code == 302
    # ...and the first cannot escape the limit by writing a header of their own.
    spoofed = ask(client, approved_trial, "10.9.9.9, 203.0.113.1", "Sneaky")
    assert spoofed.status_code == 429
    assert PublicQuestion.objects.count() == ps.QUESTIONS_PER_HOUR + 1


def test_without_trusted_hops_the_header_cannot_dodge_the_limit(
    client: Client, approved_trial: Any, settings: Any
):
    settings.TRUSTED_PROXY_HOPS = 0
    for n in range(ps.QUESTIONS_PER_HOUR):
        assert ask(client, approved_trial, f"203.0.113.{n}", f"Q{n}").status_code == 302
    assert ask(client, approved_trial, "203.0.113.99", "One too many").status_code == 429
