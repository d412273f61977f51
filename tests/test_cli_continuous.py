"""Grey and colour memories from the shell: train, corrupt, recall, inspect with --rule continuous."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import pytest
from _cli_support import SAMPLES, assert_clean_error, invoke, json_lines
from PIL import Image

from hopfield_cli.errors import ModelFileError
from hopfield_cli.images import load_images, to_values
from hopfield_cli.persistence import load_model

SEED = 20261124
# Colour and grey photos shipped with scikit-image, written as PNG files.
PHOTO_NAMES = ("astronaut", "camera", "coffee", "rocket", "chelsea", "coins")


def generated(folder: Path, count: int = 4, side: int = 16, color: bool = False) -> Path:
    """Blocky random grey (or colour) images of different brightness."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(SEED)
    for k in range(count):
        shape = (side // 4, side // 4, 3) if color else (side // 4, side // 4)
        blocks = rng.random(shape) * 0.6 + k / (2 * count)
        pixels = np.kron(blocks, np.ones((4, 4, 1) if color else (4, 4)))
        Image.fromarray(np.round(pixels * 255).astype(np.uint8)).save(folder / f"g{k}.png")
    return folder


@pytest.fixture(scope="module")
def photo_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    data = pytest.importorskip("skimage.data")
    folder = tmp_path_factory.mktemp("continuous")
    photos = folder / "photos"
    photos.mkdir()
    for name in PHOTO_NAMES:
        Image.fromarray(getattr(data, name)()).save(photos / f"{name}.png")
    grey, colour = folder / "g.npz", folder / "c.npz"
    assert invoke("train", photos, "-o", grey, "--rule", "continuous", "-q").exit_code == 0
    assert invoke("train", photos, "-o", colour, "--binarize", "none", "--color", "-q").exit_code == 0
    return {"grey": grey, "colour": colour, "photos": photos}


def test_train_stores_uint8_grey_levels(tmp_path: Path) -> None:
    images = generated(tmp_path / "in")
    model_path = tmp_path / "g.npz"
    result = invoke("train", images, "-o", model_path, "--rule", "continuous", "--size", "16", "--json", "-q")
    assert result.exit_code == 0, result.output
    (summary,) = json_lines(result.stdout)
    assert summary["rule"] == "continuous" and summary["channels"] == 1 and summary["patterns"] == 4
    assert summary["min_distance"] > 0
    with zipfile.ZipFile(model_path) as archive:
        assert archive.getinfo("patterns.npy").file_size < 4 * 16 * 16 + 200  # one byte a value
    model = load_model(model_path)
    assert model.binarize == "none" and model.patterns.dtype == np.uint8
    for k, image in enumerate(load_images([images])):
        values, _ = to_values(image, (16, 16))
        np.testing.assert_array_equal(model.memories[k], np.round(values * 255).astype(np.uint8))


def test_train_colour_keeps_three_channels(photo_models: dict[str, Path]) -> None:
    model = load_model(photo_models["colour"])
    assert model.channels == 3 and model.memories.shape == (6, 64 * 64, 3)
    astronaut = model.memories[model.names.index("astronaut")]
    assert np.abs(astronaut[:, 0].astype(int) - astronaut[:, 2]).max() > 100  # really colour
    camera = model.memories[model.names.index("camera")]
    assert np.array_equal(camera[:, 0], camera[:, 1])  # a grey photo stays grey


@pytest.mark.parametrize(
    "args,hint",
    [
        (["--rule", "hebbian", "--binarize", "none"], "--rule"),
        (["--rule", "continuous", "--binarize", "mean"], "--binarize"),
        (["--color"], "--color"),
    ],
)
def test_train_refuses_mixed_grey_and_binary_options(tmp_path: Path, args: list[str], hint: str) -> None:
    images = generated(tmp_path / "in")
    result = invoke("train", images, "-o", tmp_path / "m.npz", *args)
    assert_clean_error(result, 2, hint)
    assert not (tmp_path / "m.npz").exists()


def test_append_grey_memories(tmp_path: Path) -> None:
    images = generated(tmp_path / "in", count=3)
    model_path = tmp_path / "g.npz"
    assert invoke("train", images / "g0.png", "-o", model_path, "--rule", "continuous", "-q").exit_code == 0
    extra = [images / "g1.png", images / "g2.png"]
    assert invoke("train", *extra, "--append", model_path, "-q").exit_code == 0
    model = load_model(model_path)
    assert model.names == ("g0", "g1", "g2") and model.is_continuous


@pytest.mark.parametrize("color", [False, True])
def test_corrupt_gaussian_writes_grey_or_colour_cues(tmp_path: Path, color: bool) -> None:
    images = generated(tmp_path / "in", count=2, color=True)
    flags = ["--color"] if color else []
    args = ["corrupt", images, "--binarize", "none", *flags, "--kind", "gaussian", "--noise", "0.2"]
    first = invoke(*args, "-o", tmp_path / "a", "--size", "16", "--seed", "3", "--json")
    again = invoke(*args, "-o", tmp_path / "b", "--size", "16", "--seed", "3", "-q")
    assert first.exit_code == 0 and again.exit_code == 0, first.output
    records = json_lines(first.stdout)
    assert [r["kind"] for r in records] == ["gaussian", "gaussian"]
    assert all(r["changed"] > 100 and r["unknown"] == 0 for r in records)
    with Image.open(tmp_path / "a" / "g0.png") as cue:
        assert cue.mode == ("RGB" if color else "L") and cue.size == (16, 16)
    assert (tmp_path / "a" / "g0.png").read_bytes() == (tmp_path / "b" / "g0.png").read_bytes()


def test_corrupt_unknown_fill_is_transparent(tmp_path: Path) -> None:
    images = generated(tmp_path / "in", count=1)
    out = tmp_path / "cue.png"
    args = ["--binarize", "none", "--kind", "half", "--noise", "0.5", "--fill", "unknown", "--size", "16"]
    result = invoke("corrupt", images / "g0.png", "-o", out, *args, "--json")
    assert result.exit_code == 0, result.output
    assert json_lines(result.stdout)[0]["unknown"] == 128
    with Image.open(out) as cue:
        assert cue.mode == "LA"
        alpha = np.asarray(cue)[..., 1]
    assert np.all(alpha[8:] == 0) and np.all(alpha[:8] == 255)


@pytest.mark.parametrize("kind", ["gaussian", "saltpepper"])
def test_corrupt_grey_kinds_need_binarize_none(tmp_path: Path, kind: str) -> None:
    images = generated(tmp_path / "in", count=1)
    assert_clean_error(invoke("corrupt", images, "-o", tmp_path / "o", "--kind", kind), 2, "--binarize none")


def test_corrupt_grey_cues_cannot_flip(tmp_path: Path) -> None:
    images = generated(tmp_path / "in", count=1)
    result = invoke("corrupt", images, "-o", tmp_path / "o", "--binarize", "none", "--kind", "flip")
    assert_clean_error(result, 2, "--kind")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "model_key,kind,noise,flags",
    [
        ("grey", "gaussian", "0.5", []),
        ("grey", "occlude", "0.5", []),
        ("grey", "erase", "0.7", []),
        ("grey", "half", "0.5", []),
        ("grey", "saltpepper", "0.3", []),
        ("colour", "gaussian", "0.3", ["--color"]),
        ("colour", "occlude", "0.4", ["--color"]),
    ],
)
def test_recall_returns_the_stored_photo(
    photo_models: dict[str, Path], tmp_path: Path, model_key: str, kind: str, noise: str, flags: list[str]
) -> None:
    cues = tmp_path / "cues"
    damage = ["--binarize", "none", *flags, "--kind", kind, "--noise", noise, "--seed", "5", "-q"]
    assert invoke("corrupt", photo_models["photos"], "-o", cues, *damage).exit_code == 0
    out = tmp_path / "out"
    result = invoke("recall", photo_models[model_key], cues, "-o", out, "--json", "-q")
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    model = load_model(photo_models[model_key])
    assert len(records) == len(PHOTO_NAMES)
    for record in records:
        assert record["correct"] is True and record["target"] == record["input"] == record["nearest"]
        assert record["mse"] == 0.0 and record["psnr"] is None and record["exact"] is True
        energies = record["energies"]
        assert all(b <= a + 1e-9 * max(1.0, abs(a)) for a, b in zip(energies, energies[1:], strict=False))
        with Image.open(record["output"]) as image:
            written = np.asarray(image.convert("RGB" if model.channels == 3 else "L"), dtype=np.uint8)
        stored = model.memories[model.names.index(record["input"])]
        np.testing.assert_array_equal(written.reshape(stored.shape), stored)


