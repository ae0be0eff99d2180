"""Alerts pushed to the operator's open console, in a real browser.

The operator signs in as in production and opens the console. An alert is then saved on the
server (as the matching worker saves it; the pipeline's own test raises one from a video) and
appears at the top of the list within 2 seconds, without a reload: the count waiting in the
document's title and in the heading, the live region saying how many arrived. The sound's
switch is off until the operator turns it on, and the choice is remembered. The console with
the pushed alerts passes axe (as tests/browser/test_accessibility.py checks every page as it
loads). No Content-Security-Policy violation on the way (htmx runs without eval or inline
style).
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from deployments import services as ds
from deployments.models import Deployment
from matching import services
from matching.models import Alert, Camera, Run, WatchlistEntry

from .. import factories
from .test_accessibility import AXE_TAGS, OVERFLOWS, WIDTHS
from .test_story import Story, browser  # noqa: F401  (the fixture: Debian's chromium)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The promise to the operator: a new alert is on the open console within this many seconds.
PUSH_SECONDS = 2


def axe_problems(page: Any) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        report = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        problems += [
            f"{width}px: {v['id']} {[n['target'] for n in v['nodes'][:3]]}"
            for v in report.response["violations"]
        ]
        if width == 320 and page.evaluate(OVERFLOWS):
            problems.append("320px: the page scrolls sideways")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return problems


def running_box_camera(actors: Any) -> tuple[Deployment, Camera, Run]:
    """A live deployment assigned to the operator, its one camera (an ingest box) running."""
    deployment = factories.make_draft(actors.planner)
    factories.make_camera(deployment, label="Camera 2, south exit", kind="box")
    deployment = factories.to_approved(deployment, actors)
    deployment = factories.backdate(deployment, timedelta(days=2, hours=1))
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    camera = deployment.cameras.get()
    run = services.run_start(deployment=deployment, operator=actors.operator, camera=camera).run
    return deployment, camera, run


def test_a_new_alert_appears_in_the_open_console_without_a_reload(
    browser: Any,  # noqa: F811
    live_server: Any,
    actors: Any,
    documents: Any,
) -> None:
    deployment, _camera, run = running_box_camera(actors)
    entry = WatchlistEntry.objects.filter(watchlist__deployment=deployment).first()
    assert entry is not None

    story = Story(browser, live_server.url)
    page = story.person("operator")
    page.goto(f"{story.base}/staff/deployments/{deployment.reference}/console/")
    assert page.title().startswith(f"Console · {deployment.reference}")
    assert page.inner_text("#pending-count") == "0"
    # Marks this page: a reload would forget it.
    page.evaluate("() => { window.notReloaded = true; }")

    # The sound is off by default; turned on, it is remembered in this browser.
    sound = page.locator("#alert-sound")
    assert sound.is_visible() and not sound.is_checked()
    sound.check()

    alert = Alert.objects.create(run=run, entry=entry, distance=0.41, seen_at=timezone.now())
    card = page.locator(f"#pending-list #alert-{alert.pk}")
    card.wait_for(state="visible", timeout=PUSH_SECONDS * 1000)
    assert page.evaluate("() => window.notReloaded === true")
    assert page.title().startswith(f"(1) Console · {deployment.reference}")
    assert page.inner_text("#pending-count") == "1"
    page.wait_for_function(
        "() => document.getElementById('alert-announce').textContent.startsWith('1 new alert')",
        timeout=1000,
    )
    assert page.locator("#pending-empty").is_hidden()
    assert card.locator(f"input[name='a{alert.pk}-verdict']").count() == 2

    # Two more: both at the top, newest first, and said as two.
    with transaction.atomic():  # committed together, so the console finds them in one answer
        more = [
            Alert.objects.create(run=run, entry=entry, distance=0.4, seen_at=timezone.now())
            for _ in range(2)
        ]
    page.locator(f"#pending-list #alert-{more[1].pk}").wait_for(timeout=PUSH_SECONDS * 1000)
    page.wait_for_function("() => document.title.startsWith('(3) ')", timeout=1000)
    order = page.eval_on_selector_all("#pending-list [data-alert]", "els => els.map(e => e.id)")
    assert order == [f"alert-{more[1].pk}", f"alert-{more[0].pk}", f"alert-{alert.pk}"]
    page.wait_for_function(
        "() => document.getElementById('alert-announce').textContent.startsWith('2 new alerts')",
        timeout=1000,
    )

    # The console as the alerts left it passes axe, at both widths.
    assert axe_problems(page) == []

    # The pushed card adjudicates like any other, and the console comes back with one fewer.
    card.locator(f"input[name='a{alert.pk}-verdict'][value=false]").check()
    card.locator(f"input[name='a{alert.pk}-confirmation'][value=unconfirmed]").check()
    card.locator(f"input[name='a{alert.pk}-outcome'][value=no_action]").check()
    card.locator("button[type=submit]").click()
    page.wait_for_url(f"{story.base}/staff/deployments/{deployment.reference}/console/")
    assert page.title().startswith(f"(2) Console · {deployment.reference}")
    assert page.locator("#alert-sound").is_checked()
    alert.refresh_from_db()
    assert alert.verdict == "false"

    assert story.csp_violations() == [], story.console


def test_the_open_console_keeps_its_cameras_and_gate_up_to_date(
    browser: Any,  # noqa: F811
    live_server: Any,
    actors: Any,
    documents: Any,
) -> None:
    deployment, camera, run = running_box_camera(actors)

    story = Story(browser, live_server.url)
    page = story.person("operator")
    page.goto(f"{story.base}/staff/deployments/{deployment.reference}/console/")
    page.evaluate("() => { window.notReloaded = true; }")
    assert page.inner_text(f"#camera-{camera.pk}-frames") == "0"

    # The figures follow the run, every second.
    Run.objects.filter(pk=run.pk).update(frames=14, faces_seen=9)
    page.wait_for_function(
        f"() => document.getElementById('camera-{camera.pk}-frames').textContent === '14'",
        timeout=PUSH_SECONDS * 1000,
    )
    assert page.inner_text(f"#camera-{camera.pk}-faces") == "9"

    # Stopped elsewhere (another of the deployment's operators, say) while the operator's focus
    # is on its Stop button: the row offers Start, and the focus moves to it.
    page.locator(f"#camera-{camera.pk} button").focus()
    services.run_stop(run=run, by=actors.operator, code="stopped_by_operator", reason="X")
    page.wait_for_function(
        f"() => document.querySelector('#camera-{camera.pk} button').textContent"
        ".startsWith('Start')",
        timeout=PUSH_SECONDS * 1000,
    )
    assert page.evaluate("() => document.activeElement.textContent").startswith("Start")
    page.wait_for_function(
        "() => document.getElementById('alert-announce').textContent"
        ".startsWith('The cameras or the gate changed')",
        timeout=1000,
    )

    # Suspended by the chair: the gate panel says so and no camera can start.
    ds.deployment_suspend(deployment=deployment, by=actors.chair, reason="Disorder nearby.")
    page.locator("#gate-h", has_text="The gate is closed").wait_for(timeout=PUSH_SECONDS * 1000)
    assert page.locator(f"#camera-{camera.pk} button").count() == 0
    assert page.evaluate("() => window.notReloaded === true")
    assert axe_problems(page) == []
    assert story.csp_violations() == [], story.console
