"""The command line as a whole under random files and option values.

Whatever the bytes under an image or model suffix and whatever the option
values, a command ends in exit 0, 1 (one ``Error:`` line) or 2 (usage), never
in a traceback, and writes nothing outside its ``-o``.  Small hostile files
fail within seconds under a 1 GB address-space cap.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from _file_bytes import ico_holding, idx_bytes, npz_declaring
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner, Result

from hopfield_cli.cli import app

FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SUFFIXES = [".png", ".jpg", ".ico", ".gif", ".tif", ".bmp", ".webp", ".pgm", ".npy", ".npz", ".idx", ""]
runner = CliRunner()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder with three small images and a model, shared by the examples."""
    from PIL import Image

    root = tmp_path_factory.mktemp("cli-fuzz")
    images = root / "images"
    images.mkdir()
    rng = np.random.default_rng(3)
    for name in "abc":
        Image.fromarray(rng.integers(0, 256, size=(8, 8), dtype=np.uint8)).save(images / f"{name}.png")
    result = runner.invoke(app, ["train", str(images), "-o", str(root / "model.npz"), "--size", "8", "-q"])
    assert result.exit_code == 0, result.output
    return root


def _snapshot(root: Path, out: Path) -> dict[str, str]:
    return {
        str(p): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and out not in p.parents
    }


def _check(result: Result, codes: tuple[int, ...]) -> None:
    assert result.exit_code in codes, (result.exit_code, result.output)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output
    if result.exit_code == 1:
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr


def _commands(world: Path, hostile: Path, out: Path) -> dict[str, list[str]]:
    model, cue = world / "model.npz", world / "images" / "a.png"
    return {
        "train": ["train", str(hostile), "-o", str(out / "m.npz"), "--size", "8"],
        "train-append": ["train", str(cue), "--append", str(hostile), "-o", str(out / "m.npz")],
        "corrupt": ["corrupt", str(hostile), "-o", str(out / "c.png"), "--size", "8"],
        "recall-cue": ["recall", str(model), str(hostile), "-o", str(out / "r.png")],
        "recall-model": ["recall", str(hostile), str(cue), "-o", str(out / "r.png")],
        "inspect": ["inspect", str(hostile), "--json"],
        "capacity": ["capacity", "--images", str(hostile), "--loads", "1", "--trials", "1", "--size", "8"],
    }


@FUZZ
@given(
    suffix=st.sampled_from(SUFFIXES),
    data=st.binary(max_size=300),
    command=st.sampled_from(
        ["train", "train-append", "corrupt", "recall-cue", "recall-model", "inspect", "capacity"]
    ),
)
def test_random_bytes_through_every_command(world: Path, suffix: str, data: bytes, command: str) -> None:
    hostile = world / f"hostile{suffix}"
    hostile.write_bytes(data)
    out = world / "out"
    before = _snapshot(world, out)

    result = runner.invoke(app, [*_commands(world, hostile, out)[command], "-q"])

    _check(result, (0, 1))
    assert _snapshot(world, out) == before  # nothing outside -o (the model included)


VALUES = st.one_of(
    st.integers(-3, 40).map(str),
    st.integers(10**6 + 1, 10**30).map(str),
    st.sampled_from(
        [
            "nan",
            "inf",
            "-inf",
            "1e308",
            "-0",
            "0.5",
            "",
            "x",
            "9" * 5000,
            "[red]x[/red]",
            "\u00b2",
            "\u0661\u0662",
        ]
    ),
)
OPTIONS = {
    "train": [
        "--size",
        "--binarize",
        "--rule",
        "--threshold",
        "--degree",
        "--beta",
        "--limit",
        "--max-pixels",
    ],
    "corrupt": ["--noise", "--kind", "--size", "--binarize", "--fill", "--side", "--seed", "--limit"],
    "recall": ["--update", "--max-iter", "--temperature", "--anneal", "--seed", "--limit"],
    "capacity": [
        "--trials",
        "--cues",
        "--max-iter",
        "--degree",
        "--jobs",
        "--loads",
        "--noise",
        "--criterion",
    ],
}


