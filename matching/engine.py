"""The face-matching engine: load an image, find faces, encode them, match against a watchlist.

Free of Django on purpose, so that it can be tested and benchmarked alone and so that a
matching worker needs nothing but numpy, Pillow and face_recognition (dlib). Numpy arrays go
in and plain values come out; nothing here writes to disk, a database or a log.

Images are RGB ``uint8`` arrays of shape (height, width, 3). Face locations use the library's
``(top, right, bottom, left)`` order in pixel coordinates of the full-resolution image.
Encodings are 128 float64 values per face, compared by Euclidean distance, and a probe matches
a watchlist entry when the distance is at most the threshold, as in
``face_recognition.compare_faces``.
"""

from __future__ import annotations

import io
import math
import os
import struct
import threading
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Final

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageFile, ImageOps, UnidentifiedImageError

# face_recognition imports face_recognition_models inside a bare ``except Exception`` that
# prints "please install face_recognition_models" and calls quit(): the process exits with
# status 0, so a broken install would look like a clean run. Importing the models package
# first lets its real ImportError propagate. The models package imports pkg_resources,
# whose deprecation warning would otherwise fail any run that treats warnings as errors.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="pkg_resources is deprecated", category=UserWarning)
    import face_recognition_models  # noqa: F401

# isort: split
import face_recognition

# face_recognition switches this on at import, and so does WeasyPrint (imported later, when a
# PDF is first rendered in the same process). A truncated upload would then decode with a grey
# band where the rest of the face should be, and could be enrolled; Pillow's default refuses
# it. `load_image` therefore switches it off again before every decode, not only here.
ImageFile.LOAD_TRUNCATED_IMAGES = False

__all__ = [
    "CROP_MARGIN",
    "ENCODING_SIZE",
    "FaceCrop",
    "FrameMatch",
    "FrameResult",
    "ImageRejected",
    "Location",
    "Match",
    "Matcher",
    "check_image",
    "crop_face",
    "crop_from_wire",
    "crop_to_wire",
    "detect_faces",
    "encode_crops",
    "encode_faces",
    "face_crops",
    "load_image",
    "process_frame",
]

ENCODING_SIZE: Final = 128

Location = tuple[int, int, int, int]
"""A face box as ``(top, right, bottom, left)`` pixel coordinates."""

RGBImage = npt.NDArray[np.uint8]

# Formats a camera, a custody-image system or a scanner produces. Anything else is refused
# before Pillow picks a decoder, which keeps rarely exercised decoders out of reach of uploads.
# (The multi-picture JPEGs many phones write come in through the JPEG entry, as MPO.)
_ACCEPTED_FORMATS: Final = ("JPEG", "PNG", "WEBP", "TIFF", "BMP", "GIF")
_ACCEPTED_FORMATS_TEXT: Final = "JPEG, PNG, WebP, TIFF, BMP or GIF"


class ImageRejected(Exception):
    """An image the engine will not process, with a code for programs and a message for people.

    Codes: ``too_large`` (file size), ``too_many_pixels`` (dimensions), ``unreadable`` (not an
    image in an accepted format, truncated or corrupt).
    """

    def __init__(self, reason_code: str, message: str) -> None:
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message

    def __repr__(self) -> str:
        return f"ImageRejected({self.reason_code!r}, {self.message!r})"


# -- Loading -----------------------------------------------------------------------------------


def _human_bytes(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f}".removesuffix(".0") + " MB"
    if size >= 1024:
        return f"{size / 1024:.1f}".removesuffix(".0") + " KB"
    return f"{size} bytes"


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:,.1f}".removesuffix(".0")


