"""The notice says where the cameras stand: the name and place of each camera pinned at sign-off
(or at the declaration of urgent use), never its stream or how it sends frames, and only what
was pinned."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from core.public_changes import announce, notice_scope
from deployments import services as ds
from deployments.models import Deployment
from matching.models import Camera
from public.cache import STATUS_HEADER

from .. import factories
from .conftest import approved

pytestmark = pytest.mark.django_db

HEADING = "Where the cameras stand"
NORTH = {
    "label": "Camera 1, north exit",
    "position": "On the lamp post outside the station, facing the north exit.",
    "stream_url": "rtsp://viewer:pw@10.0.0.5/MARKERstream-north",
}
SOUTH = {
    "label": "Camera 2, south exit",
    "position": "Above the south doors, facing the bus stops.",
    "kind": "box",
    "stream_url": "",
}


def notice(client: Any, trial: Deployment) -> Any:
    return client.get(reverse("public:trial_detail", args=[trial.reference]))


def with_cameras(actors: Any, *cameras: dict[str, str], **extra: Any) -> Deployment:
    trial = factories.make_draft(actors.planner, **extra)
    for camera in cameras:
        factories.make_camera(trial, **camera)
    return trial


def test_the_notice_lists_each_pinned_camera_by_name_and_place_only(client, actors, documents):
    trial = factories.to_approved(with_cameras(actors, NORTH, SOUTH), actors)
    html = notice(client, trial).content.decode()
    assert HEADING in html and "when the trial was signed off" in html
    for camera in (NORTH, SOUTH):
        assert f"<strong>{camera['label']}</strong>: {camera['position']}" in html
    assert "MARKERstream" not in html and "rtsp" not in html and "10.0.0.5" not in html
    assert "Ingest box" not in html and "ingest box" not in html


def test_a_trial_with_no_camera_says_nothing_of_cameras(client, actors, documents):
    trial = approved(actors)
    html = notice(client, trial).content.decode()
    assert trial.reference in html and HEADING not in html


def test_cameras_nobody_pinned_are_not_published(client, actors, documents):
    """A trial signed off before cameras were pinned: the rows there now were never approved."""
    trial = factories.to_approved(with_cameras(actors, NORTH), actors)
    Deployment.objects.filter(pk=trial.pk).update(cameras_fingerprint="")
    announce(notice_scope(trial.reference))
    html = notice(client, trial).content.decode()
    assert HEADING not in html and NORTH["label"] not in html


def test_cameras_changed_behind_the_register_are_not_listed_and_the_notice_says_so(
    client, actors, documents
):
    trial = factories.to_approved(with_cameras(actors, NORTH), actors)
    Camera.objects.create(
        deployment=trial, label="Camera 9, smuggled", position="Hidden.", added_by=actors.planner
    )
    announce(notice_scope(trial.reference))
    html = notice(client, trial).content.decode()
    assert HEADING in html and "no longer holds the cameras" in html
    assert "Camera 9, smuggled" not in html and NORTH["label"] not in html


def test_the_cameras_show_on_the_very_next_request_after_sign_off(client, actors, documents):
    trial = with_cameras(actors, NORTH)
    factories.to_authorised(trial, actors.planner, actors.authoriser)
    factories.record_approvals(trial, actors.chair, actors.panel_a, actors.panel_b)
    factories.give_watchlist(trial)
    for _ in range(2):  # not public yet, however often it is asked for
        assert notice(client, trial).status_code == 404

    ds.deployment_sign_off(deployment=trial, by=actors.chair, statement="Approved.")

    response = notice(client, trial)
    assert response.status_code == 200 and response[STATUS_HEADER] == "miss"
    html = response.content.decode()
    assert HEADING in html and NORTH["label"] in html
    assert notice(client, trial)[STATUS_HEADER] == "hit"


def test_urgent_use_publishes_the_cameras_it_pinned(client, actors, documents):
    trial = with_cameras(actors, NORTH, start=timezone.now() + timedelta(minutes=30), hours=8)
    factories.give_watchlist(trial)
    factories.to_authorised(trial, actors.planner, actors.authoriser)
    assert notice(client, trial).status_code == 404
    ds.deployment_declare_urgent(
        deployment=trial, by=actors.authoriser, reason="A stabbing last night.", hours=2
    )
    html = notice(client, trial).content.decode()
    assert HEADING in html and "when the trial was put to urgent use" in html
    assert NORTH["label"] in html and "MARKERstream" not in html
