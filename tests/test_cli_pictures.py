"""recall --montage / --animate and inspect --patterns: labelled pictures from real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from _cli_support import FOUR_PHOTOS, SAMPLES, assert_clean_error, invoke, json_lines
from PIL import Image

from hopfield_cli import figures
from hopfield_cli.images import load_images, to_pattern, to_values
from hopfield_cli.persistence import load_model


@pytest.fixture(scope="module")
def twelve(tmp_path_factory: pytest.TempPathFactory) -> Path:
    model = tmp_path_factory.mktemp("pictures") / "twelve.npz"
    assert invoke("train", SAMPLES, "-o", model, "-q").exit_code == 0
    return model


def _frame_colours_down_the_left_edge(sheet: Path) -> list[tuple[int, ...]]:
    with Image.open(sheet) as image:
        column = np.asarray(image.convert("RGB"))[:, figures.MARGIN + 1]
    frames = set(figures.FRAME_COLOURS.values())
    runs: list[tuple[int, ...]] = []
    for pixel in map(tuple, column):
        if pixel in frames and (not runs or runs[-1] != pixel):
            runs.append(pixel)
    return runs


def test_montage_frames_rows_by_verdict_and_shows_unknown_pixels(twelve: Path, tmp_path: Path) -> None:
    cues = tmp_path / "cues"
    cues.mkdir()
    half = ["--kind", "half", "--noise", "0.5"]
    assert invoke("corrupt", SAMPLES / "camera.png", "-o", cues / "camera.png", *half).exit_code == 0
    erase = ["--kind", "erase", "--noise", "0.3", "--seed", "1"]
    assert invoke("corrupt", SAMPLES / "astronaut.png", "-o", cues / "astronaut.png", *erase).exit_code == 0
    assert (
        invoke("corrupt", SAMPLES / "coins.png", "-o", cues / "mystery.png", "--noise", "0.1").exit_code == 0
    )
    sheet = tmp_path / "sheet.png"

    result = invoke("recall", twelve, cues, "-o", tmp_path / "out", "--montage", sheet, "--json", "-q")

    assert result.exit_code == 0, result.output
    verdicts = {r["input"]: r["verdict"] for r in json_lines(result.stdout)}
    assert verdicts == {"astronaut": "correct", "camera": "other-memory", "mystery": "stored"}
    # Rows in input order: astronaut (green), camera (red), mystery (grey: no target).
    green, red, grey = (figures.FRAME_COLOURS[k] for k in (True, False, None))
    assert _frame_colours_down_the_left_edge(sheet) == [green, red, grey]
    with Image.open(sheet) as image:
        colours = {tuple(c) for c in np.asarray(image.convert("RGB")).reshape(-1, 3)}
    assert set(figures.UNKNOWN_CHECKER) <= colours  # the erased astronaut pixels


def test_montage_of_200_cues_stays_under_8000_pixels(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    stored = (rng.random((200, 64, 64)) > 0.5).astype(np.uint8) * 255
    cues = stored.copy()
    flips = rng.random(cues.shape) < 0.05
    cues[flips] = 255 - cues[flips]
    (tmp_path / "cues").mkdir()
    np.save(tmp_path / "faces.npy", stored)
    np.save(tmp_path / "cues" / "faces.npy", cues)  # same stem: same names, so every cue has a target
    model = tmp_path / "m.npz"
    assert invoke("train", tmp_path / "faces.npy", "-o", model, "--size", "64", "-q").exit_code == 0
    sheet = tmp_path / "sheet.png"

    result = invoke(
        "recall", model, tmp_path / "cues" / "faces.npy", "-o", tmp_path / "out", "--montage", sheet
    )

    assert result.exit_code == 0, result.output
    assert "Recall: 200/200 correct" in result.stderr and "Note:" not in result.stderr
    with Image.open(sheet) as image:
        width, height = image.size
    assert width < 8000 and height < 8000
    assert min(width, height) > 8 * 128  # wrapped into many columns of 128 px tiles, not one strip


def _tile_pixels(frame: Image.Image, shape: tuple[int, int]) -> np.ndarray:
    """The picture of an animation frame, sampled once per model pixel."""
    layout = figures.frame_layout(shape)
    rgb = np.asarray(frame.convert("RGB"))
    rows = layout.top + ((np.arange(shape[0]) + 0.5) * layout.height / shape[0]).astype(int)
    cols = layout.left + ((np.arange(shape[1]) + 0.5) * layout.width / shape[1]).astype(int)
    return rgb[np.ix_(rows, cols)]


def _frames(gif: Path) -> list[Image.Image]:
    with Image.open(gif) as image:
        out = []
        for k in range(image.n_frames):
            image.seek(k)
            out.append(image.convert("RGB"))
    return out


@pytest.mark.parametrize("update", ["sync", "async"])
def test_animation_runs_from_the_cue_to_the_result(twelve: Path, tmp_path: Path, update: str) -> None:
    cue = tmp_path / "camera.png"
    erase = ["--kind", "erase", "--noise", "0.5", "--seed", "4"]
    assert invoke("corrupt", SAMPLES / "camera.png", "-o", cue, *erase).exit_code == 0
    gif, out = tmp_path / "run.gif", tmp_path / "out.png"

    result = invoke(
        "recall", twelve, cue, "-o", out, "--animate", gif, "--update", update, "--seed", "2", "--json"
    )

    assert result.exit_code == 0, result.output
    (record,) = json_lines(result.stdout)
    frames = _frames(gif)
    if update == "sync":  # the cue, each step, the result held
        assert len(frames) == record["iterations"] + 2
    else:  # several pictures per sweep
        assert len(frames) == 5 * record["iterations"] + 2
    assert len(frames) >= 3
    model = load_model(twelve)
    (cue_image,) = load_images([cue])
    pattern = to_pattern(cue_image, model.shape, model.binarize)
    first = _tile_pixels(frames[0], model.shape).reshape(-1, 3)
    assert (first[pattern > 0] == 255).all() and (first[pattern < 0] == 0).all()
    assert {tuple(c) for c in first[pattern == 0]} <= set(figures.UNKNOWN_CHECKER)
    with Image.open(out) as written:
        recalled = np.asarray(written.convert("RGB"))
    np.testing.assert_array_equal(_tile_pixels(frames[-1], model.shape), recalled)
    np.testing.assert_array_equal(_tile_pixels(frames[-2], model.shape), recalled)


def test_animation_same_seed_same_bytes_and_one_gif_per_input(twelve: Path, tmp_path: Path) -> None:
    cues = tmp_path / "cues"
    assert invoke("corrupt", *FOUR_PHOTOS, "-o", cues, "--noise", "0.3", "--seed", "1", "-q").exit_code == 0
    runs = []
    for k in range(2):
        folder = tmp_path / f"gifs{k}"
        args = ["--animate", folder, "--update", "async", "--seed", "5", "-q"]
        assert invoke("recall", twelve, cues, "-o", tmp_path / f"o{k}", *args).exit_code == 0
        runs.append({p.name: p.read_bytes() for p in folder.iterdir()})
    assert sorted(runs[0]) == ["astronaut.gif", "camera.gif", "clock.gif", "rocket.gif"]
    assert runs[0] == runs[1]


def test_animation_of_a_grey_model(tmp_path: Path) -> None:
    model = tmp_path / "g.npz"
    assert (
        invoke("train", *FOUR_PHOTOS, "-o", model, "--rule", "continuous", "--size", "32", "-q").exit_code
        == 0
    )
    cue = tmp_path / "clock.png"
    noisy = ["--binarize", "none", "--size", "32", "--kind", "gaussian", "--noise", "0.3", "--seed", "1"]
    assert invoke("corrupt", FOUR_PHOTOS[2], "-o", cue, *noisy).exit_code == 0
    gif, out = tmp_path / "a.gif", tmp_path / "o.png"

    result = invoke("recall", model, cue, "-o", out, "--animate", gif, "--montage", tmp_path / "m.png", "-q")

    assert result.exit_code == 0, result.output
    frames = _frames(gif)
    assert len(frames) >= 3
    (cue_image,) = load_images([cue])
    values, _ = to_values(cue_image, (32, 32))
    first = _tile_pixels(frames[0], (32, 32))[..., 0].astype(int).reshape(-1)
    assert np.abs(first - np.round(values[:, 0] * 255)).max() <= 8  # GIF palette: a few levels off at most
    with Image.open(out) as written:
        recalled = np.asarray(written.convert("L"), dtype=int)
    assert np.abs(_tile_pixels(frames[-1], (32, 32))[..., 0].astype(int) - recalled).max() <= 8


def test_animate_into_an_impossible_path_is_one_error_line(twelve: Path, tmp_path: Path) -> None:
    cue = tmp_path / "camera.png"
    assert invoke("corrupt", SAMPLES / "camera.png", "-o", cue, "--noise", "0.1").exit_code == 0
    blocker = tmp_path / "file"
    blocker.write_text("x")

    result = invoke("recall", twelve, cue, "-o", tmp_path / "o.png", "--animate", blocker / "a.gif")

    assert_clean_error(result, 1, "file")
    assert blocker.read_text() == "x"
    assert not list(tmp_path.glob("**/*.part"))


def test_animate_over_the_recall_output_is_refused(twelve: Path, tmp_path: Path) -> None:
    cue = tmp_path / "camera.png"
    assert invoke("corrupt", SAMPLES / "camera.png", "-o", cue, "--noise", "0.1").exit_code == 0
    out = tmp_path / "o.png"
    result = invoke("recall", twelve, cue, "-o", out, "--animate", out)
    assert_clean_error(result, 2, "--animate")
    assert not out.exists()


def test_inspect_patterns_names_each_memory_and_grey_models_show_grey(tmp_path: Path) -> None:
    model = tmp_path / "g.npz"
    assert (
        invoke("train", *FOUR_PHOTOS, "-o", model, "--rule", "continuous", "--size", "16", "-q").exit_code
        == 0
    )
    sheet = tmp_path / "p.png"
    assert invoke("inspect", model, "--patterns", sheet, "-q").exit_code == 0
    with Image.open(sheet) as image:
        pixels = np.asarray(image.convert("RGB"), dtype=int)
    top = figures.LABEL + figures.MARGIN + figures.FRAME + figures.LABEL  # heading, then each name
    first = pixels[top : top + 96, figures.MARGIN + figures.FRAME : figures.MARGIN + figures.FRAME + 96]
    levels = np.unique(first[..., 0])
    assert levels.size > 20  # grey levels, not black and white
    label = pixels[figures.LABEL + figures.MARGIN : top, figures.MARGIN : figures.MARGIN + 96]
    assert (label < 100).any()  # ink of the name above the picture


def test_several_inputs_with_one_gif_name_is_refused(twelve: Path, tmp_path: Path) -> None:
    cues = tmp_path / "cues"
    assert invoke("corrupt", *FOUR_PHOTOS[:2], "-o", cues, "--noise", "0.1", "-q").exit_code == 0
    result = invoke("recall", twelve, cues, "-o", tmp_path / "out", "--animate", tmp_path / "run.gif")
    assert_clean_error(result, 2, "--animate", "GIF")
    assert not (tmp_path / "run.gif").exists() and not (tmp_path / "out").exists()
