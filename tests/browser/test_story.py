"""The whole public-transparency story in a real browser.

Headless Chromium (Debian's package, driven by Playwright for Python through
`executable_path`) against pytest-django's live server: a planner files a request in the form,
an authorising officer authorises it, the chair assigns two panel members who approve, the chair
signs off, the notice appears on /trials/, a member of the public asks a question, a moderator
publishes it with an answer, the deployment completes (time cannot pass in a test, so its window
is moved into the past through the ORM and the completion service is called), an outcome is
recorded and the results report and its PDF are published.

Screenshots of the notice and the report pages are written to `screenshots/` at the top of the
repository. Without /usr/bin/chromium the test is skipped with the reason, except under CI=true,
where it fails: CI installs the package, so its absence there is a broken build.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connections
from django.utils import timezone

from deployments import services as ds
from deployments.models import Deployment, State
from public.models import PublicQuestion, ReportPdf

from .. import factories

# Playwright's sync API runs an event loop in this thread; Django refuses ORM calls from a
# thread with a running loop unless told that this is deliberate.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(settings.BASE_DIR) / "screenshots"
PASSWORD = "pw-for-tests-only"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason}: CI installs it (.ci/run), so this is a broken build.")
    pytest.skip(f"{reason}; install it with `apt-get install -y chromium` to run this test.")


@pytest.fixture
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        _unavailable(f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright for Python is not installed (requirements-dev.txt)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()
        # Queries made while Playwright's event loop is set get their own connection (Django's
        # connections are context-local); close it here, or PostgreSQL refuses to drop the
        # test database at the end of the run ("being accessed by other users").
        connections.close_all()


class Story:
    """One browser context (cookie jar) per person, so each signs in separately.

    Staff sign in as in production: password, then the code of their authenticator app
    (computed from the device's key, as the app on their phone would). Every console message
    is kept; a Content-Security-Policy violation fails the story.
    """

    def __init__(self, browser: Any, base_url: str):
        self.browser = browser
        self.base = base_url
        self.console: list[str] = []

    def person(self, username: str | None = None) -> Any:
        context = self.browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(20_000)
        page.on("console", lambda message: self.console.append(f"{message.type}: {message.text}"))
        page.on("pageerror", lambda error: self.console.append(f"pageerror: {error}"))
        if username:
            user = get_user_model().objects.get(username=username)
            device = factories.give_authenticator_app(user)
            page.goto(f"{self.base}/staff/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button:has-text('Sign in')")
            page.wait_for_url(f"{self.base}/staff/second-factor/?next=*")
            page.fill("input[name=code]", factories.totp_code(device))
            page.click("button:has-text('Continue')")
            page.wait_for_url(f"{self.base}/staff/")
        return page

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m or "pageerror" in m]

    def action(self, page: Any, reference: str, action: str) -> None:
        page.goto(f"{self.base}/staff/deployments/{reference}/{action}/")


def _expect_ok(page: Any, message: str) -> None:
    """The page shows a success message containing `message` (else show what it says)."""
    shown = page.locator(".message--success").all_inner_texts()
    problems = page.locator(".error-summary, .error-message, .message--error").all_inner_texts()
    assert any(message in text for text in shown), (shown, problems, page.url)


def test_story_from_request_to_published_report(
    browser: Any, live_server: Any, actors: Any, documents: Any
) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    story = Story(browser, live_server.url)
    site = factories.make_site("Leicester Square")
    use_case = factories.make_use_case()
    start = timezone.localtime(timezone.now() + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )

    # 1. The planner files the request in the form and submits it.
    planner = story.person("planner")
    planner.goto(f"{story.base}/staff/deployments/new/")
    planner.select_option("select[name=site]", str(site.pk))
    # The GOV.UK date input: day, month, year, hour and minute boxes for each end of the window.
    for name, moment in (("starts_at", start), ("ends_at", start + timedelta(hours=6))):
        for box, value in factories.datetime_boxes(name, moment).items():
            planner.fill(f"input[name={box}]", value)
    planner.fill("input[name=expected_faces]", "6000")
    planner.select_option("select[name=use_case]", str(use_case.pk))
    planner.fill("[name=purpose]", "To locate people wanted on warrant in Leicester Square.")
    planner.fill("[name=necessity]", "Patrols have not found them.")
    planner.fill("[name=proportionality]", "Six hours, overt, a small watchlist.")
    planner.fill("[name=alternatives_considered]", "Foot patrols with briefings.")
    planner.check("input[name=watchlist_categories][value=wanted_by_court]")
    planner.fill("[name=watchlist_criteria]", "People with a live warrant and a custody image.")
    planner.fill("input[name=watchlist_size_cap]", "200")
    planner.fill("input[name=match_threshold]", "0.5")
    planner.fill("[name=site_selection_rationale]", "Reports concentrate here.")
    planner.fill("[name=community_engagement_plan]", "Leaflets and a ward panel briefing.")
    planner.fill("[name=intelligence_case]", "Restricted: never shown to the public.")
    # Submit is offered only once the checklist is clear: save the draft, then submit it.
    assert planner.locator("button[name=submit]").count() == 0
    planner.click("button[name=save]")
    _expect_ok(planner, "saved")
    planner.click("button[name=submit]")
    _expect_ok(planner, "submitted for authorisation")
    deployment = Deployment.objects.get(site=site)
    ref = deployment.reference
    assert deployment.state == State.SUBMITTED
    factories.give_watchlist(deployment)  # sign-off needs an enrolled watchlist

    # 2. The authorising officer authorises it.
    authoriser = story.person("authoriser")
    story.action(authoriser, ref, "authorise")
    authoriser.fill("[name=authorise-statement]", "Necessary and proportionate for this purpose.")
    authoriser.click("main form button[type=submit]")
    _expect_ok(authoriser, "Authorised")

    # 3. The chair assigns two panel members.
    chair = story.person("chair")
    for reviewer in (actors.panel_a, actors.panel_b):
        story.action(chair, ref, "assign_reviewer")
        chair.select_option("select[name=assign_reviewer-reviewer]", str(reviewer.pk))
        chair.click("main form button[type=submit]")
        _expect_ok(chair, "Reviewer assigned")

    # 4. Both approve.
    for username, decision in (("panel_a", "approve"), ("panel_b", "approve_with_conditions")):
        member = story.person(username)
        story.action(member, ref, "review")
        member.check(f"input[name=review-decision][value={decision}]")
        member.fill("[name=review-reasons]", f"{username}: the watchlist is narrow.")
        if decision == "approve_with_conditions":
            member.fill("[name=review-conditions]", "Publish the results within 14 days.")
        member.click("main form button[type=submit]")
        _expect_ok(member, "Review recorded")
        member.context.close()

    # 5. The chair signs off: the notice is public.
    story.action(chair, ref, "sign_off")
    chair.fill("[name=sign_off-statement]", "The panel approves this trial.")
    chair.fill("[name=sign_off-conditions]", "Signs at every entrance.")
    chair.click("main form button[type=submit]")
    _expect_ok(chair, "Signed off")

    # 6. The notice appears on /trials/ for a member of the public, who asks a question.
    public = story.person()
    public.goto(f"{story.base}/trials/")
    # A trial's link text is its place, in plain words (its reference sits beside it).
    public.click(f"a[href='/trials/{ref}/']:has-text('Leicester Square')")
    public.wait_for_url(f"{story.base}/trials/{ref}/")
    assert "Leicester Square" in public.inner_text("h1")
    body = public.inner_text("main")
    assert "The panel approves this trial." in body and "Signs at every entrance." in body
    assert "Restricted: never shown to the public." not in public.content()
    public.screenshot(path=str(SCREENSHOTS / "notice.png"), full_page=True)
    public.fill("[name=text]", "Will my face be kept if I walk past?")
    public.fill("[name=name]", "Alex")
    public.fill("[name=email]", "alex@example.org")
    public.click("button:has-text('Send your question')")
    _expect_ok(public, "Thank you")
    question = PublicQuestion.objects.get(deployment=deployment)
    assert question.status == PublicQuestion.Status.PENDING

    # 7. A moderator publishes it with the force's answer.
    moderator = story.person("moderator")
    moderator.click("a:has-text('Open the moderation queue')")
    moderator.fill(f"[name=p{question.pk}-answer]", "No. A face that does not match is discarded.")
    moderator.click("button:has-text('Publish with this answer')")
    _expect_ok(moderator, "Question published")
    public.goto(f"{story.base}/trials/{ref}/")
    questions = public.inner_text("#questions")
    assert "Will my face be kept" in questions and "discarded" in questions
    assert "alex@example.org" not in public.content()

    # 8. The window passes (moved through the ORM: time cannot pass in a test) and it completes.
    factories.backdate(deployment, timedelta(days=4))
    assert ds.deployment_complete(deployment=deployment)

    # 9. The planner records the outcome.
    story.action(planner, ref, "record_outcome")
    for field, value in {
        "faces_seen": "18250",
        "true_alerts_confirmed": "2",
        "true_alerts_unconfirmed": "1",
        "false_alerts_confirmed": "1",
        "false_alerts_unconfirmed": "0",
        "arrests": "2",
        "other_outcomes": "0",
        "no_action": "1",
        "complaints": "0",
    }.items():
        planner.fill(f"[name=record_outcome-{field}]", value)
    planner.fill("[name=record_outcome-summary]", "Two people wanted on warrant were arrested.")
    planner.click("main form button[type=submit]")
    _expect_ok(planner, "Outcome recorded")

    # 10. The moderator publishes the results report; the PDF is rendered on commit.
    story.action(moderator, ref, "publish_report")
    moderator.click("main form button[type=submit]")
    _expect_ok(moderator, "Results report published")
    assert ReportPdf.objects.filter(kind=ReportPdf.Kind.TRIAL, key=ref).exists()

    public.goto(f"{story.base}/trials/{ref}/")
    results = public.inner_text("#results")
    assert "18,250" in results and "False alert rate, per face seen" in results
    assert public.locator("#results svg").count() == 2
    public.locator("#results").screenshot(path=str(SCREENSHOTS / "report.png"))
    public.screenshot(path=str(SCREENSHOTS / "report-page.png"), full_page=True)
    pdf = public.request.get(f"{story.base}/trials/{ref}/report.pdf")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF")
    (SCREENSHOTS / f"{ref}-results.pdf").write_bytes(pdf.body())

    # The year's report lists it too.
    public.goto(f"{story.base}/reports/")
    assert ref in public.inner_text("main")
    public.screenshot(path=str(SCREENSHOTS / "annual-report.png"), full_page=True)
    for name in ("notice.png", "report.png"):
        assert (SCREENSHOTS / name).stat().st_size > 0
    assert story.csp_violations() == [], story.console


def test_a_missing_browser_fails_under_ci_and_skips_elsewhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="broken build"):
        _unavailable("/usr/bin/chromium is missing")
    monkeypatch.delenv("CI")
    with pytest.raises(pytest.skip.Exception, match="apt-get install -y chromium"):
        _unavailable("/usr/bin/chromium is missing")
