"""Attacks that a hostile file or a busy shell can mount, each reproduced for real.

Path traversal through archive member names, external interpreters started by
Pillow, signals to real processes, concurrent writers.  The bad-input table in
test_cli_errors.py holds the attacks that end in one ``Error:`` line; this
module holds those that need more than one command or a real process.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
from _cli_support import invoke
from _file_bytes import npy_bytes
from test_cli_errors import EPS

POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX processes and signals")


def _traversal_stack(path: Path) -> Path:
    """An .npz whose member names climb out of any output folder."""
    rng = np.random.default_rng(0)
    with zipfile.ZipFile(path, "w") as archive:
        for name in ("x/../../../../victim.npy", "/abs/victim2.npy", "..\\..\\victim3.npy"):
            archive.writestr(name, npy_bytes(rng.integers(0, 256, size=(8, 8), dtype=np.uint8)))
    return path


def _files(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("command", ["corrupt", "recall"])
def test_archive_member_names_cannot_leave_the_output_folder(
    tmp_path: Path, model_file: Path, command: str
) -> None:
    deep = tmp_path / "a" / "b" / "c" / "d"
    deep.mkdir(parents=True)
    stack = _traversal_stack(deep / "stack.npz")
    out = deep / "out"
    before = _files(tmp_path)
    args = [stack, "-o", out, "--size", "8"] if command == "corrupt" else [model_file, stack, "-o", out]

    result = invoke(command, *args, "-q")

    assert result.exit_code == 0, result.output
    written = _files(tmp_path) - before
    assert written == {str((out / name).relative_to(tmp_path)) for name in os.listdir(out)}
    assert len(written) == 3 and all(name.endswith(".png") for name in os.listdir(out))


@POSIX
def test_postscript_never_starts_ghostscript(tmp_path: Path) -> None:
    """A PostScript file named .jpg: a fake ``gs`` first on PATH records any start."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    marker = tmp_path / "gs-was-run"
    gs = bin_dir / "gs"
    gs.write_text(f"#!/bin/sh\ntouch {marker}\nexit 1\n")
    gs.chmod(gs.stat().st_mode | stat.S_IXUSR)
    folder = tmp_path / "photos"
    folder.mkdir()
    (folder / "holiday.jpg").write_bytes(EPS)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}

    result = subprocess.run(
        [sys.executable, "-m", "hopfield_cli", "train", str(folder), "-o", str(tmp_path / "m.npz"), "-q"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )

    assert not marker.exists()
    assert result.returncode == 1
    assert result.stderr.startswith("Error: ") and len(result.stderr.splitlines()) == 1, result.stderr
    assert "holiday.jpg" in result.stderr and "supported format" in result.stderr
    assert not (tmp_path / "m.npz").exists()


def test_cli_bounds_match_the_library() -> None:
    from hopfield_cli import cli, persistence, rules

    assert cli.MAX_DEGREE == rules.MAX_DEGREE
    assert cli._MAX_LOAD_VALUES == persistence.MAX_MODEL_VALUES


def test_each_image_is_downscaled_as_it_is_read(tmp_path: Path) -> None:
    """Eight large pictures: memory holds about one at full size, and the patterns do not change."""
    import tracemalloc

    from PIL import Image

    from hopfield_cli.images import find_inputs, read_sources, to_pattern

    side, count, shape = 1200, 8, (32, 32)
    for k in range(count):
        gradient = (np.add.outer(np.arange(side), np.arange(side) * (k + 1)) % 256).astype(np.uint8)
        Image.fromarray(gradient).save(tmp_path / f"big{k}.png")
    sources, _ = find_inputs([tmp_path])
    full_size = side * side * 4  # one image as float32

    tracemalloc.start()
    try:
        fitted = read_sources(sources, shape=shape)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert all(image.pixels.shape == shape for image in fitted)
    assert peak < 3 * full_size, peak / full_size
    unfitted = read_sources(sources)
    for small, large in zip(fitted, unfitted, strict=True):
        np.testing.assert_array_equal(to_pattern(small, shape), to_pattern(large, shape))
