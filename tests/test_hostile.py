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


# ---------------------------------------------------------------- signals and workers


def _descendants(pid: int) -> set[int]:
    """Every living process below ``pid`` (Linux /proc)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] != "Z":
                parents[int(entry.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pids: set[int]) -> set[int]:
    living = set()
    for pid in pids:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if state != "Z":
            living.add(pid)
    return living


LINUX = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


@LINUX
@pytest.mark.parametrize("signame", ["SIGTERM", "SIGHUP", "SIGKILL"])
def test_capacity_workers_die_with_their_parent(tmp_path: Path, signame: str) -> None:
    """Workers busy on a long sweep; the parent gets a signal; no process is left."""
    import signal
    import time

    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "hopfield_cli",
            "capacity",
            "--neurons",
            "2048",
            "--loads",
            "200,250,300",
            "--trials",
            "2",
            "--jobs",
            "2",
            "--update",
            "async",
            "--max-iter",
            "1000",
            "-q",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 60
        while len(workers) < 2:  # two spawned workers (besides multiprocessing's resource tracker)
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "workers never started"
            time.sleep(0.05)
            workers = {
                pid
                for pid in _descendants(child.pid)
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
            }
        everything = _descendants(child.pid)
        child.send_signal(getattr(signal, signame))
        _, stderr = child.communicate(timeout=60)
        deadline = time.monotonic() + 10
        while _alive(everything) and time.monotonic() < deadline:
            time.sleep(0.05)
        left = _alive(everything)
    finally:
        for pid in _alive(_descendants(child.pid)) | _alive(workers):
            os.kill(pid, signal.SIGKILL)
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert left == set(), f"orphans after {signame}: {left}"
    if signame != "SIGKILL":
        number = int(getattr(signal, signame))
        assert child.returncode == 128 + number
        assert stderr.decode().strip() == f"Terminated by {signame}."


@pytest.mark.skipif(os.name != "posix", reason="process ids")
def test_stale_temporary_files_are_removed(tmp_path: Path, image_dir: Path) -> None:
    """A writer killed by SIGKILL leaves .NAME.PID-XXXXXXXX.part; the next write removes it."""
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(dead.stdout)
    out = tmp_path / "out"
    out.mkdir()
    stale = out / f".m.npz.{dead_pid}-0123abcd.part"
    busy = out / f".m.npz.{os.getpid()}-89abcdef.part"  # a living writer: left alone
    other = out / ".notes.part"  # not ours
    for path in (stale, busy, other):
        path.write_bytes(b"half")

    result = invoke("train", image_dir, "-o", out / "m.npz", "--size", "8", "-q")

    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted([busy.name, other.name, "m.npz"])


# ---------------------------------------------------------------- names, streams, outputs


def test_names_are_shown_as_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Rich markup and emoji codes in file names reach the tables verbatim (and crash nothing)."""
    from PIL import Image

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLUMNS", "200")  # tables wide enough not to wrap names
    photos = Path("in")
    photos.mkdir()
    rng = np.random.default_rng(1)
    names = ["photo [draft]", "[bold]x", ":smile:"]
    for name in names:
        Image.fromarray(rng.integers(0, 256, size=(8, 8), dtype=np.uint8)).save(photos / f"{name}.png")
    model = Path("a[/x]") / "m.npz"

    trained = invoke("train", photos, "-o", model, "--size", "8", "--rule", "hebbian")
    shown = invoke("inspect", model)
    recalled = invoke("recall", model, photos / "photo [draft].png", "-o", "r.png")

    for result in (trained, shown, recalled):
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
    assert "a[/x]/m.npz" in trained.stderr
    assert all(name in shown.stderr for name in names), shown.stderr
    assert "photo [draft]" in recalled.stderr


def test_json_is_always_valid_and_warnings_never_leak(tmp_path: Path, image_dir: Path) -> None:
    """beta = 1e308 overflows every energy: the figures become null, and --quiet means quiet."""
    import json

    model = tmp_path / "m.npz"
    trained = invoke(
        "train", image_dir, "-o", model, "--size", "8", "--rule", "exponential", "--beta", "1e308", "-q"
    )
    assert trained.exit_code == 0, trained.output

    result = invoke("recall", model, image_dir / "a.png", "-o", tmp_path / "r.png", "--json", "-q")

    assert result.exit_code == 0, result.output
    assert result.stderr == ""

    def refuse(constant: str) -> None:
        raise ValueError(f"not JSON: {constant}")

    record = json.loads(result.stdout, parse_constant=refuse)
    assert record["energy"] is None and record["verdict"] == "correct"


