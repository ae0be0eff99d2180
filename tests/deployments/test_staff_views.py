"""The staff pages: who sees what, refusals as 403/404 with a message, and form errors."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from deployments.models import Deployment, State
from tests import factories


def url(name, deployment, *args):
    return reverse(f"staff:{name}", args=[deployment.reference, *args])


def action_url(deployment, action):
    return reverse("staff:deployment_action", args=[deployment.reference, action])


def test_staff_pages_need_a_sign_in(client, draft):
    response = client.get(url("deployment_detail", draft))
    assert response.status_code == 302
    assert reverse("staff:login") in response["Location"]


def test_sign_in_works_with_the_login_page(client, actors):
    response = client.post(
        reverse("staff:login"), {"username": "planner", "password": "pw-for-tests-only"}
    )
    assert response.status_code == 302
    # A password alone leads only to setting up a second factor (tests/accounts/).
    dashboard = client.get(reverse("staff:dashboard"))
    assert dashboard.status_code == 302
    assert dashboard["Location"].startswith(reverse("staff:second_factor_enrol"))


def test_another_planner_cannot_see_a_draft(client, actors, draft):
    client.force_login(actors.other_planner)
    assert client.get(url("deployment_detail", draft)).status_code == 404
    assert client.get(url("deployment_edit", draft)).status_code == 404
    listing = client.get(reverse("staff:deployment_list")).content.decode()
    assert draft.reference not in listing


def test_another_planner_cannot_see_a_submitted_request(client, actors, draft):
    # Need to know (README): another planner is not one of the people who work on it.
    factories.to_submitted(draft, actors.planner)
    client.force_login(actors.other_planner)
    assert client.get(url("deployment_detail", draft)).status_code == 404
    assert client.get(url("deployment_edit", draft)).status_code == 404


def test_another_planner_sees_a_public_deployment_as_the_public_does(client, actors, draft):
    factories.to_approved(draft, actors)
    client.force_login(actors.other_planner)
    page = client.get(url("deployment_detail", draft)).content.decode()
    assert "You see what the public sees" in page
    assert draft.intelligence_case not in page
    response = client.get(url("deployment_edit", draft))
    assert response.status_code == 403
    assert "Only the planner who filed this request can edit it." in response.content.decode()


def test_an_unassigned_panel_member_cannot_see_or_review(client, actors, draft):
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    client.force_login(actors.panel_c)
    assert client.get(url("deployment_detail", draft)).status_code == 404
    response = client.post(
        action_url(draft, "review"), {"review-decision": "approve", "review-reasons": "Fine."}
    )
    assert response.status_code == 404
    assert not draft.reviews.exists()


def test_an_assigned_panel_member_reviews_through_the_page(client, actors, draft):
    factories.to_authorised(draft, actors.planner, actors.authoriser)
    client.force_login(actors.chair)
    client.post(
        action_url(draft, "assign_reviewer"), {"assign_reviewer-reviewer": actors.panel_a.pk}
    )
    client.force_login(actors.panel_a)
    response = client.post(
        action_url(draft, "review"), {"review-decision": "approve", "review-reasons": "Fine."}
    )
    assert response.status_code == 302
    assert draft.reviews.get().reviewer == actors.panel_a


def test_a_refused_action_is_a_403_with_its_reason(client, actors, draft):
    factories.to_submitted(draft, actors.planner)
    client.force_login(actors.chair)
    response = client.post(action_url(draft, "authorise"), {"authorise-statement": "Yes."})
    assert response.status_code == 403
    assert "Only authorising officers can authorise a deployment." in response.content.decode()
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED


def test_an_action_in_the_wrong_state_is_a_409_with_its_reason(client, actors, draft):
    client.force_login(actors.authoriser)
    factories.to_submitted(draft, actors.planner)
    client.post(action_url(draft, "authorise"), {"authorise-statement": "Yes."})
    response = client.post(action_url(draft, "authorise"), {"authorise-statement": "Again."})
    assert response.status_code == 409
    assert "can only be authorised" in response.content.decode()


def test_an_unknown_action_is_a_404(client, actors, draft):
    client.force_login(actors.planner)
    assert client.post(action_url(draft, "explode")).status_code == 404


def test_a_missing_statement_is_a_form_error_naming_the_field(client, actors, draft):
    factories.to_submitted(draft, actors.planner)
    client.force_login(actors.authoriser)
    response = client.post(action_url(draft, "authorise"), {"authorise-statement": ""})
    assert response.status_code == 400
    assert response.context["form"].errors["statement"]
    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED


def form_data(**overrides):
    data = factories.request_data()
    post = {
        **{k: v for k, v in data.items() if k not in {"site", "use_case"}},
        "site": data["site"].pk,
        "use_case": data["use_case"].pk,
        **factories.datetime_boxes("starts_at", data["starts_at"]),
        **factories.datetime_boxes("ends_at", data["ends_at"]),
        "watchlist_categories": data["watchlist_categories"],
    }
    post.pop("starts_at")
    post.pop("ends_at")
    post.update(overrides)
    return post


def test_a_planner_files_and_submits_a_request_through_the_form(client, actors, documents):
    client.force_login(actors.planner)
    response = client.post(reverse("staff:deployment_create"), {**form_data(), "submit": "1"})
    deployment = Deployment.objects.get()
    assert response.status_code == 302
    assert deployment.state == State.SUBMITTED


def test_end_before_start_is_a_form_error_and_nothing_is_saved(client, actors, documents):
    client.force_login(actors.planner)
    start = timezone.localtime() + timedelta(days=1)
    response = client.post(
        reverse("staff:deployment_create"),
        form_data(
            **factories.datetime_boxes("starts_at", start),
            **factories.datetime_boxes("ends_at", start - timedelta(hours=1)),
        ),
    )
    assert response.status_code == 200
    assert "The end must be after the start." in response.context["form"].errors["ends_at"]
    assert not Deployment.objects.exists()


def test_submitting_an_incomplete_request_keeps_the_draft_and_names_the_fields(
    client, actors, documents
):
    client.force_login(actors.planner)
    response = client.post(
        reverse("staff:deployment_create"), {**form_data(purpose="", necessity=""), "submit": "1"}
    )
    deployment = Deployment.objects.get()
    assert deployment.state == State.DRAFT
    response = client.post(
        url("deployment_edit", deployment), {**form_data(purpose=""), "submit": "1"}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "purpose" in errors
    assert "The checklist" not in errors


def test_the_form_shows_what_is_missing(client, actors, documents):
    deployment = factories.make_draft(actors.planner, community_engagement_plan="")
    client.force_login(actors.planner)
    page = client.get(url("deployment_edit", deployment)).content.decode()
    assert "Describe the community engagement plan." in page


@pytest.mark.parametrize(
    "who, heading",
    [
        ("planner", "Your drafts and returned requests"),
        ("authoriser", "To authorise"),
        ("panel_a", "To review"),
        ("chair", "With the panel"),
        ("moderator", "Results reports to publish"),
        ("operator", "Deployments you operate"),
    ],
)
def test_each_role_has_its_dashboard(client, actors, who, heading):
    client.force_login(getattr(actors, who))
    assert heading in client.get(reverse("staff:dashboard")).content.decode()


def test_a_signed_in_person_without_a_role_is_told_so(client, actors):
    client.force_login(actors.stranger)
    assert "You hold no role" in client.get(reverse("staff:dashboard")).content.decode()


def test_the_whole_story_through_the_pages(client, actors, documents, capsys):
    """Draft, submit, authorise, two reviews, sign-off, completion; the chain verifies."""
    client.force_login(actors.planner)
    client.post(reverse("staff:deployment_create"), {**form_data(), "submit": "1"})
    deployment = Deployment.objects.get()

    client.force_login(actors.authoriser)
    client.post(action_url(deployment, "authorise"), {"authorise-statement": "Necessary."})
    client.force_login(actors.chair)
    for member in (actors.panel_a, actors.panel_b):
        client.post(
            action_url(deployment, "assign_reviewer"), {"assign_reviewer-reviewer": member.pk}
        )
    for member in (actors.panel_a, actors.panel_b):
        client.force_login(member)
        client.post(
            action_url(deployment, "review"),
            {"review-decision": "approve", "review-reasons": "Proportionate."},
        )
    client.force_login(actors.chair)
    factories.give_watchlist(deployment)  # sign-off needs an enrolled watchlist
    response = client.post(action_url(deployment, "sign_off"), {"sign_off-statement": "Approved."})
    assert response.status_code == 302
    deployment.refresh_from_db()
    assert deployment.state == State.APPROVED

    factories.backdate(deployment, timedelta(days=3))
    call_command(
        "shell", "-c", "from deployments.tasks import complete_ended_deployments as t; t()"
    )
    deployment.refresh_from_db()
    assert deployment.state == State.COMPLETED

    page = client.get(url("deployment_detail", deployment)).content.decode()
    for action in ("deployment.submitted", "deployment.authorised", "deployment.approved"):
        assert action in page  # the timeline, from the audit trail
    call_command("verify_audit")
    assert "audit chain intact" in capsys.readouterr().out


def test_the_window_is_entered_as_day_month_year_hour_and_minute(client, actors, documents):
    """The GOV.UK date input, not the browser's date-time picker; a wrong date says so."""
    client.force_login(actors.planner)
    page = client.get(reverse("staff:deployment_create")).content.decode()
    assert 'type="datetime-local"' not in page
    for part in ("day", "month", "year", "hour", "minute"):
        assert f'name="starts_at_{part}"' in page and f'name="ends_at_{part}"' in page
    assert '<legend class="fieldset__legend">Starts at' in page
    response = client.post(
        reverse("staff:deployment_create"), form_data(starts_at_day="31", starts_at_month="2")
    )
    html = response.content.decode()
    assert response.status_code == 200 and not Deployment.objects.exists()
    assert (
        '<a href="#id_starts_at_day">Enter a real date and time, for example 27 3 2026, 14 30</a>'
        in html
    )
    assert 'value="31"' in html  # what was typed is kept
    # The window is read in London time.
    client.post(reverse("staff:deployment_create"), form_data())
    made = Deployment.objects.get()
    data = form_data()
    assert timezone.localtime(made.starts_at).hour == int(data["starts_at_hour"])


def test_submit_is_offered_only_when_the_checklist_is_clear(client, actors, documents):
    client.force_login(actors.planner)
    new = client.get(reverse("staff:deployment_create")).content.decode()
    assert 'name="submit"' not in new and "save a draft to see it" in new
    incomplete = factories.make_draft(actors.planner, purpose="")
    page = client.get(
        reverse("staff:deployment_edit", args=[incomplete.reference])
    ).content.decode()
    assert 'name="submit"' not in page
    # Each problem on the list links to its field.
    assert 'href="#field-purpose"' in page
    complete = factories.make_draft(actors.planner)
    page = client.get(reverse("staff:deployment_edit", args=[complete.reference])).content.decode()
    assert 'name="submit"' in page
