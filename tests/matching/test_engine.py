"""Tests of matching/engine.py: loading, detection, encoding, matching and one frame."""

from __future__ import annotations

import dataclasses
import io
import struct
import zlib
from pathlib import Path

import face_recognition
import numpy as np
import pytest
from PIL import Image, ImageFile

from matching import engine
from matching.samples import compose_two_faces, no_face_image, synthetic_encodings

LIMITS = {"max_bytes": 20 * 1024 * 1024, "max_pixels": 40_000_000}

THRESHOLD = 0.6
SAME_PERSON = (
    "obama2.jpg",
    "obama3.jpg",
    "obama_partial_face.jpg",
    "obama_partial_face2.jpg",
    "32bit.png",
)


# -- Helpers -----------------------------------------------------------------------------------


def upright_reference() -> Image.Image:
    """60 x 40 grey picture with a red block in the top-left corner and a blue one bottom-right,
    so that any rotation or mirror image is detectable."""
    picture = Image.new("RGB", (60, 40), (128, 128, 128))
    picture.paste((220, 30, 30), (0, 0, 15, 10))
    picture.paste((30, 30, 220), (45, 30, 60, 40))
    return picture


def encode(image: Image.Image, format: str, **params: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **params)
    return buffer.getvalue()


def load(data: bytes) -> np.ndarray:
    return engine.load_image(data, **LIMITS)


def assert_rgb(array: np.ndarray, *, height: int, width: int) -> None:
    assert array.dtype == np.uint8
    assert array.shape == (height, width, 3)
    assert array.flags.c_contiguous


def png_header_only(width: int, height: int) -> bytes:
    """A PNG signature and header declaring the given size, and no pixel data at all."""
    header = b"IHDR" + struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    end = b"IEND"
    return (
        b"\x89PNG\r\n\x1a\n"
        + struct.pack(">I", 13)
        + header
        + struct.pack(">I", zlib.crc32(header))
        + struct.pack(">I", 0)
        + end
        + struct.pack(">I", zlib.crc32(end))
    )


@pytest.fixture
def decoding_forbidden(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse)


# -- load_image: colour modes and orientation --------------------------------------------------


def test_rgb_jpeg_loads_as_rgb_uint8() -> None:
    array = load(encode(upright_reference(), "JPEG", quality=95))
    assert_rgb(array, height=40, width=60)
    assert np.abs(array.astype(int) - np.asarray(upright_reference())).mean() < 4


def test_cmyk_image_is_converted_to_rgb() -> None:
    cmyk = upright_reference().convert("CMYK")
    array = load(encode(cmyk, "TIFF"))
    assert_rgb(array, height=40, width=60)
    assert np.array_equal(array, np.asarray(upright_reference()))


def test_cmyk_jpeg_is_converted_to_rgb() -> None:
    array = load(encode(upright_reference().convert("CMYK"), "JPEG", quality=95))
    assert_rgb(array, height=40, width=60)
    assert np.abs(array.astype(int) - np.asarray(upright_reference())).mean() < 6


def test_palette_image_is_converted_to_rgb() -> None:
    palette = upright_reference().convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    array = load(encode(palette, "PNG"))
    assert_rgb(array, height=40, width=60)
    assert np.array_equal(array, np.asarray(upright_reference()))


def test_transparent_palette_pixels_become_white() -> None:
    palette = upright_reference().convert("P", palette=Image.Palette.ADAPTIVE, colors=8)
    red_index = palette.getpixel((0, 0))
    array = load(encode(palette, "PNG", transparency=red_index))
    assert tuple(array[0, 0]) == (255, 255, 255)
    assert tuple(array[20, 30]) == (128, 128, 128)


