"""PDF rendering with WeasyPrint, from the same Django templates as the web pages.

The PDFs carry text that members of the public wrote (questions) and text staff wrote. Even
though templates escape it, the renderer must never reach out of the machine or read a file
it was not meant to: a stray `<img src="http://...">` or `file:///etc/...` would otherwise be
fetched while rendering, leaking that the report was generated (and from where) or embedding a
local file in a public document. So the URL fetcher here serves only files under the project's
own `static/` directory, addressed by their `/static/` URL on this site, and refuses everything
else (http(s) elsewhere, file:, data:, ftp:) without opening it.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.template.loader import render_to_string

# WeasyPrint logs every rendering step at INFO, some of them on import: quiet before importing.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)

from weasyprint import HTML, URLFetcher  # noqa: E402
from weasyprint.urls import URLFetcherResponse  # noqa: E402

# PDF/UA-1: tagged PDF, so screen readers can read the reports (WeasyPrint 70 supports it).
PDF_VARIANT = "pdf/ua-1"


class ResourceRefused(ValueError):
    """The PDF renderer was asked for a resource outside the project's static files."""


def _site_origin(site_url: str) -> tuple[str, str]:
    parts = urlsplit(site_url)
    return parts.scheme.lower(), parts.netloc.lower()


def _source_name(name: str) -> str:
    """The source name of a hashed static name from the manifest, else `name` unchanged."""
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    storage = storages["staticfiles"]
    if isinstance(storage, ManifestFilesMixin):
        for source, hashed in storage.hashed_files.items():
            if hashed == name:
                return source
    return name


class StaticOnlyFetcher(URLFetcher):
    """Serves `<site>/static/<path>` from the static directory; refuses every other URL.

    WeasyPrint resolves relative URLs against the base URL (the site's own address) before
    asking the fetcher, so `{% static %}` links arrive as absolute URLs on the site's origin.
    """

    def __init__(
        self,
        *,
        static_root: Path | None = None,
        static_url: str | None = None,
        site_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.static_root = Path(static_root or Path(settings.BASE_DIR) / "static").resolve()
        self.static_url = "/" + (static_url or settings.STATIC_URL).strip("/") + "/"
        self.origin = _site_origin(site_url or settings.SITE_URL)
        self.refused: list[str] = []

    def _static_path(self, url: str) -> Path:
        parts = urlsplit(url)
        if (parts.scheme.lower(), parts.netloc.lower()) != self.origin:
            raise ResourceRefused(f"Refused to fetch {url!r}: PDFs use only the site's own files.")
        path = unquote(parts.path)
        if not path.startswith(self.static_url):
            raise ResourceRefused(f"Refused to fetch {url!r}: only {self.static_url} is served.")
        name = path[len(self.static_url) :]
        # In production `{% static %}` names the hashed copy collectstatic wrote to STATIC_ROOT
        # (STATIC_MANIFEST=1); map it back to its source file in static/.
        name = _source_name(name)
        candidate = (self.static_root / name).resolve()
        # resolve() folds "..", so a path that climbs out of static/ is caught here.
        if not candidate.is_relative_to(self.static_root) or not candidate.is_file():
            raise ResourceRefused(f"Refused to fetch {url!r}: no such static file.")
        return candidate

    def fetch(self, url: str, headers: dict[str, str] | None = None) -> URLFetcherResponse:
        try:
            path = self._static_path(url)
        except ResourceRefused:
            self.refused.append(url)
            raise
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": content_type}
        )


def render_pdf_from_html(
    html: str, *, fetcher: StaticOnlyFetcher | None = None, metadata: dict[str, str] | None = None
) -> bytes:
    """Render an HTML string to a tagged PDF with the static-only fetcher.

    `metadata` adds entries to the PDF's document information (keys of letters and digits),
    for example the audit trail's latest signed checkpoint.
    """
    fetcher = fetcher or StaticOnlyFetcher()
    document = HTML(string=html, base_url=settings.SITE_URL + "/", url_fetcher=fetcher).render()
    document.metadata.custom.update(metadata or {})
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT, custom_metadata=bool(metadata))
    if pdf is None:  # write_pdf returns bytes when no target is given
        raise RuntimeError("WeasyPrint returned no PDF; check the template renders HTML.")
    return pdf


def render_pdf(
    *, template_name: str, context: dict[str, Any], metadata: dict[str, str] | None = None
) -> bytes:
    """Render a Django template to PDF bytes (PDF/UA-1), reading only the project's static files.

    The template is rendered with autoescaping as usual, so text from the public stays text.
    """
    html = render_to_string(template_name, context)
    return render_pdf_from_html(html, metadata=metadata)
