"""The staff evaluation report pages: who may read them, and only legal officers attach."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from legal.models import Document

from .test_threshold_guard import make_evaluation


@pytest.fixture
def evaluation(db):
    return make_evaluation("0.500")


def test_a_report_needs_a_sign_in(client, evaluation):
    response = client.get(reverse("staff:evaluation_detail", args=[evaluation.pk]))

    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_staff_can_read_a_report_and_someone_without_a_role_cannot(client, actors, evaluation):
    url = reverse("staff:evaluation_detail", args=[evaluation.pk])
    client.force_login(actors.panel_a)
    page = client.get(url)
    assert page.status_code == 200
    assert "False non-match rate" in page.content.decode()
    assert "Wilson" in page.content.decode()

    client.force_login(actors.stranger)
    assert client.get(url).status_code == 403
    assert client.get(reverse("staff:evaluation_list")).status_code == 403


def test_the_report_pdf_is_a_pdf(client, actors, evaluation):
    client.force_login(actors.panel_a)

    response = client.get(reverse("staff:evaluation_pdf", args=[evaluation.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_only_legal_officers_can_attach_a_report(client, actors, documents, evaluation):
    version = documents[Document.Kind.EQUALITY_IMPACT]
    url = reverse("staff:evaluation_attach", args=[evaluation.pk])

    for someone in (actors.planner, actors.chair, actors.panel_a):
        client.force_login(someone)
        assert client.post(url, {"version": version.pk}).status_code == 403
        assert (
            "Attach this report"
            not in client.get(
                reverse("staff:evaluation_detail", args=[evaluation.pk])
            ).content.decode()
        )
    evaluation.refresh_from_db()
    assert evaluation.attached_to is None

    client.force_login(actors.legal_officer)
    assert (
        "Attach this report"
        in client.get(reverse("staff:evaluation_detail", args=[evaluation.pk])).content.decode()
    )
    assert client.post(url, {"version": version.pk}).status_code == 302

    evaluation.refresh_from_db()
    assert evaluation.attached_to == version
    assert AuditEvent.objects.filter(action="evaluation.attached").exists()


def test_a_report_attaches_only_to_an_equality_impact_assessment_version(
    client, actors, documents, evaluation
):
    dpia = documents[Document.Kind.DPIA]
    client.force_login(actors.legal_officer)

    response = client.post(
        reverse("staff:evaluation_attach", args=[evaluation.pk]), {"version": dpia.pk}
    )

    assert response.status_code == 400
    evaluation.refresh_from_db()
    assert evaluation.attached_to is None


def test_an_attached_report_stays_with_its_version(actors, documents, evaluation):
    from core.errors import TransitionNotAllowed
    from legal import services as ls
    from legal.evaluations import evaluation_attach

    first = documents[Document.Kind.EQUALITY_IMPACT]
    evaluation_attach(evaluation=evaluation, version=first, by=actors.legal_officer)
    draft = ls.document_version_draft(
        document=first.document, title="v2", body="New.", change_summary="", by=actors.legal_officer
    )

    with pytest.raises(TransitionNotAllowed, match="already attached"):
        evaluation_attach(evaluation=evaluation, version=draft, by=actors.legal_officer)


def test_the_report_lists_the_images_left_out(client, actors):
    from legal.evaluations import evaluation_record

    stored = evaluation_record(
        manifest_name="set.csv",
        manifest_sha256="0" * 64,
        engine_version="test",
        results=make_evaluation("0.5").results,
        excluded=[
            {
                "line": 7,
                "image": "blurred.jpg",
                "person": "p9",
                "group": "B",
                "reason_code": "no_face",
                "reason": "No face was found in the image.",
            }
        ],
    )
    client.force_login(actors.planner)

    page = client.get(reverse("staff:evaluation_detail", args=[stored.pk])).content.decode()

    assert "blurred.jpg" in page
    assert "No face was found in the image." in page
    listing = client.get(reverse("staff:evaluation_list")).content.decode()
    assert f"Evaluation {stored.pk}" in listing


def test_a_planner_sees_the_list_link_in_the_staff_navigation(client, actors):
    client.force_login(actors.planner)

    page = client.get(reverse("staff:dashboard")).content.decode()

    assert reverse("staff:evaluation_list") in page


def test_the_report_pdf_carries_the_audit_trail_s_latest_checkpoint(client, actors, evaluation):
    from io import BytesIO

    from pypdf import PdfReader

    from audit.selectors import checkpoint_summary
    from audit.services import audit_checkpoint_create

    checkpoint = audit_checkpoint_create(reason="test")
    client.force_login(actors.panel_a)
    response = client.get(reverse("staff:evaluation_pdf", args=[evaluation.pk]))
    info = PdfReader(BytesIO(response.content)).metadata
    assert info["/OversightAuditCheckpoint"] == checkpoint_summary(checkpoint)
