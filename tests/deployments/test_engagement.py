"""The engagement record: the planner records meetings with Londoners before the deployment
(date, who, what was raised, what changed); only the deployment's planner, only before the
panel's sign-off. Where the record is published: tests/public/test_engagement_published.py."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from core.errors import NotPermitted, PreconditionsFailed, TransitionNotAllowed
from deployments import services as ds
from deployments.models import Deployment, EngagementMeeting

from .. import factories

pytestmark = pytest.mark.django_db

MEETING = {
    "held_on": date(2026, 3, 27),
    "kind": EngagementMeeting.Kind.WARD_PANEL,
    "group_name": "Brixton Hill ward panel",
    "raised": "Worry that young Black men would be stopped more often.",
    "changed": "The cameras moved away from the youth centre entrance.",
}


def form_data(**extra: str) -> dict[str, str]:
    data = {
        "held_on_day": "27",
        "held_on_month": "3",
        "held_on_year": "2026",
        "kind": "advisory_group",
        "group_name": "Lambeth independent advisory group",
        "raised": "How long alert images are kept.",
        "changed": "The notice now says how long.",
    }
    data.update(extra)
    return data


def add_url(deployment: Deployment) -> str:
    return reverse("staff:engagement_add", args=[deployment.reference])


def remove_url(deployment: Deployment, meeting: EngagementMeeting) -> str:
    return reverse("staff:engagement_remove", args=[deployment.reference, meeting.pk])


def test_the_planner_records_a_meeting_and_it_is_audited(draft: Deployment, actors: Any):
    meeting = ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    assert list(draft.engagement_meetings.all()) == [meeting]
    (event,) = AuditEvent.objects.filter(action="engagement.recorded")
    assert event.details["kind"] == "ward_panel" and event.object_id == str(draft.pk)
    ds.engagement_remove(deployment=draft, meeting_id=meeting.pk, by=actors.planner)
    assert not draft.engagement_meetings.exists()
    assert AuditEvent.objects.filter(action="engagement.removed").count() == 1


def test_a_meeting_in_the_future_is_refused(draft: Deployment, actors: Any):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(PreconditionsFailed) as refused:
        ds.engagement_add(
            deployment=draft, by=actors.planner, data={**MEETING, "held_on": tomorrow}
        )
    assert "held_on" in refused.value.problems
    assert not EngagementMeeting.objects.exists()


def test_a_meeting_after_the_deployment_starts_is_refused(actors: Any, documents: Any):
    trial = factories.make_draft(actors.planner)
    # Moved into the past, as the tests may (the services forbid it).
    trial = factories.backdate(trial, timedelta(days=10))
    assert trial.starts_at is not None
    after = timezone.localdate(trial.starts_at) + timedelta(days=1)
    with pytest.raises(PreconditionsFailed) as refused:
        ds.engagement_add(deployment=trial, by=actors.planner, data={**MEETING, "held_on": after})
    assert "after its start" in refused.value.problems["held_on"][0]
    on_the_day = timezone.localdate(trial.starts_at)
    ds.engagement_add(deployment=trial, by=actors.planner, data={**MEETING, "held_on": on_the_day})


def test_every_part_of_a_meeting_is_needed(draft: Deployment, actors: Any):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        ds.engagement_add(deployment=draft, by=actors.planner, data={**MEETING, "changed": ""})
    assert "changed" in refused.value.message_dict
    assert not EngagementMeeting.objects.exists()


@pytest.mark.parametrize(
    "who", ["other_planner", "authoriser", "chair", "panel_a", "operator", "stranger"]
)
def test_only_the_deployments_planner_may_change_the_record(
    draft: Deployment, actors: Any, who: str
):
    meeting = ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    person = getattr(actors, who)
    with pytest.raises(NotPermitted):
        ds.engagement_add(deployment=draft, by=person, data=MEETING)
    with pytest.raises(NotPermitted):
        ds.engagement_remove(deployment=draft, meeting_id=meeting.pk, by=person)
    assert list(draft.engagement_meetings.all()) == [meeting]


def test_the_record_is_closed_at_the_panels_sign_off(draft: Deployment, actors: Any):
    meeting = ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    # Still open while the panel reviews it.
    second = ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    ds.engagement_remove(deployment=draft, meeting_id=second.pk, by=actors.planner)
    factories.record_approvals(draft, actors.chair, actors.panel_a, actors.panel_b)
    factories.give_watchlist(draft)
    ds.deployment_sign_off(deployment=draft, by=actors.chair, statement="Approved.")
    with pytest.raises(TransitionNotAllowed):
        ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    with pytest.raises(TransitionNotAllowed):
        ds.engagement_remove(deployment=draft, meeting_id=meeting.pk, by=actors.planner)
    assert list(draft.engagement_meetings.all()) == [meeting]


# --- the staff pages --------------------------------------------------------------------------
def test_the_planner_adds_a_meeting_from_the_deployment_page(
    draft: Deployment, actors: Any, client: Any
):
    client.force_login(actors.planner)
    page = client.get(draft.get_absolute_url()).content.decode()
    assert add_url(draft) in page and "No meetings with ward panels" in page
    form = client.get(add_url(draft)).content.decode()
    # The GOV.UK date input: a fieldset with day, month and year boxes.
    assert ">Date of the meeting</legend>" in form
    for part in ("day", "month", "year"):
        assert f'name="held_on_{part}"' in form
    assert "---------" not in form  # the three kinds of group only, as radios
    response = client.post(add_url(draft), form_data())
    assert response.status_code == 302
    meeting = draft.engagement_meetings.get()
    assert meeting.held_on == date(2026, 3, 27) and meeting.recorded_by == actors.planner
    page = client.get(draft.get_absolute_url()).content.decode()
    assert "Lambeth independent advisory group" in page and remove_url(draft, meeting) in page


def test_a_wrong_date_is_shown_in_the_error_summary_and_nothing_is_saved(
    draft: Deployment, actors: Any, client: Any
):
    client.force_login(actors.planner)
    response = client.post(add_url(draft), form_data(held_on_day="31", held_on_month="2"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "error-summary" in html and "Enter a real date" in html
    assert 'href="#id_held_on_day"' in html
    # What was typed is kept.
    assert 'value="31"' in html
    response = client.post(add_url(draft), form_data(held_on_day="", kind=""))
    html = response.content.decode()
    assert "Enter the date, for example 27 3 2026" in html and 'href="#id_kind_0"' in html
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = client.post(
        add_url(draft),
        form_data(
            held_on_day=str(tomorrow.day),
            held_on_month=str(tomorrow.month),
            held_on_year=str(tomorrow.year),
        ),
    )
    assert (
        response.status_code == 400 and "must already have taken place" in response.content.decode()
    )
    assert not EngagementMeeting.objects.exists()


def test_the_planner_removes_a_meeting_after_confirming(
    draft: Deployment, actors: Any, client: Any
):
    meeting = ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    client.force_login(actors.planner)
    confirm = client.get(remove_url(draft, meeting)).content.decode()
    assert "Brixton Hill ward panel" in confirm
    assert EngagementMeeting.objects.filter(pk=meeting.pk).exists()
    assert client.post(remove_url(draft, meeting)).status_code == 302
    assert not EngagementMeeting.objects.filter(pk=meeting.pk).exists()


@pytest.mark.parametrize("who", ["other_planner", "authoriser", "chair"])
def test_others_are_refused_the_engagement_pages(
    draft: Deployment, actors: Any, client: Any, who: str
):
    meeting = ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    factories.to_submitted(draft, actors.planner)
    client.force_login(getattr(actors, who))
    for url in (add_url(draft), remove_url(draft, meeting)):
        assert client.get(url).status_code in (403, 404)
        assert client.post(url, form_data()).status_code in (403, 404)
    assert list(draft.engagement_meetings.all()) == [meeting]


def test_after_sign_off_the_pages_refuse_and_offer_nothing(
    actors: Any, documents: Any, client: Any
):
    trial = factories.make_draft(actors.planner)
    meeting = ds.engagement_add(deployment=trial, by=actors.planner, data=MEETING)
    factories.to_approved(trial, actors)
    client.force_login(actors.planner)
    page = client.get(trial.get_absolute_url()).content.decode()
    assert "Brixton Hill ward panel" in page
    assert add_url(trial) not in page and remove_url(trial, meeting) not in page
    assert client.post(add_url(trial), form_data()).status_code == 409
    assert client.post(remove_url(trial, meeting)).status_code == 409
    assert trial.engagement_meetings.count() == 1


def test_the_panel_sees_the_record_on_the_review_page(draft: Deployment, actors: Any, client: Any):
    ds.engagement_add(deployment=draft, by=actors.planner, data=MEETING)
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    ds.review_assign(deployment=draft, reviewer=actors.panel_a, by=actors.chair)
    client.force_login(actors.panel_a)
    url = reverse("staff:deployment_action", args=[draft.reference, "review"])
    html = client.get(url).content.decode()
    assert "How the force engaged with Londoners" in html
    assert "Brixton Hill ward panel" in html and MEETING["raised"] in html
    assert MEETING["changed"] in html
