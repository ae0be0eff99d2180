"""Need to know: a deployment's restricted fields (the intelligence case, reviewers' private
notes, the names of its reviewers and operators, its timeline) are seen only by its planner, the
authorising officer who authorised it, its assigned reviewers and the chair, and its assigned
operators. Anyone else on staff sees what the public sees, or a 404 for what the public cannot
see. A draft never submitted stays its planner's, withdrawn or not."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from core.roles import Role
from deployments import services as ds
from deployments.models import Deployment
from deployments.policy import may_see_private_notes, may_see_restricted, need_to_know
from deployments.selectors import deployments_visible_to
from tests import factories
from tests.conftest import StaffClient as Client

pytestmark = pytest.mark.django_db

INTEL = "MARKERintelligence from an informant"
NOTE = "MARKERprivate note about the informant"


@pytest.fixture
def people(actors: Any) -> dict[str, Any]:
    """Everyone, by the part they play in the deployment built below."""
    return {
        "planner": actors.planner,
        "authoriser": actors.authoriser,
        "reviewer": actors.panel_a,
        "chair": actors.chair,
        "operator": actors.operator,
        "other_planner": actors.other_planner,
        "other_authoriser": factories.make_user("authoriser2", Role.AUTHORISING_OFFICER),
        "unassigned_panel": actors.panel_c,
        "other_operator": factories.make_user("operator2", Role.OPERATOR),
        "legal_officer": actors.legal_officer,
        "moderator": actors.moderator,
        "stranger": actors.stranger,
    }


NEED_TO_KNOW = {"planner", "authoriser", "reviewer", "chair", "operator"}


def _authorised(actors: Any) -> Deployment:
    deployment = factories.make_draft(actors.planner, intelligence_case=INTEL)
    factories.to_authorised(deployment, actors.planner, actors.authoriser)
    ds.review_assign(deployment=deployment, reviewer=actors.panel_a, by=actors.chair)
    ds.review_assign(deployment=deployment, reviewer=actors.panel_b, by=actors.chair)
    for reviewer in (actors.panel_a, actors.panel_b):
        ds.review_record(
            deployment=deployment,
            reviewer=reviewer,
            decision="approve",
            reasons="Published reasons.",
            private_notes=NOTE,
        )
    ds.operator_assign(deployment=deployment, operator=actors.operator, by=actors.authoriser)
    deployment.refresh_from_db()
    return deployment


@pytest.fixture
def authorised(actors: Any, documents: Any) -> Deployment:
    return _authorised(actors)


@pytest.fixture
def approved(actors: Any, documents: Any) -> Deployment:
    deployment = _authorised(actors)
    factories.give_watchlist(deployment)
    ds.deployment_sign_off(deployment=deployment, by=actors.chair, statement="Approved.")
    deployment.refresh_from_db()
    return deployment


def _page(user: Any, deployment: Deployment) -> tuple[int, str]:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("staff:deployment_detail", args=[deployment.reference]))
    return response.status_code, response.content.decode()


def test_before_sign_off_only_those_who_need_to_know_can_open_it(people, authorised):
    for who, user in people.items():
        status, page = _page(user, authorised)
        if who in NEED_TO_KNOW:
            assert status == 200, who
            assert INTEL in page, who
            assert "Timeline (from the audit trail)" in page, who
        else:
            assert status == 404, who
        assert may_see_restricted(user, authorised) == (who in NEED_TO_KNOW), who


def test_after_sign_off_everyone_else_sees_only_what_the_public_sees(people, approved):
    operator_name = people["operator"].get_full_name() or people["operator"].username
    for who, user in people.items():
        if who == "stranger":
            continue  # no role: nothing on the staff side at all
        status, page = _page(user, approved)
        assert status == 200, who
        if who in NEED_TO_KNOW:
            assert INTEL in page, who
            continue
        assert "You see what the public sees" in page, who
        assert INTEL not in page, who
        assert NOTE not in page, who
        assert "Timeline (from the audit trail)" not in page, who
        assert people["reviewer"].get_full_name() not in page, who
        assert f"operator.assigned</strong> by {operator_name}" not in page, who
        # What the public notice shows is there.
        assert approved.purpose in page and approved.panel_statement in page, who


def test_the_list_shows_only_what_each_person_may_open(people, authorised, approved):
    for who, user in people.items():
        visible = set(deployments_visible_to(user).values_list("pk", flat=True))
        if who == "stranger":
            assert visible == set()
        elif who in NEED_TO_KNOW:
            assert visible == {authorised.pk, approved.pk}, who
        else:
            assert visible == {approved.pk}, who


def test_a_withdrawn_draft_that_was_never_submitted_stays_its_planners(people, documents):
    draft = factories.make_draft(people["planner"], intelligence_case=INTEL)
    ds.deployment_withdraw(deployment=draft, by=people["planner"], reason="Not needed.")
    for who, user in people.items():
        status, _ = _page(user, draft)
        assert status == (200 if who == "planner" else 404), who
        known = Deployment.objects.filter(need_to_know(user), pk=draft.pk).exists()
        assert known == (who == "planner"), who


def test_an_authorising_officer_sees_requests_waiting_for_authorisation(people, documents):
    draft = factories.make_draft(people["planner"], intelligence_case=INTEL)
    factories.to_submitted(draft, people["planner"])
    for who in ("authoriser", "other_authoriser"):
        status, page = _page(people[who], draft)
        assert status == 200 and INTEL in page, who


def test_private_notes_are_for_the_panel_and_the_chair(people, authorised):
    for who, user in people.items():
        allowed = who in ("reviewer", "chair")
        assert may_see_private_notes(user, authorised) == allowed, who
        _, page = _page(user, authorised)
        assert (NOTE in page) == allowed, who


def test_a_reviewer_who_declares_a_conflict_no_longer_needs_to_know(actors, people, documents):
    deployment = factories.make_draft(actors.planner, intelligence_case=INTEL)
    factories.to_authorised(deployment, actors.planner, actors.authoriser)
    ds.review_assign(deployment=deployment, reviewer=actors.panel_a, by=actors.chair)
    ds.review_declare_conflict(
        deployment=deployment, reviewer=actors.panel_a, details="My sibling runs the venue."
    )
    panel_a = type(actors.panel_a).objects.get(pk=actors.panel_a.pk)
    assert not may_see_restricted(panel_a, deployment)
    assert _page(panel_a, deployment)[0] == 404


def test_the_watchlist_page_is_a_404_to_anyone_who_does_not_need_to_know(people, approved):
    url = reverse("staff:watchlist", args=[approved.reference])
    for who, user in people.items():
        client = Client()
        client.force_login(user)
        status = client.get(url).status_code
        if who in ("planner", "operator"):
            assert status == 200, who
        elif who in NEED_TO_KNOW:
            assert status == 403, who  # knows the deployment; the images are not theirs
        else:
            assert status == 404, who