def test_sixteen_bit_greyscale_is_scaled_not_clipped() -> None:
    grey = np.tile(np.arange(0, 256, 4, dtype=np.uint16), (40, 1))  # 64 columns of 0..252
    wide = Image.fromarray(grey * 257)
    assert wide.mode == "I;16"
    array = load(encode(wide, "PNG"))
    assert_rgb(array, height=40, width=64)
    for channel in range(3):
        assert np.array_equal(array[:, :, channel], grey)


def test_thirty_two_bit_integer_greyscale_is_scaled() -> None:
    grey = np.tile(np.arange(0, 256, 4, dtype=np.int32), (40, 1))
    wide = Image.fromarray(grey * 257)
    assert wide.mode == "I"
    array = load(encode(wide, "TIFF"))
    assert_rgb(array, height=40, width=64)
    assert np.array_equal(array[:, :, 1], grey)


def test_rgba_is_composited_onto_white() -> None:
    rgba = upright_reference().convert("RGBA")
    alpha = Image.new("L", rgba.size, 255)
    alpha.paste(0, (0, 0, 15, 10))  # the red block becomes fully transparent
    alpha.paste(128, (45, 30, 60, 40))  # the blue block half transparent
    rgba.putalpha(alpha)
    array = load(encode(rgba, "PNG"))
    assert_rgb(array, height=40, width=60)
    assert tuple(array[0, 0]) == (255, 255, 255)
    assert tuple(array[20, 30]) == (128, 128, 128)
    assert np.allclose(array[35, 50], (142, 142, 237), atol=2)


def test_greyscale_with_alpha_is_composited_onto_white() -> None:
    la = Image.new("LA", (10, 10), (40, 255))
    la.paste((40, 0), (0, 0, 5, 10))
    array = load(encode(la, "PNG"))
    assert tuple(array[0, 0]) == (255, 255, 255)
    assert tuple(array[0, 9]) == (40, 40, 40)


def test_greyscale_and_bilevel_images_become_three_channels() -> None:
    grey = upright_reference().convert("L")
    array = load(encode(grey, "PNG"))
    assert_rgb(array, height=40, width=60)
    assert np.array_equal(array[:, :, 0], np.asarray(grey))
    assert np.array_equal(array[:, :, 2], np.asarray(grey))

    bilevel = Image.new("1", (8, 4), 0)
    bilevel.paste(1, (4, 0, 8, 4))
    array = load(encode(bilevel, "PNG"))
    assert_rgb(array, height=4, width=8)
    assert set(np.unique(array).tolist()) == {0, 255}
    assert tuple(array[0, 7]) == (255, 255, 255)


# Orientation tag -> the transpose that turns the upright picture into the stored one.
STORED_AS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_90,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_270,
}


