"""A small labelled image set built from the sample photographs, for the demo and the tests.

Be clear about what it is: two real people (the face_recognition package's test photographs
of Barack Obama and Joe Biden), labelled into two made-up groups, "Sample group A" and
"Sample group B". The second image of the second person is the first one mirrored, so that
the group has a genuine pair at all. Two files that cannot be used are added on purpose, a
damaged file and a picture with no face, so that the report's list of excluded images has
something in it. It shows how the evaluation works; it says nothing about demographic bias.
Free of Django.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Final

from PIL import Image, ImageOps

from .samples import ensure_sample_faces, no_face_image, sample_faces_dir

GROUP_A: Final = "Sample group A"
GROUP_B: Final = "Sample group B"
MANIFEST_NAME: Final = "sample-faces-two-groups.csv"

# (file in the manifest's folder, person, group)
ROWS: Final = (
    ("obama.jpg", "person-1", GROUP_A),
    ("obama2.jpg", "person-1", GROUP_A),
    ("obama3.jpg", "person-1", GROUP_A),
    ("obama_partial_face.jpg", "person-1", GROUP_A),
    ("obama_partial_face2.jpg", "person-1", GROUP_A),
    ("biden.jpg", "person-2", GROUP_B),
    ("biden-mirrored.jpg", "person-2", GROUP_B),
    ("damaged.jpg", "person-3", GROUP_B),
    ("no-face.jpg", "person-4", GROUP_A),
)
UNUSABLE: Final = {"damaged.jpg": "unreadable", "no-face.jpg": "no_face"}


def write_sample_manifest(directory: Path | None = None) -> Path:
    """Write the set (images and manifest) into ``directory`` and return the manifest's path.

    The default folder is ``sample-evaluation`` beside the cached sample photographs, which are
    fetched first if need be (see matching/samples.py).
    """
    source = ensure_sample_faces()
    target = directory if directory is not None else sample_faces_dir() / "sample-evaluation"
    target.mkdir(parents=True, exist_ok=True)
    for name, _, _ in ROWS:
        if (source / name).is_file() and not (target / name).exists():
            (target / name).write_bytes((source / name).read_bytes())
    with Image.open(source / "biden.jpg") as photo:
        ImageOps.mirror(ImageOps.exif_transpose(photo).convert("RGB")).save(
            target / "biden-mirrored.jpg", quality=92
        )
    # The first bytes of a JPEG and then nothing: a file cut off in transfer.
    (target / "damaged.jpg").write_bytes((source / "biden.jpg").read_bytes()[:600])
    (target / "no-face.jpg").write_bytes(no_face_image())
    manifest = target / MANIFEST_NAME
    with manifest.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["image", "person", "group"])
        writer.writerows(ROWS)
    return manifest
