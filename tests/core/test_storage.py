"""Watchlist images and alert crops are written readable by the server's account alone."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from django.core.files.base import ContentFile

from core.storage import storages_private


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_private_files_are_0600_in_folders_0700_whatever_the_umask(settings):
    previous = os.umask(0o022)  # the usual umask, which would give 0644 and 0755
    try:
        name = storages_private().save("watchlists/7/entry.jpg", ContentFile(b"face"))
    finally:
        os.umask(previous)
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    assert mode(root / name) == 0o600
    assert mode(root / "watchlists" / "7") == 0o700
    assert mode(root / "watchlists") == 0o700
    assert mode(root) == 0o700


def test_an_existing_private_root_is_tightened(settings):
    root = Path(settings.PRIVATE_MEDIA_ROOT)
    root.mkdir(mode=0o755, parents=True)
    os.chmod(root, 0o755)  # noqa: S103 - the loose folder the storage must tighten
    storages_private().save("crop.jpg", ContentFile(b"face"))
    assert mode(root) == 0o700
