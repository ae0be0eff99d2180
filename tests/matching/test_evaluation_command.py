"""`manage.py evaluate_engine` end to end on the sample photographs, in two groups.

Honest about the data: two real people (Obama in "Sample group A", Biden and a mirrored copy
in "Sample group B"), plus a damaged file, a picture with no face and one with two faces,
which must be listed in the report rather than skipped.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from legal.models import EngineEvaluation
from matching.evaluation_samples import GROUP_A, GROUP_B, write_sample_manifest
from matching.samples import compose_two_faces


@pytest.fixture(scope="module")
def sample_set(tmp_path_factory, sample_faces: Path) -> Path:
    folder = tmp_path_factory.mktemp("evaluation")
    manifest = write_sample_manifest(folder)
    (folder / "two-people.jpg").write_bytes(compose_two_faces(sample_faces))
    with manifest.open("a", newline="", encoding="utf-8") as out:
        csv.writer(out).writerow(["two-people.jpg", "person-5", GROUP_A])
    return manifest


_encoded: dict[Path, tuple] = {}


@pytest.fixture
def evaluated(db, sample_set, monkeypatch):
    """The command run on the set. Encoding (about ten seconds) happens once per session;
    each test still runs the command, the statistics and the storing."""
    from matching.management.commands import evaluate_engine as command

    real = command.encode_manifest

    def encode_once(rows, **options):
        if sample_set not in _encoded:
            _encoded[sample_set] = real(rows, **options)
        kept, encodings, excluded = _encoded[sample_set]
        # The command blanks the encodings once it is done with them, so hand it a copy.
        return kept, encodings.copy(), list(excluded)

    monkeypatch.setattr(command, "encode_manifest", encode_once)
    out = io.StringIO()
    call_command(
        "evaluate_engine",
        str(sample_set),
        thresholds="0.4,0.5,0.6",
        watchlist_size=100,
        stdout=out,
    )
    return EngineEvaluation.objects.get(), out.getvalue()


def test_the_command_stores_rates_per_group_and_threshold_with_intervals(evaluated):
    evaluation, _ = evaluated
    results = evaluation.results

    assert evaluation.thresholds == [0.4, 0.5, 0.6]
    assert results["groups"] == [GROUP_A, GROUP_B]
    assert results["images_encoded"] == 7
    by_group = {g["group"]: g for g in results["by_threshold"][2]["groups"]}
    a, b = by_group[GROUP_A], by_group[GROUP_B]
    # Five photographs of one person: 10 genuine pairs; two of the other: 1.
    assert (a["genuine_pairs"], b["genuine_pairs"]) == (10, 1)
    # Every cross pair involves both groups: 5 x 2 = 10, and no same-group impostors.
    assert (a["impostor_pairs"], b["impostor_pairs"]) == (10, 10)
    # Obama and Biden are about 0.84 apart, far beyond 0.6: no false matches.
    assert a["false_matches"] == b["false_matches"] == 0
    assert a["fmr_low"] == 0.0
    assert a["fmr_high"] == pytest.approx(1.959963984540054**2 / (10 + 1.959963984540054**2))
    for row in results["by_threshold"]:
        for g in row["groups"]:
            assert 0.0 <= g["fnmr_low"] <= (g["fnmr"] or 0.0) <= g["fnmr_high"] <= 1.0
        assert row["fmr_ratio"] == 1.0
    assert results["watchlist_size"] == 100
    assert evaluation.parity_threshold is not None
    assert str(evaluation.parity_threshold) == "0.600"
    assert len(evaluation.manifest_sha256) == 64
    assert "face_recognition" in evaluation.engine_version


def test_unreadable_faceless_and_crowded_images_are_listed_not_skipped(evaluated):
    evaluation, output = evaluated

    excluded = {item["image"]: item for item in evaluation.excluded}
    assert excluded["damaged.jpg"]["reason_code"] == "unreadable"
    assert excluded["no-face.jpg"]["reason_code"] == "no_face"
    assert excluded["two-people.jpg"]["reason_code"] == "several_faces"
    assert excluded["two-people.jpg"]["line"] == 11
    assert "Excluded line 9, damaged.jpg" in output
    assert f"Stored evaluation {evaluation.pk}" in output


def test_the_report_page_shows_the_excluded_images_and_the_rates(client, evaluated, actors):
    evaluation, _ = evaluated
    client.force_login(actors.panel_a)

    page = client.get(reverse("staff:evaluation_detail", args=[evaluation.pk])).content.decode()

    assert "two-people.jpg" in page
    assert "No face was found in the image." in page
    assert GROUP_B in page
    assert "Threshold 0.6" in page


def test_a_malformed_manifest_is_refused_with_its_line_and_nothing_is_stored(db, tmp_path):
    manifest = tmp_path / "m.csv"
    manifest.write_text("image,person,group\na.jpg,p1,A\nb.jpg,p1,B\n", encoding="utf-8")

    with pytest.raises(CommandError, match="Line 3: person p1 is in group B"):
        call_command("evaluate_engine", str(manifest))

    assert not EngineEvaluation.objects.exists()


def test_bad_thresholds_are_refused_before_any_image_is_read(db, tmp_path):
    with pytest.raises(CommandError, match="--thresholds"):
        call_command("evaluate_engine", str(tmp_path / "none.csv"), thresholds="0.4,x")
