"""Every URL x every person x GET and POST, against the expected table in
tests/permission_matrix.py; and no restricted field on any page for anyone who does not need
to know it (README, "Need to know").

The URLs come from the URL configuration itself, so a new URL without an entry in the table
fails the build. Each request runs in a savepoint that is rolled back, so a POST that succeeds
changes nothing the next request sees.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from PIL import Image

from core.roles import Role
from deployments import services as ds
from legal import services as ls
from legal.models import Document, EngineEvaluation
from public import services as ps
from tests import factories
from tests.conftest import StaffClient as Client
from tests.permission_matrix import COLUMNS, GROUPS, MATRIX, Row

MATRIX_FILE = "tests/permission_matrix.py"

# What fills each URL parameter, unless an entry says otherwise with `at=`: a key of the world
# below, or a literal value.
WORLD_KWARGS = {
    "reference": "restricted",
    "kind": "kind",
    "number": "number",
    "year": "year",
    "run_id": "run",
    "action": "withdraw",
    # The admin's parameters: it refuses everyone here before it looks at them.
    "object_id": "1",
    "content_type_id": "1",
    "id": "1",
    "app_label": "auth",
    "url": "nowhere/",
}

# Restricted words put into the world, and who may see each (GROUPS and COLUMNS names).
MARKERS = {
    "MARKERintelcase": GROUPS["need_to_know"],
    "MARKERprivatenote": ("panel", "chair"),
    "MARKERsubject": ("planner", "operator"),
    "MARKERstream": ("planner", "operator"),  # a camera's stream address
    "MARKERoperatorname": GROUPS["need_to_know"],
    "MARKERreviewername": GROUPS["need_to_know"],
    "markerquestioner@example.org": ("moderator",),
}


# --- the URL configuration ------------------------------------------------------------------------
@dataclass(frozen=True)
class Pattern:
    key: str  # "namespace:name", or "namespace:?route" for a pattern with no name
    namespace: str
    route: str
    params: tuple[str, ...]
    named: bool


def _walk(
    patterns: list[Any], prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[Pattern]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), spaces)
        elif isinstance(entry, URLPattern):
            pattern = entry.pattern
            params = tuple(
                getattr(pattern, "converters", {}) or pattern.regex.groupindex  # type: ignore[attr-defined]
            )
            name = entry.name or f"?{prefix}{pattern}"
            yield Pattern(
                key=":".join((*namespaces, name)),
                namespace=":".join(namespaces),
                route=prefix + str(pattern),
                params=params,
                named=entry.name is not None,
            )


def url_patterns() -> list[Pattern]:
    return list(_walk(get_resolver().url_patterns))


def cases_for(pattern: Pattern) -> list[tuple[str, Row]]:
    """The matrix entries for a pattern: its own and its variants, else its namespace's."""
    own = [
        (key, row)
        for key, row in MATRIX.items()
        if key == pattern.key or key.startswith(pattern.key + " @")
    ]
    if own:
        return own
    wildcard = f"{pattern.namespace}:*"
    if wildcard in MATRIX:
        return [(wildcard, MATRIX[wildcard])]
    return []


def _url(pattern: Pattern, row: Row, world: dict[str, Any]) -> str:
    kwargs = {}
    for param in pattern.params:
        source = row.at.get(param, WORLD_KWARGS.get(param))
        if source is None:
            raise AssertionError(
                f"{pattern.key}: say which object of the world fills <{param}>, with "
                f'at={{"{param}": ...}} in its entry in {MATRIX_FILE}.'
            )
        kwargs[param] = world.get(source, source)
    if pattern.named:
        return reverse(pattern.key, kwargs=kwargs)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(kwargs[m.group(1)]), pattern.route)
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(kwargs[m.group(1)]), path)
    return "/" + path.replace("^", "").replace("$", "")


# --- the world ------------------------------------------------------------------------------------
def _png(colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), colour).save(buffer, "PNG")
    return buffer.getvalue()


