"""Image I/O: reading, binarizing, resizing, unknown pixels, stacks and IDX files."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
from _file_bytes import idx_bytes
from PIL import Image

from hopfield_cli.errors import ImageReadError, InvalidParameterError, NoInputError
from hopfield_cli.images import (
    GrayImage,
    binarize,
    find_inputs,
    load_images,
    montage,
    pattern_to_image,
    read_source,
    save_png,
    to_pattern,
)
from hopfield_cli.options import parse_binarize, parse_size

SEED = 4


def write_idx(path: Path, images: np.ndarray, *, compress: bool = False) -> None:
    data = idx_bytes(images)
    path.write_bytes(gzip.compress(data, mtime=0) if compress else data)


def test_parse_size_and_binarize() -> None:
    assert parse_size("64") == (64, 64)
    assert parse_size("64x48") == (48, 64)
    assert parse_binarize("OTSU") == "otsu"
    assert parse_binarize("128") == "128"
    for bad in ("0", "-3", "ax2", "64x", "99999", ""):
        with pytest.raises(InvalidParameterError, match="size"):
            parse_size(bad)
    for bad in ("median", "256", "-1"):
        with pytest.raises(InvalidParameterError, match="binarize must be one of mean, otsu, dither"):
            parse_binarize(bad)


def test_binarize_methods() -> None:
    gray = np.array([[0, 50, 100], [150, 200, 250]], dtype=np.float64)
    np.testing.assert_array_equal(binarize(gray, "mean"), [[-1, -1, -1], [1, 1, 1]])
    np.testing.assert_array_equal(binarize(gray, "170"), [[-1, -1, -1], [-1, 1, 1]])
    bimodal = np.concatenate([np.full(50, 20.0), np.full(10, 200.0)]).reshape(6, 10)
    np.testing.assert_array_equal(binarize(bimodal, "otsu"), np.where(bimodal > 100, 1, -1))
    binary = np.where(np.random.default_rng(SEED).random((8, 8)) > 0.5, 255.0, 0.0)
    for method in ("mean", "otsu", "dither", "128"):
        np.testing.assert_array_equal(binarize(binary, method), np.where(binary > 0, 1, -1))
    dithered = binarize(np.full((16, 16), 64.0), "dither")
    assert 0.15 < np.mean(dithered == 1) < 0.35  # a quarter grey dithers to about a quarter white


def test_binarize_known_mask_sets_unknown_to_zero() -> None:
    gray = np.array([[0.0, 255.0], [10.0, 20.0]])
    known = np.array([[True, True], [False, True]])
    out = binarize(gray, "mean", known)
    assert out[1, 0] == 0
    np.testing.assert_array_equal(out[known], [-1, 1, -1])


def test_png_round_trip_keeps_unknown_pixels(tmp_path: Path) -> None:
    pattern = np.random.default_rng(SEED).choice(np.array([-1, 0, 1], dtype=np.int8), size=12 * 10)
    save_png(pattern_to_image(pattern, (12, 10)), tmp_path / "cue.png")
    (image,) = read_source(find_inputs([tmp_path / "cue.png"])[0][0])
    assert image.known is not None
    np.testing.assert_array_equal(to_pattern(image, (12, 10), "mean"), pattern)
    np.testing.assert_array_equal(to_pattern(image, (12, 10), "otsu"), pattern)
    assert list(tmp_path.iterdir()) == [tmp_path / "cue.png"]


def test_images_of_any_mode_and_size_resize_to_the_same_shape(tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    base = (rng.random((40, 60)) * 255).astype(np.uint8)
    Image.fromarray(base).convert("RGB").save(tmp_path / "a.jpg")
    Image.fromarray(base).convert("P").save(tmp_path / "b.gif")
    Image.fromarray(base[:20, :25]).save(tmp_path / "c.bmp")
    Image.fromarray(base.astype(np.uint16) * 200).save(tmp_path / "d.png")
    images = load_images([tmp_path])
    assert [im.name for im in images] == ["a", "b", "c", "d"]
    for image in images:
        pattern = to_pattern(image, (16, 24))
        assert pattern.shape == (384,) and set(np.unique(pattern)) <= {-1, 1}


def test_transparent_training_pixels_are_white(tmp_path: Path) -> None:
    rgba = np.zeros((4, 4, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[:2, :, 3] = 0
    Image.fromarray(rgba).save(tmp_path / "t.png")
    (image,) = load_images([tmp_path / "t.png"])
    np.testing.assert_array_equal(image.pixels[:2], 255)
    np.testing.assert_array_equal(to_pattern(image, (4, 4), use_known=False).reshape(4, 4)[:2], 1)
    np.testing.assert_array_equal(to_pattern(image, (4, 4)).reshape(4, 4)[:2], 0)


def test_array_stacks(tmp_path: Path) -> None:
    rng = np.random.default_rng(SEED)
    np.save(tmp_path / "gray.npy", (rng.random((3, 5, 6)) * 255).astype(np.uint8))
    pm = rng.choice(np.array([-1, 1], dtype=np.int8), size=(5, 6))
    np.savez(tmp_path / "pm.npz", first=pm, second=rng.random((5, 6)))
    images = load_images([tmp_path])
    assert [im.name for im in images] == ["gray-0", "gray-1", "gray-2", "pm-first", "pm-second"]
    np.testing.assert_array_equal(to_pattern(images[3], (5, 6)).reshape(5, 6), pm)


def test_idx_files_plain_and_gzipped_with_limit(tmp_path: Path) -> None:
    digits = (np.random.default_rng(SEED).random((7, 28, 28)) * 255).astype(np.uint8)
    write_idx(tmp_path / "train-images-idx3-ubyte", digits)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", digits, compress=True)
    sources, skipped = find_inputs([tmp_path])
    assert [s.kind for s in sources] == ["idx", "idx"] and skipped == []
    plain = read_source(sources[1])
    limited = read_source(sources[0], limit=3)
    assert len(plain) == 7 and len(limited) == 3
    assert plain[0].name == "train-images-idx3-ubyte-0"
    assert limited[0].name == "t10k-images-idx3-ubyte-0"
    np.testing.assert_array_equal(limited[2].pixels, digits[2])
    assert len(load_images([tmp_path], limit=9)) == 9


def test_idx_label_file_is_refused(tmp_path: Path) -> None:
    write_idx(tmp_path / "labels-idx1-ubyte", np.arange(5, dtype=np.uint8))
    with pytest.raises(ImageReadError, match="labels-idx1-ubyte: IDX file holds a vector"):
        load_images([tmp_path / "labels-idx1-ubyte"])


def test_folders_skip_other_files_but_need_an_image(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / ".hidden.png").write_bytes(b"")
    with pytest.raises(NoInputError, match="no images found"):
        find_inputs([tmp_path])
    Image.new("L", (3, 3)).save(tmp_path / "x.png")
    sources, skipped = find_inputs([tmp_path])
    assert [s.path.name for s in sources] == ["x.png"]
    assert [p.name for p in skipped] == ["notes.txt"]


def test_pixel_limit_is_checked_before_decoding(tmp_path: Path) -> None:
    Image.new("L", (100, 100)).save(tmp_path / "big.png")
    with pytest.raises(
        ImageReadError, match=r"big.png: image is 100x100 = 10000 pixels, over the limit of 9999"
    ):
        load_images([tmp_path / "big.png"], max_pixels=9999)
    assert len(load_images([tmp_path / "big.png"], max_pixels=10000)) == 1


def test_montage_tiles_rows_and_scales_up() -> None:
    shape = (4, 4)
    rows = [[np.ones(16), -np.ones(16), np.zeros(16)]]
    sheet = np.asarray(montage(rows, shape, min_side=8))
    assert sheet.shape == (4 + 8 + 4, 4 + 3 * (8 + 4))
    assert sheet[4, 4] == 255 and sheet[4, 16] == 0 and sheet[4, 28] == 128


def test_gray_image_same_size_is_not_resampled() -> None:
    pixels = np.random.default_rng(SEED).random((9, 7)).astype(np.float32) * 255
    np.testing.assert_array_equal(to_pattern(GrayImage("x", pixels), (9, 7)), binarize(pixels).reshape(-1))


def test_pixel_limit_is_a_structured_error_without_cli_flags(image_dir: Path) -> None:
    from hopfield_cli.errors import PixelLimitError

    with pytest.raises(PixelLimitError) as info:
        load_images([image_dir / "a.png"], max_pixels=100)
    assert info.value.limit == 100 and not info.value.stack
    assert "over the limit of 100" in str(info.value) and "--" not in str(info.value)


def test_load_images_walks_subfolders_only_when_asked(tmp_path: Path) -> None:
    from PIL import Image

    from hopfield_cli.images import find_inputs, load_images

    (tmp_path / "sub").mkdir()
    Image.new("L", (3, 2), 0).save(tmp_path / "a.png")
    Image.new("L", (3, 2), 255).save(tmp_path / "sub" / "b.png")
    assert [image.name for image in load_images([tmp_path])] == ["a"]
    assert [image.name for image in load_images([tmp_path], recursive=True)] == ["a", "b"]
    _, skipped = find_inputs([tmp_path])
    assert skipped == [tmp_path / "sub"]
