"""The exposure arithmetic, free of Django: faces scanned by group against a population.

Pure functions over plain data, so that the figures the public and the panel read can be
checked by hand and tested without a database. `fairness.exposure` feeds them the register's
deployments and the census figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# Ratios are compared with this slack so that rounding never raises a flag on its own.
EPSILON = 1e-9


@dataclass(frozen=True)
class Group:
    """A census group: its code, the census's name for it, and the short word for it."""

    value: str
    label: str
    short_label: str


@dataclass(frozen=True)
class Population:
    """Residents by group of one area (or the reference population)."""

    code: str
    name: str
    counts: dict[str, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def share(self, group: str) -> float:
        return self.counts.get(group, 0) / self.total if self.total else 0.0


@dataclass(frozen=True)
class GroupExposure:
    group: str
    label: str
    short_label: str
    faces: float
    share: float | None
    population: int
    population_share: float
    ratio: float | None

    def is_over(self, limit: float) -> bool:
        return self.ratio is not None and self.ratio > limit + EPSILON


@dataclass(frozen=True)
class Exposure:
    """Faces scanned by group across some deployments, against the reference population."""

    groups: list[GroupExposure]
    total_faces: float
    deployments: int
    reference_name: str

    @property
    def worst(self) -> GroupExposure | None:
        rated = [g for g in self.groups if g.ratio is not None]
        return max(rated, key=lambda g: g.ratio or 0.0) if rated else None

    @property
    def worst_ratio(self) -> float | None:
        worst = self.worst
        return worst.ratio if worst else None

    def over_limit(self, limit: float) -> list[GroupExposure]:
        return [g for g in self.groups if g.is_over(limit)]

    def as_data(self) -> dict[str, Any]:
        """Plain data for other pages (the annual report) and JSON."""
        worst = self.worst
        return {
            "reference": self.reference_name,
            "deployments": self.deployments,
            "total_faces": round(self.total_faces),
            "worst_group": worst.group if worst else None,
            "worst_ratio": worst.ratio if worst else None,
            "groups": [
                {
                    "group": g.group,
                    "label": g.label,
                    "faces": round(g.faces),
                    "share_of_faces": g.share,
                    "population": g.population,
                    "share_of_population": g.population_share,
                    "ratio": g.ratio,
                }
                for g in self.groups
            ],
        }


def exposure_of(
    faces_by_group: dict[str, float],
    deployments: int,
    reference: Population,
    groups: Sequence[Group],
) -> Exposure:
    """Each group's share of the faces scanned over its share of the reference population."""
    total = sum(faces_by_group.values())
    rows = []
    for group in groups:
        faces = faces_by_group.get(group.value, 0.0)
        share = faces / total if total > 0 else None
        population_share = reference.share(group.value)
        ratio = share / population_share if share is not None and population_share > 0 else None
        rows.append(
            GroupExposure(
                group=group.value,
                label=group.label,
                short_label=group.short_label,
                faces=faces,
                share=share,
                population=reference.counts.get(group.value, 0),
                population_share=population_share,
                ratio=ratio,
            )
        )
    return Exposure(
        groups=rows, total_faces=total, deployments=deployments, reference_name=reference.name
    )


def faces_at(faces: float, population: Population, groups: Sequence[Group]) -> dict[str, float]:
    """Faces shared between the groups in the proportions of the area's residents."""
    return {group.value: faces * population.share(group.value) for group in groups}


def add(a: dict[str, float], b: dict[str, float]) -> dict[str, float]:
    """Faces by group, summed."""
    return {key: a.get(key, 0.0) + b.get(key, 0.0) for key in set(a) | set(b)}


def ratio_text(ratio: float | None) -> str:
    """A ratio as the pages print it."""
    return "not measurable" if ratio is None else f"{ratio:.2f}"


def flags_for(before: Exposure, after: Exposure, limit: float) -> tuple[list[str], list[str]]:
    """Why a proposal is flagged, in words, and the groups each flag is about.

    Flagged when a group's ratio after it exceeds the limit, or when it makes the worst ratio
    worse than it was without it.
    """
    flags, groups = [], []
    for g in after.over_limit(limit):
        now = next(b for b in before.groups if b.group == g.group)
        flags.append(
            f"{g.short_label} residents would be scanned at {ratio_text(g.ratio)} times their "
            f"share of {after.reference_name}'s population ({ratio_text(now.ratio)} without this "
            f"request); the limit is {limit:.2f}."
        )
        groups.append(g.group)
    worst_before, worst_after = before.worst, after.worst
    if (
        worst_before is not None
        and worst_after is not None
        and worst_before.ratio is not None
        and worst_after.ratio is not None
        and worst_after.ratio > worst_before.ratio + EPSILON
    ):
        flags.append(
            f"The proposal makes the worst disparity worse: from {ratio_text(worst_before.ratio)} "
            f"({worst_before.short_label}) to {ratio_text(worst_after.ratio)} "
            f"({worst_after.short_label})."
        )
        if worst_after.group not in groups:
            groups.append(worst_after.group)
    return flags, groups
