"""The exposure flag at submission, and where the planner sees it before submitting."""

from __future__ import annotations

import pytest
from django.urls import reverse

from core.errors import PreconditionsFailed
from deployments import services as ds
from deployments.models import Area, State
from tests import factories

from .conftest import approved_at

WESTMINSTER = "E09000033"


def flagged_draft(actors, **extra):
    """A Westminster request: "Other" residents at 2.13 times their share, over 1.25."""
    site = factories.make_site("Oxford Circus", area_code=WESTMINSTER)
    return factories.make_draft(actors.planner, site=site, expected_faces=6000, **extra)


def test_a_flagged_request_cannot_be_submitted_without_a_justification(census, actors, documents):
    draft = flagged_draft(actors, fairness_justification="")

    with pytest.raises(PreconditionsFailed) as refused:
        ds.deployment_submit(deployment=draft, by=actors.planner)

    messages = refused.value.problems["fairness_justification"]
    assert "The exposure analysis flags this site" in messages[0]
    assert "Other ethnic group residents would be scanned at 2.13 times" in messages[0]
    draft.refresh_from_db()
    assert draft.state == State.DRAFT


def test_a_justification_must_name_the_groups_the_flag_is_about(census, actors, documents):
    draft = flagged_draft(actors, fairness_justification="We thought about it carefully.")

    with pytest.raises(PreconditionsFailed) as refused:
        ds.deployment_submit(deployment=draft, by=actors.planner)

    assert (
        "say what it means for Other ethnic group residents"
        in (refused.value.problems["fairness_justification"][0])
    )


def test_a_flagged_request_with_a_justification_that_addresses_the_flag_is_submitted(
    census, actors, documents
):
    draft = flagged_draft(
        actors,
        fairness_justification="Other ethnic group residents are over-represented around "
        "Oxford Circus; "
        "the deployment is four hours and the engagement plan reaches those communities.",
    )

    ds.deployment_submit(deployment=draft, by=actors.planner)

    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED


def test_a_request_that_is_not_flagged_needs_no_justification(census, actors, documents, settings):
    settings.OVERSIGHT_DISPARITY_LIMIT = 5.0
    draft = flagged_draft(actors, fairness_justification="")

    ds.deployment_submit(deployment=draft, by=actors.planner)

    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED


def test_a_site_whose_area_has_no_census_figures_cannot_be_submitted(census, actors, documents):
    Area.objects.create(code="E01999999", name="Unmapped estate", population=100)
    site = factories.make_site("Unmapped", area_code="E01999999")
    draft = factories.make_draft(actors.planner, site=site)

    with pytest.raises(PreconditionsFailed) as refused:
        ds.deployment_submit(deployment=draft, by=actors.planner)

    assert "no census figures for Unmapped estate" in refused.value.problems["site"][0]


def test_without_any_census_figures_the_flag_does_not_block_submission(actors, documents):
    draft = factories.make_draft(actors.planner, fairness_justification="")

    ds.deployment_submit(deployment=draft, by=actors.planner)

    draft.refresh_from_db()
    assert draft.state == State.SUBMITTED


def test_the_request_form_shows_exposure_before_and_after_the_flag_and_fairer_sites(
    client, census, actors, documents
):
    approved_at(actors, factories.make_site("Croydon site", area_code="E09000008"), faces=4000)
    factories.make_site("Bromley site", area_code="E09000006")
    draft = flagged_draft(actors, fairness_justification="")
    client.force_login(actors.planner)

    page = client.get(reverse("staff:deployment_edit", args=[draft.reference])).content.decode()

    assert "Who this site scans" in page
    assert "Before" in page and "With this" in page
    assert "Flagged." in page
    assert "Fairer sites for this use case" in page
    assert "Bromley site" in page
    # The checklist names the flag too, linking to the justification field.
    assert 'href="#field-fairness_justification"' in page
    assert 'id="field-fairness_justification"' in page


def test_submitting_from_the_form_without_a_justification_shows_the_flag_on_the_field(
    client, census, actors, documents
):
    draft = flagged_draft(actors, fairness_justification="")
    client.force_login(actors.planner)
    form = client.get(reverse("staff:deployment_edit", args=[draft.reference])).context["form"]
    data = {
        name: value
        for name, value in form.initial.items()
        if value is not None and name in form.fields
    }
    data["site"] = draft.site_id
    data["use_case"] = draft.use_case_id
    data.pop("starts_at", None)
    data.pop("ends_at", None)
    data.update(factories.datetime_boxes("starts_at", draft.starts_at))
    data.update(factories.datetime_boxes("ends_at", draft.ends_at))
    data["submit"] = "1"

    response = client.post(reverse("staff:deployment_edit", args=[draft.reference]), data)

    page = response.content.decode()
    assert response.status_code == 200
    assert "cannot be submitted yet" in page
    # In the error summary, against the field (not only in the sidebar's checklist).
    assert 'href="#id_fairness_justification">The exposure analysis flags this site' in page
    draft.refresh_from_db()
    assert draft.state == State.DRAFT
