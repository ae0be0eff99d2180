"""Watchlist entries and their enrolment: what is accepted, what is refused and why, the cap,
the categories, who may change a watchlist and when, and the fingerprint pinned at sign-off."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.core.files.base import ContentFile
from django.db import transaction

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from deployments import services as ds
from deployments.models import Deployment
from matching import services
from matching.models import Watchlist, WatchlistEntry
from matching.samples import compose_two_faces, no_face_image
from matching.selectors import watchlist_fingerprint
from tests import factories

from ..conftest import wait_for

pytestmark = pytest.mark.django_db


def add(
    deployment: Deployment,
    by: Any,
    image: bytes,
    *,
    reference: str = "W-2026-001",
    category: str = "wanted_by_court",
) -> WatchlistEntry:
    return services.watchlist_entry_add(
        deployment=deployment,
        by=by,
        subject_reference=reference,
        category=category,
        image_provenance="Custody image system, record 01/2345/25, taken 2 January 2025.",
        legal_basis="Custody image taken under PACE s.64A.",
        image=ContentFile(image, name="upload.jpg"),
    )


def private_files(settings: Any) -> list[Path]:
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


@pytest.fixture
def obama(sample_faces: Path) -> bytes:
    return (sample_faces / "obama.jpg").read_bytes()


def test_adding_an_entry_queues_its_enrolment_for_when_the_transaction_commits(
    actors, draft, obama, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as queued:
        entry = add(draft, actors.planner, obama)
    # Nothing ran inside the transaction: a worker would not have found the row.
    assert len(queued) == 1
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.ENROLLING and entry.encoding is None
    queued[0]()
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.ENROLLED


def test_obama_jpg_enrols_with_its_encoding(
    actors, draft, obama, enrolled_faces, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = add(draft, actors.planner, obama)
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.ENROLLED
    assert entry.refusal_reason == ""
    assert len(bytes(entry.encoding)) == 128 * 8
    box, encoding = enrolled_faces["obama.jpg"]
    np.testing.assert_allclose(entry.encoding_array(), encoding, atol=1e-9)
    assert entry.face_box == list(box)
    # The image is kept, privately, for the operators to compare alerts with.
    assert entry.image and private_files(settings) == [Path(entry.image.path)]
    assert "upload" not in entry.image.name and "obama" not in entry.image.name
    assert AuditEvent.objects.filter(action="watchlist.entry_enrolled").count() == 1


@pytest.mark.parametrize(
    ("image", "code", "words"),
    [
        (compose_two_faces, "several_faces", "2 faces were found"),
        (no_face_image, "no_face", "No face was found"),
        (lambda: b"this is not an image at all", "unreadable", "not an image that can be read"),
    ],
    ids=["two faces", "no face", "not an image"],
)
def test_an_image_the_engine_cannot_use_is_refused_with_the_reason_and_deleted(
    actors, draft, image, code, words, django_capture_on_commit_callbacks, settings
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = add(draft, actors.planner, image())
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.REFUSED
    assert entry.refusal_code == code
    assert words in entry.refusal_reason
    assert entry.encoding is None
    # It may show someone else: only the reason is kept.
    assert not entry.image and private_files(settings) == []
    event = AuditEvent.objects.get(action="watchlist.entry_refused")
    assert event.details["reason_code"] == code


def test_a_file_over_the_byte_limit_is_refused_at_once_and_never_stored(
    actors, draft, obama, settings, django_capture_on_commit_callbacks
):
    settings.OVERSIGHT_MAX_IMAGE_BYTES = 50_000
    with django_capture_on_commit_callbacks(execute=True) as queued:
        entry = add(draft, actors.planner, obama)
    assert queued == []
    assert entry.status == WatchlistEntry.Status.REFUSED
    assert entry.refusal_code == "too_large"
    assert "the limit is 48.8" in entry.refusal_reason
    assert private_files(settings) == []


def test_an_image_over_the_pixel_limit_is_refused(
    actors, draft, obama, settings, django_capture_on_commit_callbacks
):
    settings.OVERSIGHT_MAX_WATCHLIST_IMAGE_PIXELS = 500_000
    with django_capture_on_commit_callbacks(execute=True):
        entry = add(draft, actors.planner, obama)
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.REFUSED
    assert entry.refusal_code == "too_many_pixels"
    assert "megapixels" in entry.refusal_reason


def test_a_category_the_use_case_does_not_allow_is_refused(actors, draft, obama):
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, actors.planner, obama, category="missing_person")
    assert "does not allow" in refused.value.problems["category"][0]
    assert not WatchlistEntry.objects.exists()


def test_a_category_the_request_does_not_name_is_refused(actors, draft, obama):
    # The use case allows it, but the planner asked the panel for warrants only.
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, actors.planner, obama, category="wanted_suspect")
    assert "choose one of those" in refused.value.problems["category"][0]


def test_the_size_cap_is_enforced(actors, documents, obama):
    deployment = factories.make_draft(actors.planner, watchlist_size_cap=1)
    add(deployment, actors.planner, obama, reference="W-1")
    with pytest.raises(PreconditionsFailed) as refused:
        add(deployment, actors.planner, obama, reference="W-2")
    assert "size cap is 1" in refused.value.problems[""][0]
    assert WatchlistEntry.objects.count() == 1


def test_the_policy_maximum_caps_a_larger_size_cap(actors, documents, obama, settings):
    deployment = factories.make_draft(actors.planner, watchlist_size_cap=100)
    settings.OVERSIGHT_MAX_WATCHLIST_SIZE = 1
    add(deployment, actors.planner, obama, reference="W-1")
    with pytest.raises(PreconditionsFailed):
        add(deployment, actors.planner, obama, reference="W-2")


def test_refused_and_removed_entries_do_not_count_against_the_cap(
    actors, documents, obama, django_capture_on_commit_callbacks
):
    deployment = factories.make_draft(actors.planner, watchlist_size_cap=1)
    with django_capture_on_commit_callbacks(execute=True):
        add(deployment, actors.planner, no_face_image(), reference="W-1")
    entry = add(deployment, actors.planner, obama, reference="W-2")
    services.watchlist_entry_remove(entry=entry, by=actors.planner, reason="Wrong person.")
    add(deployment, actors.planner, obama, reference="W-3")


def test_the_same_reference_cannot_be_on_the_watchlist_twice(actors, draft, obama):
    add(draft, actors.planner, obama, reference="W-1")
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, actors.planner, obama, reference="W-1")
    assert "already on this watchlist" in refused.value.problems["subject_reference"][0]


def test_a_name_is_not_accepted_as_a_subject_reference(actors, draft, obama):
    with pytest.raises(PreconditionsFailed) as refused:
        add(draft, actors.planner, obama, reference="John Smith")
    assert "never a name" in refused.value.problems["subject_reference"][0]


@pytest.mark.parametrize("who", ["other_planner", "operator", "chair", "stranger"])
def test_only_the_planner_who_filed_it_can_add_to_a_watchlist(actors, draft, obama, who):
    with pytest.raises(NotPermitted):
        add(draft, getattr(actors, who), obama)


@pytest.mark.parametrize("who", ["other_planner", "operator", "stranger"])
def test_only_the_planner_who_filed_it_can_remove_from_a_watchlist(actors, draft, obama, who):
    entry = add(draft, actors.planner, obama)
    with pytest.raises(NotPermitted):
        services.watchlist_entry_remove(entry=entry, by=getattr(actors, who), reason="No.")


def test_people_can_be_added_while_the_request_is_with_the_authoriser_and_the_panel(
    actors, draft, obama
):
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    add(draft, actors.planner, obama)


def test_nobody_can_be_added_after_sign_off(live, actors, obama):
    with pytest.raises(TransitionNotAllowed, match="fixed when the panel chair signed it off"):
        add(live, actors.planner, obama, reference="W-LATE")


def test_removing_an_entry_deletes_its_image_and_encoding_at_once(
    actors, draft, obama, settings, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = add(draft, actors.planner, obama)
    services.watchlist_entry_remove(entry=entry, by=actors.planner, reason="Arrested.")
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.REMOVED
    assert entry.encoding is None and not entry.image
    assert private_files(settings) == []
    assert AuditEvent.objects.get(action="watchlist.entry_removed").details["reason"] == "Arrested."


# --- sign-off ------------------------------------------------------------------------------------
def approvals(deployment: Deployment, actors: Any) -> Deployment:
    factories.to_authorised(deployment, actors.planner, actors.authoriser)
    factories.record_approvals(deployment, actors.chair, actors.panel_a, actors.panel_b)
    return deployment


def test_sign_off_pins_the_watchlist_fingerprint(actors, draft):
    entries = factories.give_watchlist(draft, entries=3)
    approvals(draft, actors)
    ds.deployment_sign_off(deployment=draft, by=actors.chair, statement="Approved.")
    draft.refresh_from_db()
    assert len(draft.watchlist_fingerprint) == 64
    assert draft.watchlist_fingerprint == watchlist_fingerprint(deployment=draft)
    event = AuditEvent.objects.get(action="deployment.approved")
    assert event.details["watchlist_fingerprint"] == draft.watchlist_fingerprint
    # Every entry is in it: removing any one changes it.
    services.watchlist_entry_remove(entry=entries[1], by=actors.planner, reason="Found.")
    assert watchlist_fingerprint(deployment=draft) != draft.watchlist_fingerprint


def test_sign_off_is_refused_while_the_watchlist_is_empty(actors, draft):
    approvals(draft, actors)
    with pytest.raises(TransitionNotAllowed, match=r"watchlist of .* is empty"):
        ds.deployment_sign_off(deployment=draft, by=actors.chair, statement="Approved.")
    draft.refresh_from_db()
    assert draft.state == "authorised" and draft.watchlist_fingerprint == ""


def test_sign_off_is_refused_when_every_entry_was_refused(
    actors, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        add(draft, actors.planner, no_face_image())
    approvals(draft, actors)
    with pytest.raises(TransitionNotAllowed, match="is empty"):
        ds.deployment_sign_off(deployment=draft, by=actors.chair, statement="Approved.")


def test_sign_off_is_refused_while_an_entry_is_still_enrolling(actors, draft, obama):
    factories.give_watchlist(draft)
    add(draft, actors.planner, obama)  # its task never ran: the test's transaction is open
    approvals(draft, actors)
    with pytest.raises(TransitionNotAllowed, match="1 watchlist entry is still being enrolled"):
        ds.deployment_sign_off(deployment=draft, by=actors.chair, statement="Approved.")


def test_sign_off_is_refused_when_the_cap_was_lowered_below_the_watchlist(actors, draft):
    factories.give_watchlist(draft, entries=3)
    Deployment.objects.filter(pk=draft.pk).update(watchlist_size_cap=2)
    draft.refresh_from_db()
    approvals(draft, actors)
    with pytest.raises(TransitionNotAllowed, match="more than its size cap of 2"):
        ds.deployment_sign_off(deployment=draft, by=actors.chair, statement="Approved.")


def test_the_fingerprint_changes_with_any_entry_and_not_otherwise(actors, draft):
    empty = watchlist_fingerprint(deployment=draft)
    (entry,) = factories.give_watchlist(draft)
    one = watchlist_fingerprint(deployment=draft)
    assert one != empty
    assert watchlist_fingerprint(deployment=draft) == one
    WatchlistEntry.objects.filter(pk=entry.pk).update(category="wanted_suspect")
    assert watchlist_fingerprint(deployment=draft) != one


# --- a real worker -------------------------------------------------------------------------------
@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_enrolment_runs_on_a_real_celery_worker_after_commit(
    celery_worker_process, actors, sample_faces, face_encodings
):
    factories.publish_documents(actors.legal_officer)
    deployment = factories.make_draft(actors.planner)
    with transaction.atomic():
        good = add(deployment, actors.planner, (sample_faces / "obama.jpg").read_bytes())
        two = add(deployment, actors.planner, compose_two_faces(), reference="W-2026-002")
    wait_for(
        lambda: not WatchlistEntry.objects.filter(status=WatchlistEntry.Status.ENROLLING).exists(),
        timeout=120,
        what="the worker to enrol both entries",
    )
    good.refresh_from_db()
    two.refresh_from_db()
    assert good.status == WatchlistEntry.Status.ENROLLED
    np.testing.assert_allclose(good.encoding_array(), face_encodings["obama.jpg"], atol=1e-9)
    assert two.status == WatchlistEntry.Status.REFUSED and two.refusal_code == "several_faces"
    assert Watchlist.objects.get(deployment=deployment).entries.count() == 2
