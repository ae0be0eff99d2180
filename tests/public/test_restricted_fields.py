"""No public output ever shows a restricted field.

A trial is filled with marker strings in every restricted place: the intelligence case, the
reviewers' private notes, the names and usernames of the people who filed, authorised, reviewed
and operated it, the email of a person who asked a question, a camera's stream address, and
the words of a question still pending and of one removed. Every public output is then rendered
and searched.
"""

from __future__ import annotations

from datetime import timedelta
from io import BytesIO
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from core.roles import Role
from deployments import services as ds
from deployments.models import Review
from public import services as ps

from .. import factories
from .conftest import OUTCOME

pytestmark = pytest.mark.django_db

MARKERS = (
    "MARKERintelcase",
    "MARKERprivatenote",
    "MARKERoperatoruser",
    "MARKERoperatorname",
    "MARKERplanneruser",
    "MARKERplannername",
    "MARKERreviewuser",
    "MARKERreviewname",
    "MARKERauthuser",
    "MARKERchairuser",
    "markeremail@example.org",
    "MARKERpendingquestion",
    "MARKERremovedquestion",
    "MARKERstream",
)


def _person(username: str, first: str, *roles: Role) -> Any:
    user = factories.make_user(username, *roles)
    user.first_name, user.last_name = first, first
    user.save()
    return user


@pytest.fixture
def marked_trial(actors: Any, documents: Any) -> Any:
    planner = _person("MARKERplanneruser", "MARKERplannername", Role.PLANNER)
    authoriser = _person("MARKERauthuser", "MARKERauthuser", Role.AUTHORISING_OFFICER)
    chair = _person("MARKERchairuser", "MARKERchairuser", Role.PANEL_CHAIR, Role.PANEL_MEMBER)
    reviewers = [
        _person(f"MARKERreviewuser{n}", "MARKERreviewname", Role.PANEL_MEMBER) for n in range(3)
    ]
    operator = _person("MARKERoperatoruser", "MARKERoperatorname", Role.OPERATOR)
    trial = factories.make_draft(planner, intelligence_case="MARKERintelcase: informant says.")
    factories.to_submitted(trial, planner)
    ds.deployment_authorise(deployment=trial, by=authoriser, statement="Necessary.")
    decisions = (Review.Decision.APPROVE, Review.Decision.APPROVE, Review.Decision.REJECT)
    for reviewer, decision in zip(reviewers, decisions, strict=True):
        ds.review_assign(deployment=trial, reviewer=reviewer, by=chair)
        ds.review_record(
            deployment=trial,
            reviewer=reviewer,
            decision=decision,
            reasons="Published reasons.",
            private_notes="MARKERprivatenote about the informant",
        )
    factories.give_watchlist(trial)  # sign-off needs an enrolled watchlist
    # A camera's stream address is restricted; its name and place are published.
    factories.make_camera(
        trial,
        label="Camera 1, market gate",
        position="Above the market gate.",
        stream_url="rtsp://MARKERstream:MARKERstream@10.0.0.5/MARKERstream",
    )
    ds.deployment_sign_off(deployment=trial, by=chair, statement="Approved.")
    ds.operator_assign(deployment=trial, operator=operator, by=authoriser)
    trial.refresh_from_db()
    published = ps.question_submit(
        deployment=trial, text="Public words", email="markeremail@example.org", address="q1"
    )
    ps.question_publish(question=published, by=actors.moderator, answer="Answered.")
    ps.question_submit(deployment=trial, text="MARKERpendingquestion", address="q2")
    removed = ps.question_submit(deployment=trial, text="MARKERremovedquestion", address="q3")
    ps.question_remove(question=removed, by=actors.moderator, reason="Off topic.")
    trial = factories.backdate(trial, timedelta(days=5))
    ds.deployment_complete(deployment=trial)
    ds.outcome_record(deployment=trial, by=planner, data=OUTCOME)
    ds.deployment_publish_report(deployment=trial, by=chair)
    trial.refresh_from_db()
    return trial


def _pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def _body(response: Any) -> str:
    assert response.status_code == 200, response
    data = b"".join(response.streaming_content) if response.streaming else response.content
    if data.startswith(b"%PDF"):
        # Search both the extracted text and the raw bytes (metadata, link targets).
        return _pdf_text(data) + data.decode("latin-1")
    return data.decode("utf-8")


def test_no_public_output_shows_a_restricted_field(client: Client, marked_trial: Any):
    year = timezone.localtime(marked_trial.starts_at).year
    ref = marked_trial.reference
    urls = [
        reverse("public:home"),
        reverse("public:trial_list"),
        reverse("public:trial_list") + "?status=results",
        reverse("public:trial_detail", args=[ref]),
        reverse("public:trial_report_pdf", args=[ref]),
        reverse("public:legal_index"),
        reverse("public:annual_report", args=[year]),
        reverse("public:annual_report_pdf", args=[year]),
        reverse("public:open_data"),
        reverse("public:open_data_csv"),
        reverse("public:open_data_json"),
        reverse("public:feed"),
    ]
    for version in marked_trial.pinned_documents.select_related("document"):
        urls += [version.document.get_absolute_url(), version.get_absolute_url()]
    outputs = {url: _body(client.get(url)) for url in urls}
    # The pages did render the trial (so the search below is not vacuous).
    assert ref in outputs[reverse("public:trial_detail", args=[ref])]
    assert "Public words" in outputs[reverse("public:trial_report_pdf", args=[ref])]
    assert "Off topic." in outputs[reverse("public:trial_detail", args=[ref])]
    for url in (
        reverse("public:trial_detail", args=[ref]),
        reverse("public:trial_report_pdf", args=[ref]),
    ):
        assert "Camera 1, market gate" in outputs[url], url
    for url, text in outputs.items():
        for marker in MARKERS:
            assert marker.lower() not in text.lower(), f"{marker} appears in {url}"
