"""The subscription pages in a real browser with axe-core (WCAG 2.2 AA) at 1280 and 320 pixels:
the form empty and with errors, and the pages of the e-mailed links, which no crawler reaches."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from deployments.models import Area
from public import subscriptions as subs
from public.models import Subscription

from .test_accessibility import AXE_TAGS, OVERFLOWS, WIDTHS
from .test_story import browser  # noqa: F401  (the fixture: Debian's chromium)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def check(page: Any, axe: Any, label: str) -> list[str]:
    problems = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        report = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}}).response
        problems += [f"{label} at {width}px: {v['id']}" for v in report["violations"]]
        if width == 320 and page.evaluate(OVERFLOWS):
            problems.append(f"{label} at 320px: the page scrolls sideways")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    return problems


def test_the_subscription_pages_pass_axe(browser: Any, live_server: Any) -> None:  # noqa: F811
    from axe_playwright_python.sync_playwright import Axe

    axe, base = Axe(), live_server.url
    for code, name in (("E09000033", "Westminster"), ("E09000001", "City of London")):
        Area.objects.create(code=code, name=name)
    sub = Subscription.objects.create(
        email="axe@example.org", key="d" * 32, requested_at=timezone.now()
    )
    page = browser.new_context().new_page()
    problems: list[str] = []
    page.goto(f"{base}/subscribe/")
    problems += check(page, axe, "the form")
    page.check("input[value=boroughs]")
    page.click("button:has-text('Subscribe')")
    assert page.locator(".error-summary").is_visible()
    problems += check(page, axe, "the form with errors")
    page.click(".error-summary a[href='#id_boroughs_0']")
    assert page.evaluate("document.activeElement.id") == "id_boroughs_0"
    for label, url in (
        ("check your email", f"{base}/subscribe/check-your-email/"),
        ("confirm", subs.confirm_url(sub).replace("http://127.0.0.1:8000", base)),
        ("unsubscribe", subs.unsubscribe_url(sub).replace("http://127.0.0.1:8000", base)),
        ("a bad link", f"{base}/unsubscribe/not-a-token/"),
    ):
        page.goto(url)
        problems += check(page, axe, label)
    assert not problems, "\n".join(problems)
