"""/how-it-works/ and its PDF: how the force decides, generated from the rules in force.

The page must say what the register enforces: the settings in force, the gate's own list of
reasons, the lifecycle's moves, the use cases and the public record's counts. A change to any
of them changes the page, and is written to the audit trail as a change of policy.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser
from io import BytesIO
from typing import Any

import pytest
from django.db import connections
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
from ..conftest import needs_real_services
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


# --- a change of policy ---------------------------------------------------------------------
def test_a_changed_setting_is_recorded_as_a_change_of_policy_with_its_old_and_new_value(
    client: Any,
) -> None:
    page(client)
    first = AuditEvent.objects.filter(action="policy.recorded")
    assert first.count() == 1
    # Reading the page again with the same rules records nothing.
    page(client)
    assert AuditEvent.objects.filter(action__startswith="policy.").count() == 1
    long_ago = timezone.now() - timedelta(days=400)
    PolicyRecord.objects.update(changed_at=long_ago)
    assert f"last changed on {long_ago:%-d %B %Y}" in text_of(page(client))

    with override_settings(OVERSIGHT_PANEL_QUORUM=3):
        words = text_of(page(client))
    today = timezone.localtime()
    assert f"These rules last changed on {today:%-d %B %Y}" in words
    assert "At least 3 approvals" in words
    changed = AuditEvent.objects.get(action="policy.changed")
    assert changed.actor_label == "system"
    assert changed.details["changes"] == [
        {
            "rule": "setting:panel_quorum",
            "words": "Ethics panel approvals needed before the chair may sign off",
            "from": "2 approvals",
            "to": "3 approvals",
        }
    ]
    # Back to 2 is a change too, recorded once.
    page(client)
    page(client)
    assert AuditEvent.objects.filter(action="policy.changed").count() == 2


def test_a_new_use_case_is_a_change_of_policy(client: Any) -> None:
    page(client)
    factories.make_use_case("2.7(b)")
    page(client)
    changed = AuditEvent.objects.get(action="policy.changed")
    assert [c["rule"] for c in changed.details["changes"]] == ["use_case:2.7(b)"]
    assert changed.details["changes"][0]["from"] == "(none)"


def test_record_policy_command_records_a_change_without_the_page(capsys: Any) -> None:
    from django.core.management import call_command

    call_command("record_policy")
    assert "Recorded a change" in capsys.readouterr().out
    call_command("record_policy")
    assert "No change" in capsys.readouterr().out
    with override_settings(OVERSIGHT_NOTICE_LEAD_HOURS=12):
        call_command("record_policy")
    event = AuditEvent.objects.get(action="policy.changed")
    changes = {c["rule"]: (c["from"], c["to"]) for c in event.details["changes"]}
    assert changes["setting:notice_lead_hours"] == ("24 hours", "12 hours")
    # The gate's condition that quotes the lead time changed with it.
    assert changes["gate:notice_too_recent"][1].endswith("less than 12 hours.")


# --- the PDF ------------------------------------------------------------------------------
def test_the_pdf_states_the_settings_in_force_and_is_rendered_again_when_they_change(
    client: Any,
) -> None:
    text = pdf_text(client)
    assert "How the force decides where and when" in text
    assert "At least 2 approvals" in text and "public for 24 hours" in text
    first = ReportPdf.objects.get(kind=ReportPdf.Kind.HOW_IT_WORKS)
    with override_settings(OVERSIGHT_PANEL_QUORUM=5, OVERSIGHT_NOTICE_LEAD_HOURS=72):
        text = pdf_text(client)
    assert "At least 5 approvals" in text and "public for 72 hours" in text
    assert "At least 2 approvals" not in text
    assert ReportPdf.objects.get(kind=ReportPdf.Kind.HOW_IT_WORKS).sha256 != first.sha256


# --- links ----------------------------------------------------------------------------------
def test_the_home_page_and_every_notice_link_to_the_page(
    client: Any, actors: Any, documents: Any
) -> None:
    link = f'href="{URL}"'
    assert link in client.get("/").content.decode()
    for trial in (approved(actors), approved(actors)):
        assert link in client.get(trial.get_public_url()).content.decode()


# --- the lifecycle diagram ------------------------------------------------------------------
def test_the_lifecycle_is_drawn_from_the_register_with_a_text_alternative(client: Any) -> None:
    html = page(client)
    svg = re.search(r"<svg[^>]*lifecycle.*?</svg>", html, re.S)
    assert svg is not None
    drawing = svg.group(0)
    assert 'role="img"' in drawing and 'aria-labelledby="lifecycle-t lifecycle-d"' in drawing
    assert '<title id="lifecycle-t">' in drawing and '<desc id="lifecycle-d">' in drawing
    for state in State:
        assert f">{state.label.split()[0]}" in drawing, state
    # One arrow for each move the table lists (lifting a suspension: one back to each state).
    arrows = drawing.count("<line ")
    moves = sum(len(t.sources) for t in TRANSITIONS if t.target is not None)
    lifts = sum(len(t.sources) for t in TRANSITIONS if t.target == State.SUSPENDED)
    assert arrows == moves + lifts
    words = text_of(html)
    for move in lifecycle_moves():
        assert move.sentence in words


def test_the_page_has_no_script_and_no_inline_style(client: Any) -> None:
    html = page(client)
    import re

    # Scripts only from the site's own files (none of the page's own), no inline style.
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == [] and "style=" not in html


# --- use cases ------------------------------------------------------------------------------
def test_each_use_case_is_named_by_its_title_with_its_clause_and_categories(client: Any) -> None:
    use_case = factories.make_use_case("2.3(a)")
    words = text_of(page(client))
    assert f"{use_case.title} (clause {use_case.clause})" in words
    for label in use_case.allowed_category_labels():
        assert label in words
    # A clause number never stands alone: each one follows its title.
    assert words.count(use_case.clause) == words.count(f"{use_case.title} (clause ")


# --- the counts -----------------------------------------------------------------------------
def figure(html: str, name: str) -> str:
    found = re.search(rf"<dt>{name}</dt><dd>([^<]*)</dd>", html)
    assert found is not None, name
    return found.group(1)


def test_the_counts_are_exactly_those_of_the_public_record(
    client: Any, actors: Any, documents: Any
) -> None:
    first, second = approved(actors), approved(actors)
    factories.make_draft(actors.planner)  # a draft has no public notice
    asked = [
        ps.question_submit(deployment=t, text=f"Question {i}?", address=f"10.0.0.{i}")
        for i, t in enumerate((first, first, second, second, second))
    ]
    ps.question_publish(question=asked[0], by=actors.moderator, answer="Yes.")
    ps.question_publish(question=asked[2], by=actors.moderator, answer="No.")
    ps.question_remove(question=asked[3], by=actors.moderator, reason="Abusive.")
    html = page(client)
    assert figure(html, "Notices published") == "2"
    assert figure(html, "Questions asked") == "5"
    assert figure(html, "Questions answered") == "2"
    assert figure(html, "Questions removed") == "1"
    assert figure(html, "Questions waiting for a moderator") == "2"
    assert PublicQuestion.objects.count() == 5


# --- accessibility --------------------------------------------------------------------------
class _Structure(HTMLParser):
    """Headings, ids, references and tables: what a screen reader user navigates by."""

    def __init__(self) -> None:
        super().__init__()
        self.headings: list[int] = []
        self.ids: set[str] = set()
        self.labelledby: list[str] = []
        self.header_cells_without_scope = 0
        self.lang = ""
        self.empty_links = 0
        self._link_text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.lang = a.get("lang") or ""
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        if a.get("id"):
            self.ids.add(a["id"] or "")
        if a.get("aria-labelledby"):
            self.labelledby.extend((a["aria-labelledby"] or "").split())
        if tag == "th" and not a.get("scope"):
            self.header_cells_without_scope += 1
        if tag == "a":
            self._link_text = []

    def handle_data(self, data: str) -> None:
        if self._link_text is not None:
            self._link_text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._link_text is not None:
            self.empty_links += not "".join(self._link_text).strip()
            self._link_text = None


def test_the_page_is_navigable_by_headings_labels_and_table_headers(client: Any) -> None:
    structure = _Structure()
    structure.feed(page(client))
    assert structure.lang == "en-GB"
    assert structure.headings.count(1) == 1 and structure.headings[0] == 1
    # No level is skipped on the way down (h2 to h4 would be).
    for before, after in zip(structure.headings, structure.headings[1:], strict=False):
        assert after <= before + 1, structure.headings
    assert set(structure.labelledby) <= structure.ids
    assert structure.header_cells_without_scope == 0
    assert structure.empty_links == 0


# --- two readers at once ------------------------------------------------------------------
def _at_once(work: Any, times: int = 4) -> None:
    barrier = threading.Barrier(times)

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            work()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_readers_at_once_record_a_change_of_policy_exactly_once() -> None:
    needs_real_services(postgres=True)
    _at_once(ps.policy_record)
    assert AuditEvent.objects.filter(action="policy.recorded").count() == 1
    with override_settings(OVERSIGHT_PANEL_QUORUM=3):
        _at_once(ps.policy_record)
    assert AuditEvent.objects.filter(action="policy.changed").count() == 1
    assert PolicyRecord.objects.count() == 1


# --- the portfolio --------------------------------------------------------------------------
def test_the_page_shows_the_portfolio_figures_of_the_fairness_page(
    client: Any, actors: Any, documents: Any
) -> None:
    from fairness.census import area_demographics_import_default
    from fairness.exposure import portfolio_exposure

    area_demographics_import_default()
    approved(
        actors,
        expected_faces=5000,
        fairness_justification="The Asian, Black, Mixed, White and Other ethnic group residents "
        "were compared with London's.",
    )
    words = text_of(page(client))
    figures = portfolio_exposure()
    assert figures["deployments"] == 1
    assert figures["summary"] in words
    assert "share of London's residents" in words
    for row in figures["rows"]:
        assert f"{row['label']} {row['share_scanned']} {row['share_reference']}" in words
