"""The exposure analysis against hand-computed figures on the shipped census data."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from deployments.models import Deployment, State
from fairness import exposure as fairness
from tests import factories

from .conftest import GROUP_COLUMNS, JUSTIFICATION, approved_at, expected_ratios

WESTMINSTER, CROYDON, LAMBETH, BROMLEY, NEWHAM = (
    "E09000033",
    "E09000008",
    "E09000022",
    "E09000006",
    "E09000025",
)


def test_a_deployments_faces_are_shared_in_its_boroughs_census_proportions(
    census, census_rows, actors, documents
):
    site = factories.make_site("Oxford Circus", area_code=WESTMINSTER)
    draft = factories.make_draft(actors.planner, site=site, expected_faces=6000)

    analysis = fairness.exposure_analysis(draft)

    row = census_rows[WESTMINSTER]
    assert analysis.proposal is not None
    for g in GROUP_COLUMNS:
        expected = 6000 * int(row[g]) / int(row["population"])
        assert analysis.proposal.faces_by_group[g] == pytest.approx(expected)
    # Westminster's "Other" share (13.45%) over London's (6.33%).
    assert analysis.after is not None
    other = next(g for g in analysis.after.groups if g.group == "other")
    assert other.ratio == pytest.approx(
        expected_ratios(census_rows, [(WESTMINSTER, 6000)])["other"]
    )
    assert other.ratio == pytest.approx(2.126, abs=0.001)


def test_the_portfolio_ratio_is_each_groups_share_of_faces_over_its_share_of_london(
    census, census_rows, actors, documents
):
    approved_at(actors, factories.make_site("A", area_code=WESTMINSTER), faces=6000)
    approved_at(actors, factories.make_site("B", area_code=CROYDON), faces=4000)
    proposal = factories.make_draft(
        actors.planner, site=factories.make_site("C", area_code=LAMBETH), expected_faces=3000
    )

    analysis = fairness.exposure_analysis(proposal)

    before = expected_ratios(census_rows, [(WESTMINSTER, 6000), (CROYDON, 4000)])
    after = expected_ratios(census_rows, [(WESTMINSTER, 6000), (CROYDON, 4000), (LAMBETH, 3000)])
    assert analysis.before is not None and analysis.after is not None
    assert analysis.before.deployments == 2
    assert analysis.after.deployments == 3
    assert analysis.after.total_faces == pytest.approx(13000)
    for group in analysis.before.groups:
        assert group.ratio == pytest.approx(before[group.group])
    for group in analysis.after.groups:
        assert group.ratio == pytest.approx(after[group.group])
    assert analysis.after.worst_ratio == pytest.approx(max(after.values()))


def test_the_portfolio_counts_approved_and_completed_deployments_of_the_last_12_months(
    census, actors, documents
):
    site = factories.make_site("A", area_code=WESTMINSTER)
    counted = approved_at(actors, site, faces=1000, days_ago=30)
    completed = approved_at(actors, site, faces=1000, days_ago=60)
    Deployment.objects.filter(pk=completed.pk).update(state=State.COMPLETED)
    approved_at(actors, site, faces=1000, days_ago=400)  # too old
    factories.make_draft(actors.planner, site=site, fairness_justification=JUSTIFICATION)
    rejected = factories.make_draft(actors.planner, site=site)
    Deployment.objects.filter(pk=rejected.pk).update(state=State.REJECTED)

    found = fairness.portfolio_deployments(at=timezone.now())

    assert {d.pk for d in found} == {counted.pk, completed.pk}


def test_a_proposal_taking_a_group_over_the_limit_is_flagged(census, actors, documents):
    draft = factories.make_draft(
        actors.planner, site=factories.make_site(area_code=WESTMINSTER), expected_faces=6000
    )

    analysis = fairness.exposure_analysis(draft)

    assert analysis.is_flagged
    assert analysis.flagged_groups == ["other"]
    assert "Other ethnic group residents would be scanned at 2.13 times" in analysis.flags[0]


def test_a_proposal_that_makes_the_worst_ratio_worse_is_flagged_under_the_limit(
    census, actors, documents, settings
):
    settings.OVERSIGHT_DISPARITY_LIMIT = 5.0
    # Waltham Forest is close to London's mix (worst ratio 1.12); Westminster is not.
    approved_at(actors, factories.make_site("A", area_code="E09000031"), faces=5000)
    worse = factories.make_draft(
        actors.planner, site=factories.make_site("B", area_code=WESTMINSTER), expected_faces=5000
    )

    analysis = fairness.exposure_analysis(worse)

    assert analysis.after is not None and analysis.before is not None
    assert analysis.after.over_limit(5.0) == []
    assert analysis.after.worst_ratio > analysis.before.worst_ratio
    assert analysis.is_flagged
    assert "makes the worst disparity worse" in analysis.flags[0]


def test_a_proposal_that_lowers_the_worst_ratio_within_the_limit_is_not_flagged(
    census, actors, documents, settings
):
    settings.OVERSIGHT_DISPARITY_LIMIT = 5.0
    approved_at(actors, factories.make_site("A", area_code=WESTMINSTER), faces=5000)
    better = factories.make_draft(
        actors.planner, site=factories.make_site("B", area_code=BROMLEY), expected_faces=5000
    )

    analysis = fairness.exposure_analysis(better)

    assert analysis.after.worst_ratio < analysis.before.worst_ratio
    assert not analysis.is_flagged


def test_fairer_sites_suit_the_use_case_and_are_ranked_by_how_much_they_lower_the_worst_ratio(
    census, census_rows, actors, documents
):
    proposal_site = factories.make_site("Proposed", area_code=WESTMINSTER)
    croydon = factories.make_site("Croydon site", area_code=CROYDON)
    bromley = factories.make_site("Bromley site", area_code=BROMLEY)
    other_use = factories.make_site("Events only", area_code=BROMLEY)
    other_use.use_cases.set([factories.make_use_case("2.7(b)")])
    draft = factories.make_draft(actors.planner, site=proposal_site, expected_faces=4000)

    analysis = fairness.exposure_analysis(draft)

    names = [b.site.name for b in analysis.better_sites]
    assert "Events only" not in names
    assert "Proposed" not in names
    expected = {
        site.name: max(expected_ratios(census_rows, [(code, 4000)]).values())
        for site, code in ((croydon, CROYDON), (bromley, BROMLEY))
    }
    assert names == sorted(expected, key=expected.get)
    for better in analysis.better_sites:
        assert better.worst_ratio == pytest.approx(expected[better.site.name])
        assert better.reduction == pytest.approx(
            analysis.after.worst_ratio - expected[better.site.name]
        )


def test_without_census_figures_the_analysis_says_how_to_load_them(actors, documents):
    draft = factories.make_draft(actors.planner)

    analysis = fairness.exposure_analysis(draft)

    assert not analysis.is_flagged
    assert not analysis.is_blocking
    assert "import_area_demographics" in analysis.unavailable


def test_expected_faces_fall_back_to_footfall_times_hours(census, actors, documents):
    site = factories.make_site(area_code=WESTMINSTER, footfall_per_hour=1500)
    draft = factories.make_draft(actors.planner, site=site, expected_faces=None, hours=4)

    assert fairness.expected_faces(draft) == (6000, True)


def test_portfolio_exposure_for_a_year_is_plain_data_for_the_annual_report(
    census, census_rows, actors, documents
):
    this_year = timezone.localdate().year
    deployment = approved_at(actors, factories.make_site(area_code=CROYDON), faces=2000, days_ago=0)
    last_year = approved_at(actors, factories.make_site("Old", area_code=NEWHAM), faces=2000)
    Deployment.objects.filter(pk=last_year.pk).update(
        approved_at=deployment.approved_at.replace(year=this_year - 1)
    )

    figures = fairness.portfolio_exposure(year=this_year)

    expected = expected_ratios(census_rows, [(CROYDON, 2000)])
    assert figures["available"] is True
    assert figures["deployments"] == 1
    assert figures["total_faces"] == 2000
    assert {g["group"]: g["ratio"] for g in figures["groups"]} == pytest.approx(expected)
    assert figures["rows"][0]["label"] == "Asian, Asian British or Asian Welsh"
    assert "1 trial approved in" in figures["summary"]


def test_the_portfolio_window_is_a_setting(census, actors, documents, settings):
    site = factories.make_site(area_code=WESTMINSTER)
    recent = approved_at(actors, site, faces=1000, days_ago=20)
    approved_at(actors, site, faces=1000, days_ago=40)
    settings.OVERSIGHT_EXPOSURE_WINDOW_DAYS = 30

    found = fairness.portfolio_deployments(at=timezone.now() + timedelta(seconds=1))

    assert [d.pk for d in found] == [recent.pk]
