"""The PDF renderer reads only the project's own static files.

Public text ends up in PDFs; an image or stylesheet URL in that text must never be fetched,
whether it points at another server or at a file on this machine.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from pypdf import PdfReader

from core.pdf import StaticOnlyFetcher, render_pdf, render_pdf_from_html

SITE = "http://127.0.0.1:8000"


class _Server:
    def __init__(self) -> None:
        self.hits: list[str] = []
        hits = self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.end_headers()
                self.wfile.write(_png_bytes())

            def log_message(self, *args: Any) -> None:
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"


@pytest.fixture
def external_server() -> Iterator[_Server]:
    """A server on the loopback that records every request it receives."""
    server = _Server()
    thread = threading.Thread(target=server.httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _png_bytes() -> bytes:
    buffer = BytesIO()
    Image.new("RGB", (4, 4), (200, 0, 0)).save(buffer, format="PNG")
    return buffer.getvalue()


def _image_count(pdf: bytes) -> int:
    return sum(len(page.images) for page in PdfReader(BytesIO(pdf)).pages)


def _fetcher(static_root: Path) -> StaticOnlyFetcher:
    return StaticOnlyFetcher(static_root=static_root, static_url="/static/", site_url=SITE)


@pytest.fixture
def static_root(tmp_path: Path) -> Path:
    root = tmp_path / "static"
    (root / "img").mkdir(parents=True)
    (root / "img" / "mark.png").write_bytes(_png_bytes())
    (tmp_path / "secret.png").write_bytes(_png_bytes())
    return root


def test_a_static_image_is_embedded(settings: Any, static_root: Path) -> None:
    # The control for the refusals below: the image check does see an image when one is allowed.
    settings.SITE_URL = SITE
    pdf = render_pdf_from_html(
        '<p>Mark</p><img src="/static/img/mark.png" alt="mark">', fetcher=_fetcher(static_root)
    )
    assert _image_count(pdf) == 1


def test_an_external_url_in_user_text_is_not_fetched(
    settings: Any, static_root: Path, external_server: _Server
) -> None:
    settings.SITE_URL = SITE
    fetcher = _fetcher(static_root)
    # Raw HTML, as if escaping had failed: the fetcher is the last line of defence.
    html = (
        f'<link rel="stylesheet" href="{external_server.url}/evil.css">'
        f'<p>Question</p><img src="{external_server.url}/tracker.png" alt="x">'
        f'<p style="background: url({external_server.url}/bg.png)">styled</p>'
    )
    pdf = render_pdf_from_html(html, fetcher=fetcher)
    assert external_server.hits == []
    assert f"{external_server.url}/tracker.png" in fetcher.refused
    assert _image_count(pdf) == 0


def test_a_file_url_in_user_text_is_not_fetched(
    settings: Any, static_root: Path, tmp_path: Path
) -> None:
    settings.SITE_URL = SITE
    fetcher = _fetcher(static_root)
    secret = (tmp_path / "secret.png").as_uri()
    pdf = render_pdf_from_html(f'<p>Question</p><img src="{secret}" alt="x">', fetcher=fetcher)
    assert secret in fetcher.refused
    assert _image_count(pdf) == 0


def test_a_static_url_that_climbs_out_of_static_is_refused(
    settings: Any, static_root: Path
) -> None:
    settings.SITE_URL = SITE
    fetcher = _fetcher(static_root)
    pdf = render_pdf_from_html(
        '<img src="/static/img/%2E%2E/%2E%2E/secret.png" alt="x">', fetcher=fetcher
    )
    assert fetcher.refused
    assert _image_count(pdf) == 0


def test_static_path_on_another_host_is_refused(
    settings: Any, static_root: Path, external_server: _Server
) -> None:
    settings.SITE_URL = SITE
    fetcher = _fetcher(static_root)
    render_pdf_from_html(
        f'<img src="{external_server.url}/static/img/mark.png" alt="x">', fetcher=fetcher
    )
    assert external_server.hits == []
    assert fetcher.refused == [f"{external_server.url}/static/img/mark.png"]


def test_markup_in_template_context_is_printed_as_text_and_not_fetched(
    settings: Any, tmp_path: Path, external_server: _Server
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "probe.html").write_text("<html><body><p>{{ text }}</p></body></html>")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [templates, *settings.TEMPLATES[0]["DIRS"]]}
    ]
    text = f'<img src="{external_server.url}/x.png"><script>alert(1)</script>'
    pdf = render_pdf(template_name="probe.html", context={"text": text})
    assert external_server.hits == []
    extracted = "".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)
    assert "<script>alert(1)</script>" in extracted


def test_pdfs_are_tagged_pdf_ua(settings: Any, static_root: Path) -> None:
    settings.SITE_URL = SITE
    pdf = render_pdf_from_html(
        "<html lang='en-GB'><head><title>T</title></head><body><p>Hi</p></body></html>",
        fetcher=_fetcher(static_root),
    )
    root = PdfReader(BytesIO(pdf)).trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert b'pdfuaid:part="1"' in root["/Metadata"].get_object().get_data()
