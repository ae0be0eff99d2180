"""/how-it-works/ and its PDF: how the force decides, generated from the rules in force.

The page must say what the register enforces: the settings in force, the gate's own list of
reasons, the lifecycle's moves, the use cases and the public record's counts. A change to any
of them changes the page, and is written to the audit trail as a change of policy.
"""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEvent
from deployments.lifecycle import TRANSITIONS
from deployments.models import State
from matching import gate
from public import services as ps
from public.how_it_works import lifecycle_moves
from public.models import PolicyRecord, PublicQuestion, ReportPdf

from .. import factories
from .conftest import approved

pytestmark = pytest.mark.django_db

URL = "/how-it-works/"


def page(client: Any) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def text_of(html: str) -> str:
    """The page's words as a reader meets them: tags dropped, entities read, spaces folded."""
    return re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", " ", html)))


def pdf_text(client: Any) -> str:
    response = client.get(reverse("public:how_it_works_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    text = "\n".join(p.extract_text() for p in PdfReader(BytesIO(data)).pages)
    return re.sub(r"\s+", " ", text)


# --- numbers from the settings in force ----------------------------------------------------
def test_the_page_states_the_settings_in_force(client: Any) -> None:
    with override_settings(
        OVERSIGHT_PANEL_QUORUM=3,
        OVERSIGHT_MAX_DEPLOYMENT_HOURS=9,
        OVERSIGHT_MAX_MATCH_THRESHOLD=0.55,
        OVERSIGHT_MAX_WATCHLIST_SIZE=4321,
        OVERSIGHT_NOTICE_LEAD_HOURS=36,
        OVERSIGHT_WATCHLIST_RETENTION_HOURS=20,
        OVERSIGHT_ALERT_CROP_RETENTION_DAYS=17,
        OVERSIGHT_DISPARITY_LIMIT=1.4,
    ):
        words = text_of(page(client))
    assert "At least 3 approvals on the current version" in words
    assert "last no longer than 9 hours" in words
    assert "no looser than 0.55" in words
    assert "no more than 4,321 people" in words
    assert "public for 36 hours" in words
    assert "within 20 hours of the end of the trial" in words
    assert "after 17 days" in words
    assert "above 1.40 times its share of residents" in words


def test_changing_the_quorum_or_the_notice_lead_time_changes_the_page(client: Any) -> None:
    before = text_of(page(client))
    assert "At least 2 approvals" in before and "public for 24 hours" in before
    with override_settings(OVERSIGHT_PANEL_QUORUM=4, OVERSIGHT_NOTICE_LEAD_HOURS=48):
        after = text_of(page(client))
    assert "At least 4 approvals" in after and "At least 2 approvals" not in after
    assert "public for 48 hours" in after and "public for 24 hours" not in after
    # The gate's own condition about the notice says the new lead time too.
    assert "published for less than 48 hours" in after


def test_the_page_names_no_setting(client: Any) -> None:
    html = page(client)
    assert "OVERSIGHT_" not in html
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text_of(html).replace("how-it-works", ""))


# --- the gate's own list ------------------------------------------------------------------
def test_every_gate_condition_is_on_the_page_in_the_gates_order(client: Any) -> None:
    words = text_of(page(client))
    positions = [words.index(w.split("{")[0].strip()) for w in gate.REASONS.values()]
    assert positions == sorted(positions)


def test_a_reason_added_to_the_gate_appears_on_the_page_and_in_the_pdf(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    new = "The camera's calibration certificate has expired."
    monkeypatch.setitem(gate.REASONS, "calibration_expired", new)
    assert new in text_of(page(client))
    assert new in pdf_text(client)


def test_the_gate_refuses_only_with_a_reason_on_its_list(
    actors: Any, documents: Any, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    trial = approved(actors)
    settings.OVERSIGHT_NOTICE_LEAD_HOURS = 1000
    monkeypatch.delitem(gate.REASONS, gate.NOTICE_TOO_RECENT)
    with pytest.raises(ValueError, match="not in the gate's list of reasons"):
        gate.gate_check(deployment=trial, at=trial.starts_at + timedelta(minutes=1))