def test_recall_noise_then_a_block(photo_models: dict[str, Path], tmp_path: Path) -> None:
    noisy, cues = tmp_path / "noisy", tmp_path / "cues"
    grey = ["--binarize", "none", "--seed", "2", "-q"]
    assert invoke(
        "corrupt", photo_models["photos"], "-o", noisy, "--kind", "gaussian", "--noise", "0.2", *grey
    )
    assert invoke("corrupt", noisy, "-o", cues, "--kind", "occlude", "--noise", "0.5", *grey).exit_code == 0
    result = invoke("recall", photo_models["grey"], cues, "-o", tmp_path / "o", "--json", "-q")
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    assert len(records) == len(PHOTO_NAMES)
    assert all(r["correct"] and r["mse"] == 0.0 for r in records)
    block = round(64 * np.sqrt(0.5)) ** 2
    assert all(block <= r["ignored"] <= block * 1.3 for r in records)


def test_recall_plain_similarity_fails_black_half(photo_models: dict[str, Path], tmp_path: Path) -> None:
    cues = tmp_path / "cues"
    args = ["--binarize", "none", "--kind", "half", "--noise", "0.5", "-q"]
    assert invoke("corrupt", photo_models["photos"], "-o", cues, *args).exit_code == 0
    result = invoke(
        "recall",
        photo_models["grey"],
        cues,
        "-o",
        tmp_path / "o",
        "--similarity",
        "euclidean",
        "--json",
        "-q",
    )
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    wrong = [r for r in records if not r["correct"]]
    assert wrong and all(r["psnr"] is not None and r["psnr"] < 30 for r in wrong)


