"""The tool's records in standard shapes (ATRS tiers 1 and 2; EU AI Act Annex VIII section C):
generated from the register, valid against their schemas in docs/, listed in /open-data/."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from django.urls import reverse

from legal.models import Document
from public.transparency import AI_ACT_SCHEMA, ATRS_SCHEMA

from .conftest import reported

pytestmark = pytest.mark.django_db


def validate(data: Any, schema_path: Any) -> None:
    schema = json.loads(schema_path.read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(data)


def test_the_atrs_record_validates_and_comes_from_the_register(
    client: Any, settings: Any, actors: Any, documents: Any
):
    trial = reported(actors)
    settings.OVERSIGHT_MAX_MATCH_THRESHOLD = 0.55
    settings.OVERSIGHT_PANEL_QUORUM = 3
    settings.OVERSIGHT_FORCE_DPO_EMAIL = "dpo@force.example"
    response = client.get(reverse("public:transparency_json"))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    record = json.loads(response.content)
    validate(record, ATRS_SCHEMA)
    assert record["tier_1"]["contact_email"] == "dpo@force.example"
    assert record["tier_2"]["data"]["limits"]["loosest_match_threshold"] == 0.55
    assert "at least 3 approvals" in record["tier_2"]["owner_and_responsibility"]["responsibility"]
    scale = record["tier_2"]["decision_making_process"]["frequency_and_scale"]
    assert scale == {
        "trials_published": 1,
        "trials_with_results": 1,
        "faces_seen_in_trials_with_results": trial.outcome.faces_seen,
        "alerts_in_trials_with_results": trial.outcome.total_alerts,
    }
    assessed = {a["name"]: a for a in record["tier_2"]["impact_assessments"]}
    dpia = documents[Document.Kind.DPIA]
    assert assessed[dpia.document.title]["sha256"] == dpia.sha256
    assert assessed[dpia.document.title]["url"].endswith(dpia.get_absolute_url())


def test_the_ai_act_registration_validates(client: Any, documents: Any):
    record = json.loads(client.get(reverse("public:ai_act_json")).content)
    validate(record, AI_ACT_SCHEMA)
    eia = documents[Document.Kind.EQUALITY_IMPACT]
    assert record["fundamental_rights_impact_assessment"]["sha256"] == eia.sha256
    assert record["data_protection_impact_assessment"]["version"] == 1


def test_without_published_assessments_the_records_still_validate(client: Any, db: None):
    validate(json.loads(client.get(reverse("public:ai_act_json")).content), AI_ACT_SCHEMA)
    validate(json.loads(client.get(reverse("public:transparency_json")).content), ATRS_SCHEMA)


def test_a_record_that_breaks_the_schema_is_caught(client: Any, documents: Any):
    record = json.loads(client.get(reverse("public:transparency_json")).content)
    del record["tier_2"]["risks"]
    with pytest.raises(jsonschema.ValidationError):
        validate(record, ATRS_SCHEMA)


def test_the_open_data_index_lists_the_exports_and_their_schemas(client: Any, db: None):
    page = client.get(reverse("public:open_data")).content.decode()
    for url in (
        reverse("public:transparency_json"),
        reverse("public:ai_act_json"),
        reverse("public:transparency"),
        reverse("public:transparency_schema", args=["atrs-record"]),
        reverse("public:transparency_schema", args=["ai-act-annex-viii-c"]),
    ):
        assert f'href="{url}"' in page
        assert client.get(url).status_code == 200
    assert client.get("/open-data/schemas/nothing.schema.json").status_code == 404


def test_the_web_page_reads_the_record(client: Any, documents: Any):
    page = client.get(reverse("public:transparency")).content.decode()
    assert "Algorithmic transparency record" in page
    assert "Risks and what is done about them" in page
    dpia = documents[Document.Kind.DPIA]
    assert f"{dpia.document.title}, version 1</a>" in page


def test_the_record_names_dlib_whichever_build_is_installed(monkeypatch: Any, db: None):
    # `make engine-fast` replaces the dlib-bin wheel with dlib itself, built against OpenBLAS.
    from importlib import metadata

    from public import transparency

    def version(package: str) -> str:
        if package == "dlib-bin":
            raise metadata.PackageNotFoundError(package)
        return {"dlib": "20.0.1", "face_recognition": "1.3.0"}[package]

    monkeypatch.setattr(transparency.metadata, "version", version)
    software = transparency.atrs_record()["tier_2"]["owner_and_responsibility"]["software"]
    assert {"name": "dlib", "version": "20.0.1"} in software
