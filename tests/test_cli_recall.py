"""hopfield recall: reconstructions, JSON records, montage, batches, determinism."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _cli_support import FOUR_PHOTOS, assert_clean_error, invoke, json_lines
from PIL import Image

from hopfield_cli import figures
from hopfield_cli.images import load_images, to_pattern
from hopfield_cli.persistence import load_model

RECORD_KEYS = {
    "input",
    "output",
    "nearest",
    "overlap",
    "hamming",
    "exact",
    "target",
    "correct",
    "verdict",
    "iterations",
    "converged",
    "energy",
}


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A model of the four photos and a folder of 30%-flipped cues."""
    folder = tmp_path_factory.mktemp("recall")
    model = folder / "w.npz"
    assert invoke("train", *FOUR_PHOTOS, "-o", model, "-q").exit_code == 0
    cues = folder / "cues"
    assert invoke("corrupt", *FOUR_PHOTOS, "-o", cues, "--noise", "0.3", "--seed", "11", "-q").exit_code == 0
    return model, cues


@pytest.mark.parametrize("update", ["sync", "async"])
def test_four_correlated_photos_recalled_bit_exactly(
    trained: tuple[Path, Path], tmp_path: Path, update: str
) -> None:
    model_path, cues = trained
    out = tmp_path / "out"
    result = invoke("recall", model_path, cues, "-o", out, "--update", update, "--seed", "0", "--json", "-q")
    assert result.exit_code == 0, result.output
    records = json_lines(result.stdout)
    assert len(records) == 4
    model = load_model(model_path)
    for record in records:
        assert RECORD_KEYS <= record.keys()
        assert record["correct"] is True and record["exact"] is True and record["converged"] is True
        assert record["target"] == record["input"] and record["verdict"] == "correct"
        assert record["nearest"] == record["input"] and record["hamming"] == 0 and record["overlap"] == 1.0
        (image,) = load_images([Path(record["output"])])
        recalled = to_pattern(image, model.shape, model.binarize)
        np.testing.assert_array_equal(recalled, model.patterns[model.names.index(record["input"])])
        energies = record["energies"]
        assert energies[-1] == record["energy"] and len(energies) == record["iterations"] + 1
        if update == "async":
            assert all(b <= a + 1e-9 for a, b in zip(energies, energies[1:], strict=False))


def test_single_input_writes_one_file_and_shows_energy_table(
    trained: tuple[Path, Path], tmp_path: Path
) -> None:
    model_path, cues = trained
    out = tmp_path / "camera.png"
    result = invoke("recall", model_path, cues / "camera.png", "-o", out)
    assert result.exit_code == 0, result.output
    assert out.is_file() and result.stdout == ""
    assert (
        "Energy per iteration" in result.stderr and "correct" in result.stderr and "camera" in result.stderr
    )
    assert "Recall: 1/1 correct" in result.stderr


