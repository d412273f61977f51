"""Hostile and awkward file names against the outputs named after them (review of today's features).

Real files, real commands: names that differ on disk but become the same
output file name, and the longest names a file system allows.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from _cli_support import assert_clean_error, invoke

POSIX = pytest.mark.skipif(os.name != "posix", reason="newlines and long names in file names")


def _everything(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.mark.parametrize(
    ("names", "shared"),
    [
        # Both become new_line.png: one output would replace the other.
        pytest.param(("new\nline.png", "new_line.png"), "new_line", marks=POSIX, id="after-sanitising"),
        # One file on case-insensitive file systems (macOS, Windows).
        pytest.param(("Cat.png", "cat.png"), "cat.png", id="case-only"),
    ],
)
@pytest.mark.parametrize("command", ["corrupt", "recall", "animate"])
def test_names_that_would_share_an_output_are_refused(
    tmp_path: Path, image_dir: Path, model_file: Path, command: str, names: tuple[str, str], shared: str
) -> None:
    """Two inputs whose outputs would be one file: refused before anything is written."""
    cues = tmp_path / "cues"
    cues.mkdir()
    shutil.copy(image_dir / "a.png", cues / names[0])
    shutil.copy(image_dir / "b.png", cues / names[1])
    before = _everything(tmp_path)
    out = tmp_path / "out"
    if command == "corrupt":
        args = ["corrupt", cues, "-o", out, "--size", "8"]
    elif command == "recall":
        args = ["recall", model_file, cues, "-o", out]
    else:
        args = ["recall", model_file, cues, "-o", out, "--animate", tmp_path / "gifs"]

    result = invoke(*args)

    assert_clean_error(result, 1, shared)
    assert _everything(tmp_path) == before


@POSIX
def test_longest_file_name_is_written(tmp_path: Path, image_dir: Path, model_file: Path) -> None:
    """A 255-byte input name is legal; its output (same length) must not fail on the temporary's name."""
    name = "y" * (255 - len(".png"))
    cues = tmp_path / "cues"
    cues.mkdir()
    shutil.copy(image_dir / "a.png", cues / f"{name}.png")
    shutil.copy(image_dir / "b.png", cues / "b.png")
    out = tmp_path / "out"

    result = invoke("recall", model_file, cues, "-o", out, "--animate", tmp_path / "gifs", "-q")

    assert result.exit_code == 0, result.output
    assert sorted(os.listdir(out)) == sorted([f"{name}.png", "b.png"])
    assert sorted(os.listdir(tmp_path / "gifs")) == sorted([f"{name}.gif", "b.gif"])


@POSIX
def test_recursive_walk_of_a_very_deep_tree(tmp_path: Path, image_dir: Path, model_file: Path) -> None:
    """1,100 nested folders (a legal 2.2 KB path) must not exhaust Python's recursion limit."""
    deep = tmp_path / "deep"
    deep.mkdir()
    chain = [deep]
    try:
        for _ in range(1100):
            chain.append(chain[-1] / "d")
            os.mkdir(chain[-1])
        shutil.copy(image_dir / "a.png", chain[-1] / "a.png")
        shutil.copy(image_dir / "b.png", deep / "b.png")

        result = invoke("recall", model_file, deep, "-r", "-o", tmp_path / "out", "--json", "-q")

        assert result.exit_code == 0, result.output
        assert sorted(os.listdir(tmp_path / "out")) == ["a.png", "b.png"]
    finally:
        # pytest's own clean-up of old temporary folders recurses, and fails on this tree.
        for folder in reversed(chain):
            for entry in os.listdir(folder):
                if entry != "d":
                    os.unlink(folder / entry)
            os.rmdir(folder)


# An xterm title change (OSC) and a bell: bytes that act on the terminal, not text.
_EVIL = "t\x1b]0;owned\x07x\x7f\x9b"


def _assert_inert(text: str) -> None:
    for char in ("\x1b", "\x07", "\x7f", "\x9b"):
        assert char not in text, repr(text)


