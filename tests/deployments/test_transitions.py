"""Each lifecycle transition after submission: the allowed path and every refusal."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from core.roles import Role
from deployments import services as ds
from deployments.actions import available_actions
from deployments.models import Outcome, Review, State
from deployments.tasks import complete_ended_deployments
from legal import services as ls
from legal.models import Document
from tests import factories


def actions_of(deployment):
    return list(AuditEvent.objects.for_object(deployment).values_list("action", flat=True))


@pytest.fixture
def submitted(actors, draft):
    return factories.to_submitted(draft, actors.planner)


@pytest.fixture
def authorised(actors, draft):
    return factories.to_authorised(draft, actors.planner, actors.authoriser)


@pytest.fixture
def approved(actors, draft):
    return factories.to_approved(draft, actors)


def give_role(user, role):
    user.groups.add(Group.objects.get(name=role.value))
    user._oversight_roles = None


# --- authorisation -------------------------------------------------------------------------
def test_authorising_officer_authorises_a_submitted_request(actors, submitted):
    ds.deployment_authorise(deployment=submitted, by=actors.authoriser, statement="Necessary.")
    submitted.refresh_from_db()
    assert submitted.state == State.AUTHORISED
    assert submitted.authorisations.get().officer == actors.authoriser
    assert "deployment.authorised" in actions_of(submitted)


def test_a_planner_cannot_authorise(actors, submitted):
    with pytest.raises(NotPermitted):
        ds.deployment_authorise(deployment=submitted, by=actors.other_planner, statement="Yes.")


def test_nobody_authorises_a_request_they_filed(actors, submitted):
    give_role(actors.planner, Role.AUTHORISING_OFFICER)
    with pytest.raises(NotPermitted, match="You filed"):
        ds.deployment_authorise(deployment=submitted, by=actors.planner, statement="Mine.")


def test_authorisation_needs_a_statement(actors, submitted):
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_authorise(deployment=submitted, by=actors.authoriser, statement="  ")
    assert "statement" in excinfo.value.problems
    submitted.refresh_from_db()
    assert submitted.state == State.SUBMITTED
    assert not submitted.authorisations.exists()


def test_a_draft_cannot_be_authorised(actors, draft):
    with pytest.raises(TransitionNotAllowed):
        ds.deployment_authorise(deployment=draft, by=actors.authoriser, statement="Yes.")


# --- return and reject ---------------------------------------------------------------------
def test_a_returned_request_goes_back_to_its_planner_and_earlier_reviews_are_kept(
    actors, authorised
):
    factories.record_approvals(authorised, actors.chair, actors.panel_a)
    ds.deployment_return(deployment=authorised, by=actors.chair, reasons="Narrow the watchlist.")
    authorised.refresh_from_db()
    assert authorised.state == State.RETURNED
    ds.deployment_update(deployment=authorised, by=actors.planner, data={"watchlist_size_cap": 50})
    ds.deployment_submit(deployment=authorised, by=actors.planner)
    authorised.refresh_from_db()
    assert authorised.revision == 2
    review = Review.objects.get(deployment=authorised, reviewer=actors.panel_a)
    assert review.revision == 1
    assert not review.is_on_current_revision()
    assert ds.approvals_on_current_revision(authorised) == 0


def test_a_reviewer_may_review_again_after_the_request_returns(actors, authorised):
    factories.record_approvals(authorised, actors.chair, actors.panel_a)
    ds.deployment_return(deployment=authorised, by=actors.chair, reasons="Changes.")
    ds.deployment_submit(deployment=authorised, by=actors.planner)
    ds.deployment_authorise(deployment=authorised, by=actors.authoriser, statement="Still fine.")
    factories.record_approvals(authorised, actors.chair, actors.panel_a)
    assert Review.objects.filter(deployment=authorised, reviewer=actors.panel_a).count() == 2


def test_return_needs_reasons(actors, submitted):
    with pytest.raises(PreconditionsFailed):
        ds.deployment_return(deployment=submitted, by=actors.authoriser, reasons="")


def test_the_chair_cannot_return_a_request_before_authorisation(actors, submitted):
    with pytest.raises(NotPermitted):
        ds.deployment_return(deployment=submitted, by=actors.chair, reasons="Changes.")


def test_authorising_officer_rejects_a_submitted_request(actors, submitted):
    ds.deployment_reject(deployment=submitted, by=actors.authoriser, reasons="Not necessary.")
    submitted.refresh_from_db()
    assert submitted.state == State.REJECTED
    assert submitted.closed_reason == "Not necessary."


def test_only_the_chair_rejects_once_the_panel_has_it(actors, authorised):
    with pytest.raises(NotPermitted):
        ds.deployment_reject(deployment=authorised, by=actors.authoriser, reasons="No.")
    ds.deployment_reject(deployment=authorised, by=actors.chair, reasons="Disproportionate.")
    authorised.refresh_from_db()
    assert authorised.state == State.REJECTED


# --- panel review --------------------------------------------------------------------------
def test_an_unassigned_panel_member_cannot_review(actors, authorised):
    with pytest.raises(NotPermitted, match="not assigned"):
        ds.review_record(
            deployment=authorised, reviewer=actors.panel_c, decision="approve", reasons="Fine."
        )


def test_an_assigned_panel_member_reviews_once_per_version(actors, authorised):
    ds.review_assign(deployment=authorised, reviewer=actors.panel_a, by=actors.chair)
    ds.review_record(
        deployment=authorised, reviewer=actors.panel_a, decision="approve", reasons="Fine."
    )
    with pytest.raises(TransitionNotAllowed, match="already reviewed"):
        ds.review_record(
            deployment=authorised, reviewer=actors.panel_a, decision="reject", reasons="No."
        )


def test_approval_with_conditions_needs_the_conditions(actors, authorised):
    ds.review_assign(deployment=authorised, reviewer=actors.panel_a, by=actors.chair)
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.review_record(
            deployment=authorised,
            reviewer=actors.panel_a,
            decision=Review.Decision.APPROVE_WITH_CONDITIONS,
            reasons="Fine.",
        )
    assert "conditions" in excinfo.value.problems
    assert not Review.objects.exists()


def test_nobody_reviews_a_request_they_filed(actors, authorised):
    give_role(actors.planner, Role.PANEL_MEMBER)
    with pytest.raises(PreconditionsFailed):
        ds.review_assign(deployment=authorised, reviewer=actors.planner, by=actors.chair)
    with pytest.raises(NotPermitted, match="You filed"):
        ds.review_record(
            deployment=authorised, reviewer=actors.planner, decision="approve", reasons="Mine."
        )


def test_only_panel_members_can_be_assigned(actors, authorised):
    with pytest.raises(PreconditionsFailed):
        ds.review_assign(deployment=authorised, reviewer=actors.operator, by=actors.chair)


def test_only_the_chair_assigns_reviewers(actors, authorised):
    with pytest.raises(NotPermitted):
        ds.review_assign(deployment=authorised, reviewer=actors.panel_a, by=actors.panel_b)


def test_a_declared_conflict_removes_the_reviewer(actors, authorised):
    ds.review_assign(deployment=authorised, reviewer=actors.panel_a, by=actors.chair)
    ds.review_record(
        deployment=authorised, reviewer=actors.panel_a, decision="approve", reasons="Fine."
    )
    ds.review_declare_conflict(
        deployment=authorised, reviewer=actors.panel_a, details="My sibling runs the venue."
    )
    actors.panel_a = type(actors.panel_a).objects.get(pk=actors.panel_a.pk)  # drop perm cache
    assert not actors.panel_a.has_perm("deployments.review_deployment", authorised)
    assert ds.approvals_on_current_revision(authorised) == 0
    assert "review.conflict_declared" in actions_of(authorised)
    with pytest.raises(PreconditionsFailed, match="conflict"):
        ds.review_assign(deployment=authorised, reviewer=actors.panel_a, by=actors.chair)


# --- sign-off ------------------------------------------------------------------------------
def test_sign_off_needs_the_quorum(actors, authorised, settings):
    settings.OVERSIGHT_PANEL_QUORUM = 2
    factories.record_approvals(authorised, actors.chair, actors.panel_a)
    with pytest.raises(TransitionNotAllowed, match="needs 2 approvals"):
        ds.deployment_sign_off(deployment=authorised, by=actors.chair, statement="Approved.")
    factories.record_approvals(authorised, actors.chair, actors.panel_b)
    factories.give_watchlist(authorised)  # sign-off needs an enrolled watchlist
    ds.deployment_sign_off(deployment=authorised, by=actors.chair, statement="Approved.")
    authorised.refresh_from_db()
    assert authorised.state == State.APPROVED


def test_rejections_do_not_count_towards_the_quorum(actors, authorised):
    factories.record_approvals(authorised, actors.chair, actors.panel_a)
    ds.review_assign(deployment=authorised, reviewer=actors.panel_b, by=actors.chair)
    ds.review_record(
        deployment=authorised, reviewer=actors.panel_b, decision="reject", reasons="Too broad."
    )
    with pytest.raises(TransitionNotAllowed):
        ds.deployment_sign_off(deployment=authorised, by=actors.chair, statement="Approved.")


def test_only_the_chair_signs_off(actors, authorised):
    factories.record_approvals(authorised, actors.chair, actors.panel_a, actors.panel_b)
    with pytest.raises(NotPermitted):
        ds.deployment_sign_off(deployment=authorised, by=actors.panel_a, statement="Approved.")


def test_the_chair_cannot_sign_off_a_request_they_filed(actors, documents):
    give_role(actors.chair, Role.PLANNER)
    deployment = factories.make_draft(actors.chair)
    factories.to_authorised(deployment, actors.chair, actors.authoriser)
    factories.record_approvals(deployment, actors.chair, actors.panel_a, actors.panel_b)
    with pytest.raises(NotPermitted, match="You filed"):
        ds.deployment_sign_off(deployment=deployment, by=actors.chair, statement="Mine.")


def test_approval_pins_the_current_document_versions_and_publishes_the_notice(
    actors, documents, approved
):
    pinned = set(approved.pinned_documents.all())
    assert pinned == set(documents.values())
    assert approved.notice_published_at is not None
    assert approved.approved_threshold == approved.match_threshold
    # A later version does not change what the approval relied on.
    mandate = Document.objects.get(kind=Document.Kind.LEGAL_MANDATE)
    newer = ls.document_version_draft(
        document=mandate, title="v2", body="New text.", change_summary="", by=actors.legal_officer
    )
    ls.document_version_publish(version=newer, by=actors.legal_officer)
    assert newer not in approved.pinned_documents.all()
    event = AuditEvent.objects.for_object(approved).get(action="deployment.approved")
    assert event.details["pinned"]["legal_mandate"][1] == documents["legal_mandate"].sha256


# --- suspension ----------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["chair", "authoriser"])
def test_the_chair_or_an_authorising_officer_can_suspend(actors, approved, who):
    ds.deployment_suspend(deployment=approved, by=getattr(actors, who), reason="Concerns.")
    approved.refresh_from_db()
    assert approved.state == State.SUSPENDED
    assert approved.suspension_reason == "Concerns."
    assert approved.suspensions.get().suspended_by == getattr(actors, who)


def test_a_suspension_needs_a_reason(actors, approved):
    with pytest.raises(PreconditionsFailed):
        ds.deployment_suspend(deployment=approved, by=actors.chair, reason="")


@pytest.mark.parametrize("who", ["planner", "panel_a", "operator", "moderator"])
def test_others_cannot_suspend(actors, approved, who):
    with pytest.raises(NotPermitted):
        ds.deployment_suspend(deployment=approved, by=getattr(actors, who), reason="No.")


def test_a_request_can_be_suspended_before_approval(actors, submitted):
    ds.deployment_suspend(deployment=submitted, by=actors.authoriser, reason="Pause.")
    submitted.refresh_from_db()
    assert submitted.state == State.SUSPENDED


def test_the_chair_lifts_a_suspension_back_to_the_earlier_state(actors, approved):
    ds.deployment_suspend(deployment=approved, by=actors.authoriser, reason="Check.")
    with pytest.raises(NotPermitted):
        ds.deployment_lift_suspension(deployment=approved, by=actors.authoriser, reason="Done.")
    ds.deployment_lift_suspension(deployment=approved, by=actors.chair, reason="Resolved.")
    approved.refresh_from_db()
    assert approved.state == State.APPROVED
    assert approved.suspensions.get().lifted_by == actors.chair


# --- withdrawal ----------------------------------------------------------------------------
@pytest.mark.parametrize("stage", ["draft", "submitted", "authorised"])
def test_the_planner_withdraws_before_approval(actors, request, stage):
    deployment = request.getfixturevalue(stage)
    ds.deployment_withdraw(deployment=deployment, by=actors.planner, reason="No longer needed.")
    deployment.refresh_from_db()
    assert deployment.state == State.WITHDRAWN


def test_an_approved_deployment_cannot_be_withdrawn(actors, approved):
    with pytest.raises(TransitionNotAllowed):
        ds.deployment_withdraw(deployment=approved, by=actors.planner, reason="Too late.")


def test_only_its_planner_withdraws_a_request(actors, draft):
    with pytest.raises(NotPermitted):
        ds.deployment_withdraw(deployment=draft, by=actors.other_planner, reason="Not mine.")


# --- completion, outcome, report -----------------------------------------------------------
def test_the_beat_task_completes_deployments_whose_end_has_passed(actors, approved, documents):
    later = factories.to_approved(factories.make_draft(actors.planner), actors)
    factories.backdate(approved, timedelta(days=3))
    assert complete_ended_deployments.delay().get() == [approved.reference]
    approved.refresh_from_db()
    later.refresh_from_db()
    assert approved.state == State.COMPLETED
    assert later.state == State.APPROVED
    assert Outcome.objects.filter(deployment=approved).exists()
    assert "deployment.completed" in actions_of(approved)
    # Running it again is harmless.
    assert complete_ended_deployments.delay().get() == []


def test_a_suspended_deployment_whose_end_passes_is_completed(actors, approved):
    ds.deployment_suspend(deployment=approved, by=actors.chair, reason="Stop.")
    factories.backdate(approved, timedelta(days=3))
    assert ds.deployment_complete(deployment=approved)


def test_the_outcome_is_recorded_by_the_planner_after_completion(actors, approved):
    with pytest.raises(TransitionNotAllowed):
        ds.outcome_record(deployment=approved, by=actors.planner, data={"faces_seen": 5})
    factories.backdate(approved, timedelta(days=3))
    ds.deployment_complete(deployment=approved, at=timezone.now())
    with pytest.raises(NotPermitted):
        ds.outcome_record(deployment=approved, by=actors.other_planner, data={"faces_seen": 5})
    outcome = ds.outcome_record(
        deployment=approved,
        by=actors.planner,
        data={"faces_seen": 1000, "true_alerts_confirmed": 3, "false_alerts_unconfirmed": 1},
    )
    assert outcome.total_alerts == 4
    assert outcome.false_alert_rate_per_face == pytest.approx(0.001)
    assert outcome.false_alert_rate_per_alert == pytest.approx(0.25)


def test_a_moderator_publishes_the_results_report_after_completion(actors, approved):
    with pytest.raises(TransitionNotAllowed):
        ds.deployment_publish_report(deployment=approved, by=actors.moderator)
    factories.backdate(approved, timedelta(days=3))
    ds.deployment_complete(deployment=approved)
    with pytest.raises(NotPermitted):
        ds.deployment_publish_report(deployment=approved, by=actors.planner)
    ds.deployment_publish_report(deployment=approved, by=actors.moderator)
    approved.refresh_from_db()
    assert approved.state == State.REPORT_PUBLISHED
    assert approved.report_published_at is not None


# --- the actions offered match the rules ---------------------------------------------------
def test_available_actions_follow_the_checks(actors, authorised):
    assert available_actions(authorised, actors.chair) >= {"assign_reviewer", "suspend"}
    assert "sign_off" not in available_actions(authorised, actors.chair)
    assert available_actions(authorised, actors.stranger) == set()
    assert available_actions(authorised, actors.other_planner) == set()
