"""Production static files: hashed, compressed names, and the PDFs still find their CSS."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.templatetags.static import static

from core.pdf import StaticOnlyFetcher


def test_with_the_manifest_pages_name_hashed_files_and_pdfs_read_their_source(
    settings: Any, tmp_path: Path
):
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--no-input", "-v0")
    url = static("css/pdf.css")
    assert url != "/static/css/pdf.css" and url.startswith("/static/css/pdf.")
    collected = tmp_path / "static" / url.removeprefix("/static/")
    assert collected.exists() and Path(f"{collected}.gz").exists()

    fetched = StaticOnlyFetcher().fetch(settings.SITE_URL + url)
    source = Path(settings.BASE_DIR, "static", "css", "pdf.css").read_bytes()
    assert fetched.read() == source
