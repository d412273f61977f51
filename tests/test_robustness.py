"""Random and damaged files, interrupted runs and repeatability.

The loaders get random bytes, damaged copies of valid files and random
arrays; they must return valid images (or models) or raise one of the
documented errors: a HopfieldError subclass, or FileNotFoundError.  Nothing
else, and no warning (pytest turns warnings into errors).
"""

from __future__ import annotations

import errno
import gzip
import hashlib
import os
import signal
import struct
import subprocess
import sys
import time
import warnings
import zipfile
from io import BytesIO
from pathlib import Path
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from _file_bytes import idx_bytes, npy_bytes, npz_bytes
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from typer.testing import CliRunner

from hopfield_cli import _atomic, persistence
from hopfield_cli.cli import app
from hopfield_cli.errors import HopfieldError, ImageWarning
from hopfield_cli.images import GrayImage, Source, read_source, to_pattern
from hopfield_cli.model import Model
from hopfield_cli.persistence import load_model

SEED = 20240611
FUZZ = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
DOCUMENTED = (HopfieldError, FileNotFoundError)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz")


# ---------------------------------------------------------------- valid seeds to damage


def _gradient(height: int = 10, width: int = 12) -> np.ndarray:
    return (np.add.outer(np.arange(height) * 9, np.arange(width) * 17) % 256).astype(np.uint8)


def _encode(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def _seeds() -> list[tuple[str, bytes]]:
    gray = Image.fromarray(_gradient())
    rgba = gray.convert("RGBA")
    rgba.putalpha(Image.fromarray((_gradient() > 100).astype(np.uint8) * 255))
    stack = np.stack([_gradient(), 255 - _gradient()])
    return [
        ("image", _encode(gray, "PNG")),
        ("image", _encode(rgba, "PNG")),
        ("image", _encode(gray.convert("P"), "PNG")),
        ("image", _encode(gray.convert("1"), "PNG")),
        ("image", _encode(gray.convert("I;16"), "PNG")),
        ("image", _encode(gray, "GIF")),
        ("image", _encode(gray.convert("RGB"), "BMP")),
        ("image", _encode(gray.convert("F"), "TIFF")),
        ("image", _encode(gray.convert("CMYK"), "TIFF", compression="tiff_deflate")),
        ("image", _encode(gray.convert("RGB"), "JPEG")),
        ("image", _encode(gray.convert("RGB"), "WEBP", lossless=True)),
        ("image", _encode(gray, "PPM")),
        ("image", _encode(rgba, "ICO", sizes=[(12, 10)])),
        ("array", npy_bytes(stack)),
        ("array", npy_bytes(np.where(_gradient() > 100, 1, -1).astype(np.int8))),
        ("array", npz_bytes(a=stack, b=_gradient().astype(np.float32) / 255)),
        ("idx", idx_bytes(stack)),
        ("idx", gzip.compress(idx_bytes(stack), mtime=0)),
    ]


SEEDS = _seeds()


@st.composite
def damaged(draw: st.DrawFn) -> tuple[str, bytes]:
    """A valid seed with a few bytes changed, a run inserted or removed, or its tail cut."""
    kind, original = draw(st.sampled_from(SEEDS))
    data = bytearray(original)
    for _ in range(draw(st.integers(1, 4))):
        where = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["set", "insert", "delete", "truncate"]))
        if action == "set" and data:
            data[where] = draw(st.integers(0, 255))
        elif action == "insert":
            data[where:where] = draw(st.binary(min_size=1, max_size=16))
        elif action == "delete":
            del data[where : where + draw(st.integers(1, 16))]
        else:
            del data[where:]
    return kind, bytes(data)


def _check_images(images: list[GrayImage]) -> None:
    assert images
    for image in images:
        assert image.pixels.dtype == np.float32 and image.pixels.ndim == 2 and image.pixels.size > 0
        assert np.all(np.isfinite(image.pixels))
        assert image.pixels.min() >= 0 and image.pixels.max() <= 255
        assert image.known is None or (
            image.known.dtype == np.bool_ and image.known.shape == image.pixels.shape
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ImageWarning)  # documented: a blank array is said to be blank
            pattern = to_pattern(image, (4, 5))
        assert pattern.dtype == np.int8 and pattern.shape == (20,)
        assert set(np.unique(pattern).tolist()) <= {-1, 0, 1}


