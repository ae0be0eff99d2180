"""The watchlist pages and the operator console: who sees what, and the refusals."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.roles import Role
from deployments import services as ds
from matching import engine, services
from matching.models import Alert, Run, WatchlistEntry
from matching.samples import compose_two_faces
from tests import factories
from tests.matching.helpers import as_, console_url

pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


@pytest.fixture
def alert(live: Any, actors: Any, sample_faces: Path) -> Alert:
    run = services.run_start(deployment=live, operator=actors.operator, source_label="Cam 1").run
    frame = services.Frame(image=engine.load_image(sample_faces / "obama2.jpg", **LIMITS))
    (raised,) = services.run_process_batch(run=run, frames=[frame]).alerts
    return raised


@pytest.fixture
def other_operator() -> Any:
    return factories.make_user("operator_elsewhere", Role.OPERATOR)


# --- the operator console ------------------------------------------------------------------------
def test_the_console_shows_each_pending_alert_with_both_faces_and_the_form(client, actors, alert):
    response = as_(client, actors.operator).get(console_url(alert.run.deployment))
    assert response.status_code == 200
    html = response.content.decode()
    entry_image = reverse(
        "staff:watchlist_entry_image", args=[alert.run.deployment.reference, alert.entry_id]
    )
    assert entry_image in html and reverse("staff:alert_crop", args=[alert.pk]) in html
    assert "W-OBAMA-1" in html and "The gate is open" in html
    assert f'name="a{alert.pk}-verdict"' in html
    assert response["Cache-Control"].startswith("max-age=0")


def test_the_enrolled_face_is_cut_out_to_sit_beside_the_crop_and_never_stored(
    client, actors, alert, settings
):
    from io import BytesIO

    from PIL import Image

    stored = {p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()}
    url = reverse(
        "staff:watchlist_entry_image", args=[alert.run.deployment.reference, alert.entry_id]
    )
    whole = as_(client, actors.operator).get(url)
    face = client.get(url + "?face=1")
    assert face.status_code == 200 and face["Content-Type"] == "image/jpeg"
    assert "no-store" in face["Cache-Control"]
    with Image.open(BytesIO(face.content)) as cut, Image.open(alert.entry.image.path) as full:
        assert cut.width < full.width / 2 and cut.height < full.height / 2
    assert b"".join(whole.streaming_content)[:3] == b"\xff\xd8\xff"
    assert {p for p in Path(settings.PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()} == stored


@pytest.mark.parametrize(
    ("who", "status"),
    # Another operator does not need to know this deployment: a 404, as for the public.
    [("other_operator", 404), ("planner", 403), ("chair", 403), ("stranger", 404), (None, 302)],
)
def test_only_an_operator_of_the_deployment_opens_its_console(
    client, actors, live, other_operator, who, status
):
    user = other_operator if who == "other_operator" else getattr(actors, who) if who else None
    response = as_(client, user).get(console_url(live))
    assert response.status_code == status


def test_the_console_says_why_the_gate_is_closed_and_offers_no_run(client, actors, on_cameras):
    ds.deployment_suspend(deployment=on_cameras, by=actors.chair, reason="Disorder nearby.")
    html = as_(client, actors.operator).get(console_url(on_cameras)).content.decode()
    assert "The gate is closed" in html and "Disorder nearby." in html
    assert "Camera 1, north exit" in html
    assert reverse("staff:run_start", args=[on_cameras.reference]) not in html


def start_url(deployment: Any) -> str:
    return reverse("staff:run_start", args=[deployment.reference])


def test_starting_an_ingest_box_camera_shows_its_token_once(client, actors, on_cameras):
    camera = on_cameras.cameras.get(kind="box")
    response = as_(client, actors.operator).post(start_url(on_cameras), {"camera": camera.pk})
    assert response.status_code == 200
    run = Run.objects.get()
    assert run.camera == camera and run.source_label == "Camera 2, south exit"
    token = response.context["token"]
    assert token in response.content.decode()
    assert services.run_authenticate(run_id=run.pk, token=token) == run
    # Not in the console afterwards, nor anywhere in the database.
    assert token not in client.get(console_url(on_cameras)).content.decode()


def test_starting_a_camera_when_the_gate_is_closed_says_why(client, actors, on_cameras):
    ds.deployment_suspend(deployment=on_cameras, by=actors.chair, reason="Disorder nearby.")
    camera = on_cameras.cameras.get(kind="box")
    response = as_(client, actors.operator).post(start_url(on_cameras), {"camera": camera.pk})
    assert response.status_code == 409
    html = response.content.decode()
    assert "The camera did not start" in html and "Disorder nearby." in html
    assert not Run.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("other_operator", 404), ("planner", 403)])
def test_others_cannot_start_a_camera(client, actors, on_cameras, other_operator, who, status):
    user = other_operator if who == "other_operator" else getattr(actors, who)
    camera = on_cameras.cameras.get(kind="box")
    response = as_(client, user).post(start_url(on_cameras), {"camera": camera.pk})
    assert response.status_code == status and not Run.objects.exists()


def test_the_operator_stops_a_run_from_the_console(client, actors, alert):
    response = as_(client, actors.operator).post(reverse("staff:run_stop", args=[alert.run_id]))
    assert response.status_code == 302
    alert.run.refresh_from_db()
    assert alert.run.stop_code == "stopped_by_operator"


def test_another_operator_cannot_stop_the_run(client, alert, other_operator):
    response = as_(client, other_operator).post(reverse("staff:run_stop", args=[alert.run_id]))
    assert response.status_code == 404
    alert.run.refresh_from_db()
    assert alert.run.is_running


# --- alerts and adjudication ---------------------------------------------------------------------
def test_the_crop_is_served_privately_to_the_operator(client, actors, alert):
    response = as_(client, actors.operator).get(reverse("staff:alert_crop", args=[alert.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content)[:3] == b"\xff\xd8\xff"


@pytest.mark.parametrize("who", ["other_operator", "planner", "chair", "stranger"])
def test_nobody_else_sees_an_alert_or_its_crop(client, actors, alert, other_operator, who):
    user = other_operator if who == "other_operator" else getattr(actors, who)
    as_(client, user)
    assert client.get(reverse("staff:alert_crop", args=[alert.pk])).status_code == 404
    assert client.get(reverse("staff:alert_detail", args=[alert.pk])).status_code == 404


def test_private_files_have_no_public_url(client, alert):
    assert client.get("/media/" + alert.crop.name).status_code == 404
    assert client.get("/static/" + alert.crop.name).status_code == 404


def test_the_operator_adjudicates_an_alert(client, actors, alert):
    response = as_(client, actors.operator).post(
        reverse("staff:alert_detail", args=[alert.pk]),
        {
            f"a{alert.pk}-verdict": "true",
            f"a{alert.pk}-confirmation": "confirmed",
            f"a{alert.pk}-outcome": "arrest",
            f"a{alert.pk}-notes": "Spoken to at the exit.",
            "next": console_url(alert.run.deployment),
        },
    )
    assert response.status_code == 302
    assert response["Location"] == console_url(alert.run.deployment)
    alert.refresh_from_db()
    assert (alert.verdict, alert.confirmation, alert.outcome) == ("true", "confirmed", "arrest")
    assert alert.adjudicated_by == actors.operator


def test_an_incomplete_adjudication_is_shown_again_with_what_is_missing(client, actors, alert):
    response = as_(client, actors.operator).post(
        reverse("staff:alert_detail", args=[alert.pk]),
        {f"a{alert.pk}-verdict": "true", f"a{alert.pk}-is_evidence": "on"},
    )
    assert response.status_code == 400
    alert.refresh_from_db()
    assert alert.is_pending


def test_evidence_needs_a_reason(client, actors, alert):
    response = as_(client, actors.operator).post(
        reverse("staff:alert_detail", args=[alert.pk]),
        {
            f"a{alert.pk}-verdict": "true",
            f"a{alert.pk}-confirmation": "confirmed",
            f"a{alert.pk}-outcome": "arrest",
            f"a{alert.pk}-is_evidence": "on",
        },
    )
    assert response.status_code == 400
    assert "why the crop must be kept" in response.content.decode()


def test_another_operator_cannot_adjudicate(client, alert, other_operator):
    response = as_(client, other_operator).post(
        reverse("staff:alert_detail", args=[alert.pk]),
        {f"a{alert.pk}-verdict": "false", f"a{alert.pk}-confirmation": "confirmed"},
    )
    assert response.status_code == 404
    alert.refresh_from_db()
    assert alert.is_pending


def test_an_offsite_next_is_not_followed(client, actors, alert):
    response = as_(client, actors.operator).post(
        reverse("staff:alert_detail", args=[alert.pk]),
        {
            f"a{alert.pk}-verdict": "false",
            f"a{alert.pk}-confirmation": "confirmed",
            f"a{alert.pk}-outcome": "no_action",
            "next": "https://example.org/",
        },
    )
    assert response["Location"] == console_url(alert.run.deployment)


def test_the_console_index_lists_the_operators_deployments(client, actors, alert):
    html = as_(client, actors.operator).get(reverse("staff:console_index")).content.decode()
    assert alert.run.deployment.reference in html
    assert "<strong>1</strong>" in html


# --- the planner's watchlist ---------------------------------------------------------------------
def watchlist_url(deployment: Any) -> str:
    return reverse("staff:watchlist", args=[deployment.reference])


def upload(data: bytes, reference: str = "W-2026-9") -> dict[str, Any]:
    return {
        "subject_reference": reference,
        "category": "wanted_by_court",
        "image_provenance": "Custody image system, record 7, taken 1 May 2025.",
        "legal_basis": "PACE s.64A.",
        "image": SimpleUploadedFile("photo.jpg", data, content_type="image/jpeg"),
    }


def test_the_planner_adds_a_person_and_sees_them_enrolled(
    client, actors, draft, sample_faces, django_capture_on_commit_callbacks
):
    as_(client, actors.planner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            watchlist_url(draft), upload((sample_faces / "obama.jpg").read_bytes())
        )
    assert response.status_code == 302
    html = client.get(watchlist_url(draft)).content.decode()
    assert "W-2026-9" in html and "Enrolled" in html
    entry = WatchlistEntry.objects.get()
    image = client.get(reverse("staff:watchlist_entry_image", args=[draft.reference, entry.pk]))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert "no-store" in image["Cache-Control"]


def test_the_planner_sees_why_an_image_was_refused(
    client, actors, draft, django_capture_on_commit_callbacks
):
    as_(client, actors.planner)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(watchlist_url(draft), upload(compose_two_faces()))
    html = client.get(watchlist_url(draft)).content.decode()
    assert "Refused" in html and "2 faces were found in the image" in html
    assert "Image deleted" in html


def test_a_refusal_by_the_rules_is_shown_on_the_form(client, actors, draft, sample_faces):
    data = upload((sample_faces / "obama.jpg").read_bytes(), reference="John Smith")
    response = as_(client, actors.planner).post(watchlist_url(draft), data)
    assert response.status_code == 400
    assert "never a name" in response.content.decode()


def test_nobody_can_be_added_through_the_page_after_sign_off(client, actors, live, sample_faces):
    as_(client, actors.planner)
    assert 'enctype="multipart/form-data"' not in client.get(watchlist_url(live)).content.decode()
    response = client.post(watchlist_url(live), upload((sample_faces / "obama.jpg").read_bytes()))
    assert response.status_code == 409


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("planner", 200),
        ("operator", 200),
        ("chair", 403),
        ("other_planner", 404),
        ("stranger", 404),
    ],
)
def test_only_the_planner_and_the_operators_see_watchlist_images(client, actors, live, who, status):
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    as_(client, getattr(actors, who))
    url = reverse("staff:watchlist_entry_image", args=[live.reference, entry.pk])
    assert client.get(url).status_code == status
    assert client.get(watchlist_url(live)).status_code == status


def test_the_planner_removes_a_person(client, actors, draft):
    (entry,) = factories.give_watchlist(draft)
    url = reverse("staff:watchlist_entry_remove", args=[draft.reference, entry.pk])
    as_(client, actors.planner)
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "Arrested on another warrant."})
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.REMOVED


def test_others_cannot_remove_a_person(client, actors, live, other_operator):
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    url = reverse("staff:watchlist_entry_remove", args=[live.reference, entry.pk])
    assert as_(client, actors.operator).post(url, {"reason": "No."}).status_code == 403
    entry.refresh_from_db()
    assert entry.is_active


# --- the deployment page -------------------------------------------------------------------------
def test_the_deployment_page_shows_the_engine_to_each_as_they_need(client, actors, live):
    url = reverse("staff:deployment_detail", args=[live.reference])
    operator = as_(client, actors.operator).get(url).content.decode()
    assert "Open the operator console" in operator
    planner = as_(client, actors.planner).get(url).content.decode()
    assert "See the watchlist" in planner and "operator console" not in planner
    chair = as_(client, actors.chair).get(url).content.decode()
    assert "1 enrolled" in chair and "unchanged" in chair
    assert "See the watchlist" not in chair and "operator console" not in chair


def test_the_deployment_page_warns_when_the_watchlist_changed_after_approval(client, actors, live):
    entry = WatchlistEntry.objects.get(watchlist__deployment=live)
    services.watchlist_entry_remove(entry=entry, by=actors.planner, reason="Arrested.")
    url = reverse("staff:deployment_detail", args=[live.reference])
    html = as_(client, actors.chair).get(url).content.decode()
    assert "Changed since approval" in html


def test_the_operators_dashboard_counts_the_alerts_waiting(client, actors, alert):
    html = as_(client, actors.operator).get(reverse("staff:dashboard")).content.decode()
    assert "1 alert waiting for adjudication" in html
    assert reverse("staff:console_index") in html
    planner = as_(client, actors.planner).get(reverse("staff:dashboard")).content.decode()
    assert "waiting for adjudication" not in planner


def test_the_console_costs_the_same_queries_however_many_alerts_wait(
    client, actors, live, sample_faces
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    as_(client, actors.operator)
    run = services.run_start(deployment=live, operator=actors.operator, source_label="Cam").run

    def queries_with(names: tuple[str, ...]) -> int:
        frames = [
            services.Frame(image=engine.load_image(sample_faces / n, **LIMITS)) for n in names
        ]
        services.run_process_batch(run=run, frames=frames)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(console_url(live)).status_code == 200
        return len(captured)

    one = queries_with(("obama2.jpg",))
    four = queries_with(("obama3.jpg", "obama_partial_face.jpg", "obama_partial_face2.jpg"))
    assert Alert.objects.count() == 4
    assert four == one


def test_the_deployment_page_shows_everyone_the_engines_counts_and_no_faces(client, actors, alert):
    url = reverse("staff:deployment_detail", args=[alert.run.deployment.reference])
    html = as_(client, actors.chair).get(url).content.decode()
    assert "1 run: 1 frame, 1 face seen, 1 alert (1 waiting for adjudication)" in html
    assert reverse("staff:alert_crop", args=[alert.pk]) not in html
