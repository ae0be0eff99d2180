"""Cameras: the planner sets them before sign-off, sign-off pins them beside the watchlist, and
the gate refuses any camera the panel did not approve. The service's refusals, the pin, the
gate, and the planner's pages."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from deployments import services as ds
from deployments.models import Deployment
from matching import services
from matching.gate import CAMERA_NOT_APPROVED, REASONS, GateClosed, gate_check, gate_preview
from matching.models import Camera, Run
from matching.selectors import cameras_fingerprint, public_cameras, stream_address_shown
from tests import factories
from tests.matching.helpers import as_

pytestmark = pytest.mark.django_db


def add(deployment: Deployment, **fields: Any) -> Camera:
    return factories.make_camera(deployment, **fields)


def problems_of(error: Any) -> dict[str, list[str]]:
    assert isinstance(error.value, PreconditionsFailed)
    return error.value.problems


@pytest.fixture
def approved_with_camera(actors: Any, documents: Any) -> tuple[Deployment, Camera]:
    """Signed off with one camera, inside its window, its notice public for two days."""
    deployment = factories.make_draft(actors.planner)
    camera = add(deployment)
    deployment = factories.backdate(factories.to_approved(deployment, actors), timedelta(days=2))
    return deployment, camera


# --- adding and removing --------------------------------------------------------------------------
def test_the_planner_adds_a_camera_and_the_trail_leaves_out_its_stream(actors, draft):
    camera = add(draft, stream_url="rtsp://admin:s3cret@10.0.0.5/stream1", frames_per_second="2.5")
    assert camera.deployment == draft and camera.frames_per_second == Decimal("2.5")
    event = AuditEvent.objects.for_object(draft).get(action="camera.added")
    assert event.details["label"] == "Camera 1, north exit"
    assert "s3cret" not in str(event.details) and "10.0.0.5" not in str(event.details)


def test_a_box_camera_keeps_no_stream_address_and_defaults_to_two_frames_a_second(draft):
    camera = add(draft, kind="box", stream_url="rtsp://10.0.0.5/ignored", frames_per_second="")
    assert camera.stream_url == "" and camera.frames_per_second == Decimal("2.0")


@pytest.mark.parametrize("who", ["other_planner", "operator", "chair", "authoriser"])
def test_only_the_planner_may_add_a_camera(actors, draft, who):
    with pytest.raises(NotPermitted, match="Only the planner"):
        add(draft, by=getattr(actors, who))
    assert not Camera.objects.exists()


def test_no_camera_can_be_added_after_sign_off(actors, approved_with_camera):
    deployment, _ = approved_with_camera
    with pytest.raises(TransitionNotAllowed, match="fixed when the panel chair signed it off"):
        add(deployment, label="Camera 2")
    assert deployment.cameras.count() == 1


def test_no_camera_can_be_added_or_removed_once_the_deployment_is_in_urgent_use(actors, documents):
    deployment = factories.make_draft(
        actors.planner, start=timezone.now() + timedelta(minutes=30), hours=8
    )
    camera = add(deployment)
    factories.give_watchlist(deployment)
    factories.to_authorised(deployment, actors.planner, actors.authoriser)
    ds.deployment_declare_urgent(
        deployment=deployment, by=actors.authoriser, reason="A stabbing last night.", hours=2
    )
    deployment.refresh_from_db()
    # Still authorised, so before the panel's sign-off; but the urgency pinned the cameras.
    assert deployment.cameras_fingerprint == cameras_fingerprint(deployment=deployment)
    with pytest.raises(TransitionNotAllowed, match="urgent use"):
        add(deployment, label="Camera 2")
    with pytest.raises(TransitionNotAllowed, match="urgent use"):
        services.camera_remove(camera=camera, by=actors.planner)


def test_a_camera_needs_a_name_and_a_place(draft):
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, label="  ", position="")
    problems = problems_of(refused)
    assert "short name" in problems["label"][0]
    assert "where the camera stands" in problems["position"][0]


def test_two_cameras_of_a_deployment_cannot_share_a_name(draft):
    add(draft, label="Camera 1")
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, label="camera 1")
    assert "already has a camera called" in problems_of(refused)["label"][0]


def test_another_deployment_may_use_the_same_name(actors, draft):
    add(draft, label="Camera 1")
    add(factories.make_draft(actors.planner), label="Camera 1")
    assert Camera.objects.filter(label="Camera 1").count() == 2


@pytest.mark.parametrize(
    "address",
    [
        "ftp://10.0.0.5/stream",
        "rtsp:///stream1",  # no host
        "10.0.0.5/stream1",  # no scheme
        "file:///etc/passwd",  # a file, and the root is unset
        "",
    ],
)
def test_a_stream_must_be_a_network_address_the_ingest_may_open(draft, address):
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, stream_url=address)
    assert problems_of(refused)["stream_url"]


def test_a_video_file_is_accepted_only_under_the_camera_file_root(draft, settings, tmp_path: Path):
    root = tmp_path / "videos"
    root.mkdir()
    (root / "demo.mp4").write_bytes(b"not really a video")
    (tmp_path / "secret.mp4").write_bytes(b"outside the root")
    settings.OVERSIGHT_CAMERA_FILE_ROOT = str(root)
    for address in (
        f"file://{tmp_path / 'secret.mp4'}",
        f"file://{root}/../secret.mp4",
        f"file://{root / 'missing.mp4'}",
    ):
        with pytest.raises(PreconditionsFailed) as refused:
            add(draft, label=address[-20:], stream_url=address)
        assert "must exist under" in problems_of(refused)["stream_url"][0], address
    assert add(draft, stream_url=f"file://{root / 'demo.mp4'}").stream_url.endswith("demo.mp4")


@pytest.mark.parametrize("rate", ["0.4", "10.1", "0", "-2", "many", "NaN", "Infinity"])
def test_frames_a_second_must_be_from_half_to_ten(draft, rate):
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, frames_per_second=rate)
    assert "from 0.5 to 10" in problems_of(refused)["frames_per_second"][0]


def test_the_planner_removes_a_camera_before_sign_off(actors, draft):
    camera = add(draft)
    services.camera_remove(camera=camera, by=actors.planner)
    assert not Camera.objects.exists()
    assert AuditEvent.objects.for_object(draft).filter(action="camera.removed").exists()


def test_only_the_planner_may_remove_a_camera(actors, draft):
    camera = add(draft)
    with pytest.raises(NotPermitted):
        services.camera_remove(camera=camera, by=actors.other_planner)
    assert Camera.objects.filter(pk=camera.pk).exists()


def test_a_camera_that_ran_cannot_be_removed(actors, draft):
    camera = add(draft)
    Run.objects.create(
        deployment=draft, operator=actors.operator, source_label="x", threshold="0.5", camera=camera
    )
    with pytest.raises(TransitionNotAllowed, match="has been used"):
        services.camera_remove(camera=camera, by=actors.planner)
    assert Camera.objects.filter(pk=camera.pk).exists()


def test_no_camera_can_be_removed_after_sign_off(actors, approved_with_camera):
    _, camera = approved_with_camera
    with pytest.raises(TransitionNotAllowed, match="signed it off"):
        services.camera_remove(camera=camera, by=actors.planner)


# --- the pin --------------------------------------------------------------------------------------
def test_sign_off_pins_the_cameras_fingerprint_and_the_trail_records_it(approved_with_camera):
    deployment, _ = approved_with_camera
    assert deployment.cameras_fingerprint == cameras_fingerprint(deployment=deployment)
    approved = AuditEvent.objects.for_object(deployment).get(action="deployment.approved")
    assert approved.details["cameras_fingerprint"] == deployment.cameras_fingerprint


def test_a_deployment_signed_off_without_cameras_pins_the_empty_set(actors, documents):
    deployment = factories.to_approved(factories.make_draft(actors.planner), actors)
    assert deployment.cameras_fingerprint
    assert deployment.cameras_fingerprint == cameras_fingerprint(deployment=deployment)


@pytest.mark.parametrize(
    "change",
    [
        {"label": "Camera 9"},
        {"position": "Moved to the south exit."},
        {"kind": "box"},
        {"stream_url": "rtsp://10.0.0.6/stream1"},
        {"frames_per_second": Decimal("5")},
    ],
)
def test_the_fingerprint_changes_with_every_field_the_gate_relies_on(draft, change):
    camera = add(draft)
    before = cameras_fingerprint(deployment=draft)
    Camera.objects.filter(pk=camera.pk).update(**change)
    assert cameras_fingerprint(deployment=draft) != before


# --- the gate -------------------------------------------------------------------------------------
def refusals(deployment: Deployment) -> list[dict[str, Any]]:
    return [
        e.details for e in AuditEvent.objects.for_object(deployment).filter(action="gate.refused")
    ]


def assert_camera_refused(deployment: Deployment, camera: Camera) -> GateClosed:
    before = len(refusals(deployment))
    with pytest.raises(GateClosed) as refused:
        gate_check(deployment=deployment, at=timezone.now(), camera=camera)
    assert refused.value.reason_code == CAMERA_NOT_APPROVED
    logged = refusals(deployment)
    assert len(logged) == before + 1, "every refusal is written to the audit trail"
    assert logged[-1]["reason_code"] == CAMERA_NOT_APPROVED
    assert logged[-1]["reason"] == refused.value.message
    preview = gate_preview(deployment=deployment, at=timezone.now(), camera=camera)
    assert preview is not None and preview.reason_code == CAMERA_NOT_APPROVED
    return refused.value


def test_the_gate_permits_an_approved_camera(approved_with_camera):
    deployment, camera = approved_with_camera
    permit = gate_check(deployment=deployment, at=timezone.now(), camera=camera)
    assert permit.deployment_id == deployment.pk
    assert gate_preview(deployment=deployment, at=timezone.now(), camera=camera) is None
    assert refusals(deployment) == []


def test_the_gate_refuses_a_camera_of_another_deployment(actors, approved_with_camera):
    deployment, _ = approved_with_camera
    other = factories.make_draft(actors.planner)
    elsewhere = add(other, label="Camera elsewhere")
    factories.to_approved(other, actors)
    closed = assert_camera_refused(deployment, elsewhere)
    assert "Camera elsewhere" in closed.message


def test_the_gate_refuses_a_camera_added_after_sign_off_behind_the_services(
    actors, approved_with_camera
):
    deployment, approved = approved_with_camera
    smuggled = Camera.objects.create(
        deployment=deployment,
        label="Camera 2",
        position="Behind the bins.",
        added_by=actors.planner,
    )
    assert_camera_refused(deployment, smuggled)
    # The whole set no longer hashes to the pin, so the approved camera stops too.
    assert_camera_refused(deployment, approved)


def test_the_gate_refuses_a_camera_pointed_at_another_stream_after_sign_off(approved_with_camera):
    deployment, camera = approved_with_camera
    Camera.objects.filter(pk=camera.pk).update(stream_url="rtsp://10.9.9.9/elsewhere")
    camera.refresh_from_db()
    assert_camera_refused(deployment, camera)


def test_the_gate_refuses_any_camera_for_a_deployment_signed_off_without_one(actors, documents):
    deployment = factories.to_approved(factories.make_draft(actors.planner), actors)
    deployment = factories.backdate(deployment, timedelta(days=2))
    assert gate_check(deployment=deployment, at=timezone.now())  # files still run
    other = factories.make_draft(actors.planner)
    elsewhere = add(other)
    assert_camera_refused(deployment, elsewhere)
    late = Camera.objects.create(
        deployment=deployment, label="Late", position="Anywhere.", added_by=actors.planner
    )
    assert_camera_refused(deployment, late)


def test_the_public_reason_for_a_camera_refusal_speaks_of_the_trial():
    words = REASONS[CAMERA_NOT_APPROVED]
    assert "trial" in words and "deployment" not in words


# --- what the notice is given ---------------------------------------------------------------------
def test_the_notice_is_given_names_and_places_only(approved_with_camera):
    deployment, camera = approved_with_camera
    cameras = public_cameras(deployment)
    assert cameras is not None and not cameras.is_changed_since_approval
    assert cameras.places == [{"label": camera.label, "position": camera.position}]


def test_the_notice_is_given_nothing_of_cameras_that_no_longer_match_the_pin(
    actors, approved_with_camera
):
    deployment, _ = approved_with_camera
    Camera.objects.create(
        deployment=deployment,
        label="Camera 2",
        position="Behind the bins.",
        added_by=actors.planner,
    )
    cameras = public_cameras(deployment)
    assert cameras is not None and cameras.is_changed_since_approval and cameras.places == []


def test_the_notice_is_given_nothing_when_nothing_was_pinned(actors, draft):
    add(draft)
    assert public_cameras(draft) is None  # not signed off
    signed = factories.to_approved(factories.make_draft(actors.planner), actors)
    assert public_cameras(signed) is None  # signed off with no camera


@pytest.mark.parametrize(
    ("address", "shown"),
    [
        ("rtsp://10.0.0.5/stream1", "rtsp://10.0.0.5/stream1"),
        ("rtsp://admin:s3cret@10.0.0.5:554/s1", "rtsp://admin:••••@10.0.0.5:554/s1"),
        ("https://:tok@cam.example/mjpeg", "https://:••••@cam.example/mjpeg"),
        ("rtsp://viewer@10.0.0.5/s1", "rtsp://viewer@10.0.0.5/s1"),
    ],
)
def test_a_password_in_a_stream_address_is_never_shown_again(address, shown):
    assert stream_address_shown(address) == shown


# --- the planner's pages --------------------------------------------------------------------------
def cameras_url(deployment: Deployment) -> str:
    return reverse("staff:cameras", args=[deployment.reference])


FORM = {
    "label": "Camera 2, south exit",
    "position": "Above the south doors, facing the bus stops.",
    "kind": "stream",
    "stream_url": "rtsp://cam:pw-not-shown@10.0.0.7/live",
    "frames_per_second": "3",
}


def test_the_planner_adds_a_camera_through_the_page(client, actors, draft):
    as_(client, actors.planner)
    page = client.get(cameras_url(draft))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-aria-controls="conditional-stream"' in html and "Add the camera" in html
    response = client.post(cameras_url(draft), FORM)
    assert response.status_code == 302
    camera = Camera.objects.get(deployment=draft)
    assert camera.frames_per_second == Decimal("3.0")
    html = client.get(cameras_url(draft)).content.decode()
    assert "Camera 2, south exit" in html and "Above the south doors" in html
    assert "rtsp://cam:••••@10.0.0.7/live" in html and "pw-not-shown" not in html
    assert reverse("staff:camera_remove", args=[draft.reference, camera.pk]) in html


def test_a_refused_camera_comes_back_with_an_error_summary(client, actors, draft):
    data = {**FORM, "stream_url": "ftp://10.0.0.7/live", "frames_per_second": "50"}
    response = as_(client, actors.planner).post(cameras_url(draft), data)
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and "<title>Error: " in html
    assert 'href="#id_stream_url"' in html and "starting rtsp://" in html
    assert 'href="#id_frames_per_second"' in html and "from 0.5 to 10" in html
    assert not Camera.objects.exists()


def test_an_empty_form_says_what_each_field_needs(client, actors, draft):
    response = as_(client, actors.planner).post(cameras_url(draft), {})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Give the camera a short name" in html
    assert "Say where the camera stands" in html
    assert 'href="#id_kind_0"' in html


def test_the_operator_sees_the_cameras_and_their_streams_but_cannot_add_one(
    client, actors, approved_with_camera
):
    deployment, camera = approved_with_camera
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    as_(client, actors.operator)
    html = client.get(cameras_url(deployment)).content.decode()
    assert camera.label in html and camera.stream_url in html
    assert "Add the camera" not in html and "Remove" not in html
    assert client.post(cameras_url(deployment), FORM).status_code == 403
    assert deployment.cameras.count() == 1


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("chair", 403),
        ("panel_a", 403),
        ("authoriser", 403),
        ("operator", 404),  # not assigned to this deployment
        ("other_planner", 404),
        ("stranger", 404),
        (None, 302),
    ],
)
def test_nobody_else_opens_the_cameras_page(client, actors, draft, who, status):
    add(draft)
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    factories.record_approvals(draft, actors.chair, actors.panel_a)
    user = getattr(actors, who) if who else None
    assert as_(client, user).get(cameras_url(draft)).status_code == status
    assert as_(client, user).post(cameras_url(draft), FORM).status_code == status
    assert draft.cameras.count() == 1


def test_after_sign_off_the_page_is_read_only_and_says_why(client, actors, approved_with_camera):
    deployment, camera = approved_with_camera
    as_(client, actors.planner)
    html = client.get(cameras_url(deployment)).content.decode()
    assert camera.label in html and "Fixed at the chair&#x27;s sign-off" in html
    assert "Add the camera" not in html
    assert reverse("staff:camera_remove", args=[deployment.reference, camera.pk]) not in html
    response = client.post(cameras_url(deployment), {**FORM, "label": "Camera 3"})
    assert response.status_code == 409
    assert deployment.cameras.count() == 1


def test_the_page_warns_when_the_cameras_changed_after_sign_off(
    client, actors, approved_with_camera
):
    deployment, camera = approved_with_camera
    Camera.objects.filter(pk=camera.pk).update(position="Moved.")
    html = as_(client, actors.planner).get(cameras_url(deployment)).content.decode()
    assert "Changed since approval" in html and "gate refuses every camera" in html


def test_the_planner_removes_a_camera_after_confirming(client, actors, draft):
    camera = add(draft)
    url = reverse("staff:camera_remove", args=[draft.reference, camera.pk])
    as_(client, actors.planner)
    page = client.get(url)
    assert page.status_code == 200 and "Remove the camera" in page.content.decode()
    assert Camera.objects.filter(pk=camera.pk).exists()
    assert client.post(url).status_code == 302
    assert not Camera.objects.filter(pk=camera.pk).exists()


def test_a_pinned_camera_cannot_be_removed_through_the_page(client, actors, approved_with_camera):
    deployment, camera = approved_with_camera
    url = reverse("staff:camera_remove", args=[deployment.reference, camera.pk])
    as_(client, actors.planner)
    assert client.get(url).status_code == 409
    assert client.post(url).status_code == 409
    assert Camera.objects.filter(pk=camera.pk).exists()


def test_others_cannot_remove_a_camera(client, actors, draft):
    camera = add(draft)
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    ds.operator_assign(deployment=draft, operator=actors.operator, by=actors.authoriser)
    url = reverse("staff:camera_remove", args=[draft.reference, camera.pk])
    assert as_(client, actors.operator).post(url).status_code == 403
    assert as_(client, actors.other_planner).post(url).status_code == 404
    other = factories.make_draft(actors.planner)
    elsewhere = reverse("staff:camera_remove", args=[other.reference, camera.pk])
    assert as_(client, actors.planner).post(elsewhere).status_code == 404
    assert Camera.objects.filter(pk=camera.pk).exists()


def test_the_deployment_page_lists_the_cameras_without_their_streams(
    client, actors, approved_with_camera
):
    deployment, camera = approved_with_camera
    url = reverse("staff:deployment_detail", args=[deployment.reference])
    chair = as_(client, actors.chair).get(url).content.decode()
    assert camera.label in chair and camera.position in chair and "unchanged" in chair
    assert camera.stream_url not in chair and cameras_url(deployment) not in chair
    planner = as_(client, actors.planner).get(url).content.decode()
    assert cameras_url(deployment) in planner and "See the cameras" in planner


def test_the_deployment_page_offers_the_planner_to_set_the_cameras_before_sign_off(
    client, actors, draft
):
    url = reverse("staff:deployment_detail", args=[draft.reference])
    html = as_(client, actors.planner).get(url).content.decode()
    assert "Set the cameras" in html and cameras_url(draft) in html