def _shell(command: str, *args: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["sh", "-c", command, "sh", sys.executable, "-m", "hopfield_cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
    )


@POSIX
def test_closed_stdout_gives_one_line(model_file: Path) -> None:
    with_json = _shell('exec "$@" >&-', "inspect", model_file, "--json")
    without = _shell('exec "$@" >&-', "inspect", model_file, "-q")

    assert with_json.returncode == 1
    assert with_json.stderr == "Error: standard output is closed; --json has nowhere to go\n"
    assert without.returncode == 0 and without.stderr == ""


_SLOW_IMPORT = """
import importlib.abc, os, sys, time
class Slow(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "typer":
            open(os.environ["HOPFIELD_TEST_MARKER"], "w").close()
            time.sleep(60)  # interrupted by the test's SIGINT
        return None
sys.meta_path.insert(0, Slow())
"""


@POSIX
def test_ctrl_c_while_loading(tmp_path: Path) -> None:
    """SIGINT while the CLI still imports Typer: one line, exit 130."""
    import signal
    import time

    (tmp_path / "sitecustomize.py").write_text(_SLOW_IMPORT)
    marker = tmp_path / "importing"
    env = {**os.environ, "PYTHONPATH": str(tmp_path), "HOPFIELD_TEST_MARKER": str(marker)}
    child = subprocess.Popen(
        [sys.executable, "-m", "hopfield_cli", "--help"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        child.send_signal(signal.SIGINT)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == 130, stderr
    assert stderr.decode() == "Interrupted.\n" and stdout == b""


_SLOW_SAVE = """
import sys, time
import hopfield_cli.persistence as persistence
marker = sys.argv.pop(1)
real = persistence._write_npz
def slow(file, arrays):
    open(marker, "w").close()  # the model is read and about to be replaced
    time.sleep(2)
    real(file, arrays)
persistence._write_npz = slow
from hopfield_cli._entry import main
sys.argv[0] = "hopfield"
main()
"""


@POSIX
def test_concurrent_appends_lose_nothing(tmp_path: Path, model_file: Path) -> None:
    """Two real processes append to one model at once; every image ends up in it."""
    import time

    from PIL import Image

    from hopfield_cli.persistence import load_model

    rng = np.random.default_rng(7)
    folders = []
    for side in ("left", "right"):
        folder = tmp_path / side
        folder.mkdir()
        for k in range(2):
            Image.fromarray(rng.integers(0, 256, size=(8, 8), dtype=np.uint8)).save(folder / f"{side}{k}.png")
        folders.append(folder)
    before = set(load_model(model_file).names)
    marker = tmp_path / "saving"
    first = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _SLOW_SAVE,
            str(marker),
            "train",
            str(folders[0]),
            "--append",
            str(model_file),
            "-q",
        ],
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline
            time.sleep(0.01)
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "hopfield_cli",
                "train",
                str(folders[1]),
                "--append",
                str(model_file),
                "-q",
            ],
            capture_output=True,
            timeout=60,
        )
        _, first_err = first.communicate(timeout=60)
    finally:
        if first.poll() is None:
            first.kill()
            first.communicate()
    assert first.returncode == 0, first_err
    assert second.returncode == 0, second.stderr
    names = set(load_model(model_file).names)
    assert names == before | {"left0", "left1", "right0", "right1"}


@POSIX
def test_reader_closing_the_pipe_gives_one_line(model_file: Path) -> None:
    """``hopfield inspect --json | head -0``: the pipe is closed before the first line is written."""
    child = subprocess.Popen(
        [sys.executable, "-m", "hopfield_cli", "inspect", str(model_file), "--json", "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None
    child.stdout.close()  # long before the command has loaded and written anything
    _, stderr = child.communicate(timeout=60)
    assert child.returncode == 1
    assert stderr.decode() == "Error: standard output was closed by its reader\n"
