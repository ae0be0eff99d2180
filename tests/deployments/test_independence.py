"""Independent decisions: the chair's own review never counts towards the quorum of the sign-off
they give, and a conflict declared after the sign-off changes no decision."""

import pytest

from audit.models import AuditEvent
from core.errors import TransitionNotAllowed
from deployments import services as ds
from deployments.actions import available_actions
from deployments.models import ReviewAssignment, State
from tests import factories
from tests.conftest import StaffClient as Client


@pytest.fixture
def authorised(actors, draft):
    return factories.to_authorised(draft, actors.planner, actors.authoriser)


def _fresh(user):
    # Guardian caches object permissions on the user object: read them again.
    return type(user).objects.get(pk=user.pk)


def test_the_chairs_own_approval_does_not_count_towards_their_sign_off(
    actors, authorised, settings
):
    settings.OVERSIGHT_PANEL_QUORUM = 2
    factories.give_watchlist(authorised)
    factories.record_approvals(authorised, actors.chair, actors.chair, actors.panel_a)
    assert ds.approvals_on_current_revision(authorised) == 2
    assert ds.approvals_on_current_revision(authorised, excluding=actors.chair) == 1

    with pytest.raises(TransitionNotAllowed, match="your own review does not count"):
        ds.deployment_sign_off(deployment=authorised, by=actors.chair, statement="Approved.")
    assert "sign_off" not in available_actions(authorised, actors.chair)
    authorised.refresh_from_db()
    assert authorised.state == State.AUTHORISED


def test_the_chair_signs_off_once_two_other_reviewers_approve(actors, authorised, settings):
    settings.OVERSIGHT_PANEL_QUORUM = 2
    factories.give_watchlist(authorised)
    factories.record_approvals(
        authorised, actors.chair, actors.chair, actors.panel_a, actors.panel_b
    )
    ds.deployment_sign_off(deployment=authorised, by=actors.chair, statement="Approved.")
    authorised.refresh_from_db()
    assert authorised.state == State.APPROVED
    event = AuditEvent.objects.for_object(authorised).get(action="deployment.approved")
    assert event.details["approvals"] == 2  # the chair's own approval left out


def test_another_chair_may_count_the_first_chairs_approval(actors, authorised, settings):
    from core.roles import Role

    settings.OVERSIGHT_PANEL_QUORUM = 2
    second_chair = factories.make_user("chair2", Role.PANEL_CHAIR, Role.PANEL_MEMBER)
    factories.give_watchlist(authorised)
    factories.record_approvals(authorised, actors.chair, actors.chair, actors.panel_a)
    ds.deployment_sign_off(deployment=authorised, by=second_chair, statement="Approved.")
    authorised.refresh_from_db()
    assert authorised.state == State.APPROVED


def test_a_conflict_declared_after_sign_off_is_refused_and_changes_nothing(actors, draft):
    approved = factories.to_approved(draft, actors)
    reviewer = _fresh(actors.panel_a)
    with pytest.raises(TransitionNotAllowed, match=r"already signed off on .* cannot change it"):
        ds.review_declare_conflict(
            deployment=approved, reviewer=reviewer, details="I know the site owner."
        )
    assignment = ReviewAssignment.objects.get(deployment=approved, reviewer=reviewer)
    assert assignment.is_active
    assert ds.approvals_on_current_revision(approved) == 2
    assert "declare_conflict" not in available_actions(approved, reviewer)
    assert (
        not AuditEvent.objects.for_object(approved)
        .filter(action="review.conflict_declared")
        .exists()
    )


def test_the_conflict_page_after_sign_off_says_why_it_is_refused(actors, draft):
    approved = factories.to_approved(draft, actors)
    client = Client()
    client.force_login(actors.panel_a)
    url = f"/staff/deployments/{approved.reference}/declare_conflict/"
    response = client.post(url, {"declare_conflict-details": "I know the site owner."})
    assert response.status_code == 409
    assert "cannot change it" in response.content.decode()
    page = client.get(approved.get_absolute_url()).content.decode()
    assert "lacks" not in page
    assert "Approvals of this version: <strong>2</strong>" in page


def test_a_conflict_before_sign_off_still_removes_the_reviewer(actors, authorised):
    ds.review_assign(deployment=authorised, reviewer=actors.panel_a, by=actors.chair)
    ds.review_declare_conflict(
        deployment=authorised, reviewer=actors.panel_a, details="My sibling runs the venue."
    )
    assignment = ReviewAssignment.objects.get(deployment=authorised, reviewer=actors.panel_a)
    assert not assignment.is_active
