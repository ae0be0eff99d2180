"""Stored PDF reports: rendered by a task queued on commit, regenerated when the record
changes, served from /trials/<ref>/report.pdf and /reports/<year>/report.pdf."""

from __future__ import annotations

import hashlib
from io import BytesIO
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from deployments import services as ds
from public import services as ps
from public.models import ReportPdf

from .conftest import completed

pytestmark = pytest.mark.django_db


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def publish(trial: Any, actors: Any, capture: Any) -> None:
    with capture(execute=True):
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)


def test_publishing_the_report_renders_and_stores_the_pdfs_after_commit(
    actors: Any, documents: Any, django_capture_on_commit_callbacks: Any
):
    trial = completed(actors)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ds.deployment_publish_report(deployment=trial, by=actors.moderator)
    # Nothing is rendered inside the transaction: the task waits for the commit.
    assert not ReportPdf.objects.exists()
    assert callbacks
    for callback in callbacks:
        callback()
    stored = ReportPdf.objects.get(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    data = stored.file.read()
    assert data.startswith(b"%PDF")
    assert "21,400" in pdf_text(data)
    year = str(timezone.localtime(trial.starts_at).year)
    assert ReportPdf.objects.filter(kind=ReportPdf.Kind.ANNUAL, key=year).exists()


def test_the_pdf_is_regenerated_when_the_record_changes_and_not_otherwise(
    actors: Any, documents: Any, django_capture_on_commit_callbacks: Any
):
    trial = completed(actors)
    publish(trial, actors, django_capture_on_commit_callbacks)
    first = ReportPdf.objects.get(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    # Nothing changed: the stored file is kept as it is.
    again = ps.report_pdf_refresh(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    assert again is not None and again.sha256 == first.sha256 and again.file.name == first.file.name
    # A question is published on the notice: the report shows it, so it is rendered again.
    question = ps.question_submit(deployment=trial, text="Was anyone arrested?", address="a")
    with django_capture_on_commit_callbacks(execute=True):
        ps.question_publish(question=question, by=actors.moderator, answer="Two people.")
    second = ReportPdf.objects.get(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    assert second.source_hash != first.source_hash
    assert "Was anyone arrested?" in pdf_text(second.file.read())
    assert not second.file.storage.exists(first.file.name)


def test_the_trial_pdf_is_served_once_the_report_is_published(
    client: Any, actors: Any, documents: Any, django_capture_on_commit_callbacks: Any
):
    trial = completed(actors)
    url = reverse("public:trial_report_pdf", args=[trial.reference])
    assert client.get(url).status_code == 404
    publish(trial, actors, django_capture_on_commit_callbacks)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    stored = ReportPdf.objects.get(kind=ReportPdf.Kind.TRIAL, key=trial.reference)
    assert body(response) == stored.file.read()


def test_a_missing_pdf_is_rendered_on_request_rather_than_refused(client: Any, reported_trial: Any):
    # The on-commit task never ran in this test (callbacks are not executed).
    assert not ReportPdf.objects.exists()
    response = client.get(reverse("public:trial_report_pdf", args=[reported_trial.reference]))
    assert response.status_code == 200
    assert body(response).startswith(b"%PDF")
    assert ReportPdf.objects.filter(kind=ReportPdf.Kind.TRIAL).count() == 1


def test_the_annual_pdf_is_served_for_a_year_with_trials_only(client: Any, reported_trial: Any):
    year = timezone.localtime(reported_trial.starts_at).year
    response = client.get(reverse("public:annual_report_pdf", args=[year]))
    assert response.status_code == 200
    text = pdf_text(body(response))
    assert f"annual report {year}" in text and reported_trial.reference in text
    assert client.get(reverse("public:annual_report_pdf", args=[1999])).status_code == 404


def test_script_in_a_question_is_printed_as_text_in_the_pdf(reported_trial: Any, actors: Any):
    question = ps.question_submit(
        deployment=reported_trial, text="<script>alert(1)</script> hello", address="b"
    )
    ps.question_publish(question=question, by=actors.moderator, answer="<b>Answer</b>")
    stored = ps.report_pdf_refresh(kind=ReportPdf.Kind.TRIAL, key=reported_trial.reference)
    assert stored is not None
    text = pdf_text(stored.file.read())
    assert "<script>alert(1)</script> hello" in text
    assert "<b>Answer</b>" in text


def test_the_stored_pdf_is_tagged_and_carries_its_hash(reported_trial: Any):
    stored = ps.report_pdf_refresh(kind=ReportPdf.Kind.TRIAL, key=reported_trial.reference)
    assert stored is not None
    data = stored.file.read()
    assert hashlib.sha256(data).hexdigest() == stored.sha256
    assert "/StructTreeRoot" in PdfReader(BytesIO(data)).trailer["/Root"]


def test_a_restyled_report_is_rendered_again(
    reported_trial: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
):
    stylesheet = tmp_path / "pdf.css"
    stylesheet.write_text("body { color: black; }")
    monkeypatch.setattr(ps, "PDF_STYLESHEET", stylesheet)
    first = ps.report_pdf_refresh(kind=ReportPdf.Kind.TRIAL, key=reported_trial.reference)
    stylesheet.write_text("body { color: navy; }")
    second = ps.report_pdf_refresh(kind=ReportPdf.Kind.TRIAL, key=reported_trial.reference)
    assert first is not None and second is not None
    assert second.source_hash != first.source_hash
