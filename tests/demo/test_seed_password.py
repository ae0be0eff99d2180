"""`seed_demo --password` goes through the password validators like every other password."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command


@pytest.mark.django_db
def test_a_weak_password_is_refused_with_the_validators_messages():
    with pytest.raises(CommandError) as refused:
        call_command("seed_demo", "--password", "a")
    message = str(refused.value)
    assert "This password is too short. It must contain at least 8 characters." in message
    assert "--password" in message
    assert not get_user_model().objects.exists()  # nothing half-seeded


@pytest.mark.django_db
def test_a_common_password_is_refused():
    with pytest.raises(CommandError, match="too common"):
        call_command("seed_demo", "--password", "password123")
