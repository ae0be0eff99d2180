"""The whole path of a request, from draft to a published report, through the services."""

from datetime import timedelta

from deployments import services as ds
from deployments.models import State
from tests import factories


def test_a_request_goes_from_draft_to_published_report(actors, draft):
    factories.to_approved(draft, actors)
    assert draft.state == State.APPROVED
    assert draft.notice_published_at is not None
    assert draft.pinned_documents.count() == 6
    factories.backdate(draft, timedelta(days=5))
    assert ds.deployment_complete(deployment=draft)
    ds.outcome_record(deployment=draft, by=actors.planner, data={"faces_seen": 100})
    ds.deployment_publish_report(deployment=draft, by=actors.moderator)
    draft.refresh_from_db()
    assert draft.state == State.REPORT_PUBLISHED