@FUZZ
@given(command=st.sampled_from(sorted(OPTIONS)), data=st.data())
def test_random_option_values(world: Path, command: str, data: st.DataObject) -> None:
    option = data.draw(st.sampled_from(OPTIONS[command]))
    value = data.draw(VALUES)
    small = (
        value.isascii() and value.isdigit() and len(value) <= 7 and int(value) <= 10**6
    )  # in bounds but maybe slow
    if small and int(value) > 40 and option in ("--max-iter", "--anneal", "--trials", "--cues"):
        value = "41"  # larger values within the bounds only take longer
    out = world / "out"
    model, images = world / "model.npz", world / "images"
    base = {
        "train": ["train", str(images), "-o", str(out / "m.npz"), "--size", "8"],
        "corrupt": ["corrupt", str(images), "-o", str(out)],
        "recall": ["recall", str(model), str(images), "-o", str(out), "--update", "stochastic"],
        "capacity": ["capacity", "--neurons", "16", "--loads", "1,2", "--trials", "1"],
    }[command]
    if command == "capacity" and option == "--loads":
        base = ["capacity", "--neurons", "16", "--trials", "1"]
    before = _snapshot(world, out)

    result = runner.invoke(app, [*base, option, value, "-q", "--json"])

    _check(result, (0, 1, 2))
    assert _snapshot(world, out) == before


# ---------------------------------------------------------------- under a 1 GB address-space cap


def _png_header_only(width: int, height: int) -> bytes:
    import struct

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def _big_png(side: int) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.new("L", (side, side), 200).save(buffer, format="PNG")
    return buffer.getvalue()


HOSTILE = {
    "bomb-model.npz": lambda arrays: npz_declaring(
        {k: v for k, v in arrays.items() if k != "patterns"}, {"patterns": ((31_250_000, 64), "|i1")}
    ),
    "names-bomb.npz": lambda arrays: npz_declaring(
        {k: v for k, v in arrays.items() if k != "names"}, {"names": ((3,), "<U200000000")}
    ),
    "icon.ico": lambda _: ico_holding(_png_header_only(50_000, 50_000)),
    "huge.png": lambda _: _png_header_only(100_000, 100_000),
    "stack.npz": lambda _: npz_declaring({}, {"x": ((10**5, 10**4, 10**4), "<f8")}),
    "digits-idx": lambda _: idx_bytes(np.zeros((1, 4, 4)), declared=(10**6, 10**4, 10**4)),
}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS")
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_small_hostile_files_fail_fast_under_a_memory_cap(world: Path, tmp_path: Path, name: str) -> None:
    import resource

    with np.load(world / "model.npz") as archive:
        arrays = {key: archive[key] for key in archive.files}
    hostile = tmp_path / name
    hostile.write_bytes(HOSTILE[name](arrays))
    if name.startswith(("bomb", "names")):
        args = ["recall", str(hostile), str(world / "images" / "a.png"), "-o", str(tmp_path / "out.png")]
    else:
        args = ["train", str(hostile), "-o", str(tmp_path / "m.npz")]

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    done = subprocess.run(
        [sys.executable, "-m", "hopfield_cli", *args],
        capture_output=True,
        text=True,
        timeout=30,
        preexec_fn=cap,
        env={**os.environ, "OPENBLAS_NUM_THREADS": "1"},
    )

    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("Error: ") and len(done.stderr.splitlines()) == 1, done.stderr
    assert name in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RLIMIT_AS")
def test_large_images_read_under_a_memory_cap(tmp_path: Path) -> None:
    """Four 6000x6000 pictures (a few hundred KB each): read one at a time, so 1 GB is enough."""
    import resource

    folder = tmp_path / "big"
    folder.mkdir()
    data = _big_png(6000)
    for k in range(4):
        (folder / f"big{k}.png").write_bytes(data)

    def cap() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (2**30, 2**30))

    done = subprocess.run(
        [sys.executable, "-m", "hopfield_cli", "train", str(folder), "-o", str(tmp_path / "m.npz"), "-q"],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=cap,
    )

    assert done.returncode == 0, done.stderr
    assert (tmp_path / "m.npz").exists()
