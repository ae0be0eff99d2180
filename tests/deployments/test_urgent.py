"""Urgent use before the panel's sign-off (EU AI Act, Article 5(3)), through the gate.

An authorising officer lets an authorised deployment run for a short, capped window; the
notice is public at once saying why; the chair's decision is due within a set time. Refused,
or not decided in time, the gate closes at once; signed off in time, it runs on as approved.
What the urgent use produced is deleted on refusal: see tests/matching/test_urgent_use.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from core.roles import Role
from deployments import services as ds
from deployments import tasks
from deployments.models import Deployment, PublicStatus, State, UrgentOutcome
from matching import gate
from matching.gate import GateClosed, Permit, gate_check

from .. import factories

pytestmark = pytest.mark.django_db

REASON = "A child reported missing this morning was seen near the station an hour ago."


@pytest.fixture
def authorised(actors: Any, documents: Any, settings: Any) -> Deployment:
    """Authorised, with its watchlist enrolled, starting in 30 minutes; not signed off."""
    settings.OVERSIGHT_URGENT_MAX_HOURS = 6
    settings.OVERSIGHT_URGENT_DECISION_HOURS = 24
    deployment = factories.make_draft(
        actors.planner, start=timezone.now() + timedelta(minutes=30), hours=12
    )
    factories.give_watchlist(deployment)
    return factories.to_authorised(deployment, actors.planner, actors.authoriser)


def declare(deployment: Deployment, by: Any, hours: int = 2) -> Deployment:
    ds.deployment_declare_urgent(deployment=deployment, by=by, reason=REASON, hours=hours)
    deployment.refresh_from_db()
    return deployment


def refusal(deployment: Deployment, at: Any) -> str:
    with pytest.raises(GateClosed) as closed:
        gate_check(deployment=deployment, at=at)
    return closed.value.reason_code


def audited(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action))


# --- running before sign-off ------------------------------------------------------------------
def test_urgent_use_lets_an_authorised_deployment_run_before_sign_off(
    authorised: Deployment, actors: Any, client: Any
):
    inside = authorised.starts_at + timedelta(minutes=10)
    # Without urgency the gate refuses: the panel has not signed off.
    assert refusal(authorised, inside) == gate.NOT_APPROVED

    deployment = declare(authorised, actors.authoriser)

    permit = gate_check(deployment=deployment, at=inside)
    assert isinstance(permit, Permit) and permit.deployment_id == deployment.pk
    assert deployment.state == State.AUTHORISED and deployment.approved_at is None
    assert deployment.urgent_decision_due_at == deployment.urgent_declared_at + timedelta(hours=24)
    (event,) = audited("deployment.urgent_use_declared")
    assert event.details["reason"] == REASON and event.details["hours"] == 2
    # The notice is public at once, saying it is urgent and why.
    assert deployment.public_status_at() == PublicStatus.URGENT
    html = client.get(deployment.get_public_url()).content.decode()
    assert "Urgent use before the ethics panel's decision" in html
    assert REASON in html
    # Before the deployment's start the notice says when the urgent use begins ...
    assert deployment.urgent_window_phase() == "before"
    assert "Urgent use from" in html and "Live: urgent use" not in html
    # ... and once it has begun, that it is live and when the decision is due.
    Deployment.objects.filter(pk=deployment.pk).update(
        starts_at=timezone.now() - timedelta(minutes=5)
    )
    # Moved through the ORM, as no service can: tell the public record, as a service would.
    from core import public_changes

    public_changes.announce(
        public_changes.REGISTER, public_changes.notice_scope(deployment.reference)
    )
    deployment.refresh_from_db()
    assert deployment.urgent_window_phase() == "open"
    html = client.get(deployment.get_public_url()).content.decode()
    assert "Live: urgent use, decision due by" in html
    assert deployment.urgent_window_phase(deployment.urgent_run_until) == "after"
    home = client.get(reverse("public:home")).content.decode()
    assert deployment.reference in home.split('id="live-h"')[1].split("</section>")[0]


def test_the_gate_refuses_outside_the_urgent_window(authorised: Deployment, actors: Any):
    deployment = declare(authorised, actors.authoriser, hours=2)
    # Not before the deployment's own start ...
    assert refusal(deployment, deployment.starts_at - timedelta(minutes=1)) == (
        gate.URGENT_OUTSIDE_WINDOW
    )
    # ... and not after the urgent window the officer allowed, long before the deployment ends.
    assert deployment.urgent_ends_at is not None
    assert gate_check(deployment=deployment, at=deployment.urgent_ends_at - timedelta(seconds=1))
    assert refusal(deployment, deployment.urgent_ends_at) == gate.URGENT_OUTSIDE_WINDOW
    assert deployment.urgent_ends_at < deployment.ends_at


def test_urgent_use_beyond_the_cap_is_refused_and_nothing_is_saved(
    authorised: Deployment, actors: Any, settings: Any
):
    settings.OVERSIGHT_URGENT_MAX_HOURS = 3
    for hours in (4, 0):
        with pytest.raises(PreconditionsFailed) as refused:
            ds.deployment_declare_urgent(
                deployment=authorised, by=actors.authoriser, reason=REASON, hours=hours
            )
        assert "from 1 to 3 hours" in refused.value.problems["hours"][0]
    authorised.refresh_from_db()
    assert authorised.urgent_declared_at is None and authorised.notice_published_at is None
    assert audited("deployment.urgent_use_declared") == []
    assert refusal(authorised, authorised.starts_at + timedelta(minutes=5)) == gate.NOT_APPROVED


def test_urgent_use_needs_a_reason(authorised: Deployment, actors: Any):
    with pytest.raises(PreconditionsFailed) as refused:
        ds.deployment_declare_urgent(
            deployment=authorised, by=actors.authoriser, reason="  ", hours=2
        )
    assert "reason" in refused.value.problems


# --- the deadline -----------------------------------------------------------------------------
def test_the_gate_closes_at_the_decision_deadline_even_with_no_beat_run(
    authorised: Deployment, actors: Any, settings: Any
):
    settings.OVERSIGHT_URGENT_MAX_HOURS = 6
    settings.OVERSIGHT_URGENT_DECISION_HOURS = 3
    deployment = declare(authorised, actors.authoriser, hours=6)
    due = deployment.urgent_decision_due_at
    assert due is not None
    assert gate_check(deployment=deployment, at=due - timedelta(seconds=1))
    assert refusal(deployment, due) == gate.URGENT_DECISION_OVERDUE
    # Nothing has recorded the lapse yet; the gate decided from the deadline alone.
    deployment.refresh_from_db()
    assert deployment.state == State.AUTHORISED and deployment.urgent_outcome == ""
    assert deployment.public_status_at(due) == PublicStatus.URGENT_LAPSED
    assert list(Deployment.objects.public().in_public_status(PublicStatus.URGENT_LAPSED, due)) == [
        deployment
    ]


def test_the_beat_task_records_the_lapse_once(authorised: Deployment, actors: Any, client: Any):
    deployment = declare(authorised, actors.authoriser)
    assert tasks.lapse_overdue_urgent_use.delay().get() == []
    # The decision was due a minute ago.
    Deployment.objects.filter(pk=deployment.pk).update(
        urgent_decision_due_at=timezone.now() - timedelta(minutes=1)
    )
    assert tasks.lapse_overdue_urgent_use.delay().get() == [deployment.reference]
    assert tasks.lapse_overdue_urgent_use.delay().get() == []
    deployment.refresh_from_db()
    assert deployment.state == State.REJECTED
    assert deployment.urgent_outcome == UrgentOutcome.LAPSED
    assert deployment.urgent_data_deleted_at is not None
    (event,) = audited("deployment.urgent_use_lapsed")
    assert event.actor_label == "system" and "deleted" in event.details
    assert refusal(deployment, deployment.starts_at + timedelta(minutes=5)) == gate.URGENT_REFUSED
    assert deployment.public_status_at() == PublicStatus.URGENT_LAPSED
    html = client.get(deployment.get_public_url()).content.decode()
    assert "The ethics panel did not decide in time" in html
    assert "every alert, face image and face encoding from the urgent use was deleted" in html


def test_the_chair_cannot_sign_off_after_the_deadline(authorised: Deployment, actors: Any):
    deployment = declare(authorised, actors.authoriser)
    factories.record_approvals(deployment, actors.chair, actors.panel_a, actors.panel_b)
    Deployment.objects.filter(pk=deployment.pk).update(
        urgent_decision_due_at=timezone.now() - timedelta(seconds=1)
    )
    with pytest.raises(TransitionNotAllowed, match="has lapsed"):
        ds.deployment_sign_off(deployment=deployment, by=actors.chair, statement="Approved.")


# --- the panel's decision ---------------------------------------------------------------------
def test_a_refusal_closes_the_gate_at_once_and_the_notice_says_so(
    authorised: Deployment, actors: Any, client: Any
):
    deployment = declare(authorised, actors.authoriser)
    inside = deployment.starts_at + timedelta(minutes=10)
    assert gate_check(deployment=deployment, at=inside)

    ds.deployment_reject(deployment=deployment, by=actors.chair, reasons="Not urgent enough.")

    assert refusal(deployment, inside) == gate.URGENT_REFUSED
    deployment.refresh_from_db()
    assert deployment.urgent_outcome == UrgentOutcome.REFUSED
    (event,) = audited("deployment.urgent_use_refused")
    assert event.actor_label == actors.chair.get_username()
    assert set(event.details["deleted"]) >= {"alerts", "crops", "encodings"}
    assert deployment.public_status_at() == PublicStatus.URGENT_REFUSED
    html = client.get(deployment.get_public_url()).content.decode()
    assert f">{PublicStatus.URGENT_REFUSED.label}</span>" in html
    assert "The ethics panel refused the urgent use" in html
    assert "Not urgent enough." in html


def test_sign_off_in_time_continues_as_an_approved_deployment(
    authorised: Deployment, actors: Any, settings: Any
):
    settings.OVERSIGHT_NOTICE_LEAD_HOURS = 24
    deployment = declare(authorised, actors.authoriser)
    published = deployment.notice_published_at
    factories.record_approvals(deployment, actors.chair, actors.panel_a, actors.panel_b)
    ds.deployment_sign_off(deployment=deployment, by=actors.chair, statement="Approved.")
    deployment.refresh_from_db()
    assert deployment.state == State.APPROVED
    assert deployment.urgent_outcome == UrgentOutcome.SIGNED_OFF
    # The notice stands from the urgency: the lead time does not stop the running use.
    assert deployment.notice_published_at == published
    inside = deployment.starts_at + timedelta(hours=3)
    assert gate_check(deployment=deployment, at=inside)
    # After the urgent window and up to the deployment's end, as any approved deployment.
    assert gate_check(deployment=deployment, at=deployment.ends_at - timedelta(minutes=1))
    assert refusal(deployment, deployment.ends_at) == gate.OUTSIDE_WINDOW
    # The decision deadline no longer applies once signed off.
    assert deployment.urgent_decision_due_at is not None
    assert ds.urgent_use_lapse(deployment=deployment, at=deployment.urgent_decision_due_at) is False
    assert deployment.public_status_at(inside) == PublicStatus.LIVE


def test_urgent_use_cannot_be_returned_for_changes(authorised: Deployment, actors: Any):
    deployment = declare(authorised, actors.authoriser)
    for person in (actors.chair, actors.authoriser):
        with pytest.raises(TransitionNotAllowed, match="sign it off or reject it"):
            ds.check_return(deployment, person)


def test_withdrawing_urgent_use_stops_it_as_a_refusal(authorised: Deployment, actors: Any):
    deployment = declare(authorised, actors.authoriser)
    ds.deployment_withdraw(deployment=deployment, by=actors.planner, reason="Found the child.")
    deployment.refresh_from_db()
    assert deployment.urgent_outcome == UrgentOutcome.REFUSED
    assert refusal(deployment, deployment.starts_at + timedelta(minutes=5)) == gate.URGENT_REFUSED


# --- who may ----------------------------------------------------------------------------------
def test_the_planner_who_filed_it_cannot_declare_urgency_even_as_an_officer(
    actors: Any, documents: Any
):
    both = factories.make_user("planner_officer", Role.PLANNER, Role.AUTHORISING_OFFICER)
    deployment = factories.make_draft(both, start=timezone.now() + timedelta(hours=1))
    factories.give_watchlist(deployment)
    factories.to_authorised(deployment, both, actors.authoriser)
    with pytest.raises(NotPermitted, match="You filed"):
        ds.deployment_declare_urgent(deployment=deployment, by=both, reason=REASON, hours=2)


@pytest.mark.parametrize("who", ["planner", "chair", "panel_a", "operator", "stranger"])
def test_only_an_authorising_officer_may_declare_urgency(
    authorised: Deployment, actors: Any, who: str
):
    with pytest.raises(NotPermitted):
        ds.deployment_declare_urgent(
            deployment=authorised, by=getattr(actors, who), reason=REASON, hours=2
        )
    authorised.refresh_from_db()
    assert not authorised.is_urgent


def test_urgency_is_only_for_an_authorised_deployment_and_only_once(
    authorised: Deployment, actors: Any, documents: Any
):
    submitted = factories.to_submitted(factories.make_draft(actors.planner), actors.planner)
    with pytest.raises(TransitionNotAllowed, match="authorised"):
        ds.deployment_declare_urgent(
            deployment=submitted, by=actors.authoriser, reason=REASON, hours=2
        )
    declare(authorised, actors.authoriser)
    with pytest.raises(TransitionNotAllowed, match="already"):
        declare(authorised, actors.authoriser)


def test_urgency_needs_a_watchlist_ready_to_run(actors: Any, documents: Any):
    deployment = factories.make_draft(actors.planner, start=timezone.now() + timedelta(hours=1))
    factories.to_authorised(deployment, actors.planner, actors.authoriser)
    with pytest.raises(TransitionNotAllowed, match="empty"):
        declare(deployment, actors.authoriser)


# --- the staff page ---------------------------------------------------------------------------
def _url(deployment: Deployment) -> str:
    return reverse("staff:deployment_action", args=[deployment.reference, "declare_urgent"])


def test_the_officer_declares_urgency_from_the_staff_page(
    authorised: Deployment, actors: Any, client: Any
):
    client.force_login(actors.authoriser)
    detail = client.get(authorised.get_absolute_url()).content.decode()
    assert _url(authorised) in detail
    form = client.get(_url(authorised)).content.decode()
    assert "At most 6 hours" in form
    response = client.post(
        _url(authorised), {"declare_urgent-reason": REASON, "declare_urgent-hours": "2"}
    )
    assert response.status_code == 302
    authorised.refresh_from_db()
    assert authorised.is_urgent_pending
    page = client.get(authorised.get_absolute_url()).content.decode()
    assert "Urgent use before the panel's decision" in page and REASON in page


def test_the_staff_page_refuses_hours_over_the_cap_with_an_error_summary(
    authorised: Deployment, actors: Any, client: Any
):
    client.force_login(actors.authoriser)
    response = client.post(
        _url(authorised), {"declare_urgent-reason": REASON, "declare_urgent-hours": "7"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and "less than or equal to 6" in html
    authorised.refresh_from_db()
    assert not authorised.is_urgent


@pytest.mark.parametrize("who", ["planner", "chair", "panel_a"])
def test_others_are_refused_the_urgent_page(
    authorised: Deployment, actors: Any, client: Any, who: str
):
    person = getattr(actors, who)
    client.force_login(person)
    if who != "planner":
        ds.review_assign(deployment=authorised, reviewer=actors.panel_a, by=actors.chair)
    assert _url(authorised) not in client.get(authorised.get_absolute_url()).content.decode()
    assert client.get(_url(authorised)).status_code == 403
    response = client.post(
        _url(authorised), {"declare_urgent-reason": REASON, "declare_urgent-hours": "2"}
    )
    assert response.status_code == 403
    authorised.refresh_from_db()
    assert not authorised.is_urgent


def test_how_it_works_explains_urgent_use_with_the_settings_in_force(
    client: Any, db: None, settings: Any
):
    settings.OVERSIGHT_URGENT_MAX_HOURS = 5
    settings.OVERSIGHT_URGENT_DECISION_HOURS = 20
    html = client.get(reverse("public:how_it_works")).content.decode()
    assert "in an urgent situation before the ethics panel" in html
    assert "5 hours" in html and "within 20 hours" in html
    # The gate's own reasons, with the numbers in force.
    assert "at most 5 hours, inside the trial" in html
    assert "due within 20 hours of the urgency" in html


def test_the_open_data_of_urgent_use_validates_against_its_schema(
    authorised: Deployment, actors: Any, client: Any
):
    import json

    import jsonschema
    from django.conf import settings

    refused = factories.make_draft(actors.planner, start=timezone.now() + timedelta(hours=1))
    factories.give_watchlist(refused)
    factories.to_authorised(refused, actors.planner, actors.authoriser)
    declare(refused, actors.authoriser)
    ds.deployment_reject(deployment=refused, by=actors.chair, reasons="Not urgent.")
    declare(authorised, actors.authoriser)

    document = json.loads(client.get(reverse("public:open_data_json")).content)
    schema = json.loads((settings.BASE_DIR / "docs" / "open-data-schema.json").read_text())
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    statuses = {row["reference"]: row["status"] for row in document["deployments"]}
    assert statuses == {authorised.reference: "urgent", refused.reference: "urgent_refused"}


def test_time_deployed_of_refused_urgent_use_is_its_urgent_window_until_the_refusal(
    authorised: Deployment, actors: Any
):
    deployment = declare(authorised, actors.authoriser, hours=2)
    start = deployment.urgent_run_from
    assert start is not None
    later = deployment.ends_at + timedelta(days=1)
    # Awaiting the decision: at most the urgent window, not the whole deployment.
    assert deployment.time_deployed([], later) == deployment.urgent_run_until - start
    ds.deployment_reject(deployment=deployment, by=actors.chair, reasons="Refused.")
    refused_at = start + timedelta(minutes=40)
    Deployment.objects.filter(pk=deployment.pk).update(urgent_closed_at=refused_at)
    deployment.refresh_from_db()
    assert deployment.time_deployed([], later) == timedelta(minutes=40)


def test_the_dashboards_show_urgent_use_awaiting_a_decision(
    authorised: Deployment, actors: Any, client: Any
):
    deployment = declare(authorised, actors.authoriser)
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    for person in (actors.chair, actors.authoriser, actors.planner):
        client.force_login(person)
        html = client.get(reverse("staff:dashboard")).content.decode()
        section = html.split("Urgent use awaiting the panel")[1].split("</section>")[0]
        assert deployment.reference in section and "decision due by" in section
    client.force_login(actors.operator)
    html = client.get(reverse("staff:dashboard")).content.decode()
    assert deployment.reference in html.split("Deployments you operate")[1]
    ds.deployment_reject(deployment=deployment, by=actors.chair, reasons="Refused.")
    client.force_login(actors.chair)
    assert "Urgent use awaiting" not in client.get(reverse("staff:dashboard")).content.decode()
