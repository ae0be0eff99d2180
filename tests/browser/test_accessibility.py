"""axe-core in a real browser on every public page and every staff page a demo role reaches,
at 1280 and at 320 CSS pixels wide (WCAG 2.2 AA, and 1.4.10 reflow).

The demo data is seeded into the live server's database (`seed_demo`, as `make demo` does),
each demo role signs in as in production (password, then its authenticator app's code), and a
crawler follows the links each person can see. Every page is checked with axe-core (bundled by
axe-playwright-python, pinned in requirements-dev.txt) at both widths. The test fails on any
violation, on any "incomplete" result for `aria-valid-attr-value` (an `aria-describedby` that
names nothing), and on any page that scrolls sideways at 320 pixels.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib.auth import get_user_model
from django.urls import Resolver404, resolve

from demo.seed import DEMO_USERS, seed_demo

from .. import factories
from .test_story import PASSWORD, browser  # noqa: F401  (the fixture: Debian's chromium)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = (1280, 320)
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
# Links that are not pages to check: files, feeds, sign-out, the API.
NOT_PAGES = re.compile(r"\.(pdf|csv|json|atom|py|txt)$|/logout/|^/api/|/webauthn/")
# Pages of one kind look alike: check at most this many of each URL name per person.
PER_KIND = 2
OVERFLOWS = """() => document.documentElement.scrollWidth > document.documentElement.clientWidth"""


@pytest.fixture
def demo_world(settings: Any) -> Iterator[None]:
    from oversight.celery import app

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # the demo's PDFs render here, not on a shared broker
    try:
        seed_demo(password=PASSWORD)
        yield
    finally:
        app.conf.task_always_eager = eager


def kind_of(path: str) -> str | None:
    try:
        match = resolve(path)
    except Resolver404:
        return None
    return match.view_name


def crawl_and_check(page: Any, base: str, start: list[str], axe: Any, within: str) -> list[str]:
    """Visit every page under `within` reachable from `start`, check each; return the
    problems found."""
    problems: list[str] = []
    seen: set[str] = set()
    per_kind: dict[str, int] = {}
    queue = list(start)
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        kind = kind_of(urlsplit(path).path)
        if kind is None or per_kind.get(kind, 0) >= PER_KIND:
            continue
        response = page.goto(base + path)
        if response is None or response.status != 200:
            continue
        if "text/html" not in (response.headers.get("content-type") or ""):
            continue
        per_kind[kind] = per_kind.get(kind, 0) + 1
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            result = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
            report = result.response
            for violation in report["violations"]:
                targets = [node["target"] for node in violation["nodes"][:3]]
                problems.append(f"{path} at {width}px: {violation['id']} {targets}")
            for incomplete in report["incomplete"]:
                if incomplete["id"] == "aria-valid-attr-value":
                    targets = [node["target"] for node in incomplete["nodes"][:3]]
                    problems.append(f"{path} at {width}px: incomplete {incomplete['id']} {targets}")
            if width == 320 and page.evaluate(OVERFLOWS):
                problems.append(f"{path} at 320px: the page scrolls sideways")
        page.set_viewport_size({"width": WIDTHS[0], "height": 900})
        for href in page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)"):
            parts = urlsplit(href)
            if (
                href.startswith(base)
                and parts.path.startswith(within)
                and not NOT_PAGES.search(parts.path)
            ):
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return problems


def sign_in(context: Any, base: str, username: str) -> Any:
    user = get_user_model().objects.get(username=username)
    device = factories.give_authenticator_app(user)
    page = context.new_page()
    page.set_default_timeout(20_000)
    page.goto(f"{base}/staff/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button:has-text('Sign in')")
    page.fill("input[name=code]", factories.totp_code(device))
    page.click("button:has-text('Continue')")
    page.wait_for_url(f"{base}/staff/")
    return page


def test_every_page_passes_axe_at_1280_and_320_pixels(
    browser: Any,  # noqa: F811
    live_server: Any,
    demo_world: None,
) -> None:
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    base = live_server.url
    problems: list[str] = []
    public = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
    page = public.new_page()
    problems += crawl_and_check(page, base, ["/"], axe, within="/")
    checked_public = True
    public.close()
    for spec in DEMO_USERS:
        context = browser.new_context(viewport={"width": WIDTHS[0], "height": 900})
        page = sign_in(context, base, spec.username)
        # The public pages were checked above; each person's own pages are under /staff/.
        problems += crawl_and_check(page, base, ["/staff/"], axe, within="/staff/")
        context.close()
    assert checked_public
    assert not problems, "\n".join(problems)
