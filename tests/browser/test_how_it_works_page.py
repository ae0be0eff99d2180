"""/how-it-works/ in a real browser: reached from the home page and a notice, its diagram drawn,
readable at 320 CSS pixels wide without scrolling sideways (WCAG 2.2, 1.4.10 Reflow)."""

from __future__ import annotations

from typing import Any

import pytest

from .. import factories
from .test_story import browser  # noqa: F401  (the fixture: Debian's chromium, or skip/fail)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_explanation_is_reached_from_home_and_a_notice_and_reflows(
    browser: Any,  # noqa: F811
    live_server: Any,
    actors: Any,
    documents: Any,
) -> None:
    trial = factories.to_approved(factories.make_draft(actors.planner), actors)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(20_000)
    page.goto(live_server.url + "/")
    page.click("main a:has-text('How the force decides')")
    page.wait_for_url(live_server.url + "/how-it-works/")
    assert "How the force decides" in page.inner_text("h1")
    diagram = page.locator("svg.lifecycle")
    box = diagram.bounding_box()
    assert box is not None and box["width"] > 300 and box["height"] > 100
    assert page.locator("#lifecycle-t").count() == 1

    page.goto(live_server.url + trial.get_public_url())
    page.click("main a:has-text('How the force decides')")
    page.wait_for_url(live_server.url + "/how-it-works/")

    page.set_viewport_size({"width": 320, "height": 800})
    page.reload()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at 320px wide"
    page.close()
