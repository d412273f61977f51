"""hopfield corrupt: damaged PNG cues, reproducible by seed."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _cli_support import FOUR_PHOTOS, SAMPLES, assert_clean_error, invoke, json_lines
from PIL import Image

from hopfield_cli.images import load_images, to_pattern


def cue_pattern(path: Path) -> np.ndarray:
    (image,) = load_images([path])
    return to_pattern(image, image.pixels.shape, "mean")


def test_noise_zero_writes_the_clean_binarized_image(tmp_path: Path) -> None:
    out = tmp_path / "clean.png"
    result = invoke("corrupt", FOUR_PHOTOS[0], "-o", out, "--noise", "0")
    assert result.exit_code == 0, result.output
    with Image.open(out) as image:
        assert image.size == (64, 64) and image.mode == "L"
        assert set(np.unique(np.asarray(image)).tolist()) <= {0, 255}
    (photo,) = load_images([FOUR_PHOTOS[0]])
    np.testing.assert_array_equal(cue_pattern(out), to_pattern(photo, (64, 64)))


def test_flip_changes_exactly_the_requested_share(tmp_path: Path) -> None:
    clean, noisy = tmp_path / "clean.png", tmp_path / "noisy.png"
    invoke("corrupt", FOUR_PHOTOS[1], "-o", clean, "--noise", "0")
    result = invoke("corrupt", FOUR_PHOTOS[1], "-o", noisy, "--noise", "0.3", "--seed", "3", "--json")
    assert result.exit_code == 0
    (record,) = json_lines(result.stdout)
    assert record["changed"] == round(0.3 * 4096)
    assert np.count_nonzero(cue_pattern(clean) != cue_pattern(noisy)) == round(0.3 * 4096)


def test_same_seed_same_bytes_other_seed_other_bytes(tmp_path: Path) -> None:
    outs = [tmp_path / f"{k}.png" for k in range(3)]
    for out, seed in zip(outs, (1, 1, 2), strict=True):
        assert invoke("corrupt", FOUR_PHOTOS[2], "-o", out, "--seed", seed).exit_code == 0
    assert outs[0].read_bytes() == outs[1].read_bytes()
    assert outs[0].read_bytes() != outs[2].read_bytes()


def test_erase_survives_the_png_as_transparency(tmp_path: Path) -> None:
    out = tmp_path / "erased.png"
    assert (
        invoke(
            "corrupt", FOUR_PHOTOS[3], "-o", out, "--kind", "erase", "--noise", "0.25", "--seed", "1"
        ).exit_code
        == 0
    )
    with Image.open(out) as image:
        assert image.mode == "LA"
    assert np.count_nonzero(cue_pattern(out) == 0) == round(0.25 * 4096)


def test_occlude_and_half(tmp_path: Path) -> None:
    result = invoke(
        "corrupt",
        FOUR_PHOTOS[0],
        "-o",
        tmp_path / "h.png",
        "--kind",
        "half",
        "--noise",
        "0.5",
        "--fill",
        "unknown",
    )
    assert result.exit_code == 0
    half = cue_pattern(tmp_path / "h.png").reshape(64, 64)
    assert np.all(half[32:] == 0) and np.all(half[:32] != 0)
    result = invoke(
        "corrupt",
        FOUR_PHOTOS[0],
        "-o",
        tmp_path / "o.png",
        "--kind",
        "occlude",
        "--noise",
        "0.25",
        "--fill",
        "white",
        "--seed",
        "0",
    )
    assert result.exit_code == 0, result.output
    assert invoke("corrupt", FOUR_PHOTOS[0], "-o", tmp_path / "c.png", "--noise", "0").exit_code == 0
    clean = cue_pattern(tmp_path / "c.png").reshape(64, 64)
    occluded = cue_pattern(tmp_path / "o.png").reshape(64, 64)
    # One white 32 x 32 block (a quarter of the area, the image's aspect), the rest untouched.
    windows = [
        (top, left)
        for top in range(33)
        for left in range(33)
        if np.all(occluded[top : top + 32, left : left + 32] == 1)
    ]
    assert windows
    assert any(
        np.array_equal(occluded[mask], clean[mask]) for mask in (_outside(top, left) for top, left in windows)
    )
    assert np.any(occluded != clean)


def _outside(top: int, left: int, side: int = 32, size: int = 64) -> np.ndarray:
    mask = np.ones((size, size), dtype=bool)
    mask[top : top + side, left : left + side] = False
    return mask


def test_several_inputs_write_into_a_folder(tmp_path: Path) -> None:
    result = invoke("corrupt", SAMPLES, "-o", tmp_path / "cues", "--seed", "0", "--size", "16", "-q")
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "cues").glob("*.png"))) == 12
    assert (tmp_path / "cues" / "camera.png").is_file()


def test_bad_noise_is_a_usage_error(tmp_path: Path) -> None:
    for noise in ("1.5", "-0.1", "nan", "lots"):
        result = invoke("corrupt", FOUR_PHOTOS[0], "-o", tmp_path / "x.png", "--noise", noise)
        assert_clean_error(result, 2, "--noise")
    assert not (tmp_path / "x.png").exists()


def test_unreadable_image_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.png"
    bad.write_text("not a png")
    result = invoke("corrupt", bad, "-o", tmp_path / "x.png")
    assert_clean_error(result, 1, "bad.png")
    assert not (tmp_path / "x.png").exists()
