"""Callables naming the storages, so models do not freeze a path into their migrations."""

from django.core.files.storage import Storage, storages


def storages_private() -> Storage:
    """Watchlist images and alert crops: never under a URL the web server serves."""
    return storages["private"]


def storages_reports() -> Storage:
    """Generated PDFs, served only through their views."""
    return storages["reports"]
