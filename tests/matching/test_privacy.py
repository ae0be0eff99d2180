"""Nothing is kept of a person who matches no one (DESIGN.md, the engine: faces that match
nothing are discarded in memory).

Frames with Joe Biden's face, who is not on the watchlist, go through the service and through
the API. Afterwards no table has a new row (the run's two counters move, nothing else), no
column of any row of any table holds his encoding, his face's position, his distance from the
watchlist or any part of the frame, no file was written to any storage, and no log record or
output line mentions any of them.
"""

from __future__ import annotations

import datetime
import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from django.db import connection
from django.urls import reverse

from matching import engine, services

pytestmark = pytest.mark.django_db

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def every_row() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table in the database, read with plain SQL."""
    rows = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            rows[table] = [tuple(row) for row in cursor.fetchall()]
    return rows


def all_files(*roots: Path) -> set[Path]:
    return {p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()}


def traces_of(
    encoding: np.ndarray, location: tuple[int, ...], distance: float, frame: bytes
) -> tuple[list[bytes], list[str]]:
    """Byte strings and text that would show the face was kept."""
    binary = [
        encoding.astype("<f8").tobytes(),
        encoding.astype("<f4").tobytes(),
        encoding.astype(">f8").tobytes(),
        encoding[:4].astype("<f8").tobytes(),  # even a part of it
        frame[200:264],  # any stretch of the frame's bytes
    ]
    top, right, bottom, left = location
    text = [
        str(location),
        f"{top}, {right}, {bottom}, {left}",
        str(list(location)),
        repr(distance),
        f"{distance:.4f}",
        f"{distance:.3f}",
        f"{float(encoding[0]):.6f}",
        repr(float(encoding[0])),
        "biden",
        # The frame's EXIF metadata: Pillow logs it at DEBUG unless told not to.
        "Pete Souza",
        "2017:03:02",
    ]
    return binary, text


def test_a_face_that_matches_no_one_leaves_no_trace_anywhere(
    live, actors, sample_faces, face_encodings, settings, caplog, capfd, client
):
    caplog.set_level(logging.DEBUG)  # every logger, at every level
    started = services.run_start(deployment=live, operator=actors.operator, source_label="Cam 3")
    run = started.run
    frame_bytes = (sample_faces / "biden.jpg").read_bytes()
    image = engine.load_image(frame_bytes, **LIMITS)
    # What the engine will see, worked out here so the test knows what to look for.
    (location,) = engine.detect_faces(
        image,
        upsample=settings.OVERSIGHT_DETECTION_UPSAMPLE,
        scale=settings.OVERSIGHT_DETECTION_SCALE,
    )
    encoding = engine.encode_faces(image, [location])[0]
    distance = float(np.linalg.norm(encoding - face_encodings["obama.jpg"]))
    assert distance > 0.6  # a stranger, by the library's own rule
    roots = (
        Path(settings.PRIVATE_MEDIA_ROOT),
        Path(settings.REPORTS_ROOT),
        Path(settings.STORAGES["default"]["OPTIONS"]["location"]),
    )
    files_before = all_files(*roots)
    rows_before = every_row()
    caplog.clear()
    capfd.readouterr()

    # Through the service, twice, and through the API.
    for _ in range(2):
        result = services.run_process_batch(
            run=run, frames=[services.Frame(image=image.copy(), label="frame")]
        )
        assert result.faces_seen == 1 and result.alerts == []
    response = client.post(
        reverse("api:run_frames", args=[run.pk]),
        data=frame_bytes,
        content_type="image/jpeg",
        HTTP_AUTHORIZATION=f"Bearer {started.token}",
    )
    assert response.status_code == 200
    assert response.json()["alerts"] == [] and response.json()["faces_seen"] == 1

    rows_after = every_row()
    binary, text = traces_of(encoding, location, distance, frame_bytes)
    # The only changes anywhere are counters: the run's two, and its count for this hour.
    changed = {
        t
        for t in rows_after
        if sorted(map(repr, rows_after[t])) != sorted(map(repr, rows_before[t]))
    }
    assert changed == {"matching_run", "matching_hourlycount"}
    from matching.models import HourlyCount

    (hour,) = HourlyCount.objects.filter(run=run)
    assert (hour.frames, hour.faces_seen) == (3, 3)  # numbers, nothing of the face
    run.refresh_from_db()
    assert (run.frames, run.faces_seen) == (3, 3)
    assert {len(v) for v in (rows_before["matching_run"], rows_after["matching_run"])} == {1}
    for table, rows in rows_after.items():
        for row in rows:
            for value in row:
                if isinstance(value, memoryview | bytes | bytearray):
                    data = bytes(value)
                    assert not any(b in data for b in binary), f"face data in {table}"
                elif value is not None and not isinstance(value, datetime.date):
                    # A time's digits ("10:26:10.837261") can spell a distance by chance.
                    shown = str(value)
                    assert not any(t in shown for t in text), f"face trace in {table}: {shown}"
    # No file was written to any storage.
    assert all_files(*roots) == files_before
    # No log record and no output line says anything about the face.
    out, err = capfd.readouterr()
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    for record in caplog.records:
        assert not record.name.startswith("matching"), record.getMessage()
    for output in (logged, out, err):
        assert not any(t in output for t in text), output
    # Alerts are stored only for matches.
    assert not run.alerts.exists()