@pytest.mark.parametrize("orientation", sorted(STORED_AS))
def test_exif_orientation_is_applied(orientation: int) -> None:
    stored = upright_reference().transpose(STORED_AS[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    array = load(encode(stored, "JPEG", quality=95, exif=exif.tobytes()))
    assert_rgb(array, height=40, width=60)
    assert np.abs(array.astype(int) - np.asarray(upright_reference())).mean() < 4
    red, grey, blue = array[2, 2], array[20, 30], array[37, 57]
    assert red[0] > 180 and red[2] < 80
    assert blue[2] > 180 and blue[0] < 80
    assert 100 < grey[1] < 160


def test_malformed_exif_leaves_the_pixels_as_stored(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(image: Image.Image) -> Image.Image:
        raise SyntaxError("not a TIFF file")

    monkeypatch.setattr(engine.ImageOps, "exif_transpose", broken)
    array = load(encode(upright_reference(), "PNG"))
    assert np.array_equal(array, np.asarray(upright_reference()))


def test_a_callers_stream_is_read_but_left_open() -> None:
    stream = io.BytesIO(encode(upright_reference(), "PNG"))
    array = engine.load_image(stream, **LIMITS)
    assert array.shape == (40, 60, 3)
    assert not stream.closed


# -- load_image: refusals ----------------------------------------------------------------------


def test_file_over_the_byte_limit_is_refused_with_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.jpg"
    with path.open("wb") as handle:
        handle.truncate(round(31.2 * 1024 * 1024))  # sparse: nothing is written or read
    with pytest.raises(engine.ImageRejected) as caught:
        engine.load_image(path, max_bytes=20 * 1024 * 1024, max_pixels=10**7)
    assert caught.value.reason_code == "too_large"
    assert str(caught.value) == "The file is 31.2 MB; the limit is 20 MB. Send a smaller image."


def test_bytes_over_the_limit_are_refused_before_decoding(decoding_forbidden: None) -> None:
    # Not an image at all: were it decoded first, the refusal would be "unreadable".
    with pytest.raises(engine.ImageRejected) as caught:
        engine.load_image(b"x" * 2049, max_bytes=2048, max_pixels=10**6)
    assert caught.value.reason_code == "too_large"
    assert "the limit is 2 KB" in caught.value.message


def test_unseekable_stream_is_read_only_up_to_the_limit() -> None:
    class Pipe(io.RawIOBase):
        def __init__(self) -> None:
            self.requested: list[int] = []

        def readable(self) -> bool:
            return True

        def seekable(self) -> bool:
            return False

        def read(self, size: int = -1) -> bytes:
            self.requested.append(size)
            return b"x" * (10_000 if size < 0 else min(size, 10_000))

    pipe = Pipe()
    with pytest.raises(engine.ImageRejected) as caught:
        engine.load_image(pipe, max_bytes=1000, max_pixels=10**6)  # type: ignore[arg-type]
    assert caught.value.reason_code == "too_large"
    assert pipe.requested == [1001]


def test_decompression_bomb_header_is_refused_without_decoding(decoding_forbidden: None) -> None:
    bomb = png_header_only(50_000, 50_000)
    assert len(bomb) < 100
    with pytest.raises(engine.ImageRejected) as caught:
        engine.load_image(bomb, max_bytes=1024, max_pixels=40_000_000)
    assert caught.value.reason_code == "too_many_pixels"
    assert "40 megapixels" in caught.value.message


def test_image_over_the_pixel_limit_is_refused_from_its_header(decoding_forbidden: None) -> None:
    with pytest.raises(engine.ImageRejected) as caught:
        engine.load_image(png_header_only(8000, 6000), max_bytes=1024, max_pixels=40_000_000)
    assert caught.value.reason_code == "too_many_pixels"
    assert caught.value.message == (
        "The image is 8,000 × 6,000 pixels (48 megapixels); the limit is 40 megapixels. "  # noqa: RUF001
        "Send a smaller image."
    )


def test_header_within_limits_but_without_pixels_is_unreadable() -> None:
    # The same header, small enough to pass: decoding now happens, and fails. This is what
    # shows the two tests above refused before any decoding was attempted.
    with pytest.raises(engine.ImageRejected) as caught:
        engine.load_image(png_header_only(100, 100), max_bytes=1024, max_pixels=40_000_000)
    assert caught.value.reason_code == "unreadable"


def test_truncated_jpeg_is_refused_rather_than_filled_in(sample_faces: Path) -> None:
    data = (sample_faces / "obama.jpg").read_bytes()
    with pytest.raises(engine.ImageRejected) as caught:
        load(data[: len(data) // 2])
    assert caught.value.reason_code == "unreadable"
    assert "damaged or incomplete" in caught.value.message


@pytest.mark.parametrize(
    "data",
    [b"", b"not an image at all", encode(upright_reference(), "PPM")],
    ids=["empty", "text", "unaccepted-format"],
)
def test_unreadable_data_is_refused_with_the_accepted_formats(data: bytes) -> None:
    with pytest.raises(engine.ImageRejected) as caught:
        load(data)
    assert caught.value.reason_code == "unreadable"
    assert "JPEG, PNG, WebP, TIFF, BMP or GIF" in caught.value.message


def test_missing_file_is_unreadable(tmp_path: Path) -> None:
    with pytest.raises(engine.ImageRejected) as caught:
        engine.load_image(tmp_path / "absent.jpg", **LIMITS)
    assert caught.value.reason_code == "unreadable"


# -- Detection, encoding and cropping on the sample photographs --------------------------------


@pytest.fixture(scope="session")
def sample_encodings(sample_faces: Path) -> dict[str, np.ndarray]:
    encodings = {}
    for name in ("obama.jpg", "biden.jpg", *SAME_PERSON):
        image = engine.load_image(sample_faces / name, **LIMITS)
        locations = engine.detect_faces(image)
        assert len(locations) == 1, name
        encodings[name] = engine.encode_faces(image, locations)[0]
    return encodings


@pytest.mark.parametrize("name", SAME_PERSON)
def test_other_photographs_of_obama_match_obama(
    sample_encodings: dict[str, np.ndarray], name: str
) -> None:
    matcher = engine.Matcher([sample_encodings["obama.jpg"]], entry_ids=["obama"])
    [match] = matcher.match([sample_encodings[name]], threshold=THRESHOLD)
    assert match is not None and match.entry_id == "obama"
    assert match.distance < THRESHOLD
    assert face_recognition.compare_faces(
        [sample_encodings["obama.jpg"]], sample_encodings[name], tolerance=THRESHOLD
    ) == [True]


def test_biden_does_not_match_obama(sample_encodings: dict[str, np.ndarray]) -> None:
    matcher = engine.Matcher([sample_encodings["obama.jpg"]], entry_ids=["obama"])
    assert matcher.match([sample_encodings["biden.jpg"]], threshold=THRESHOLD) == [None]
    assert matcher.top1([sample_encodings["biden.jpg"]])[1][0] > 0.7


def test_encodings_are_128_single_precision_values_stored_as_float64(
    sample_encodings: dict[str, np.ndarray],
) -> None:
    for encoding in sample_encodings.values():
        assert encoding.shape == (128,) and encoding.dtype == np.float64
        assert 1.3 < np.linalg.norm(encoding) < 1.5
        # dlib computes in float32: the matcher relies on this to hold the watchlist exactly.
        assert np.array_equal(encoding.astype(np.float32), encoding)


def test_two_people_side_by_side_give_two_faces_matched_separately(
    sample_encodings: dict[str, np.ndarray],
) -> None:
    image = load(compose_two_faces())
    matcher = engine.Matcher(
        [sample_encodings["obama.jpg"], sample_encodings["biden.jpg"]],
        entry_ids=["obama", "biden"],
    )
    result = engine.process_frame(image, matcher, threshold=THRESHOLD)
    assert result.faces_seen == 2
    by_side = sorted(result.matches, key=lambda match: match.location[3])
    assert [match.entry_id for match in by_side] == ["obama", "biden"]


def test_an_image_without_a_face_gives_no_faces() -> None:
    image = load(no_face_image())
    assert engine.detect_faces(image, upsample=1) == []
    assert engine.encode_faces(image, []).shape == (0, 128)


def box_overlap(a: engine.Location, b: engine.Location) -> float:
    top, right = max(a[0], b[0]), min(a[1], b[1])
    bottom, left = min(a[2], b[2]), max(a[3], b[3])
    inter = max(0, bottom - top) * max(0, right - left)

    def area(box: engine.Location) -> int:
        return (box[2] - box[0]) * (box[1] - box[3])

    return inter / (area(a) + area(b) - inter)


@pytest.mark.parametrize("grey", [False, True])
def test_detection_on_a_reduced_copy_reports_full_resolution_boxes(
    sample_faces: Path, grey: bool
) -> None:
    image = engine.load_image(sample_faces / "obama3.jpg", **LIMITS)
    [full] = engine.detect_faces(image)
    [reduced] = engine.detect_faces(image, scale=0.5, grey=grey)
    assert box_overlap(full, reduced) > 0.8
    height, width = image.shape[:2]
    assert 0 <= reduced[0] < reduced[2] <= height and 0 <= reduced[3] < reduced[1] <= width


def test_reduced_detection_still_matches_the_same_person(
    sample_faces: Path, sample_encodings: dict[str, np.ndarray]
) -> None:
    matcher = engine.Matcher([sample_encodings["obama.jpg"]], entry_ids=["obama"])
    image = engine.load_image(sample_faces / "obama2.jpg", **LIMITS)
    result = engine.process_frame(image, matcher, threshold=THRESHOLD, scale=0.5)
    assert result.faces_seen == 1
    assert [match.entry_id for match in result.matches] == ["obama"]


@pytest.mark.parametrize("scale", [0.0, -0.5, 1.5])
def test_detection_refuses_a_meaningless_scale(scale: float) -> None:
    with pytest.raises(ValueError):
        engine.detect_faces(np.zeros((10, 10, 3), dtype=np.uint8), scale=scale)


def test_detection_refuses_anything_but_rgb_uint8() -> None:
    with pytest.raises(ValueError):
        engine.detect_faces(np.zeros((10, 10), dtype=np.uint8))
    with pytest.raises(ValueError):
        engine.detect_faces(np.zeros((10, 10, 3), dtype=np.float64))  # type: ignore[arg-type]


def test_crop_is_a_jpeg_of_the_face_with_its_margin(sample_faces: Path) -> None:
    image = engine.load_image(sample_faces / "obama.jpg", **LIMITS)
    [location] = engine.detect_faces(image)
    top, right, bottom, left = location
    crop = Image.open(io.BytesIO(engine.crop_face(image, location, margin=0.25)))
    assert crop.format == "JPEG"
    assert crop.size == (
        min(image.shape[1], right + round((right - left) * 0.25))
        - max(0, left - round((right - left) * 0.25)),
        min(image.shape[0], bottom + round((bottom - top) * 0.25))
        - max(0, top - round((bottom - top) * 0.25)),
    )


def test_crop_at_the_edge_is_clipped_to_the_image() -> None:
    image = np.full((50, 80, 3), 200, dtype=np.uint8)
    crop = Image.open(io.BytesIO(engine.crop_face(image, (0, 20, 20, 0), margin=0.5)))
    assert crop.size == (30, 30)


# -- One frame ---------------------------------------------------------------------------------


def test_a_frame_reports_faces_seen_but_nothing_about_people_who_match_no_one(
    sample_faces: Path, sample_encodings: dict[str, np.ndarray]
) -> None:
    matcher = engine.Matcher([sample_encodings["obama.jpg"]], entry_ids=["obama"])
    image = engine.load_image(sample_faces / "biden.jpg", **LIMITS)
    result = engine.process_frame(image, matcher, threshold=THRESHOLD)
    assert result.faces_seen == 1
    assert result.matches == ()
    # Only counts and matches can leave the engine: no field for encodings or crops.
    assert [field.name for field in dataclasses.fields(result)] == ["faces_seen", "matches"]


def test_a_frame_blanks_its_encodings_once_matched(monkeypatch: pytest.MonkeyPatch) -> None:
    watchlist = synthetic_encodings(2, seed=17)
    handed_out = np.vstack([watchlist[1], synthetic_encodings(1, seed=18)])
    monkeypatch.setattr(engine, "detect_faces", lambda image, **_: [(0, 9, 9, 0), (0, 19, 9, 10)])
    monkeypatch.setattr(engine, "encode_faces", lambda image, locations: handed_out)
    matcher = engine.Matcher(watchlist, entry_ids=["a", "b"])
    image = np.zeros((10, 20, 3), dtype=np.uint8)
    result = engine.process_frame(image, matcher, threshold=THRESHOLD)
    assert result.faces_seen == 2
    assert [(match.entry_id, match.location) for match in result.matches] == [("b", (0, 9, 9, 0))]
    assert not handed_out.any()


def test_a_frame_with_no_watchlist_sees_faces_and_matches_nothing(sample_faces: Path) -> None:
    matcher = engine.Matcher(np.empty((0, 128)), entry_ids=[])
    image = engine.load_image(sample_faces / "obama2.jpg", **LIMITS)
    result = engine.process_frame(image, matcher, threshold=THRESHOLD)
    assert (result.faces_seen, result.matches) == (1, ())


# -- Matcher against face_recognition.face_distance --------------------------------------------


def library_top1(watchlist: np.ndarray, probe: np.ndarray) -> tuple[int, float]:
    distances = face_recognition.face_distance(watchlist, probe)
    index = int(np.argmin(distances))
    return index, float(distances[index])


def at_distance(rng: np.random.Generator, origin: np.ndarray, distance: float) -> np.ndarray:
    direction = rng.standard_normal(origin.shape)
    return origin + direction * (distance / np.linalg.norm(direction))


def test_synthetic_encodings_have_the_norms_of_real_ones(
    sample_encodings: dict[str, np.ndarray],
) -> None:
    real = np.linalg.norm(np.array(list(sample_encodings.values())), axis=1)
    synthetic = np.linalg.norm(synthetic_encodings(5000, seed=4), axis=1)
    assert real.min() - 0.05 < synthetic.mean() < real.max() + 0.05
    assert abs(np.median(synthetic) - np.median(real)) < 0.03


def test_top1_is_identical_to_face_distance_on_random_probes() -> None:
    watchlist = synthetic_encodings(3000, seed=1)
    probes = synthetic_encodings(400, seed=2)
    matcher = engine.Matcher(watchlist, entry_ids=list(range(3000)))
    assert matcher.is_exact
    indices, distances = matcher.top1(probes)
    for probe, index, distance in zip(probes, indices, distances, strict=True):
        assert (int(index), float(distance)) == library_top1(watchlist, probe)


def test_threshold_decisions_agree_with_the_library_just_either_side_of_it() -> None:
    rng = np.random.default_rng(5)
    watchlist = synthetic_encodings(2000, seed=6)
    matcher = engine.Matcher(watchlist, entry_ids=[f"entry-{i}" for i in range(2000)])
    probes = np.array(
        [
            at_distance(rng, watchlist[rng.integers(2000)], THRESHOLD + step * 1e-9)
            for step in range(-40, 41)
        ]
    )
    results = matcher.match(probes, threshold=THRESHOLD)
    decisions = []
    for probe, result in zip(probes, results, strict=True):
        index, distance = library_top1(watchlist, probe)
        if distance <= THRESHOLD:
            assert result == engine.Match(f"entry-{index}", index, distance)
        else:
            assert result is None
        decisions.append(result is not None)
    # Both outcomes occur, or the test would not be exercising the boundary.
    assert 10 < sum(decisions) < len(decisions) - 10


def test_near_ties_resolve_to_the_same_entry_as_the_library() -> None:
    rng = np.random.default_rng(7)
    watchlist = synthetic_encodings(1000, seed=8)
    watchlist[500] = watchlist[20]  # an exact duplicate: the lower index wins, as argmin
    probes = [at_distance(rng, watchlist[20], 0.3)]
    for _ in range(100):
        a, b = rng.choice(1000, size=2, replace=False)
        midpoint = (watchlist[a] + watchlist[b]) / 2
        probes.append(midpoint + rng.standard_normal(128) * 1e-9)
    matcher = engine.Matcher(watchlist, entry_ids=list(range(1000)))
    indices, distances = matcher.top1(np.array(probes))
    for probe, index, distance in zip(probes, indices, distances, strict=True):
        assert (int(index), float(distance)) == library_top1(watchlist, probe)
    assert indices[0] == 20


def test_matching_in_small_blocks_gives_the_same_answers() -> None:
    watchlist = synthetic_encodings(500, seed=9)
    probes = np.vstack([synthetic_encodings(50, seed=10), watchlist[:20] + 0.01])
    whole = engine.Matcher(watchlist, entry_ids=list(range(500)))
    blocked = engine.Matcher(watchlist, entry_ids=list(range(500)), work_bytes=3 * 500 * 4)
    assert blocked.match(probes, threshold=THRESHOLD) == whole.match(probes, threshold=THRESHOLD)
    assert blocked.scratch_nbytes == 3 * 500 * 4


def test_matcher_keeps_one_float32_matrix_and_no_float64_copy() -> None:
    matcher = engine.Matcher(synthetic_encodings(1000, seed=11), entry_ids=list(range(1000)))
    matrices = [value for value in vars(matcher).values() if isinstance(value, np.ndarray)]
    assert all(array.dtype != np.float64 for array in matrices)
    assert sum(array.size for array in matrices if array.ndim == 2 and array.shape[1] == 128) == (
        1000 * 128
    )
    assert matcher.nbytes == 1000 * 128 * 4 + 1000 * 4


def test_non_single_precision_encodings_are_flagged_as_inexact() -> None:
    watchlist = np.random.default_rng(12).standard_normal((10, 128))
    assert not engine.Matcher(watchlist, entry_ids=list(range(10))).is_exact


def test_empty_watchlist_matches_nothing() -> None:
    matcher = engine.Matcher(np.empty((0, 128)), entry_ids=[])
    probes = synthetic_encodings(3, seed=13)
    assert len(matcher) == 0
    assert matcher.match(probes, threshold=THRESHOLD) == [None, None, None]
    indices, distances = matcher.top1(probes)
    assert indices.tolist() == [-1, -1, -1] and np.isinf(distances).all()


def test_no_probes_give_no_results() -> None:
    matcher = engine.Matcher(synthetic_encodings(5, seed=14), entry_ids=list(range(5)))
    assert matcher.match(np.empty((0, 128)), threshold=THRESHOLD) == []


@pytest.mark.parametrize(
    ("encodings", "entry_ids"),
    [
        (np.zeros((3, 127)), [1, 2, 3]),
        (np.zeros((3, 128)), [1, 2]),
        (np.full((1, 128), np.nan), [1]),
    ],
    ids=["wrong-width", "ids-mismatch", "nan"],
)
def test_matcher_refuses_malformed_watchlists(encodings: np.ndarray, entry_ids: list[int]) -> None:
    with pytest.raises(ValueError):
        engine.Matcher(encodings, entry_ids=entry_ids)


@pytest.mark.parametrize("threshold", [-0.1, float("nan"), float("inf")])
def test_match_refuses_a_meaningless_threshold(threshold: float) -> None:
    matcher = engine.Matcher(synthetic_encodings(5, seed=15), entry_ids=list(range(5)))
    with pytest.raises(ValueError):
        matcher.match(synthetic_encodings(1, seed=16), threshold=threshold)


def test_match_is_immutable() -> None:
    match = engine.Match("entry", 0, 0.5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        match.distance = 0.1  # type: ignore[misc]


def test_truncated_jpeg_is_refused_even_after_weasyprint_switched_pillow_to_fill_it_in(
    sample_faces: Path,
) -> None:
    # WeasyPrint sets ImageFile.LOAD_TRUNCATED_IMAGES = True when imported, which a web
    # process does on its first PDF, after the engine was imported.
    from PIL import ImageFile

    ImageFile.LOAD_TRUNCATED_IMAGES = True
    data = (sample_faces / "obama.jpg").read_bytes()
    with pytest.raises(engine.ImageRejected) as caught:
        load(data[: len(data) // 2])
    assert caught.value.reason_code == "unreadable"
