"""The frames API: POST /api/v1/runs/<id>/frames with the run's bearer token."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from guardian.shortcuts import remove_perm

from deployments import services as ds
from matching import services
from matching.models import Alert, Run

pytestmark = pytest.mark.django_db


@pytest.fixture
def started(live: Any, actors: Any) -> services.RunStart:
    return services.run_start(deployment=live, operator=actors.operator, source_label="Cam 2")


@pytest.fixture
def api() -> Client:
    # CSRF checks on, as a real browser would meet them: the endpoint must not need a token.
    return Client(enforce_csrf_checks=True)


def post(
    api: Client,
    run: Run,
    body: bytes,
    *,
    token: str | None,
    content_type: str = "image/jpeg",
) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
    return api.post(
        reverse("api:run_frames", args=[run.pk]), data=body, content_type=content_type, **headers
    )


def jpeg(sample_faces: Path, name: str) -> bytes:
    return (sample_faces / name).read_bytes()


def test_a_good_frame_gets_its_alerts_as_json(api, started, sample_faces):
    response = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=started.token)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["run"] == started.run.pk and body["faces_seen"] == 1
    (alert,) = body["alerts"]
    stored = Alert.objects.get()
    assert alert["id"] == stored.pk
    assert alert["subject_reference"] == "W-OBAMA-1"
    assert alert["category"] == "wanted_by_court"
    assert alert["distance"] == pytest.approx(stored.distance, abs=1e-4)
    assert alert["url"].endswith(reverse("staff:alert_detail", args=[stored.pk]))


@pytest.mark.parametrize(
    "name", ["obama3.jpg", "obama_partial_face.jpg", "obama_partial_face2.jpg"]
)
def test_other_photographs_of_the_enrolled_person_raise_alerts(api, started, sample_faces, name):
    response = post(api, started.run, jpeg(sample_faces, name), token=started.token)
    assert response.status_code == 200 and len(response.json()["alerts"]) == 1


def test_a_stranger_raises_no_alert(api, started, sample_faces):
    response = post(api, started.run, jpeg(sample_faces, "biden.jpg"), token=started.token)
    assert response.status_code == 200
    assert response.json()["alerts"] == [] and response.json()["faces_seen"] == 1
    assert not Alert.objects.exists()


def test_a_png_frame_is_accepted(api, started, sample_faces):
    body = jpeg(sample_faces, "32bit.png")
    response = post(api, started.run, body, token=started.token, content_type="image/png")
    assert response.status_code == 200 and len(response.json()["alerts"]) == 1


@pytest.mark.parametrize(
    "token",
    [None, "", "not-the-token", "Basic"],
    ids=["no header", "empty", "wrong token", "odd"],
)
def test_a_missing_or_wrong_token_gets_401(api, started, sample_faces, token):
    response = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"] == "token_invalid"
    assert not Alert.objects.exists()


def test_another_runs_token_gets_401(api, live, actors, started, sample_faces):
    other = services.run_start(deployment=live, operator=actors.operator, source_label="Cam 9")
    response = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=other.token)
    assert response.status_code == 401


def test_a_run_that_does_not_exist_gets_the_same_401(api, started, sample_faces):
    response = api.post(
        reverse("api:run_frames", args=[started.run.pk + 1000]),
        data=jpeg(sample_faces, "obama2.jpg"),
        content_type="image/jpeg",
        HTTP_AUTHORIZATION=f"Bearer {started.token}",
    )
    assert response.status_code == 401


def test_an_expired_token_gets_403(api, started, sample_faces):
    Run.objects.filter(pk=started.run.pk).update(
        token_expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=started.token)
    assert response.status_code == 403
    assert response.json()["error"] == "token_expired"
    assert "Start a new run" in response.json()["reason"]


def test_a_stopped_runs_token_gets_403(api, actors, started, sample_faces):
    services.run_stop(run=started.run, by=actors.operator, code="stopped_by_operator", reason="X")
    response = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=started.token)
    assert response.status_code == 403


def test_the_token_dies_when_its_operator_loses_the_deployment(
    api, live, actors, started, sample_faces
):
    remove_perm("deployments.operate_deployment", actors.operator, live)
    response = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=started.token)
    assert response.status_code == 403


def test_a_body_over_the_limit_gets_413(api, started, sample_faces, settings):
    settings.OVERSIGHT_API_MAX_FRAME_BYTES = 100_000
    body = jpeg(sample_faces, "obama2.jpg")
    assert len(body) > 100_000
    response = post(api, started.run, body, token=started.token)
    assert response.status_code == 413
    assert "at most 97.7" in response.json()["reason"]


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("image/gif", b"GIF89a...."),
        ("application/octet-stream", b"\xff\xd8\xff\xe0"),
        ("image/png", b"\xff\xd8\xff\xe0 a JPEG body under a PNG label"),
    ],
    ids=["gif", "octet-stream", "mislabelled"],
)
def test_anything_but_a_jpeg_or_png_body_gets_415(api, started, content_type, body):
    response = post(api, started.run, body, token=started.token, content_type=content_type)
    assert response.status_code == 415


def test_a_multipart_upload_gets_415(api, started, sample_faces):
    response = api.post(
        reverse("api:run_frames", args=[started.run.pk]),
        data={"frame": open(sample_faces / "obama2.jpg", "rb")},  # noqa: SIM115
        HTTP_AUTHORIZATION=f"Bearer {started.token}",
    )
    assert response.status_code == 415
    assert "raw request body" in response.json()["reason"]


def test_a_damaged_jpeg_gets_400_with_the_reason(api, started, sample_faces):
    body = jpeg(sample_faces, "obama2.jpg")[:5000]
    response = post(api, started.run, body, token=started.token)
    assert response.status_code == 400
    assert response.json()["error"] == "unreadable"


def test_a_closed_gate_gets_409_with_the_reason_and_stops_the_run(
    api, live, actors, started, sample_faces
):
    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Disorder at the exit.")
    response = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=started.token)
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "gate_closed" and body["reason_code"] == "suspended"
    assert "Disorder at the exit." in body["reason"] and body["run_stopped"] is True
    started.run.refresh_from_db()
    assert not started.run.is_running
    assert not Alert.objects.exists()
    # The caller stops sending; if it does not, the run's token is now void.
    again = post(api, started.run, jpeg(sample_faces, "obama2.jpg"), token=started.token)
    assert again.status_code == 403


def test_only_post_is_allowed(api, started):
    response = api.get(
        reverse("api:run_frames", args=[started.run.pk]),
        HTTP_AUTHORIZATION=f"Bearer {started.token}",
    )
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_staff_pages_still_require_a_csrf_token(api, actors, live):
    api.force_login(actors.operator)
    response = api.post(reverse("staff:run_start", args=[live.reference]), {"camera": "1"})
    assert response.status_code == 403


def test_a_failure_on_the_server_is_answered_as_json_not_an_html_page(
    live, actors, sample_faces, settings, tmp_path
):
    """A real fault, with DEBUG off: the private storage cannot be written (a file stands where
    its folder should be), so saving the alert's crop fails mid-request."""
    settings.DEBUG = False
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    storages = dict(settings.STORAGES)
    storages["private"] = {**storages["private"], "OPTIONS": {"location": str(blocker / "p")}}
    settings.STORAGES = storages
    started = services.run_start(deployment=live, operator=actors.operator, source_label="Cam 2")
    client = Client(raise_request_exception=False)
    response = post(client, started.run, jpeg(sample_faces, "obama2.jpg"), token=started.token)
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "server_error"
    assert not Alert.objects.exists()


def test_an_unknown_api_address_is_answered_as_json(api):
    for path in ("/api/v1/runs/abc/frames", "/api/v1/nothing", "/api/v1/runs/1/frames/extra"):
        response = api.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json"
        assert response.json()["error"] == "not_found"


def test_an_error_before_the_view_runs_is_json_under_the_api_and_a_page_elsewhere(settings):
    settings.DEBUG = False
    client = Client(HTTP_HOST="not-this-site.example", raise_request_exception=False)
    response = client.post("/api/v1/runs/1/frames", data=b"x", content_type="image/jpeg")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "bad_request"
    page = client.get("/")
    assert page.status_code == 400
    assert page["Content-Type"].startswith("text/html")


def test_the_project_500_handler_answers_json_under_the_api(rf):
    from django.urls import get_resolver

    handler = get_resolver().resolve_error_handler(500)
    response = handler(rf.get("/api/v1/runs/1/frames"))
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert handler(rf.get("/")).status_code == 500