def test_montage_and_stochastic(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model_path, cues = trained
    result = invoke(
        "recall",
        model_path,
        cues / "clock.png",
        "-o",
        tmp_path / "o.png",
        "--update",
        "stochastic",
        "--seed",
        "1",
        "--temperature",
        "0.2",
        "--montage",
        tmp_path / "m.png",
        "--json",
        "-q",
    )
    assert result.exit_code == 0, result.output
    (record,) = json_lines(result.stdout)
    assert record["exact"] is True
    with Image.open(tmp_path / "m.png") as sheet:
        # One framed row of three 128 px tiles (64 x 64 doubled) under its label and the column titles.
        width = 3 * 128 + 2 * figures.GAP + 2 * figures.FRAME
        height = figures.LABEL + 128 + 2 * figures.FRAME
        assert sheet.size == (width + 2 * figures.MARGIN, figures.LABEL + height + 2 * figures.MARGIN)


def test_same_seed_same_bytes(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model_path, cues = trained
    outputs = []
    for k, seed in enumerate((4, 4)):
        out = tmp_path / f"{k}.png"
        result = invoke(
            "recall",
            model_path,
            cues / "rocket.png",
            "-o",
            out,
            "--update",
            "stochastic",
            "--seed",
            seed,
            "--temperature",
            "2",
            "--json",
            "-q",
        )
        assert result.exit_code == 0
        outputs.append((out.read_bytes(), json_lines(result.stdout)[0]["energies"]))
    assert outputs[0] == outputs[1]


def test_erased_pixels_are_unknown_not_black(trained: tuple[Path, Path], tmp_path: Path) -> None:
    model_path, _ = trained
    cue = tmp_path / "camera.png"  # named like its memory: the target
    invoke("corrupt", FOUR_PHOTOS[1], "-o", cue, "--kind", "erase", "--noise", "0.6", "--seed", "2")
    result = invoke("recall", model_path, cue, "-o", tmp_path / "o.png", "--json", "-q")
    (record,) = json_lines(result.stdout)
    assert record["correct"] and record["nearest"] == record["target"] == "camera"


def test_missing_model_is_an_error(trained: tuple[Path, Path], tmp_path: Path) -> None:
    _, cues = trained
    result = invoke("recall", tmp_path / "none.npz", cues, "-o", tmp_path / "out")
    assert_clean_error(result, 1, "none.npz")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    "option, value", [("--max-iter", "0"), ("--update", "random"), ("--temperature", "-1")]
)
def test_bad_options_exit_2(trained: tuple[Path, Path], tmp_path: Path, option: str, value: str) -> None:
    model_path, cues = trained
    result = invoke("recall", model_path, cues, "-o", tmp_path / "out", option, value)
    assert_clean_error(result, 2, option)
    assert not (tmp_path / "out").exists()


def test_mnist_style_idx_workflow_with_limit(tmp_path: Path) -> None:
    import gzip

    from _file_bytes import idx_bytes

    digits = (np.random.default_rng(8).random((25, 28, 28)) > 0.7).astype(np.uint8) * 255
    idx = tmp_path / "train-images-idx3-ubyte.gz"
    idx.write_bytes(gzip.compress(idx_bytes(digits), mtime=0))
    model, cues = tmp_path / "digits.npz", tmp_path / "cues"
    assert invoke("train", idx, "--limit", "10", "--size", "28", "-o", model, "-q").exit_code == 0
    assert load_model(model).n_patterns == 10
    result = invoke(
        "corrupt", idx, "--limit", "10", "--size", "28", "--kind", "half", "--noise", "0.5",
        "--fill", "unknown", "-o", cues, "-q",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(list(cues.iterdir())) == 10
    result = invoke("recall", model, cues, "--limit", "4", "-o", tmp_path / "out", "--json", "-q")
    records = json_lines(result.stdout)
    assert len(records) == 4 and all(r["correct"] for r in records)


@pytest.mark.parametrize("update", ["sync", "async"])
def test_four_photos_also_with_plain_hebbian(trained: tuple[Path, Path], tmp_path: Path, update: str) -> None:
    _, cues = trained
    model = tmp_path / "hebbian.npz"
    assert invoke("train", *FOUR_PHOTOS, "-o", model, "--rule", "hebbian", "-q").exit_code == 0
    out = tmp_path / "out"
    result = invoke("recall", model, cues, "-o", out, "--update", update, "--seed", "3", "--json", "-q")
    records = json_lines(result.stdout)
    assert [r["correct"] for r in records] == [True] * 4
    assert all(r["nearest"] == r["input"] for r in records)


def test_recall_table_keeps_names_apart_at_80_columns(tmp_path: Path) -> None:
    import shutil

    from _cli_support import FOUR_PHOTOS, runner

    from hopfield_cli.cli import app

    folder = tmp_path / "long"
    folder.mkdir()
    for photo in FOUR_PHOTOS:
        shutil.copy(photo, folder / f"holiday-photo-from-the-beach-{photo.stem}.png")
    model = tmp_path / "m.npz"
    assert invoke("train", folder, "-o", model, "--size", "16", "-q").exit_code == 0
    result = runner.invoke(
        app, ["recall", str(model), str(folder), "-o", str(tmp_path / "out")], env={"COLUMNS": "80"}
    )
    assert result.exit_code == 0, result.output
    table = [line for line in result.stderr.splitlines() if "hol…" in line]
    assert len(table) == 4 and all(len(line) <= 80 for line in result.stderr.splitlines())
    ends = [line.split("│")[1].strip() for line in table]
    assert len(set(ends)) == 4  # each row's name still tells it apart
    assert all(end.startswith("hol…") for end in ends) and ends[0].endswith("ronaut")
