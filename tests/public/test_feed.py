"""/feed.atom: an entry for each new notice and each new results report."""

from __future__ import annotations

from typing import Any
from xml.etree import ElementTree

import pytest
from django.urls import reverse

from .. import factories
from .conftest import approved, reported

pytestmark = pytest.mark.django_db
ATOM = "{http://www.w3.org/2005/Atom}"


def entries(client: Any) -> list[tuple[str, str]]:
    response = client.get(reverse("public:feed"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own output
    return [
        (e.findtext(f"{ATOM}title") or "", e.findtext(f"{ATOM}id") or "")
        for e in root.iter(f"{ATOM}entry")
    ]


def test_feed_has_a_notice_for_each_published_trial_and_a_report_when_published(
    client: Any, actors: Any, documents: Any
):
    upcoming = approved(actors)
    done = reported(actors)
    factories.make_draft(actors.planner)
    titles = [title for title, _ in entries(client)]
    # Three trial entries and the audit trail's latest checkpoint (tests/public/test_audit_*).
    assert len(titles) == 4
    assert sum(t.startswith("Audit trail checkpoint:") for t in titles) == 1
    assert any(t.startswith("Notice:") and upcoming.reference in t for t in titles)
    assert any(t.startswith("Notice:") and done.reference in t for t in titles)
    assert any(t.startswith("Results:") and done.reference in t for t in titles)


def test_notice_and_report_entries_have_different_permanent_ids(client: Any, reported_trial: Any):
    ids = [entry_id for _, entry_id in entries(client)]
    assert len(ids) == len(set(ids)) == 3  # the notice, the report, the latest checkpoint