def _open_source(
    data: bytes | str | os.PathLike[str] | BinaryIO, *, max_bytes: int
) -> tuple[BinaryIO, bool]:
    """A readable stream over ``data``, checked for size without reading it, and whether the
    stream is ours to close (a caller's own stream is left open)."""
    owned = True
    if isinstance(data, bytes | bytearray | memoryview):
        size = len(data)
        stream: BinaryIO = io.BytesIO(data)
    elif isinstance(data, str | os.PathLike):
        path = Path(data)
        try:
            size = path.stat().st_size
        except OSError as exc:
            raise ImageRejected(
                "unreadable", f"The image file could not be opened ({exc.strerror})."
            ) from exc
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        return path.open("rb"), True
    else:
        stream = data
        owned = False
        if stream.seekable():
            start = stream.tell()
            size = stream.seek(0, io.SEEK_END) - start
            stream.seek(start)
        else:
            # Read one byte past the limit: enough to know it is too large, never more.
            buffered = stream.read(max_bytes + 1)
            size = len(buffered)
            stream = io.BytesIO(buffered)
            owned = True
    if size > max_bytes:
        raise _too_large(size, max_bytes)
    return stream, owned


def _too_large(size: int, max_bytes: int) -> ImageRejected:
    return ImageRejected(
        "too_large",
        f"The file is {_human_bytes(size)}; the limit is {_human_bytes(max_bytes)}. "
        "Send a smaller image.",
    )


def _too_many_pixels(width: int, height: int, max_pixels: int) -> ImageRejected:
    return ImageRejected(
        "too_many_pixels",
        f"The image is {width:,} × {height:,} pixels ({_megapixels(width * height)} "  # noqa: RUF001
        f"megapixels); the limit is {_megapixels(max_pixels)} megapixels. "
        "Send a smaller image.",
    )


def _unreadable(detail: str = "") -> ImageRejected:
    return ImageRejected(
        "unreadable",
        f"The file is not an image that can be read{detail}. "
        f"Send a complete {_ACCEPTED_FORMATS_TEXT} image.",
    )


# PNG colour types and the channels each stores per pixel (PNG specification, 11.2.2 IHDR).
_PNG_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
# Adam7 interlacing: (first column, first row, column step, row step) of each pass.
_ADAM7: Final = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_PNG_SIGNATURE: Final = b"\x89PNG\r\n\x1a\n"