def _read(workdir: Path, kind: str, data: bytes, *, name: str = "input") -> None:
    path = workdir / f"{name}.{kind}"
    path.write_bytes(data)
    try:
        images = read_source(Source(path, kind), max_pixels=1_000_000)
    except DOCUMENTED:
        return
    _check_images(images)


# ---------------------------------------------------------------- image loaders


@FUZZ
@given(kind=st.sampled_from(["image", "array", "idx"]), data=st.binary(max_size=512))
def test_random_bytes_to_image_loaders(workdir: Path, kind: str, data: bytes) -> None:
    _read(workdir, kind, data)


@FUZZ
@given(st.sampled_from(["\x93NUMPY", "PK\x03\x04", "\0\0\x08\x03", "\x1f\x8b"]), st.binary(max_size=256))
def test_random_bytes_behind_a_valid_magic(workdir: Path, magic: str, rest: bytes) -> None:
    data = magic.encode("latin-1") + rest
    for kind in ("array", "idx"):
        _read(workdir, kind, data)


@settings(FUZZ, max_examples=100)
@given(damaged())
def test_damaged_files_to_image_loaders(workdir: Path, seed: tuple[str, bytes]) -> None:
    kind, data = seed
    _read(workdir, kind, data)


def test_undamaged_seeds_load(workdir: Path) -> None:
    for k, (kind, data) in enumerate(SEEDS):
        path = workdir / f"seed{k}.{kind}"
        path.write_bytes(data)
        _check_images(read_source(Source(path, kind)))


ARRAYS = hnp.arrays(
    dtype=st.one_of(
        hnp.scalar_dtypes(),
        hnp.byte_string_dtypes(),
        hnp.unicode_string_dtypes(),
        st.just(np.dtype(">f8")),
        st.just(np.dtype([("a", "<i4"), ("b", "<f4")])),
    ),
    shape=hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5),
)


@FUZZ
@given(ARRAYS)
def test_random_arrays_as_npy(workdir: Path, array: np.ndarray) -> None:
    _read(workdir, "array", npy_bytes(array), name="random")


@FUZZ
@given(st.dictionaries(st.from_regex(r"[a-z]{1,4}", fullmatch=True), ARRAYS, max_size=3))
def test_random_arrays_as_npz(workdir: Path, arrays: dict[str, np.ndarray]) -> None:
    _read(workdir, "array", npz_bytes(**arrays), name="random")


@FUZZ
@given(
    dtype_code=st.sampled_from([0x08, 0x09, 0x0B, 0x0C, 0x0D, 0x0E, 0x07, 0xFF]),
    dims=st.lists(st.one_of(st.integers(0, 6), st.integers(0, 2**32 - 1)), max_size=5),
    payload=st.binary(max_size=600),
)
def test_random_idx_headers(workdir: Path, dtype_code: int, dims: list[int], payload: bytes) -> None:
    header = bytes([0, 0, dtype_code, len(dims)]) + struct.pack(f">{len(dims)}I", *dims)
    _read(workdir, "idx", header + payload)