def build_world() -> tuple[dict[str, Any], dict[str, Any]]:
    """People for every column and the objects every URL needs. Returns (people, world)."""
    from matching.models import Alert, Run, Watchlist, WatchlistEntry

    make = factories.make_user
    people: dict[str, Any] = {
        "planner": make("planner", Role.PLANNER),
        "other_planner": make("other_planner", Role.PLANNER),
        "authoriser": make("authoriser", Role.AUTHORISING_OFFICER),
        "panel": make("panel", Role.PANEL_MEMBER),
        "other_panel": make("other_panel", Role.PANEL_MEMBER),
        "chair": make("chair", Role.PANEL_CHAIR, Role.PANEL_MEMBER),
        "operator": make("operator", Role.OPERATOR),
        "other_operator": make("other_operator", Role.OPERATOR),
        "legal": make("legal", Role.LEGAL_OFFICER),
        "moderator": make("moderator", Role.MODERATOR),
        "anonymous": None,
    }
    second_reviewer = make("panel_two", Role.PANEL_MEMBER)
    for user, name in (
        (people["panel"], "MARKERreviewername"),
        (people["operator"], "MARKERoperatorname"),
    ):
        user.first_name = user.last_name = name
        user.save()
    documents = factories.publish_documents(people["legal"])

    def filed(**extra: Any) -> Any:
        deployment = factories.make_draft(
            people["planner"], intelligence_case="MARKERintelcase from an informant", **extra
        )
        factories.to_authorised(deployment, people["planner"], people["authoriser"])
        for reviewer in (people["panel"], second_reviewer):
            ds.review_assign(deployment=deployment, reviewer=reviewer, by=people["chair"])
            ds.review_record(
                deployment=deployment,
                reviewer=reviewer,
                decision="approve",
                reasons="Published reasons.",
                private_notes="MARKERprivatenote about the informant",
            )
        ds.operator_assign(
            deployment=deployment, operator=people["operator"], by=people["authoriser"]
        )
        watchlist, _ = Watchlist.objects.get_or_create(deployment=deployment)
        entry = WatchlistEntry(
            watchlist=watchlist,
            subject_reference=f"MARKERsubject-{deployment.pk}",
            category=deployment.watchlist_categories[0],
            image_provenance="Built by the test.",
            legal_basis="Test data.",
            added_by=people["planner"],
            encoding=bytes(128 * 8),
            status=WatchlistEntry.Status.ENROLLED,
            enrolled_at=timezone.now(),
        )
        entry.image.save("upload", ContentFile(_png("grey")), save=False)
        entry.save()
        return deployment, entry

    restricted, restricted_entry = filed()
    public, public_entry = filed()
    cameras = {
        deployment.reference: factories.make_camera(
            deployment, stream_url=f"rtsp://cam.example/MARKERstream-{deployment.pk}"
        )
        for deployment in (restricted, public)
    }
    ds.deployment_sign_off(deployment=public, by=people["chair"], statement="Approved.")
    public.refresh_from_db()
    draft = factories.make_draft(people["planner"], intelligence_case="MARKERintelcase draft")

    run = Run.objects.create(
        deployment=public, operator=people["operator"], source_label="Camera 1", threshold="0.5"
    )
    alert = Alert(run=run, entry=public_entry, distance=0.3, seen_at=timezone.now())
    alert.crop.save("crop", ContentFile(_png("white")), save=False)
    alert.save()

    question = ps.question_submit(
        deployment=public,
        text="Is my face kept?",
        email="markerquestioner@example.org",
        address=f"matrix-{uuid.uuid4().hex}",  # its own rate-limit bucket, run after run
    )
    dpia = documents[Document.Kind.DPIA]
    legal_draft = ls.document_version_draft(
        document=dpia.document,
        title="Revised",
        body="New text.",
        change_summary="",
        by=people["legal"],
    )
    evaluation = EngineEvaluation.objects.create(
        manifest_name="test.csv", manifest_sha256="0" * 64, engine_version="test"
    )
    world = {
        "restricted": restricted.reference,
        "public": public.reference,
        "draft": draft.reference,
        "entry": restricted_entry.pk,
        "public_entry": public_entry.pk,
        "camera": cameras[restricted.reference].pk,
        "public_camera": cameras[public.reference].pk,
        "run": run.pk,
        "alert": alert.pk,
        "question": question.pk,
        "legal_draft": legal_draft.pk,
        "legal_published": dpia.pk,
        "evaluation": evaluation.pk,
        "missing": 999_999,
        "kind": Document.Kind.DPIA.value,
        "number": dpia.number,
        "year": timezone.localtime(public.starts_at).year,
    }
    return people, world


