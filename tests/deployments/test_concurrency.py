"""Two sign-offs of the same deployment at the same moment: exactly one wins."""

import threading

import pytest
from django.db import connections

from audit.models import AuditEvent
from audit.services import audit_verify_chain
from core.errors import TransitionNotAllowed
from deployments import services as ds
from deployments.models import Deployment, State
from tests import factories

from ..conftest import needs_real_services


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_sign_offs_at_once_approve_it_exactly_once(actors):
    needs_real_services(postgres=True)
    factories.publish_documents(actors.legal_officer)
    deployment = factories.to_authorised(
        factories.make_draft(actors.planner), actors.planner, actors.authoriser
    )
    factories.record_approvals(deployment, actors.chair, actors.panel_a, actors.panel_b)
    factories.give_watchlist(deployment)  # sign-off needs an enrolled watchlist

    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def sign_off() -> None:
        # Each thread has its own database connection; the barrier releases them together
        # so both reach SELECT ... FOR UPDATE while the other's transaction is open.
        try:
            barrier.wait(timeout=10)
            ds.deployment_sign_off(
                deployment=Deployment.objects.get(pk=deployment.pk),
                by=actors.chair,
                statement="Approved.",
            )
            outcomes.append("approved")
        except TransitionNotAllowed:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=sign_off) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["approved", "refused"]
    deployment.refresh_from_db()
    assert deployment.state == State.APPROVED
    assert (
        AuditEvent.objects.for_object(deployment).filter(action="deployment.approved").count() == 1
    )
    assert audit_verify_chain().is_intact