@POSIX
def test_control_characters_in_names_never_reach_the_terminal(tmp_path: Path, image_dir: Path) -> None:
    """File and memory names are shown with their control characters escaped, in every kind of line."""
    from PIL import Image

    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copy(image_dir / "a.png", photos / f"{_EVIL}.png")
    shutil.copy(image_dir / "b.png", photos / "b.png")
    Image.new("L", (8, 8), 255).save(photos / f"blank{_EVIL}.png")  # a Warning: line names it
    (photos / f"sub{_EVIL}").mkdir()  # a Note: line names it
    model = tmp_path / "m.npz"

    trained = invoke("train", photos, "-o", model, "--size", "8")
    recalled = invoke("recall", model, photos, "-o", tmp_path / "out", "--seed", "1")
    inspected = invoke("inspect", model)
    (photos / f"bad{_EVIL}.png").write_bytes(b"not an image")
    failed = invoke("recall", model, photos / f"bad{_EVIL}.png", "-o", tmp_path / "x.png")

    for result in (trained, recalled, inspected):
        assert result.exit_code == 0, result.output
        _assert_inert(result.stderr)
        assert "t\\x1b]0;owned\\x07x" in result.stderr
    assert "Warning: blankt\\x1b" in trained.stderr
    assert "Note: skipped 1 subfolder(s): subt\\x1b" in trained.stderr
    assert_clean_error(failed, 1, "badt\\x1b]0;owned\\x07x")
    _assert_inert(failed.stderr)


def test_stretch_warning_never_prints_an_aspect_ratio_of_zero() -> None:
    """A 1x300 strip has aspect ratio 1/300, not ``0.00`` (a reader takes that for a degenerate image)."""
    import warnings

    import numpy as np

    from hopfield_cli.errors import ImageWarning
    from hopfield_cli.images import GrayImage, fit

    strip = GrayImage("strip", np.zeros((300, 1), dtype=np.float32))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(strip, (16, 16), "stretch")

    (message,) = [str(w.message) for w in caught if issubclass(w.category, ImageWarning)]
    assert "aspect ratio 0.00333 -> 1.00" in message, message


def test_recall_table_keeps_names_apart_when_a_status_is_long(tmp_path: Path) -> None:
    """The longest status (``sync, then async fixed point``, 28 characters) must not squeeze the names.

    The model and cue (tests/data/review_polish_*) are a case whose default-rule recall ends with
    the async polish.  With the status column as wide as that, Rich used to cut every name to its first
    three letters at 80 columns, so 500 rows all read ``c00…``.
    """
    from _cli_support import runner

    from hopfield_cli.cli import app

    data = Path(__file__).parent / "data"
    cues = tmp_path / "cues"
    cues.mkdir()
    for k in (1, 2):
        shutil.copy(data / "review_polish_cue.png", cues / f"holiday-photo-from-the-beach-000{k}.png")

    result = runner.invoke(
        app,
        ["recall", str(data / "review_polish_model.npz"), str(cues), "-o", str(tmp_path / "out")],
        env={"COLUMNS": "80"},
    )

    assert result.exit_code == 0, result.output
    assert "sync, then async" in result.stderr
    assert all(len(line) <= 80 for line in result.stderr.splitlines())
    rows = [line for line in result.stderr.splitlines() if line.startswith("│ ho")]
    assert len(rows) == 2
    assert rows[0].split("│")[1].strip().endswith("0001") and rows[1].split("│")[1].strip().endswith("0002")


@pytest.mark.parametrize(
    ("option", "name", "writes"),
    [("-o", "out.jpg", "PNG"), ("-o", "out.gif", "PNG"), ("--animate", "run.png", "GIF")],
)
def test_single_output_named_for_another_format_is_refused(
    tmp_path: Path, image_dir: Path, model_file: Path, option: str, name: str, writes: str
) -> None:
    """PNG bytes under ``.jpg`` (or a GIF under ``.png``) would mislead every viewer that trusts the name."""
    before = _everything(tmp_path)
    args = ["-o", tmp_path / "out.png", "--animate", tmp_path / "run.gif"]
    args[args.index(option) + 1] = tmp_path / name

    result = invoke("recall", model_file, image_dir / "a.png", *args)

    assert_clean_error(result, 2, name, f"writes {writes}")
    assert _everything(tmp_path) == before