def test_recall_table_montage_and_unknown_target(photo_models: dict[str, Path], tmp_path: Path) -> None:
    cue = tmp_path / "mystery.png"
    args = ["--binarize", "none", "--kind", "erase", "--noise", "0.7", "--seed", "1", "-q"]
    assert invoke("corrupt", photo_models["photos"] / "coffee.png", "-o", cue, *args).exit_code == 0
    sheet = tmp_path / "sheet.png"
    result = invoke("recall", photo_models["grey"], cue, "-o", tmp_path / "r.png", "--montage", sheet)
    assert result.exit_code == 0, result.output
    assert "Energy per iteration" in result.stderr and "coffee" in result.stderr
    with Image.open(sheet) as image:
        assert image.mode == "RGB" and image.size[0] > 3 * 64
    result = invoke("recall", photo_models["grey"], cue, "-o", tmp_path / "r.png", "--json", "-q")
    (record,) = json_lines(result.stdout)
    assert record["nearest"] == "coffee" and record["target"] is None and record["correct"] is None
    assert record["psnr"] is None and record["mse"] is None


def test_inspect_grey_model(photo_models: dict[str, Path], tmp_path: Path) -> None:
    sheet = tmp_path / "p.png"
    result = invoke("inspect", photo_models["colour"], "--patterns", sheet, "--json")
    assert result.exit_code == 0, result.output
    (info,) = json_lines(result.stdout)
    assert info["rule"] == "continuous" and info["channels"] == 3 and info["patterns"] == 6
    assert len(info["distances"]) == 6 and info["min_distance"] > 0
    with Image.open(sheet) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    assert np.abs(pixels[..., 0] - pixels[..., 2]).max() > 100  # drawn in colour
    assert "closest pair" in result.stderr


def test_inspect_grey_model_draws_pattern_correlations(photo_models: dict[str, Path], tmp_path: Path) -> None:
    from hopfield_cli import figures

    result = invoke("inspect", photo_models["grey"], "--weights", tmp_path / "w.png", "-q")
    assert result.exit_code == 0, result.output
    with Image.open(tmp_path / "w.png") as image:
        pixels = np.asarray(image)
    top = 2 * figures.LABEL + figures.MARGIN
    # Six pictures, cells of ceil(256 / 6) = 43 px; each is fully correlated with itself.
    for k in range(6):
        centre = 43 * k + 21
        assert tuple(pixels[top + centre, figures.MARGIN + centre]) == (255, 0, 0)


def test_capacity_refuses_the_continuous_rule() -> None:
    assert_clean_error(invoke("capacity", "--neurons", "64", "--rule", "continuous"), 2, "--rule")


def test_model_files_are_validated(photo_models: dict[str, Path], tmp_path: Path) -> None:
    with np.load(photo_models["grey"], allow_pickle=False) as data:
        arrays = dict(data)
    bad = tmp_path / "bad.npz"
    np.savez(bad, **{**arrays, "patterns": arrays["patterns"].astype(np.int16)})
    with pytest.raises(ModelFileError, match="uint8"):
        load_model(bad)
    np.savez(bad, **{**arrays, "channels": np.asarray(2)})
    with pytest.raises(ModelFileError, match="channels"):
        load_model(bad)
    np.savez(bad, **{**arrays, "binarize": np.asarray("mean")})
    with pytest.raises(ModelFileError, match="binarize"):
        load_model(bad)
    result = invoke("recall", bad, SAMPLES / "coffee.png", "-o", tmp_path / "r.png")
    assert_clean_error(result, 1, "bad.npz")


def test_binary_model_files_without_channels_still_load(model_file: Path, tmp_path: Path) -> None:
    with np.load(model_file, allow_pickle=False) as data:
        arrays = {k: v for k, v in data.items() if k != "channels"}
    old = tmp_path / "old.npz"
    np.savez(old, **arrays)
    before, after = load_model(model_file), load_model(old)
    assert after.channels == 1 and after.names == before.names
    np.testing.assert_array_equal(after.patterns, before.patterns)
