"""Bounded work for every image: watchlist images have a tighter pixel cap than frames, checked
from the header before any pixel is decoded, and an image holding less data than its header
declares is refused with the reason instead of being padded with black.

Every image here is a real file built in the test (Pillow, or zlib and struct for the
malformed ones).
"""

from __future__ import annotations

import io
import struct
import zlib
from typing import Any

import pytest
from django.core.files.base import ContentFile
from PIL import Image

from matching import engine, services
from matching.models import WatchlistEntry

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_declaring(width: int, height: int, raw: bytes, *, colour: int = 0) -> bytes:
    """A well-formed PNG (signature, IHDR, one IDAT, IEND, valid CRCs) whose image data is
    `raw`, however little that is."""
    header = struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", zlib.compress(raw))
        + _chunk(b"IEND", b"")
    )


def saved(image: Image.Image, fmt: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


# --- the engine --------------------------------------------------------------------------------
def test_a_tiny_png_declaring_forty_million_pixels_is_refused_not_padded():
    data = png_declaring(1, 40_000_000, b"\x00\x00")
    assert len(data) < 70
    with pytest.raises(engine.ImageRejected) as refused:
        engine.load_image(data, **LIMITS)
    assert refused.value.reason_code == "unreadable"
    assert "damaged or incomplete" in refused.value.message
    assert "80,000,000 bytes of image data and it holds 2" in refused.value.message
    with pytest.raises(engine.ImageRejected, match="damaged or incomplete"):
        engine.check_image(data, **LIMITS)


def test_a_png_with_half_its_rows_missing_is_refused():
    rows = b"".join(b"\x00" + bytes([row % 256]) * 100 for row in range(50))
    with pytest.raises(engine.ImageRejected, match="damaged or incomplete"):
        engine.load_image(png_declaring(100, 100, rows), **LIMITS)
    whole = b"".join(b"\x00" + bytes([row % 256]) * 100 for row in range(100))
    assert engine.load_image(png_declaring(100, 100, whole), **LIMITS).shape == (100, 100, 3)


@pytest.mark.parametrize("mode", ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"])
def test_complete_pngs_of_every_bit_depth_and_colour_type_still_load(mode):
    image = Image.new(mode, (37, 23))
    assert engine.load_image(saved(image), **LIMITS).shape == (23, 37, 3)


def test_a_truncated_file_is_refused_with_the_reason():
    data = saved(Image.effect_noise((300, 200), 64).convert("RGB"))
    with pytest.raises(engine.ImageRejected, match="damaged or incomplete"):
        engine.load_image(data[: len(data) // 2], **LIMITS)


def test_the_header_is_checked_against_the_cap_before_any_pixel_is_decoded():
    # 6,000 x 6,000 pixels in about 100 KB: decoded, 108 MB; enrolled, gigabytes.
    data = saved(Image.new("L", (6000, 6000)))
    assert len(data) < 200_000
    assert engine.check_image(data, **LIMITS) == (6000, 6000)
    with pytest.raises(engine.ImageRejected) as refused:
        engine.check_image(data, max_bytes=LIMITS["max_bytes"], max_pixels=4_000_000)
    assert refused.value.reason_code == "too_many_pixels"
    assert "6,000 × 6,000 pixels (36 megapixels); the limit is 4 megapixels" in (  # noqa: RUF001
        refused.value.message
    )


def test_check_image_leaves_a_callers_stream_where_it_was():
    stream = io.BytesIO(saved(Image.new("RGB", (10, 10))))
    stream.seek(0)
    assert engine.check_image(stream, **LIMITS) == (10, 10)
    assert stream.tell() == 0


# --- watchlist images --------------------------------------------------------------------------
def test_watchlist_images_have_a_tighter_pixel_cap_than_frames(settings):
    assert settings.OVERSIGHT_MAX_WATCHLIST_IMAGE_PIXELS < settings.OVERSIGHT_MAX_IMAGE_PIXELS


def _add(deployment: Any, by: Any, data: bytes) -> WatchlistEntry:
    return services.watchlist_entry_add(
        deployment=deployment,
        by=by,
        subject_reference="W-2026-009",
        category="wanted_by_court",
        image_provenance="Custody image system, record 01/2345/25.",
        legal_basis="Custody image taken under PACE s.64A.",
        image=ContentFile(data, name="upload.png"),
    )


@pytest.mark.django_db
def test_a_large_watchlist_image_is_refused_at_upload_and_never_stored(
    actors, draft, settings, django_capture_on_commit_callbacks
):
    data = saved(Image.new("L", (6000, 6000)))
    with django_capture_on_commit_callbacks(execute=True) as queued:
        entry = _add(draft, actors.planner, data)
    assert queued == []  # no enrolment: nothing was decoded
    assert entry.status == WatchlistEntry.Status.REFUSED
    assert entry.refusal_code == "too_many_pixels"
    assert "the limit is 4 megapixels" in entry.refusal_reason
    assert not entry.image


@pytest.mark.django_db
def test_a_watchlist_png_shorter_than_its_header_is_refused_by_enrolment(
    actors, draft, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        entry = _add(draft, actors.planner, png_declaring(1, 40_000, b"\x00\x00"))
    entry.refresh_from_db()
    assert entry.status == WatchlistEntry.Status.REFUSED
    assert entry.refusal_code == "unreadable"
    assert "damaged or incomplete" in entry.refusal_reason


@pytest.mark.django_db
def test_the_watchlist_form_states_the_pixel_limit(actors, draft):
    from matching.forms import WatchlistEntryForm

    help_text = str(WatchlistEntryForm(deployment=draft).fields["image"].help_text)
    assert "4 megapixels" in help_text
