"""`manage.py watch`: files, folders and videos through the gate, alerts as JSON lines, exit 3
when the gate refuses at the start or closes during the run."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from PIL import Image

from audit.models import AuditEvent
from deployments import services as ds
from matching import services
from matching.models import Alert, Run

from ..conftest import needs_real_services

pytestmark = pytest.mark.django_db

OBAMA_AGAIN = ("obama2.jpg", "obama3.jpg", "obama_partial_face.jpg", "obama_partial_face2.jpg")


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def watch(*args: Any, **options: Any) -> tuple[int, list[dict[str, Any]], str]:
    """Run the command; its exit status, the alerts it printed and its standard error."""
    out, err = options.pop("stdout", io.StringIO()), options.pop("stderr", io.StringIO())
    status = 0
    try:
        call_command("watch", *map(str, args), stdout=out, stderr=err, **options)
    except CommandError as error:
        status = error.returncode
        err.write(str(error))
    alerts = [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]
    return status, alerts, err.getvalue()


def test_alerts_for_the_enrolled_face_and_none_for_the_stranger(live, sample_faces):
    files = [sample_faces / n for n in (*OBAMA_AGAIN, "biden.jpg")]
    status, alerts, err = watch(live.reference, *files, operator="operator")
    assert status == 0
    assert [Path(a["source"]).name for a in alerts] == list(OBAMA_AGAIN)
    assert {a["subject_reference"] for a in alerts} == {"W-OBAMA-1"}
    assert all(a["deployment"] == live.reference and a["distance"] <= 0.5 for a in alerts)
    assert {a["alert"] for a in alerts} == set(Alert.objects.values_list("pk", flat=True))
    assert "5 frames, 5 faces seen, 4 alerts" in err
    run = Run.objects.get()
    assert run.stop_code == "finished" and run.operator.username == "operator"


def test_a_folder_is_read_in_name_order_and_other_files_are_ignored(live, sample_faces, tmp_path):
    folder = tmp_path / "camera"
    folder.mkdir()
    shutil.copy(sample_faces / "biden.jpg", folder / "a.jpg")
    shutil.copy(sample_faces / "obama2.jpg", folder / "b.jpg")
    (folder / "notes.txt").write_text("not a frame")
    status, alerts, err = watch(live.reference, folder, operator="operator")
    assert status == 0
    assert [Path(a["source"]).name for a in alerts] == ["b.jpg"]
    assert "2 frames" in err


def write_video(path: Path, sample_faces: Path, *, fps: int = 10) -> None:
    """One second of obama2.jpg, then one second of biden.jpg, as an mp4v video."""
    size = (480, 720)  # faces of about 100 pixels, as a street camera sees them
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for name in ("obama2.jpg", "biden.jpg"):
        picture = Image.open(sample_faces / name).convert("RGB")
        picture.thumbnail(size)
        canvas = Image.new("RGB", size, (255, 255, 255))
        canvas.paste(picture, ((size[0] - picture.width) // 2, 0))
        bgr = cv2.cvtColor(np.asarray(canvas), cv2.COLOR_RGB2BGR)
        for _ in range(fps):
            writer.write(bgr)
    writer.release()


def test_a_video_is_sampled_at_the_chosen_rate(live, sample_faces, tmp_path):
    video = tmp_path / "clip.mp4"
    write_video(video, sample_faces)
    status, alerts, _ = watch(live.reference, video, operator="operator", fps=2)
    assert status == 0
    # 20 frames at 10 fps sampled at 2 fps: frames 0, 5, 10 and 15; the first two show Obama.
    assert [a["source"].rsplit("@", 1)[1] for a in alerts] == ["0.00s", "0.50s"]
    run = Run.objects.get()
    assert (run.frames, run.faces_seen) == (4, 4)
    status, alerts, _ = watch(live.reference, video, operator="operator", fps=10)
    assert len(alerts) == 10


def test_the_gate_refusing_at_the_start_exits_with_status_3_and_its_reason(
    live, actors, sample_faces
):
    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Disorder nearby.")
    status, alerts, err = watch(live.reference, sample_faces / "obama2.jpg", operator="operator")
    assert status == 3 and alerts == []
    assert "Gate closed (suspended)" in err and "Disorder nearby." in err
    assert not Run.objects.exists()
    assert AuditEvent.objects.for_object(live).filter(action="gate.refused").exists()


def test_the_gate_closing_during_the_run_stops_it_cleanly_with_status_3(
    live, actors, sample_faces, monkeypatch
):
    real = services.run_process_batch
    calls = []

    def suspend_after_the_first_batch(**kwargs: Any) -> Any:
        result = real(**kwargs)
        calls.append(1)
        if len(calls) == 1:
            ds.deployment_suspend(deployment=live, by=actors.chair, reason="Crowd trouble.")
        return result

    monkeypatch.setattr(services, "run_process_batch", suspend_after_the_first_batch)
    files = [sample_faces / n for n in ("obama2.jpg", "obama3.jpg", "obama_partial_face.jpg")]
    status, alerts, err = watch(live.reference, *files, operator="operator", batch=1)
    assert status == 3
    # The first batch's alert was printed; nothing after the suspension was matched.
    assert [Path(a["source"]).name for a in alerts] == ["obama2.jpg"]
    assert "Gate closed during run" in err and "(suspended)" in err and "Crowd trouble." in err
    run = Run.objects.get()
    assert run.stop_code == "suspended" and run.frames == 1
    assert Alert.objects.count() == 1


def test_someone_who_does_not_operate_the_deployment_is_refused_with_status_1(
    live, actors, sample_faces
):
    status, _, err = watch(live.reference, sample_faces / "obama2.jpg", operator="planner")
    assert status == 1 and "not an operator" in err
    assert not Run.objects.exists()


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["LFR-2026-9999", "{faces}/obama2.jpg"], "no deployment LFR-2026-9999"),
        (["{ref}", "{faces}/missing.jpg"], "No such file"),
        (["{ref}", "{empty}"], "no image or video files"),
    ],
    ids=["unknown deployment", "missing file", "empty folder"],
)
def test_usage_errors_exit_with_status_1(live, sample_faces, tmp_path, args, words):
    args = [a.format(ref=live.reference, faces=sample_faces, empty=tmp_path) for a in args]
    status, _, err = watch(*args, operator="operator")
    assert status == 1 and words in err


def test_an_unreadable_file_is_skipped_with_a_warning(live, sample_faces, tmp_path):
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff not really")
    status, alerts, err = watch(
        live.reference, broken, sample_faces / "obama2.jpg", operator="operator"
    )
    assert status == 0 and len(alerts) == 1
    assert f"Skipped {broken}" in err


def test_the_progress_bar_is_drawn_only_on_a_terminal(live, sample_faces):
    plain = io.StringIO()
    watch(live.reference, sample_faces / "biden.jpg", operator="operator", stderr=plain)
    assert "frame" not in plain.getvalue().split("Run")[0]
    terminal = Terminal()
    watch(live.reference, sample_faces / "biden.jpg", operator="operator", stderr=terminal)
    assert "1/1" in terminal.getvalue() and "frame" in terminal.getvalue()


@pytest.mark.django_db(transaction=True)
def test_the_real_command_exits_with_status_3_when_the_gate_refuses(live, actors, sample_faces):
    # The exit status a shell sees, from a separate process on the test database.
    needs_real_services(postgres=True)
    from django.conf import settings

    ds.deployment_suspend(deployment=live, by=actors.chair, reason="Disorder nearby.")
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "PRIVATE_MEDIA_ROOT": str(settings.PRIVATE_MEDIA_ROOT),
    }
    env.pop("REDIS_URL", None)
    common = [sys.executable, "manage.py", "watch", "--operator", "operator"]
    refused = subprocess.run(
        [*common, live.reference, str(sample_faces / "obama2.jpg")],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 3, refused.stderr
    assert "Gate closed (suspended)" in refused.stderr and refused.stdout == ""
    ds.deployment_lift_suspension(deployment=live, by=actors.chair, reason="All clear.")
    ran = subprocess.run(
        [
            *common,
            live.reference,
            str(sample_faces / "obama2.jpg"),
            str(sample_faces / "biden.jpg"),
        ],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert ran.returncode == 0, ran.stderr
    lines = [json.loads(line) for line in ran.stdout.splitlines()]
    assert [Path(a["source"]).name for a in lines] == ["obama2.jpg"]


def test_a_run_is_named_run_n_never_after_a_frame_s_file_name(live, sample_faces, tmp_path):
    # A file named after the person in it, as a careless export might name it.
    named = tmp_path / "jane-doe-at-the-bus-stop.jpg"
    shutil.copy(sample_faces / "biden.jpg", named)
    assert watch(live.reference, named, operator="operator")[0] == 0
    assert watch(live.reference, tmp_path, operator="operator")[0] == 0
    assert list(Run.objects.order_by("id").values_list("source_label", flat=True)) == [
        "run 1",
        "run 2",
    ]
    trail = json.dumps(list(AuditEvent.objects.values_list("details", "object_repr")))
    assert "jane-doe" not in trail
    assert tmp_path.name not in trail


def test_a_run_may_be_named_after_its_camera(live, sample_faces):
    watch(live.reference, sample_faces / "biden.jpg", operator="operator", camera="Camera 2")
    assert Run.objects.get().source_label == "Camera 2"
    started = AuditEvent.objects.get(action="run.started")
    assert started.details["source"] == "Camera 2"


def test_watchlist_images_and_alert_crops_are_0600_in_folders_0700(live, sample_faces, settings):
    import stat

    watch(live.reference, sample_faces / "obama2.jpg", operator="operator")
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    entry = live.watchlist.entries.get()
    alert = Alert.objects.get()
    for name in (entry.image.name, alert.crop.name):
        path = root / name
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o600, name
        for folder in path.relative_to(root).parents:
            assert stat.S_IMODE(os.stat(root / folder).st_mode) == 0o700, folder
