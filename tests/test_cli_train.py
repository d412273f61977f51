"""hopfield train: images in, a validated model file out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from _cli_support import FOUR_PHOTOS, SAMPLES, assert_clean_error, invoke, json_lines
from PIL import Image

from hopfield_cli.persistence import load_model


def test_train_folder_writes_model_and_summary(tmp_path: Path) -> None:
    model_path = tmp_path / "w.npz"
    result = invoke("train", SAMPLES, "-o", model_path, "--size", "32x24")
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "patterns" in result.stderr and "12" in result.stderr
    model = load_model(model_path)
    assert model.shape == (24, 32) and model.n_patterns == 12
    assert model.names[0] == "astronaut" and model.binarize == "mean"


def test_train_json_summary(tmp_path: Path) -> None:
    result = invoke("train", *FOUR_PHOTOS, "-o", tmp_path / "w.npz", "--json", "--quiet")
    assert result.exit_code == 0, result.output
    (summary,) = json_lines(result.stdout)
    assert summary["patterns"] == 4 and summary["neurons"] == 4096
    assert summary["max_overlap_pair"] and 0.4 < summary["max_overlap"] < 0.5
    assert result.stderr == ""


def test_train_warns_about_load_and_correlation(tmp_path: Path) -> None:
    folder = tmp_path / "imgs"
    folder.mkdir()
    rng = np.random.default_rng(0)
    base = rng.random((8, 8)) * 255
    for k in range(12):
        noisy = base + rng.normal(0, 20, base.shape)
        Image.fromarray(noisy.clip(0, 255).astype(np.uint8)).save(folder / f"n{k}.png")
    result = invoke("train", folder, "-o", tmp_path / "w.npz", "--size", "4", "--rule", "hebbian", "--json")
    (summary,) = json_lines(result.stdout)
    assert any("capacity" in w for w in summary["warnings"])
    assert any("overlap" in w for w in summary["warnings"])
    assert "Warning:" in result.stderr


def test_train_append_adds_patterns(tmp_path: Path) -> None:
    model_path = tmp_path / "w.npz"
    assert invoke("train", *FOUR_PHOTOS[:2], "-o", model_path, "-q").exit_code == 0
    result = invoke("train", *FOUR_PHOTOS[2:], "--append", model_path, "-q")
    assert result.exit_code == 0, result.output
    appended = load_model(model_path)
    assert appended.names == ("astronaut", "camera", "clock", "rocket")
    assert invoke("train", *FOUR_PHOTOS, "-o", tmp_path / "all.npz", "-q").exit_code == 0
    np.testing.assert_array_equal(appended.patterns, load_model(tmp_path / "all.npz").patterns)


def test_train_append_refuses_other_size(tmp_path: Path) -> None:
    model_path = tmp_path / "w.npz"
    invoke("train", FOUR_PHOTOS[0], "-o", model_path, "-q")
    result = invoke("train", FOUR_PHOTOS[1], "--append", model_path, "--size", "32")
    assert_clean_error(result, 2, "--size")


def test_train_missing_input_is_an_error(tmp_path: Path) -> None:
    result = invoke("train", tmp_path / "nope", "-o", tmp_path / "w.npz")
    assert_clean_error(result, 1, "nope", "no such file")
    assert not (tmp_path / "w.npz").exists()


def test_train_refuses_to_overwrite_an_input(tmp_path: Path) -> None:
    image = tmp_path / "a.png"
    Image.new("L", (4, 4)).save(image)
    before = image.read_bytes()
    result = invoke("train", image, "-o", image)
    assert_clean_error(result, 2, "refusing to overwrite")
    assert image.read_bytes() == before


def test_train_needs_an_output(tmp_path: Path) -> None:
    assert_clean_error(invoke("train", FOUR_PHOTOS[0]), 2, "--output")


def test_train_many_small_patterns_samples_the_overlap_summary(tmp_path: Path) -> None:
    stack = np.random.default_rng(5).integers(0, 256, size=(2500, 6, 6), dtype=np.uint8)
    np.save(tmp_path / "many.npy", stack)
    result = invoke("train", tmp_path / "many.npy", "-o", tmp_path / "w.npz", "--json", "-q")
    assert result.exit_code == 0, result.output
    (summary,) = json_lines(result.stdout)
    assert summary["patterns"] == 2500 and summary["overlaps_sampled"] == 2000
    assert 0 < summary["max_overlap"] <= 1


def test_large_storkey_model_recalls_the_same_with_its_summary(tmp_path: Path) -> None:
    # 64 random patterns of 182 x 182: large enough to keep a summary (P^2 N >= 2**27).
    rng = np.random.default_rng(4)
    images = np.where(rng.random((65, 182, 182)) < 0.5, 255, 0).astype(np.uint8)
    np.save(tmp_path / "stack.npy", images[:64])
    np.save(tmp_path / "more.npy", images[64:])
    model_path = tmp_path / "w.npz"
    assert invoke("train", tmp_path / "stack.npy", "--rule", "storkey", "-o", model_path, "-q").exit_code == 0
    result = invoke("train", tmp_path / "more.npy", "--append", model_path, "-q")
    assert result.exit_code == 0, result.output
    model = load_model(model_path)
    assert model.n_patterns == 65 and model.storkey_summary is not None  # made anew for 65
    with np.load(model_path, allow_pickle=False) as archive:
        plain = {key: archive[key] for key in archive.files if not key.startswith("storkey_")}
    np.savez(tmp_path / "plain.npz", **plain)
    for name, kept in (("w", True), ("plain", False)):
        result = invoke("inspect", tmp_path / f"{name}.npz", "--json")
        assert result.exit_code == 0, result.output
        assert json_lines(result.stdout)[0]["storkey_summary"] is kept
    cue = images[64].copy()
    flipped = rng.random(cue.shape) < 0.2
    cue[flipped] = 255 - cue[flipped]
    Image.fromarray(cue).save(tmp_path / "cue.png")
    records = []
    for name in ("w", "plain"):
        out = tmp_path / f"{name}.png"
        result = invoke("recall", tmp_path / f"{name}.npz", tmp_path / "cue.png", "-o", out, "--json", "-q")
        assert result.exit_code == 0, result.output
        (record,) = json_lines(result.stdout)
        records.append(record)
    energies = [np.array([record.pop("energy"), *record.pop("energies")]) for record in records]
    np.testing.assert_allclose(energies[0], energies[1], rtol=1e-12, atol=0)  # fields agree to ~1e-15
    first, second = ({key: value for key, value in r.items() if key != "output"} for r in records)
    assert first == second and first["nearest"] == "more-0" and first["exact"]
    assert (tmp_path / "w.png").read_bytes() == (tmp_path / "plain.png").read_bytes()
    with Image.open(tmp_path / "w.png") as recalled:
        np.testing.assert_array_equal(np.asarray(recalled.convert("L")), images[64])
