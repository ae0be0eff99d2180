"""The public fairness page: no sign-in, the ONS attribution, no restricted field."""

from __future__ import annotations

import re

from django.urls import reverse

from tests import factories

from .conftest import approved_at, expected_ratios

ATTRIBUTION = (
    "Source: Office for National Statistics licensed under the Open Government Licence v.3.0"
)


def test_the_fairness_page_needs_no_sign_in_and_carries_the_ons_attribution(client, census):
    response = client.get(reverse("public:fairness"))

    page = response.content.decode()
    assert response.status_code == 200
    assert ATTRIBUTION in page
    assert "Census 2021 table TS021" in page


def test_the_page_shows_the_portfolio_against_londons_population_as_svg_and_a_table(
    client, census, census_rows, actors, documents
):
    trial = approved_at(
        actors, factories.make_site("Oxford Circus", area_code="E09000033"), faces=6000
    )

    page = client.get(reverse("public:fairness")).content.decode()

    assert "<svg" in page and 'role="img"' in page
    assert "<title" in page  # the chart is named for screen readers
    ratios = expected_ratios(census_rows, [("E09000033", 6000)])
    assert f"{ratios['other']:.2f}" in page
    assert "Other ethnic group" in page
    assert "556,772" in page  # London's "Other" residents, from the census row
    assert trial.reference in page
    assert trial.get_public_url() in page


def test_the_page_shows_no_restricted_field(client, census, actors, documents):
    approved_at(
        actors,
        factories.make_site(area_code="E09000033"),
        faces=6000,
        intelligence_case="SECRET-INTELLIGENCE-MARKER",
        watchlist_criteria="WATCHLIST-CRITERIA-MARKER",
    )

    page = client.get(reverse("public:fairness")).content.decode()

    assert "SECRET-INTELLIGENCE-MARKER" not in page
    assert "WATCHLIST-CRITERIA-MARKER" not in page


def test_without_census_figures_the_page_says_how_to_load_them(client, db):
    page = client.get(reverse("public:fairness")).content.decode()

    assert "The census figures are not loaded" in page
    assert "import_area_demographics" in page


def test_the_public_navigation_links_to_the_fairness_page(client, db):
    page = client.get(reverse("public:home")).content.decode()

    assert f'href="{reverse("public:fairness")}"' in page


def test_an_evaluation_attached_to_the_published_assessment_shows_without_file_names(
    client, census, actors, documents
):
    from legal.evaluations import evaluation_attach, evaluation_record
    from legal.models import Document

    from .test_threshold_guard import make_evaluation

    source = make_evaluation("0.500")
    evaluation = evaluation_record(
        manifest_name="custody-set.csv",
        manifest_sha256="0" * 64,
        engine_version="test",
        results=source.results,
        excluded=[
            {
                "line": 3,
                "image": "PRIVATE-FILE-NAME.jpg",
                "person": "PRIVATE-PERSON-ID",
                "group": "A",
                "reason_code": "no_face",
                "reason": "No face was found in the image.",
            }
        ],
    )
    evaluation_attach(
        evaluation=evaluation,
        version=documents[Document.Kind.EQUALITY_IMPACT],
        by=actors.legal_officer,
    )

    page = client.get(reverse("public:fairness")).content.decode()

    assert "Does the software make more mistakes for some groups?" in page
    # Six photographs: the point estimates look even, but the intervals cannot tell.
    assert "Up to a threshold of" not in page
    assert "there were too few photographs to tell</strong>" in page
    assert re.search(r"could be anywhere from [\d.]+% to [\d.]+% \(95% intervals\)", page)
    assert "PRIVATE-FILE-NAME" not in page
    assert "PRIVATE-PERSON-ID" not in page
    assert "custody-set.csv" not in page
