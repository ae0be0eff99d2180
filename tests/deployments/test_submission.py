"""Submitting a request: who may, and every precondition the policy names."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from deployments import services as ds
from deployments.models import State
from legal import services as ls
from legal.models import Document, WatchlistCategory
from tests import factories


def problems_of(excinfo):
    return excinfo.value.problems


def test_planner_submits_a_complete_draft(actors, draft):
    ds.deployment_submit(deployment=draft, by=actors.planner)
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED
    assert draft.revision == 1
    assert AuditEvent.objects.for_object(draft).filter(action="deployment.submitted").exists()


def test_another_planner_cannot_submit_someone_elses_draft(actors, draft):
    with pytest.raises(NotPermitted):
        ds.deployment_submit(deployment=draft, by=actors.other_planner)


def test_another_planner_cannot_edit_someone_elses_draft(actors, draft):
    with pytest.raises(NotPermitted):
        ds.deployment_update(deployment=draft, by=actors.other_planner, data={"purpose": "x"})
    draft.refresh_from_db()
    assert draft.purpose == "Locate wanted people."


def test_an_incomplete_draft_names_each_missing_field(actors, documents):
    draft = factories.make_draft(actors.planner, purpose="", expected_faces=None)
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_submit(deployment=draft, by=actors.planner)
    assert set(problems_of(excinfo)) == {"purpose", "expected_faces"}
    draft.refresh_from_db()
    assert draft.state == State.DRAFT and draft.revision == 0


def test_start_must_be_in_the_future_at_submission(actors, documents):
    draft = factories.make_draft(actors.planner, start=timezone.now() - timedelta(minutes=5))
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_submit(deployment=draft, by=actors.planner)
    assert "starts_at" in problems_of(excinfo)


def test_duration_must_be_within_the_policy_maximum(actors, documents, settings):
    settings.OVERSIGHT_MAX_DEPLOYMENT_HOURS = 8
    draft = factories.make_draft(actors.planner, hours=9)
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_submit(deployment=draft, by=actors.planner)
    assert "at most 8 hours" in problems_of(excinfo)["ends_at"][0]


def test_end_must_be_after_start(actors, documents):
    from django.core.exceptions import ValidationError

    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError):
        ds.deployment_create(by=actors.planner, data=factories.request_data(start=start, hours=-1))


def test_threshold_must_not_be_looser_than_the_policy_limit(actors, documents, settings):
    settings.OVERSIGHT_MAX_MATCH_THRESHOLD = 0.55
    draft = factories.make_draft(actors.planner, match_threshold=Decimal("0.600"))
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_submit(deployment=draft, by=actors.planner)
    assert "match_threshold" in problems_of(excinfo)


def test_watchlist_cap_must_be_within_the_policy_maximum(actors, documents, settings):
    settings.OVERSIGHT_MAX_WATCHLIST_SIZE = 50
    draft = factories.make_draft(actors.planner, watchlist_size_cap=51)
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_submit(deployment=draft, by=actors.planner)
    assert "watchlist_size_cap" in problems_of(excinfo)


def test_watchlist_categories_must_be_allowed_by_the_use_case(actors, documents):
    draft = factories.make_draft(
        actors.planner, watchlist_categories=[WatchlistCategory.MISSING_PERSON]
    )
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_submit(deployment=draft, by=actors.planner)
    assert "watchlist_categories" in problems_of(excinfo)


@pytest.mark.parametrize("kind", Document.REQUIRED_FOR_SUBMISSION)
def test_each_required_legal_document_must_be_published(actors, kind):
    others = tuple(k for k in Document.REQUIRED_FOR_SUBMISSION if k != kind)
    factories.publish_documents(actors.legal_officer, others)
    draft = factories.make_draft(actors.planner)
    with pytest.raises(PreconditionsFailed) as excinfo:
        ds.deployment_submit(deployment=draft, by=actors.planner)
    assert "a legal officer must publish one first" in " ".join(problems_of(excinfo)[""])


def test_a_withdrawn_mandate_blocks_submission(actors, documents, draft):
    ls.document_version_withdraw(
        version=documents[Document.Kind.LEGAL_MANDATE],
        reason="Under review",
        by=actors.legal_officer,
    )
    with pytest.raises(PreconditionsFailed):
        ds.deployment_submit(deployment=draft, by=actors.planner)


def test_a_submitted_request_cannot_be_edited(actors, draft):
    ds.deployment_submit(deployment=draft, by=actors.planner)
    with pytest.raises(TransitionNotAllowed):
        ds.deployment_update(deployment=draft, by=actors.planner, data={"purpose": "changed"})


def test_only_planners_file_requests(actors, documents):
    with pytest.raises(NotPermitted):
        ds.deployment_create(by=actors.authoriser, data=factories.request_data())


def test_references_are_sequential_within_a_year(actors, documents):
    first = factories.make_draft(actors.planner)
    second = factories.make_draft(actors.planner)
    year = timezone.localdate().year
    assert first.reference == f"LFR-{year}-0001"
    assert second.reference == f"LFR-{year}-0002"
