"""A questioner's e-mail address is for the moderators, who may need to reply to them, and for
nobody else: not the people who work on the trial, not on any staff page (README, "Need to
know"). The public outputs are searched in test_restricted_fields.py."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from deployments.policy import may_see_questioner_email
from public import services as ps

from ..conftest import StaffClient

pytestmark = pytest.mark.django_db

EMAIL = "questioner-marker@example.org"


@pytest.fixture
def asked(approved_trial: Any) -> Any:
    ps.question_submit(deployment=approved_trial, text="Is my face kept?", email=EMAIL, address="x")
    return approved_trial


def _get(user: Any, url: str) -> str:
    client = StaffClient()  # signed in with both factors, as staff must be
    client.force_login(user)
    response = client.get(url)
    return response.content.decode() if response.status_code == 200 else ""


def test_the_moderator_sees_the_address_to_reply(actors: Any, asked: Any):
    assert may_see_questioner_email(actors.moderator)
    assert EMAIL in _get(actors.moderator, reverse("staff:moderation_queue"))


@pytest.mark.parametrize(
    "who", ["planner", "authoriser", "panel_a", "chair", "operator", "legal_officer", "stranger"]
)
def test_nobody_else_sees_it_on_any_staff_page(actors: Any, asked: Any, who: str):
    user = getattr(actors, who)
    assert not may_see_questioner_email(user)
    urls = [
        reverse("staff:dashboard"),
        reverse("staff:deployment_list"),
        reverse("staff:deployment_detail", args=[asked.reference]),
        reverse("staff:moderation_queue"),
        reverse("public:trial_detail", args=[asked.reference]),
    ]
    for url in urls:
        assert EMAIL not in _get(user, url), url