# --- the tests ------------------------------------------------------------------------------------
def test_every_url_has_an_entry_in_the_matrix():
    patterns = url_patterns()
    problems = []
    for pattern in patterns:
        if not cases_for(pattern):
            if not pattern.named:
                problems.append(f"{pattern.route} has no name: give it one, then an entry.")
            else:
                problems.append(
                    f"{pattern.key} (/{pattern.route}) has no entry: add one line to "
                    f'{MATRIX_FILE}, for example  "{pattern.key}": staff(200),  saying what '
                    "each person may GET and POST (see the notation at the top of that file)."
                )
    known = {p.key for p in patterns}
    namespaces = {p.namespace for p in patterns}
    for key in MATRIX:
        base = key.split(" @", 1)[0]
        if base.endswith(":*"):
            if base[:-2] not in namespaces:
                problems.append(f"{key} in {MATRIX_FILE} covers no namespace: remove it.")
        elif base not in known:
            problems.append(f"{key} in {MATRIX_FILE} names no URL: remove or rename it.")
    assert not problems, "\n".join(problems)


def _text(response: Any) -> str:
    if response.streaming:
        return ""  # files: images, PDFs; their access is what the status says
    kind = response.get("Content-Type", "")
    return response.content.decode() if kind.startswith(("text/", "application/")) else ""


@pytest.mark.django_db
def test_every_url_answers_every_person_as_the_matrix_says():
    people, world = build_world()
    wrong: list[str] = []
    leaks: list[str] = []
    shown: set[str] = set()
    show = os.environ.get("PERMISSION_MATRIX_SHOW")
    for pattern in url_patterns():
        for key, row in cases_for(pattern):
            url = _url(pattern, row, world)
            seen: dict[str, list[int]] = {}
            for column in COLUMNS:
                user = people[column]
                for index, method in enumerate(("GET", "POST")):
                    client = Client(raise_request_exception=False)
                    # A savepoint per request, rolled back: nothing one request does is seen
                    # by the next (a POST that succeeds, a sign-out).
                    with transaction.atomic():
                        if user is not None:
                            client.force_login(user)
                        response = client.get(url) if method == "GET" else client.post(url, {})
                        transaction.set_rollback(True)
                    seen.setdefault(column, []).append(response.status_code)
                    expected = row.cells[column][index]
                    if response.status_code != expected:
                        wrong.append(
                            f"{key:<40} {column:<15} {method:<5} {url}: "
                            f"{response.status_code}, expected {expected}"
                        )
                    if method == "GET" and response.status_code == 200:
                        text = _text(response).lower()
                        for marker, allowed in MARKERS.items():
                            if marker.lower() in text:
                                shown.add(marker)
                                if column not in allowed:
                                    leaks.append(f"{marker} shown to {column} at {url}")
            if show:
                # PERMISSION_MATRIX_SHOW=1 pytest -s ...: what each person gets now, to check
                # against the policy when writing an entry (never to copy without checking).
                print(key, "  ".join(f"{c}={get}/{post}" for c, (get, post) in seen.items()))
    message = ""
    if wrong:
        message += (
            f"{len(wrong)} answers differ from {MATRIX_FILE} (fix the code, or the entry if "
            "the policy changed):\n" + "\n".join(wrong) + "\n"
        )
    if leaks:
        message += "Restricted fields shown to people who do not need to know:\n"
        message += "\n".join(leaks) + "\n"
    # Each marker was shown to someone allowed to see it, so the search is not vacuous.
    if unseen := set(MARKERS) - shown:
        message += f"Markers no page showed, even to those who need to know: {sorted(unseen)}"
    assert not message, message
