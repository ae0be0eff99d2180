"""Shared fixtures: the named actors of the policy, and the register's basic objects."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import pytest

from oversight.roles import Role

from . import factories


@dataclass
class Actors:
    planner: Any
    other_planner: Any
    authoriser: Any
    panel_a: Any
    panel_b: Any
    panel_c: Any
    chair: Any
    operator: Any
    legal_officer: Any
    moderator: Any
    stranger: Any


@pytest.fixture
def actors(db: None) -> Actors:
    """One person per role, plus a signed-in stranger who holds no role."""
    make = factories.make_user
    return Actors(
        planner=make("planner", Role.PLANNER),
        other_planner=make("other_planner", Role.PLANNER),
        authoriser=make("authoriser", Role.AUTHORISING_OFFICER),
        panel_a=make("panel_a", Role.PANEL_MEMBER),
        panel_b=make("panel_b", Role.PANEL_MEMBER),
        panel_c=make("panel_c", Role.PANEL_MEMBER),
        chair=make("chair", Role.PANEL_CHAIR, Role.PANEL_MEMBER),
        operator=make("operator", Role.OPERATOR),
        legal_officer=make("legal_officer", Role.LEGAL_OFFICER),
        moderator=make("moderator", Role.MODERATOR),
        stranger=make("stranger"),
    )


@pytest.fixture
def documents(actors: Actors) -> dict[str, Any]:
    """Every kind of force document, each with one published version."""
    return factories.publish_documents(actors.legal_officer)


@pytest.fixture
def draft(actors: Actors, documents: dict[str, Any]) -> Any:
    """A complete draft that can be submitted."""
    return factories.make_draft(actors.planner)


@pytest.fixture(autouse=True)
def _celery_eager(request: pytest.FixtureRequest, settings: Any) -> Any:
    """Tasks run in-process unless the test starts a real worker (marked `worker`)."""
    from oversight.celery import app

    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _private_media(tmp_path: Any, settings: Any) -> None:
    """Each test gets its own private and report storage."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.REPORTS_ROOT = tmp_path / "reports"
    storages = dict(settings.STORAGES)
    storages["private"] = {**storages["private"], "OPTIONS": {"location": str(tmp_path / "private")}}
    storages["reports"] = {**storages["reports"], "OPTIONS": {"location": str(tmp_path / "reports")}}
    settings.STORAGES = storages


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() == "true"
