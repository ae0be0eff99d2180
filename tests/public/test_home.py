"""The home page: what is live and next, recent results, and LFR explained in plain words."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from .. import factories
from .conftest import approved, reported

pytestmark = pytest.mark.django_db


def home(client: Any) -> str:
    response = client.get(reverse("public:home"))
    assert response.status_code == 200
    return response.content.decode()


def test_home_explains_lfr_what_happens_to_a_non_match_and_how_to_ask_or_complain(
    client: Any, db: None
):
    html = home(client)
    assert "What live facial recognition is" in html
    assert "What happens to your face if it does not match" in html
    assert "discarded at once" in html
    assert "How to ask a question or complain" in html
    assert "Independent Office for Police Conduct" in html
    assert reverse("public:legal_index") in html


def test_home_names_the_next_trial_with_where_and_when(client: Any, actors: Any, documents: Any):
    later = approved(actors, start=timezone.now() + timedelta(days=9))
    sooner = approved(actors, site=factories.make_site("Oxford Circus"))
    html = home(client)
    next_section = html.split('id="next-h"')[1].split("</section>")[0]
    assert "Oxford Circus" in next_section
    assert next_section.index(sooner.reference) < next_section.index(later.reference)


def test_home_shows_a_live_trial_and_recent_results(client: Any, actors: Any, documents: Any):
    live = factories.backdate(approved(actors), timedelta(days=2, hours=1))
    done = reported(actors)
    html = home(client)
    assert "Live now" in html and live.reference in html
    recent = html.split('id="recent-h"')[1].split("</section>")[0]
    assert done.reference in recent and "21,400" in recent


def test_home_needs_no_login(client: Any, approved_trial: Any):
    response = client.get(reverse("public:home"))
    assert response.status_code == 200 and approved_trial.reference in response.content.decode()
