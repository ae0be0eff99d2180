"""The public question rate limit lives in the database: it holds, and questions are saved,
whether or not Redis (the cache) is up, and it never stores an address."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from core.models import RateLimitHit
from public import services as ps
from public.models import PublicQuestion
from tests import factories

from .broker import free_port


def ask(client: Any, trial: Any, text: str, address: str = "203.0.113.7") -> Any:
    return client.post(
        reverse("public:trial_detail", args=[trial.reference]),
        {"text": text, "name": "", "email": "", "website": ""},
        REMOTE_ADDR=address,
    )


def test_questions_are_saved_and_limited_with_the_cache_down(client, actors, documents, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{free_port()}/0",  # nothing listens there
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    trial = factories.to_approved(factories.make_draft(actors.planner), actors)
    for n in range(ps.QUESTIONS_PER_HOUR):
        assert ask(client, trial, f"Question {n}?").status_code == 302
    refused = ask(client, trial, "One too many?")
    assert refused.status_code == 429 and "try again" in refused.content.decode()
    assert PublicQuestion.objects.count() == ps.QUESTIONS_PER_HOUR
    assert ask(client, trial, "From elsewhere?", address="198.51.100.4").status_code == 302


def test_the_limit_keeps_a_keyed_hash_never_the_address(actors, documents):
    trial = factories.to_approved(factories.make_draft(actors.planner), actors)
    ps.question_submit(deployment=trial, text="Why here?", address="203.0.113.77")
    hit = RateLimitHit.objects.get()
    assert "203.0.113.77" not in hit.key and len(hit.key) == 64