def test_array_limits_are_checked_before_reading(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A stack over --max-pixels is refused from its header: its data is never read."""
    path = workdir / "big.npz"
    path.write_bytes(npz_bytes(x=np.zeros((50, 40, 40), np.uint8)))

    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("array data read before the size check")

    monkeypatch.setattr(np.lib.format, "read_array", fail)
    with pytest.raises(HopfieldError, match="over the limit of 10000"):
        read_source(Source(path, "array"), max_pixels=10_000)


# ---------------------------------------------------------------- model loader


@pytest.fixture(scope="module")
def model_bytes(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    from hopfield_cli.persistence import save_model

    rng = np.random.default_rng(SEED)
    patterns = np.where(rng.random((3, 20)) < 0.5, 1, -1)
    path = tmp_path_factory.mktemp("model") / "m.npz"
    save_model(Model(patterns=patterns, names=("a", "b", "c"), shape=(4, 5)), path)
    return path.read_bytes()


def _load(workdir: Path, data: bytes) -> None:
    path = workdir / "model.npz"
    path.write_bytes(data)
    try:
        model = load_model(path)
    except DOCUMENTED:
        return
    assert isinstance(model, Model)
    assert model.patterns.dtype == np.int8 and model.n_patterns >= 1
    assert model.shape[0] * model.shape[1] == model.n_neurons
    assert np.all(np.abs(model.patterns) == 1)
    assert np.isfinite(model.threshold)


@FUZZ
@given(st.binary(max_size=512))
def test_random_bytes_to_model_loader(workdir: Path, data: bytes) -> None:
    _load(workdir, data)


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_damaged_model_files(workdir: Path, model_bytes: bytes, data: st.DataObject) -> None:
    raw = bytearray(model_bytes)
    for _ in range(data.draw(st.integers(1, 3))):
        where = data.draw(st.integers(0, len(raw) - 1))
        if data.draw(st.booleans()):
            raw[where] = data.draw(st.integers(0, 255))
        else:
            del raw[where:]
            break
    _load(workdir, bytes(raw))


@settings(FUZZ, max_examples=100)
@given(data=st.data())
def test_tampered_model_arrays(workdir: Path, model_bytes: bytes, data: st.DataObject) -> None:
    with np.load(BytesIO(model_bytes)) as archive:
        arrays = {key: archive[key] for key in archive.files}
    key = data.draw(st.sampled_from([*sorted(arrays), "extra"]))
    if data.draw(st.booleans()) and key in arrays:
        del arrays[key]
    else:
        arrays[key] = data.draw(ARRAYS)
    _load(workdir, npz_bytes(**arrays))


class Payload:
    """Unpickling this creates a folder: proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


def test_object_arrays_are_never_unpickled(workdir: Path, model_bytes: bytes) -> None:
    marker = workdir / "PWNED"
    with np.load(BytesIO(model_bytes)) as archive:
        arrays = {key: archive[key] for key in archive.files}
    arrays["names"] = np.array([Payload(marker), "b", "c"], dtype=object)
    buffer = BytesIO()
    np.savez(buffer, **arrays)
    with pytest.raises(HopfieldError, match="refusing to unpickle"):
        _load_strict(workdir, buffer.getvalue())
    path = workdir / "stack.npy"
    np.save(path, np.array([[Payload(marker)]], dtype=object))
    with pytest.raises(HopfieldError, match="refusing to unpickle"):
        read_source(Source(path, "array"))
    assert not marker.exists()


def _load_strict(workdir: Path, data: bytes) -> Model:
    path = workdir / "strict.npz"
    path.write_bytes(data)
    return load_model(path)


# ---------------------------------------------------------------- interrupted and failing writes


def _parts(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.part"))


@pytest.mark.parametrize("when", ["while-writing", "before-rename"])
@pytest.mark.parametrize(
    ("error", "code", "message"),
    [
        (KeyboardInterrupt(), 130, "Interrupted."),
        (OSError(errno.ENOSPC, "No space left on device"), 1, "Error: No space left on device"),
    ],
    ids=["ctrl-c", "disk-full"],
)
def test_interrupted_train_keeps_the_old_model(
    runner: CliRunner,
    image_dir: Path,
    model_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    when: str,
    error: BaseException,
    code: int,
    message: str,
) -> None:
    old = model_file.read_bytes()
    seen: list[Path] = []
    real_write = persistence._write_npz

    def write_then_fail(file: Any, arrays: Any) -> None:
        real_write(file, arrays)
        file.flush()
        seen.extend(_parts(model_file.parent))
        raise error

    def fail_on_rename(source: Any, target: Any) -> None:
        seen.extend(_parts(model_file.parent))
        raise error

    with monkeypatch.context() as patch:
        if when == "while-writing":
            patch.setattr(persistence, "_write_npz", write_then_fail)
        else:
            patch.setattr(_atomic.os, "replace", fail_on_rename)
        result = runner.invoke(app, ["train", str(image_dir), "-o", str(model_file), "--size", "16", "-q"])

    assert result.exit_code == code, result.stderr
    assert result.stderr.strip() == message
    assert result.stdout == ""
    assert len(seen) == 1  # the temporary file existed when the run was stopped
    assert model_file.read_bytes() == old
    assert _parts(model_file.parent) == []
    assert load_model(model_file).shape == (8, 8)


def test_interrupted_png_write_keeps_the_old_png(
    runner: CliRunner, image_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "cue.png"
    target.write_bytes(b"previous cue")
    real_save = Image.Image.save

    def save_half_then_interrupt(self: Image.Image, fp: Any, *args: Any, **kwargs: Any) -> None:
        real_save(self, fp, *args, **kwargs)
        Path(fp).write_bytes(Path(fp).read_bytes()[:20])
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(Image.Image, "save", save_half_then_interrupt)
        result = runner.invoke(app, ["corrupt", str(image_dir / "a.png"), "-o", str(target), "-q"])
    assert result.exit_code == 130
    assert target.read_bytes() == b"previous cue"
    assert _parts(tmp_path) == []


_CHILD = """
import sys, time
import hopfield_cli.persistence as persistence
marker = sys.argv.pop(1)
real = persistence._write_npz
def slow(file, arrays):
    real(file, arrays)
    file.flush()
    open(marker, "w").close()  # the temporary file is written: now interrupt us
    time.sleep(60)
persistence._write_npz = slow
from hopfield_cli.cli import main
sys.argv[0] = "hopfield"
main()
"""


@pytest.mark.skipif(os.name != "posix", reason="sends signals")
@pytest.mark.parametrize(
    ("signum", "code", "message"),
    [
        (signal.SIGINT, 130, "Interrupted."),
        (getattr(signal, "SIGTERM", 15), 143, "Terminated by SIGTERM."),
        (getattr(signal, "SIGHUP", 1), 129, "Terminated by SIGHUP."),
    ],
    ids=["SIGINT", "SIGTERM", "SIGHUP"],
)
def test_signal_in_a_real_process(
    image_dir: Path, model_file: Path, tmp_path: Path, signum: int, code: int, message: str
) -> None:
    """A real signal, sent once the temporary model is written (no sleeps, no races)."""
    old = model_file.read_bytes()
    marker = tmp_path / "ready"
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(marker), "train", str(image_dir), "-o", str(model_file), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while not marker.exists():
            assert child.poll() is None, child.communicate()
            assert time.monotonic() < deadline, "child never reached the write"
            time.sleep(0.01)
        assert len(_parts(model_file.parent)) == 1
        child.send_signal(signum)
        stdout, stderr = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.communicate()
    assert child.returncode == code, stderr
    assert stderr.decode().strip() == message
    assert stdout == b""
    assert model_file.read_bytes() == old
    assert _parts(model_file.parent) == []


# ---------------------------------------------------------------- same inputs, same bytes


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_train_output_is_byte_identical(runner: CliRunner, image_dir: Path, tmp_path: Path) -> None:
    paths = [tmp_path / "one.npz", tmp_path / "two.npz"]
    for path in paths:
        result = runner.invoke(app, ["train", str(image_dir), "-o", str(path), "--size", "8", "-q"])
        assert result.exit_code == 0, result.stderr
    assert _digest(paths[0]) == _digest(paths[1])
    with zipfile.ZipFile(paths[0]) as archive:  # no clock in the archive
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}


def test_seeded_outputs_are_byte_identical(
    runner: CliRunner, image_dir: Path, model_file: Path, tmp_path: Path
) -> None:
    def corrupt(out: str, seed: str) -> Path:
        target = tmp_path / out
        args = ["corrupt", str(image_dir), "-o", str(target), "--size", "8", "--seed", seed, "-q"]
        assert runner.invoke(app, args).exit_code == 0
        return target

    first, again, other = corrupt("c1", "7"), corrupt("c2", "7"), corrupt("c3", "8")
    assert [_digest(p) for p in sorted(first.iterdir())] == [_digest(p) for p in sorted(again.iterdir())]
    assert [_digest(p) for p in sorted(first.iterdir())] != [_digest(p) for p in sorted(other.iterdir())]

    def recall(out: str) -> tuple[str, str]:
        target = tmp_path / out
        args = ["recall", str(model_file), str(first), "-o", str(target), "--update", "stochastic"]
        result = runner.invoke(
            app, [*args, "--seed", "3", "--montage", str(target / "sheet.png"), "--json", "-q"]
        )
        assert result.exit_code == 0, result.stderr
        digests = "".join(_digest(p) for p in sorted(target.iterdir()))
        return digests, result.stdout.replace(str(target), "OUT")

    assert recall("r1") == recall("r2")


def test_outputs_do_not_depend_on_the_process(image_dir: Path, tmp_path: Path) -> None:
    """Two separate processes with different hash seeds write the same model."""
    digests = []
    for k, hash_seed in enumerate(("1", "2")):
        target = tmp_path / f"m{k}.npz"
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        args = [sys.executable, "-m", "hopfield_cli", "train", str(image_dir), "-o", str(target), "-q"]
        subprocess.run(args, check=True, env=env, timeout=120)
        digests.append(_digest(target))
    assert digests[0] == digests[1]