def _png_expected_bytes(width: int, height: int, bit_depth: int, colour: int, laced: int) -> int:
    """How many bytes the PNG's decompressed image data must hold: each row is one filter
    byte and its packed samples; an interlaced image is seven smaller images."""
    bits = bit_depth * _PNG_CHANNELS.get(colour, 4)
    passes = _ADAM7 if laced else ((0, 0, 1, 1),)
    total = 0
    for x0, y0, dx, dy in passes:
        columns = max(0, -(-(width - x0) // dx))
        rows = max(0, -(-(height - y0) // dy))
        if columns and rows:
            total += rows * (1 + -(-(columns * bits) // 8))
    return total


def _check_png_data(stream: BinaryIO, start: int) -> None:
    """Refuse a PNG whose image data is shorter than its header declares.

    Pillow fills the missing rows of such a file with black instead of failing (a 69-byte file
    can declare 1 x 40,000,000 pixels and come out as 120 MB of padding). The compressed data
    is inflated here in bounded pieces, counting bytes without keeping them, before any pixel
    is decoded: the cost is bounded by the pixel cap the caller already applied.
    """
    import zlib

    stream.seek(start)
    if stream.read(8) != _PNG_SIGNATURE:
        raise _unreadable(" (it is damaged or incomplete)")
    inflater = zlib.decompressobj()
    expected: int | None = None
    produced = 0
    while True:
        header = stream.read(8)
        if len(header) < 8:
            break
        length, kind = struct.unpack(">I4s", header)
        if kind == b"IHDR" and length >= 13:
            width, height, depth, colour, _, _, laced = struct.unpack(">IIBBBBB", stream.read(13))
            expected = _png_expected_bytes(width, height, depth, colour, laced)
            stream.seek(length - 13 + 4, io.SEEK_CUR)
            continue
        if kind == b"IDAT":
            remaining = length
            while remaining and (expected is None or produced <= expected):
                piece = stream.read(min(remaining, 1 << 16))
                if not piece:
                    break
                remaining -= len(piece)
                try:
                    produced += len(inflater.decompress(piece, 1 << 20))
                    while inflater.unconsumed_tail and (expected is None or produced <= expected):
                        produced += len(inflater.decompress(inflater.unconsumed_tail, 1 << 20))
                except zlib.error:
                    raise _unreadable(" (its compressed image data is damaged)") from None
            stream.seek(remaining + 4, io.SEEK_CUR)
            continue
        if kind == b"IEND":
            break
        stream.seek(length + 4, io.SEEK_CUR)
    if expected is None or produced < expected:
        raise ImageRejected(
            "unreadable",
            "The file is not an image that can be read (it is damaged or incomplete: its "
            f"header promises {expected or 0:,} bytes of image data and it holds {produced:,}). "
            f"Send a complete {_ACCEPTED_FORMATS_TEXT} image.",
        )
    stream.seek(start)


def load_image(
    data: bytes | str | os.PathLike[str] | BinaryIO, *, max_bytes: int, max_pixels: int
) -> RGBImage:
    """Decode an image into an upright RGB ``uint8`` array of shape (height, width, 3).

    ``data`` is the file's bytes, a path, or a binary stream. The file size is checked before
    anything is read and the pixel count from the header before any pixel is decoded, so an
    oversized file or a decompression bomb costs nothing. EXIF orientation is applied, and
    CMYK, palette, 16- and 32-bit, greyscale, bilevel and transparent images are converted to
    RGB (transparency is composited onto white, as the image would be printed).

    Raises ``ImageRejected`` with code ``too_large``, ``too_many_pixels`` or ``unreadable``.
    """
    if max_bytes <= 0 or max_pixels <= 0:
        raise ValueError("max_bytes and max_pixels must be positive")
    stream, owned = _open_source(data, max_bytes=max_bytes)
    try:
        image = _open_checked(stream, max_pixels=max_pixels)
        with image:
            width, height = image.size
            try:
                ImageFile.LOAD_TRUNCATED_IMAGES = False  # see the comment at the imports
                image.load()
                return _to_rgb_array(_upright(image))
            except ImageRejected:
                raise
            except Image.DecompressionBombError:
                raise _too_many_pixels(width, height, max_pixels) from None
            except (OSError, SyntaxError, ValueError, TypeError, KeyError, EOFError) as exc:
                # Truncated and corrupt files surface as any of these, depending on the codec.
                raise _unreadable(" (it is damaged or incomplete)") from exc
    finally:
        if owned:
            stream.close()


def check_image(
    data: bytes | str | os.PathLike[str] | BinaryIO, *, max_bytes: int, max_pixels: int
) -> tuple[int, int]:
    """Check an image without decoding its pixels: its size, its format, the dimensions its
    header declares against ``max_pixels``, and (for PNG) that it holds the data it declares.

    Returns ``(width, height)``; raises ``ImageRejected`` as ``load_image`` does. A caller's
    own stream is put back where it was.
    """
    if max_bytes <= 0 or max_pixels <= 0:
        raise ValueError("max_bytes and max_pixels must be positive")
    stream, owned = _open_source(data, max_bytes=max_bytes)
    position = stream.tell()
    try:
        with _open_checked(stream, max_pixels=max_pixels) as image:
            return image.size
    finally:
        if owned:
            stream.close()
        else:
            stream.seek(position)


def _open_checked(stream: BinaryIO, *, max_pixels: int) -> Image.Image:
    """Open an image's header, refusing it before any pixel is decoded when it declares more
    than ``max_pixels``, no pixels at all, or (PNG) more pixels than its data holds."""
    start = stream.tell()
    try:
        # Image.open reads only the header. Pillow's own bomb check raises beyond twice
        # Image.MAX_IMAGE_PIXELS; ours below is the one that normally applies.
        image = Image.open(stream, formats=_ACCEPTED_FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Raised (the warning only when warnings are errors) before the size reaches us.
        raise ImageRejected(
            "too_many_pixels",
            f"The image has more than {_megapixels(Image.MAX_IMAGE_PIXELS or 0)} "
            f"megapixels; the limit is {_megapixels(max_pixels)} megapixels. "
            "Send a smaller image.",
        ) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise _unreadable() from exc
    try:
        width, height = image.size
        if width * height > max_pixels:
            raise _too_many_pixels(width, height, max_pixels)
        if width == 0 or height == 0:
            raise _unreadable(" (it has no pixels)")
        if image.format == "PNG":
            _check_png_data(stream, start)
    except BaseException:
        image.close()
        raise
    return image


def _upright(image: Image.Image) -> Image.Image:
    try:
        return ImageOps.exif_transpose(image)
    except (ValueError, TypeError, KeyError, SyntaxError, struct.error):
        # A malformed EXIF block should not cost a good photograph: use the pixels as stored.
        # If that leaves the face sideways, detection finds none and says so.
        return image


def _to_rgb_array(image: Image.Image) -> RGBImage:
    mode = image.mode
    if mode == "RGB":
        rgb = image
    elif mode in ("RGBA", "LA", "PA", "RGBa", "La") or (
        mode == "P" and "transparency" in image.info
    ):
        rgba = image.convert("RGBA")
        rgb = Image.new("RGB", rgba.size, (255, 255, 255))
        rgb.paste(rgba, mask=rgba.getchannel("A"))
    elif mode.startswith("I") or mode == "F":
        return _wide_grey_to_rgb(image)
    else:
        # CMYK, YCbCr, LAB, HSV, P, L and 1 all have a defined conversion in Pillow.
        rgb = image.convert("RGB")
    return np.ascontiguousarray(np.asarray(rgb, dtype=np.uint8))


def _wide_grey_to_rgb(image: Image.Image) -> RGBImage:
    """Scale a 16- or 32-bit greyscale image to 8 bits; Pillow's convert would clip it."""
    values = np.asarray(image).astype(np.float64)
    if values.ndim != 2:
        raise _unreadable(" (its pixel format is not supported)")
    if not np.isfinite(values).all():
        raise _unreadable(" (it contains invalid pixel values)")
    if image.mode.startswith("I;16"):
        peak = 65535.0
    else:
        # 32-bit integer and float images carry no declared range: 16-bit scans stored as
        # "I" are the common case, so use the smallest usual range that holds the data.
        top = float(values.max(initial=0.0))
        peak = next((p for p in (1.0, 255.0, 65535.0) if top <= p), top)
    grey = np.clip(np.rint(values * (255.0 / peak)), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(np.repeat(grey[:, :, np.newaxis], 3, axis=2))


# -- Detection and encoding --------------------------------------------------------------------


def _check_image(image: np.ndarray) -> None:
    if image.dtype != np.uint8 or image.ndim != 3 or image.shape[2] != 3:
        raise ValueError(f"expected an RGB uint8 image, got {image.dtype} of shape {image.shape}")


def detect_faces(
    image: RGBImage, *, upsample: int = 0, scale: float = 1.0, grey: bool = False
) -> list[Location]:
    """Find faces with dlib's HOG detector and return their boxes in full-resolution pixels.

    ``scale`` below 1 runs the detector on a smaller copy, which is much faster (HOG cost grows
    with the pixel count) and loses only faces smaller than about 80 / scale pixels across
    at ``upsample=0``; each ``upsample`` step doubles the image and halves that size at about
    four times the cost. ``grey`` detects on luminance only, which is a little faster again.
    """
    _check_image(image)
    if not 0.0 < scale <= 1.0:
        raise ValueError("scale must be greater than 0 and at most 1")
    if upsample < 0:
        raise ValueError("upsample must not be negative")
    height, width = image.shape[:2]
    small_size = (max(1, round(width * scale)), max(1, round(height * scale)))
    target: np.ndarray = image
    if grey or small_size != (width, height):
        picture = Image.fromarray(image)
        if grey:
            picture = picture.convert("L")
        if small_size != (width, height):
            picture = picture.resize(small_size, Image.Resampling.BILINEAR)
        target = np.asarray(picture)
    found = face_recognition.face_locations(
        target, number_of_times_to_upsample=upsample, model="hog"
    )
    x_factor = width / small_size[0]
    y_factor = height / small_size[1]
    boxes: list[Location] = []
    for top, right, bottom, left in found:
        boxes.append(
            (
                max(0, round(top * y_factor)),
                min(width, round(right * x_factor)),
                min(height, round(bottom * y_factor)),
                max(0, round(left * x_factor)),
            )
        )
    return boxes


def encode_faces(image: RGBImage, locations: Sequence[Location]) -> npt.NDArray[np.float64]:
    """Encode each located face as 128 float64 values; returns an (N, 128) array.

    Uses the 5-point landmark model: the 68-point model's training data forbids commercial
    use. One jitter, as the library's default; more jitters cost linearly for a small gain.
    """
    _check_image(image)
    if not locations:
        return np.empty((0, ENCODING_SIZE), dtype=np.float64)
    encodings = face_recognition.face_encodings(
        image, known_face_locations=list(locations), num_jitters=1, model="small"
    )
    stacked = np.array(encodings, dtype=np.float64).reshape(len(locations), ENCODING_SIZE)
    # The per-face copies are garbage from here on; blank them rather than leave biometric
    # templates in freed memory (see process_frame).
    for encoding in encodings:
        encoding.fill(0.0)
    return stacked


def crop_face(
    image: RGBImage, location: Location, *, margin: float = 0.25, quality: int = 90
) -> bytes:
    """Return a JPEG of the face with ``margin`` of its width and height added on each side."""
    _check_image(image)
    if margin < 0:
        raise ValueError("margin must not be negative")
    height, width = image.shape[:2]
    top, right, bottom, left = location
    pad_y = round((bottom - top) * margin)
    pad_x = round((right - left) * margin)
    top, bottom = max(0, top - pad_y), min(height, bottom + pad_y)
    left, right = max(0, left - pad_x), min(width, right + pad_x)
    if bottom <= top or right <= left:
        raise ValueError(f"the face box {location} lies outside the image")
    buffer = io.BytesIO()
    Image.fromarray(image[top:bottom, left:right]).save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class FaceCrop:
    """One detected face cut out of its frame with room around it, and where the face is in it.

    What an ingest worker sends a matching worker instead of the whole frame: the pixels the
    encoder reads (the landmarks and the aligned chip lie within ``CROP_MARGIN`` of the box),
    so the encoding is the one the whole frame would give, and nothing else of the scene.
    """

    pixels: RGBImage
    location: Location


# Room kept around a face box, as a share of its size on each side: dlib's aligned chip adds a
# quarter of the landmarks' span, and the landmarks lie within the box; a half is ample.
CROP_MARGIN: Final = 0.5


def face_crops(image: RGBImage, locations: Sequence[Location]) -> list[FaceCrop]:
    """Cut each located face out of the frame with ``CROP_MARGIN`` around it (a copy)."""
    _check_image(image)
    height, width = image.shape[:2]
    crops = []
    for top, right, bottom, left in locations:
        pad_y = math.ceil((bottom - top) * CROP_MARGIN)
        pad_x = math.ceil((right - left) * CROP_MARGIN)
        y0, y1 = max(0, top - pad_y), min(height, bottom + pad_y)
        x0, x1 = max(0, left - pad_x), min(width, right + pad_x)
        pixels = np.ascontiguousarray(image[y0:y1, x0:x1])
        crops.append(FaceCrop(pixels, (top - y0, right - x0, bottom - y0, left - x0)))
    return crops


def encode_crops(crops: Sequence[FaceCrop]) -> npt.NDArray[np.float64]:
    """Encode each crop's face; returns an (N, 128) array, as `encode_faces` would."""
    if not crops:
        return np.empty((0, ENCODING_SIZE), dtype=np.float64)
    return np.vstack([encode_faces(crop.pixels, [crop.location]) for crop in crops])


def crop_to_wire(crop: FaceCrop) -> dict[str, object]:
    """A crop as JSON for the queue: lossless PNG (so the encoding is unchanged), base64."""
    import base64

    buffer = io.BytesIO()
    Image.fromarray(crop.pixels).save(buffer, format="PNG", compress_level=1)
    return {"png": base64.b64encode(buffer.getvalue()).decode("ascii"), "box": list(crop.location)}


def crop_from_wire(data: dict[str, object], *, max_pixels: int) -> FaceCrop:
    """The crop `crop_to_wire` sent, checked like any image from outside the process."""
    import base64

    raw = base64.b64decode(str(data["png"]), validate=True)
    image = load_image(raw, max_bytes=len(raw), max_pixels=max_pixels)
    if not image.flags.writeable:
        image = image.copy()  # so that the matching worker can blank it once matched
    box = data["box"]
    if not isinstance(box, list) or len(box) != 4:
        raise ImageRejected("bad_crop", "A face crop came without its face box.")
    top, right, bottom, left = (int(v) for v in box)
    height, width = image.shape[:2]
    if not (0 <= top < bottom <= height and 0 <= left < right <= width):
        raise ImageRejected("bad_crop", "A face crop's box lies outside the crop.")
    return FaceCrop(image, (top, right, bottom, left))


# -- Matching ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Match:
    """A probe's nearest watchlist entry, at or within the threshold."""

    entry_id: Hashable
    index: int
    distance: float


# How far a float32 squared distance may be from the float64 one, relative to |p|² + |w|².
# Rounding in a 128-term single-precision dot product is bounded by 128 x 2^-24 ≈ 7.6e-6 of
# |p||w|, and casting a probe that is not already single precision adds about 1e-7; 2.5e-4
# is 25 times the worst case. For real encodings (norms near 1.4) the band is 1e-3 in squared
# distance. Every probe whose result lies within the band of the threshold, or whose runner-up
# lies within it of the best, is settled again in float64: the band costs time, never accuracy.
_RELATIVE_SLACK: Final = 2.5e-4

# Scratch space for one block of probe-by-entry products. 64 MB holds 163 probes against
# 100,000 entries; blocks of 32 MB and up ran within about 10% of one another on this
# machine, and much smaller ones several times slower.
_DEFAULT_WORK_BYTES: Final = 64 * 1024 * 1024


class Matcher:
    """Nearest-neighbour search of probe encodings against a fixed watchlist.

    The watchlist is held once, as a C-contiguous float32 matrix with its squared row norms.
    A batch of probes is compared in one matrix product per block (|p|² + |w|² - 2 p·w, the
    argmin taken without forming |p|², which is constant per probe). Whenever the float32
    answer is close to the threshold, or two entries are nearly tied for nearest, the
    candidates are measured again in float64 exactly as ``face_recognition.face_distance``
    does, so both the nearest entry and the match decision agree with the library.

    dlib computes descriptors in single precision, so real encodings survive the float32 cast
    unchanged and the re-check reproduces ``face_distance`` bit for bit; no float64 copy of
    the watchlist is kept. ``is_exact`` says whether that held for the encodings given.

    Instances are safe to share between threads: the scratch buffer is guarded by a lock.
    """

    def __init__(
        self,
        encodings: npt.ArrayLike,
        *,
        entry_ids: Sequence[Hashable],
        work_bytes: int = _DEFAULT_WORK_BYTES,
    ) -> None:
        source = np.asarray(encodings, dtype=np.float64)
        if source.size == 0:
            source = source.reshape(0, ENCODING_SIZE)
        if source.ndim != 2 or source.shape[1] != ENCODING_SIZE:
            raise ValueError(f"expected encodings of shape (N, 128), got {source.shape}")
        if len(entry_ids) != source.shape[0]:
            raise ValueError(
                f"{source.shape[0]} encodings but {len(entry_ids)} entry ids were given"
            )
        if not np.isfinite(source).all():
            raise ValueError("encodings contain NaN or infinite values")
        self._entry_ids: tuple[Hashable, ...] = tuple(entry_ids)
        self._matrix = np.ascontiguousarray(source, dtype=np.float32)
        self.is_exact = bool(np.array_equal(self._matrix, source))
        squares = np.einsum("ij,ij->i", self._matrix, self._matrix, dtype=np.float64)
        self._sq_norms = squares.astype(np.float32)
        self._max_sq_norm = float(squares.max(initial=0.0))
        self._block_rows = max(1, work_bytes // max(1, 4 * len(self._entry_ids)))
        self._buffer = np.empty((0, len(self._entry_ids)), dtype=np.float32)
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entry_ids)

    @property
    def nbytes(self) -> int:
        """Bytes held for the watchlist itself (matrix and norms), excluding scratch space."""
        return self._matrix.nbytes + self._sq_norms.nbytes

    @property
    def scratch_nbytes(self) -> int:
        """Bytes of the reusable scratch buffer, which grows to the largest block used."""
        return self._buffer.nbytes

    def match(self, probes: npt.ArrayLike, *, threshold: float) -> list[Match | None]:
        """For each probe, its nearest entry if within ``threshold`` (Euclidean), else None."""
        if not (math.isfinite(threshold) and threshold >= 0):
            raise ValueError("threshold must be a finite, non-negative distance")
        probes64 = self._check_probes(probes)
        if len(self) == 0 or len(probes64) == 0:
            return [None] * len(probes64)
        indices, distances, settled = self._search(probes64, settle_below=threshold * threshold)
        results: list[Match | None] = []
        for index, distance, is_settled in zip(
            indices.tolist(), distances.tolist(), settled.tolist(), strict=True
        ):
            # Unsettled rows are beyond the threshold by more than float32 error can explain.
            if is_settled and distance <= threshold:
                results.append(Match(self._entry_ids[index], index, distance))
            else:
                results.append(None)
        return results

    def top1(self, probes: npt.ArrayLike) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64]]:
        """Index and distance of each probe's nearest entry, all settled in float64.

        Index -1 and distance infinity when the watchlist is empty. For benchmarks and
        evaluation; live matching uses ``match``.
        """
        probes64 = self._check_probes(probes)
        if len(self) == 0 or len(probes64) == 0:
            return (
                np.full(len(probes64), -1, dtype=np.int64),
                np.full(len(probes64), np.inf, dtype=np.float64),
            )
        indices, distances, _ = self._search(probes64, settle_below=math.inf)
        return indices, distances

    def _check_probes(self, probes: npt.ArrayLike) -> npt.NDArray[np.float64]:
        array = np.asarray(probes, dtype=np.float64)
        if array.size == 0:
            return array.reshape(0, ENCODING_SIZE)
        if array.ndim != 2 or array.shape[1] != ENCODING_SIZE:
            raise ValueError(f"expected probes of shape (N, 128), got {array.shape}")
        if not np.isfinite(array).all():
            raise ValueError("probes contain NaN or infinite values")
        return array

    def _search(
        self, probes64: npt.NDArray[np.float64], *, settle_below: float
    ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
        """Nearest entry per probe. Probes whose squared distance may be at or below
        ``settle_below`` are settled in float64 (exact index and distance); the others keep
        the float32 estimate and are marked unsettled."""
        count = len(probes64)
        indices = np.empty(count, dtype=np.int64)
        distances = np.empty(count, dtype=np.float64)
        settled = np.zeros(count, dtype=np.bool_)
        # Doubling is exact in binary floating point, so 2p·w - |w|² costs no extra rounding.
        doubled = np.ascontiguousarray(probes64 * 2.0, dtype=np.float32)
        probe_sq = np.einsum("ij,ij->i", probes64, probes64)
        slack = _RELATIVE_SLACK * (probe_sq + self._max_sq_norm)
        with self._lock:
            rows = min(count, self._block_rows)
            if self._buffer.shape[0] < rows:
                self._buffer = np.empty((rows, len(self)), dtype=np.float32)
            for start in range(0, count, rows):
                stop = min(count, start + rows)
                block = self._buffer[: stop - start]
                # score = 2p·w - |w|² = |p|² - d², so the nearest entry has the highest score.
                np.matmul(doubled[start:stop], self._matrix.T, out=block)
                block -= self._sq_norms
                best = block.argmax(axis=1)
                span = np.arange(stop - start)
                best_scores = block[span, best].astype(np.float64)
                d2 = np.maximum(probe_sq[start:stop] - best_scores, 0.0)
                indices[start:stop] = best
                distances[start:stop] = np.sqrt(d2)
                unsure = d2 - slack[start:stop] <= settle_below
                for row in np.flatnonzero(unsure).tolist():
                    # Compared in float32: a float64 bound would convert the whole row first.
                    floor = np.float32(best_scores[row] - slack[start + row])
                    candidates = np.flatnonzero(block[row] >= floor)
                    index, distance = self._settle(probes64[start + row], candidates)
                    indices[start + row] = index
                    distances[start + row] = distance
                    settled[start + row] = True
        return indices, distances, settled

    def _settle(
        self, probe: npt.NDArray[np.float64], candidates: npt.NDArray[np.intp]
    ) -> tuple[int, float]:
        # The same expression as face_recognition.face_distance, so the values are identical;
        # candidates are in ascending order, so exact ties resolve to the lowest index as
        # numpy's argmin over the whole watchlist would.
        exact = np.linalg.norm(self._matrix[candidates].astype(np.float64) - probe, axis=1)
        position = int(np.argmin(exact))
        return int(candidates[position]), float(exact[position])


# -- One frame ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameMatch:
    """A face in the frame that matched a watchlist entry, and where it is."""

    entry_id: Hashable
    index: int
    distance: float
    location: Location


@dataclass(frozen=True, slots=True)
class FrameResult:
    """What one frame yielded: how many faces were seen and which of them matched.

    Deliberately holds nothing about faces that matched no one.
    """

    faces_seen: int
    matches: tuple[FrameMatch, ...]


def process_frame(
    image: RGBImage,
    matcher: Matcher,
    *,
    threshold: float,
    upsample: int = 0,
    scale: float = 1.0,
    grey: bool = False,
) -> FrameResult:
    """Detect, encode and match every face in one frame.

    Detection may run on a reduced copy (``scale``); encoding always uses the full-resolution
    pixels. Encodings never leave this function and are blanked once matched, so that a
    person who matches no one leaves neither a result nor, as far as numpy's memory goes, a
    template behind; only the matches are returned.
    """
    locations = detect_faces(image, upsample=upsample, scale=scale, grey=grey)
    encodings = encode_faces(image, locations)
    try:
        found = matcher.match(encodings, threshold=threshold)
    finally:
        encodings.fill(0.0)
    matches = tuple(
        FrameMatch(match.entry_id, match.index, match.distance, location)
        for match, location in zip(found, locations, strict=True)
        if match is not None
    )
    return FrameResult(faces_seen=len(locations), matches=matches)
