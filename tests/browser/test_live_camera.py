"""The whole way, on real parts: an operator starts a camera in the console, an ingest worker
reads its video, a matching worker matches the crops, and the alerts arrive in the open
console without a reload.

PostgreSQL, Redis, and the ingest and matching workers as processes (as
tests/matching/test_pipeline_workers.py starts them); the browser is Debian's chromium.
"""

from __future__ import annotations

from typing import Any

import pytest

from matching.models import Alert, Run
from tests.matching.conftest import (  # noqa: F401  (fixtures)
    camera_video,
    enrolled_faces,
    live_camera,
    sample_faces,
)
from tests.matching.test_pipeline_workers import MATCHING_FRAMES, pipeline  # noqa: F401

from .test_story import Story, browser  # noqa: F401  (the fixture: Debian's chromium)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.worker,
    pytest.mark.django_db(transaction=True),
]


def test_a_camera_started_in_the_console_pushes_its_alerts_into_it(
    browser: Any,  # noqa: F811
    live_server: Any,
    pipeline: Any,  # noqa: F811
    actors: Any,
) -> None:
    pipeline.worker("matching")
    pipeline.worker("ingest")
    camera = pipeline.camera
    story = Story(browser, live_server.url)
    page = story.person("operator")
    page.goto(f"{story.base}/staff/deployments/{camera.deployment.reference}/console/")
    page.locator(f"#camera-{camera.pk} button", has_text="Start").click()
    page.wait_for_url(f"{story.base}/staff/deployments/{camera.deployment.reference}/console/")
    # From here on the page is never reloaded: the alerts must come to it.
    page.evaluate("() => { window.notReloaded = true; }")
    run = Run.objects.get(camera=camera)
    page.wait_for_function(
        f"() => document.querySelectorAll('#pending-list [data-alert]').length >= "
        f"{MATCHING_FRAMES}",
        timeout=90_000,
    )
    assert page.evaluate("() => window.notReloaded === true")
    shown = page.eval_on_selector_all(
        "#pending-list [data-alert]", "els => els.map(e => Number(e.dataset.alert))"
    )
    alerts = set(Alert.objects.filter(run=run).values_list("pk", flat=True))
    assert len(alerts) == MATCHING_FRAMES
    assert set(shown) == alerts
    assert page.title().startswith(f"({MATCHING_FRAMES}) ")
    assert story.csp_violations() == [], story.console
