"""The exposure arithmetic on plain numbers, with no database."""

from __future__ import annotations

import pytest

from fairness.maths import Group, Population, add, exposure_of, faces_at, flags_for

GROUPS = (Group("a", "Group A", "A"), Group("b", "Group B", "B"))
LONDON = Population(code="L", name="London", counts={"a": 750, "b": 250})


def test_a_ratio_is_the_share_of_faces_over_the_share_of_residents():
    exposure = exposure_of({"a": 500.0, "b": 500.0}, 2, LONDON, GROUPS)
    ratios = {g.group: g.ratio for g in exposure.groups}
    assert ratios["a"] == pytest.approx(0.5 / 0.75)
    assert ratios["b"] == pytest.approx(0.5 / 0.25)
    assert exposure.worst is not None and exposure.worst.group == "b"
    assert [g.group for g in exposure.over_limit(1.25)] == ["b"]


def test_no_faces_means_no_ratio_rather_than_zero():
    exposure = exposure_of({}, 0, LONDON, GROUPS)
    assert [g.ratio for g in exposure.groups] == [None, None]
    assert exposure.worst is None


def test_faces_at_a_site_are_shared_as_its_residents_are():
    area = Population(code="X", name="X", counts={"a": 1, "b": 3})
    assert faces_at(100.0, area, GROUPS) == {"a": 25.0, "b": 75.0}
    assert add({"a": 1.0}, {"a": 2.0, "b": 3.0}) == {"a": 3.0, "b": 3.0}


def test_a_proposal_that_makes_the_worst_ratio_worse_is_flagged_even_under_the_limit():
    before = exposure_of({"a": 700.0, "b": 300.0}, 1, LONDON, GROUPS)
    after = exposure_of({"a": 690.0, "b": 310.0}, 2, LONDON, GROUPS)
    flags, groups = flags_for(before, after, limit=1.5)
    assert groups == ["b"]
    assert "makes the worst disparity worse" in flags[0]


def test_a_proposal_that_leaves_every_ratio_under_the_limit_and_no_worse_is_not_flagged():
    before = exposure_of({"a": 700.0, "b": 300.0}, 1, LONDON, GROUPS)
    after = exposure_of({"a": 740.0, "b": 260.0}, 2, LONDON, GROUPS)
    assert flags_for(before, after, limit=1.5) == ([], [])
