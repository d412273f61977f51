"""Every bad input, option and model file, through the command line.

One table drives it: each case builds its bad input under tmp_path and names
the command line to run.  Bad data must end in exit code 1 and one
``Error: ...`` line on stderr naming the file; bad options in exit code 2
naming the option.  In both, stdout stays empty, no traceback is shown, and
nothing under tmp_path is created, changed or left behind.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import re
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from _file_bytes import ico_holding, idx_bytes, npy_bytes, npz_bytes, npz_declaring
from PIL import Image
from typer.testing import CliRunner

from hopfield_cli.cli import app
from hopfield_cli.images import load_images, to_pattern
from hopfield_cli.persistence import FORMAT_VERSION, load_model

# ---------------------------------------------------------------- helpers


@dataclass(frozen=True)
class Env:
    """Where a case builds its inputs and where the command would write."""

    tmp: Path
    images: Path  # three valid PNGs
    model: Path  # a valid model
    arrays: dict[str, np.ndarray]  # the valid model's arrays, to tamper with

    @property
    def out_npz(self) -> Path:
        return self.tmp / "out" / "result.npz"

    @property
    def out_png(self) -> Path:
        return self.tmp / "out" / "result.png"

    def file(self, name: str, data: bytes) -> Path:
        path = self.tmp / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def train(self, *inputs: Path, extra: tuple[str, ...] = ()) -> list[str]:
        return ["train", *map(str, inputs), "-o", str(self.out_npz), "--size", "8", *extra]

    def corrupt(self, *inputs: Path, extra: tuple[str, ...] = ()) -> list[str]:
        return ["corrupt", *map(str, inputs), "-o", str(self.out_png), "--size", "8", *extra]

    def recall(
        self, model: Path | None = None, cue: Path | None = None, extra: tuple[str, ...] = ()
    ) -> list[str]:
        cue = cue if cue is not None else self.images / "a.png"
        model = model if model is not None else self.model
        return ["recall", str(model), str(cue), "-o", str(self.out_png), *extra]

    def bad_model(self, name: str = "bad.npz", drop: str | None = None, **changes: Any) -> Path:
        arrays = {key: value for key, value in self.arrays.items() if key != drop}
        arrays.update(changes)
        path = self.tmp / name
        np.savez(path, **arrays)  # allow_pickle: lets the object-array cases write pickles
        return path


def png_bytes(pixels: np.ndarray, mode: str | None = None) -> bytes:
    buffer = BytesIO()
    image = Image.fromarray(pixels)
    (image.convert(mode) if mode else image).save(buffer, format="PNG")
    return buffer.getvalue()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims ``width`` x ``height`` gray pixels and holds none (a decompression bomb's header)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


def stack(k: int = 3) -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, size=(k, 10, 12), dtype=np.uint8)


class MakeDirOnUnpickle:
    """Unpickling this creates a folder: proof that a pickle was executed."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[Any, ...]:
        return (os.mkdir, (str(self.path),))


def object_array(env: Env) -> np.ndarray:
    return np.array([MakeDirOnUnpickle(env.tmp / "PWNED"), 1], dtype=object)


def tiff_with_nan(env: Env) -> Path:
    pixels = np.ones((10, 12), dtype=np.float32)
    pixels[3, 4] = np.nan
    path = env.tmp / "nan.tif"
    Image.fromarray(pixels, mode="F").save(path)
    return path


def snapshot(root: Path) -> dict[str, str]:
    """Every file and folder under ``root`` with a digest of its bytes (FIFOs are not read)."""
    return {
        str(p.relative_to(root)): "dir"
        if p.is_dir()
        else hashlib.sha256(p.read_bytes()).hexdigest()
        if p.is_file()
        else "special"
        for p in sorted(root.rglob("*"))
    }


def fifo(env: Env, name: str) -> Path:
    """A named pipe nobody writes to: reading it would block forever."""
    path = env.tmp / name
    os.mkfifo(path)
    return path


# Files that Pillow recognises by their bytes, whatever the suffix, and that are not raster images
# this tool reads: EPS runs Ghostscript, DDS and BLP are exotic plugins.
EPS = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n%%EOF\n"
DDS = b"DDS " + struct.pack("<7I", 124, 0x1007, 4, 4, 16, 0, 1) + bytes(128)
BLP = b"BLP2" + struct.pack("<I4B", 1, 1, 8, 0, 1) + struct.pack("<2I", 4, 4) + bytes(200)
POSIX = pytest.mark.skipif(os.name != "posix", reason="POSIX named pipes")


def flat(text: str) -> str:
    """Rich's boxed usage errors, unboxed and unwrapped."""
    return " ".join(re.sub(r"[│╭╮╰╯─]+", " ", text).split())


# ---------------------------------------------------------------- the table

Build = Callable[[Env], list[str]]


def case(build: Build, code: int, *needles: str, id: str) -> Any:
    return pytest.param(build, code, needles, id=id)


def _folder(env: Env, name: str, files: dict[str, bytes]) -> Path:
    folder = env.tmp / name
    folder.mkdir()
    for file, data in files.items():
        (folder / file).write_bytes(data)
    return folder


def _duplicate_names(env: Env) -> list[str]:
    other = _folder(env, "more", {"a.png": png_bytes(stack(1)[0])})
    return env.train(env.images, other, extra=("-q",))


def _bomb_model(env: Env, **huge: tuple[tuple[int, ...], str]) -> Path:
    """The valid model with members whose headers declare ``huge`` sizes (and hold no data)."""
    arrays = {key: value for key, value in env.arrays.items() if key not in huge}
    return env.file("bomb.npz", npz_declaring(arrays, huge))


def _truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def _damaged_model(env: Env) -> Path:
    data = bytearray(env.model.read_bytes())
    with zipfile.ZipFile(env.model) as archive:
        info = archive.getinfo("patterns.npy")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 5 : start + 25] = bytes(20)  # inside the compressed patterns
    return env.file("damaged.npz", bytes(data))


def _raw_member_model(env: Env) -> Path:
    path = env.tmp / "raw.npz"
    with zipfile.ZipFile(path, "w") as archive:
        for key, value in env.arrays.items():
            if key == "rule":
                archive.writestr("rule", b"hebbian")  # not a .npy member: numpy would hand back bytes
            else:
                archive.writestr(f"{key}.npy", npy_bytes(value))
    return path


INPUT_CASES = [
    case(lambda e: e.train(e.tmp / "nope.png"), 1, "nope.png", "no such file", id="missing-file"),
    case(lambda e: e.train(e.tmp / "nope"), 1, "nope", "no such file or folder", id="missing-folder"),
    case(lambda e: e.train(_folder(e, "empty", {})), 1, "empty", "no images found", id="empty-folder"),
    case(
        lambda e: e.train(_folder(e, "docs", {"a.txt": b"text", "b.csv": b"1,2", ".hidden.png": b""})),
        1,
        "docs",
        "no images found",
        id="folder-without-images",
    ),
    case(lambda e: e.train(e.file("zero.png", b"")), 1, "zero.png", "empty", id="zero-byte-png"),
    case(lambda e: e.train(e.file("zero.npy", b"")), 1, "zero.npy", "empty", id="zero-byte-npy"),
    case(lambda e: e.corrupt(e.file("zero.png", b"")), 1, "zero.png", "empty", id="zero-byte-corrupt"),
    case(lambda e: e.recall(cue=e.file("zero.png", b"")), 1, "zero.png", "empty", id="zero-byte-cue"),
    case(
        lambda e: e.train(e.file("cut.png", _truncated(png_bytes(stack(1)[0])))),
        1,
        "cut.png",
        "truncated",
        id="truncated-png",
    ),
    case(
        lambda e: e.train(e.file("text.png", b"hello " * 20)),
        1,
        "text.png",
        "not a readable image",
        id="text-as-png",
    ),
    *[
        case(
            lambda e, data=data, name=name: e.train(e.file(name, data)),
            1,
            name,
            "not a readable image in a supported format",
            id=f"foreign-format-{name}",
        )
        for name, data in (
            ("holiday.jpg", EPS),
            ("eps.eps", EPS),
            ("tex.png", DDS),
            ("tex.dds", DDS),
            ("tex.ico", BLP),
        )
    ],
    case(
        lambda e: e.train(e.file("bomb.ico", ico_holding(png_header_only(50_000, 50_000)))),
        1,
        "bomb.ico",
        "50000x50000 = 2500000000 pixels, over the limit",
        id="ico-frame-bomb",
    ),
    pytest.param(
        lambda e: e.train(fifo(e, "pipe.png")),
        1,
        ("pipe.png", "not a regular file"),
        id="fifo-image",
        marks=POSIX,
    ),
    pytest.param(
        lambda e: e.corrupt(fifo(e, "pipe.npz")),
        1,
        ("pipe.npz", "not a regular file"),
        id="fifo-stack",
        marks=POSIX,
    ),
    case(
        lambda e: e.train(e.file("pic.npy", png_bytes(stack(1)[0]))),
        1,
        "pic.npy",
        "not a .npy or .npz file",
        id="png-as-npy",
    ),
    case(
        lambda e: e.train(e.file("text.npz", b"hello " * 20)),
        1,
        "text.npz",
        "not a .npy or .npz",
        id="text-as-npz",
    ),
    case(
        lambda e: e.train(e.file("arr.png", npy_bytes(stack(1)[0]))),
        1,
        "arr.png",
        "not a readable image",
        id="npy-as-png",
    ),
    case(
        lambda e: e.train(e.file("cut.npz", _truncated(npz_bytes(x=stack())))),
        1,
        "cut.npz",
        "damaged or truncated",
        id="truncated-npz",
    ),
    case(
        lambda e: e.train(e.file("cut.npy", _truncated(npy_bytes(stack())))),
        1,
        "cut.npy",
        "truncated",
        id="truncated-npy",
    ),
    case(
        lambda e: e.train(e.file("cut-idx3-ubyte", idx_bytes(stack(1), declared=(5, 10, 12)))),
        1,
        "cut-idx3-ubyte",
        "truncated IDX",
        id="truncated-idx",
    ),
    case(
        lambda e: e.train(
            e.file("cut-idx3-ubyte.gz", _truncated(gzip.compress(idx_bytes(stack()), mtime=0)))
        ),
        1,
        "cut-idx3-ubyte.gz",
        id="truncated-gzip-idx",
    ),
    case(
        lambda e: e.train(e.file("labels-idx1-ubyte", bytes([0, 0, 8, 1]) + struct.pack(">I", 3) + bytes(3))),
        1,
        "labels-idx1-ubyte",
        "not images",
        id="idx-labels",
    ),
    case(
        lambda e: e.train(e.file("huge-idx3-ubyte", bytes([0, 0, 8, 3]) + struct.pack(">3I", 2**31, 28, 28))),
        1,
        "huge-idx3-ubyte",
        "--max-pixels",
        id="idx-bomb-header",
    ),
    case(
        lambda e: e.train(e.file("bomb.png", png_header_only(100_000, 100_000))),
        1,
        "bomb.png",
        "100000x100000",
        "over the limit of 100000000",
        "--max-pixels",
        id="png-bomb-over-default-limit",
    ),
    case(
        # 144 M pixels: between Pillow's warning and error thresholds; neither may escape.
        lambda e: e.train(e.file("bomb.png", png_header_only(12_000, 12_000))),
        1,
        "bomb.png",
        "over the limit",
        id="png-bomb-pillow-warning-range",
    ),
    case(
        lambda e: e.train(e.images / "a.png", extra=("--max-pixels", "100")),
        1,
        "a.png",
        "12x10 = 120 pixels",
        "over the limit of 100 (raise it with --max-pixels)",
        id="image-over-max-pixels",
    ),
    case(
        lambda e: e.train(e.file("stack.npz", npz_bytes(x=stack(4))), extra=("--max-pixels", "200")),
        1,
        "stack.npz",
        "480 pixels in all",
        id="stack-over-max-pixels",
    ),
    case(
        lambda e: e.train(
            e.file("bomb.npy", npy_bytes(np.zeros((1, 1), np.uint8))[:10] + b"{'descr': '|u1'")
        ),
        1,
        "bomb.npy",
        id="npy-broken-header",
    ),
    case(
        lambda e: e.train(e.file("obj.npz", npz_bytes(x=object_array(e)))),
        1,
        "obj.npz",
        "Python objects",
        "refusing to unpickle",
        id="object-array-stack",
    ),
    case(
        lambda e: e.train(e.file("nan.npy", npy_bytes(np.array([[0.5, np.nan], [0.1, 0.2]])))),
        1,
        "nan.npy",
        "NaN or infinite",
        id="nan-in-array",
    ),
    case(
        lambda e: e.train(e.file("inf.npy", npy_bytes(np.array([[0.5, -np.inf], [0.1, 0.2]])))),
        1,
        "inf.npy",
        "NaN or infinite",
        id="inf-in-array",
    ),
    case(lambda e: e.train(tiff_with_nan(e)), 1, "nan.tif", "NaN or infinite", id="nan-in-float-tiff"),
    case(
        lambda e: e.train(e.file("vec.npy", npy_bytes(np.arange(5)))),
        1,
        "vec.npy",
        "expected (H, W) or (K, H, W)",
        id="array-1d",
    ),
    case(
        lambda e: e.train(e.file("4d.npy", npy_bytes(np.zeros((2, 2, 2, 2))))),
        1,
        "4d.npy",
        "expected (H, W) or (K, H, W)",
        id="array-4d",
    ),
    case(
        lambda e: e.train(e.file("empty.npy", npy_bytes(np.zeros((0, 10, 12))))),
        1,
        "empty.npy",
        "is empty",
        id="array-empty",
    ),
    case(
        lambda e: e.train(e.file("str.npy", npy_bytes(np.array([["a", "b"], ["c", "d"]])))),
        1,
        "str.npy",
        "expected numbers",
        id="array-of-strings",
    ),
    case(
        lambda e: e.train(e.file("cplx.npy", npy_bytes(np.ones((2, 2), complex)))),
        1,
        "cplx.npy",
        "expected numbers",
        id="array-complex",
    ),
    case(
        lambda e: e.train(e.file("td.npy", npy_bytes(np.ones((2, 2), "m8[s]")))),
        1,
        "td.npy",
        "expected numbers",
        id="array-timedelta",
    ),
    case(
        lambda e: e.train(e.file("noarr.npz", npz_bytes())),
        1,
        "noarr.npz",
        "no arrays",
        id="npz-without-arrays",
    ),
    case(_duplicate_names, 1, "share the name", "a", id="duplicate-names"),
]


MODEL_CASES = [
    case(
        lambda e: e.recall(_bomb_model(e, patterns=((31_250_000, 64), "|i1"))),
        1,
        "bomb.npz",
        "31250000 x 64 = 2000000000 values, over the limit",
        id="model-declares-2e9-pattern-bytes",
    ),
    case(
        lambda e: ["inspect", str(_bomb_model(e, patterns=((3, 10**7), "|i1")))],
        1,
        "bomb.npz",
        "image shape does not match patterns of 10000000 neurons",
        id="model-declares-more-neurons-than-its-shape",
    ),
    case(
        lambda e: e.recall(_bomb_model(e, names=((3,), "<U100000000"))),
        1,
        "bomb.npz",
        "'names' holds strings of 100000000 characters, over the limit of 1024",
        id="model-declares-huge-names",
    ),
    case(
        lambda e: e.recall(_bomb_model(e, names=((10**8,), "<U4"))),
        1,
        "bomb.npz",
        "got 100000000 names for 3 patterns",
        id="model-declares-a-billion-names",
    ),
    case(
        lambda e: [
            "inspect",
            str(e.bad_model(rule=np.array("polynomial"), drop="beta", degree=np.asarray(10**18))),
        ],
        1,
        "bad.npz",
        "degree must be an integer from 2 to 30",
        id="model-degree-1e18",
    ),
    *[
        pytest.param(build, 1, ("pipe.npz", "not a regular file"), id=f"fifo-model-{cmd}", marks=POSIX)
        for cmd, build in (
            ("recall", lambda e: e.recall(fifo(e, "pipe.npz"))),
            ("inspect", lambda e: ["inspect", str(fifo(e, "pipe.npz"))]),
            ("append", lambda e: e.train(e.images / "a.png", extra=("--append", str(fifo(e, "pipe.npz"))))),
        )
    ],
    case(lambda e: e.recall(e.tmp / "nope.npz"), 1, "nope.npz", "no such model file", id="model-missing"),
    case(lambda e: e.recall(e.images), 1, "images", "is a folder", id="model-is-folder"),
    case(lambda e: e.recall(e.file("zero.npz", b"")), 1, "zero.npz", "file is empty", id="model-empty"),
    case(
        lambda e: e.recall(e.images / "a.png"),
        1,
        "a.png",
        "not a valid model file",
        "not a .npy or .npz file",
        id="model-is-png",
    ),
    case(
        lambda e: e.recall(e.file("m.npz", b"rule=hebbian\n")),
        1,
        "m.npz",
        "not a valid model",
        id="model-is-text",
    ),
    case(
        lambda e: e.recall(e.file("m.npy", npy_bytes(e.arrays["patterns"]))),
        1,
        "m.npy",
        "not an .npz model archive",
        id="model-is-npy",
    ),
    case(
        lambda e: e.recall(e.file("cut.npz", _truncated(e.model.read_bytes()))),
        1,
        "cut.npz",
        "damaged or truncated",
        id="model-truncated",
    ),
    case(lambda e: e.recall(_damaged_model(e)), 1, "damaged.npz", "damaged or truncated", id="model-damaged"),
    case(
        lambda e: e.recall(_raw_member_model(e)),
        1,
        "raw.npz",
        "'rule' is not a .npy array",
        id="model-raw-member",
    ),
    case(
        lambda e: e.recall(e.bad_model(drop="patterns")),
        1,
        "bad.npz",
        "missing keys: patterns",
        id="model-missing-key",
    ),
    case(
        lambda e: e.recall(e.bad_model(extra=np.zeros(3))),
        1,
        "bad.npz",
        "unexpected keys: extra",
        id="model-extra-key",
    ),
    case(
        lambda e: e.recall(e.bad_model(patterns=e.arrays["patterns"].astype(float))),
        1,
        "bad.npz",
        "'patterns' has dtype float64",
        id="model-patterns-float",
    ),
    case(
        lambda e: e.recall(e.bad_model(names=np.arange(3))),
        1,
        "bad.npz",
        "'names' has dtype int64",
        id="model-names-int",
    ),
    case(
        lambda e: e.recall(e.bad_model(patterns=e.arrays["patterns"].ravel())),
        1,
        "bad.npz",
        "'patterns' has 1 dimensions, expected 2",
        id="model-patterns-1d",
    ),
    case(
        lambda e: e.recall(e.bad_model(shape=np.array([8, 8, 1]))),
        1,
        "bad.npz",
        "shape must hold two positive integers",
        id="model-shape-3-values",
    ),
    case(
        lambda e: e.recall(e.bad_model(shape=np.array([4, 4]))),
        1,
        "bad.npz",
        "does not match patterns of 64 neurons",
        id="model-shape-mismatch",
    ),
    case(
        lambda e: e.recall(e.bad_model(shape=np.array([-8, -8]))),
        1,
        "bad.npz",
        "shape must hold two positive integers",
        id="model-shape-negative",
    ),
    case(
        lambda e: e.recall(e.bad_model(names=np.array(["a", "b"]))),
        1,
        "bad.npz",
        "2 names for 3 patterns",
        id="model-names-count",
    ),
    case(
        lambda e: e.recall(e.bad_model(names=np.array(["a", "a", "b"]))),
        1,
        "bad.npz",
        "duplicate pattern names",
        id="model-names-duplicate",
    ),
    case(
        lambda e: e.recall(e.bad_model(threshold=np.float64("nan"))),
        1,
        "bad.npz",
        "'threshold' contains NaN or infinite",
        id="model-nan-threshold",
    ),
    case(
        lambda e: e.recall(e.bad_model(beta=np.float64("inf"))),
        1,
        "bad.npz",
        "'beta' contains NaN or infinite",
        id="model-inf-beta",
    ),
    case(
        lambda e: e.recall(e.bad_model(patterns=np.zeros_like(e.arrays["patterns"]))),
        1,
        "bad.npz",
        "-1 and +1",
        id="model-patterns-not-pm1",
    ),
    case(
        lambda e: e.recall(e.bad_model(format_version=np.int64(FORMAT_VERSION + 1))),
        1,
        "bad.npz",
        f"format version {FORMAT_VERSION + 1} is newer",
        "upgrade",
        id="model-newer-version",
    ),
    case(
        lambda e: e.recall(e.bad_model(format_version=np.int64(FORMAT_VERSION + 1), new_key=np.zeros(2))),
        1,
        "bad.npz",
        "is newer",
        id="model-newer-version-new-keys",
    ),
    case(
        lambda e: e.recall(e.bad_model(format_version=np.int64(0))),
        1,
        "bad.npz",
        "invalid format version 0",
        id="model-version-0",
    ),
    case(
        lambda e: e.recall(e.bad_model(patterns=object_array(e))),
        1,
        "bad.npz",
        "'patterns' holds Python objects",
        "refusing to unpickle",
        id="model-object-array",
    ),
    case(
        lambda e: e.recall(e.bad_model(evil=object_array(e))),
        1,
        "bad.npz",
        "refusing to unpickle",
        id="model-object-array-extra-key",
    ),
    case(
        lambda e: e.recall(e.bad_model(rule=np.array("magic"))),
        1,
        "bad.npz",
        "rule must be one of",
        "hebbian",
        "'magic'",
        id="model-unknown-rule",
    ),
    case(
        lambda e: e.recall(e.bad_model(binarize=np.array("fuzzy"))),
        1,
        "bad.npz",
        "binarize must be one of",
        "'fuzzy'",
        id="model-unknown-binarize",
    ),
    case(
        lambda e: e.train(e.images / "a.png", extra=("--append", str(e.bad_model(drop="names")))),
        1,
        "bad.npz",
        "missing keys: names",
        id="append-to-bad-model",
    ),
]

OUTPUT_CASES = [
    case(
        lambda e: ["train", str(e.images), "-o", str(_folder(e, "out", {})), "-q"],
        1,
        "out",
        "is a folder",
        id="model-output-is-folder",
    ),
    case(
        lambda e: ["train", str(e.images), "-o", str(e.file("blocker", b"x") / "m.npz"), "-q"],
        1,
        "blocker",
        "a file is in the way",
        id="model-output-parent-is-file",
    ),
    case(
        lambda e: ["corrupt", str(e.images), "-o", str(e.file("blocker", b"x")), "-q"],
        1,
        "blocker",
        "not a folder",
        id="cues-output-is-file",
    ),
]


def _option(command: str, *args: str) -> Build:
    def build(env: Env) -> list[str]:
        base = {
            "train": env.train(env.images),
            "corrupt": env.corrupt(env.images),
            "recall": env.recall(),
            "capacity": ["capacity", "--neurons", "16", "-q"],
        }
        return [*base[command], *args]

    return build


OPTION_CASES = [
    *[
        case(_option("train", "--size", value), 2, "--size", id=f"size-{value}")
        for value in ("0", "-3", "abc", "99999", "64x0", "1e3", "8x8x8", "", "123456789012345678901234567890")
    ],
    case(_option("corrupt", "--size", "0"), 2, "--size", id="corrupt-size-0"),
    case(
        _option("train", "--binarize", "fuzzy"), 2, "--binarize", "mean", "otsu", "dither", id="binarize-name"
    ),
    case(_option("train", "--binarize", "300"), 2, "--binarize", "0-255", id="binarize-level"),
    # Past Python's 4,300-digit int conversion limit: still a usage error, not a ValueError.
    case(_option("train", "--size", "9" * 5000), 2, "--size", id="size-5000-digits"),
    case(_option("train", "--binarize", "9" * 5000), 2, "--binarize", id="binarize-5000-digits"),
    case(_option("train", "--binarize", "\u00b2"), 2, "--binarize", id="binarize-superscript-digit"),
    case(_option("train", "--rule", "magic"), 2, "--rule", "magic", "hebbian", id="rule-name"),
    case(_option("train", "--limit", "0"), 2, "--limit", id="limit-0"),
    case(_option("train", "--max-pixels", "0"), 2, "--max-pixels", id="max-pixels-0"),
    case(_option("train", "--max-pixels", "-5"), 2, "--max-pixels", id="max-pixels-negative"),
    case(_option("train", "--threshold", "nan"), 2, "--threshold", id="threshold-nan"),
    case(_option("train", "--threshold", "inf"), 2, "--threshold", id="threshold-inf"),
    *[
        case(_option("corrupt", "--noise", value), 2, "--noise", id=f"noise-{value}")
        for value in ("1.5", "-0.1", "nan", "inf", "abc")
    ],
    case(
        _option("corrupt", "--kind", "melt"), 2, "--kind", "flip", "erase", "occlude", "half", id="kind-name"
    ),
    case(_option("corrupt", "--fill", "red"), 2, "--fill", "black", "white", "unknown", id="fill-name"),
    case(_option("corrupt", "--seed", "-1"), 2, "--seed", id="seed-negative"),
    *[
        case(_option("recall", "--max-iter", value), 2, "--max-iter", id=f"max-iter-{value}")
        for value in ("0", "-1", "abc")
    ],
    *[
        case(_option("recall", "--temperature", value), 2, "--temperature", id=f"temperature-{value}")
        for value in ("-1", "nan", "-inf")
    ],
    case(_option("recall", "--anneal", "0"), 2, "--anneal", id="anneal-0"),
    case(
        _option("recall", "--update", "fast"), 2, "--update", "sync", "async", "stochastic", id="update-name"
    ),
    case(_option("train", "--frobnicate"), 2, "--frobnicate", id="unknown-option"),
    # Upper bounds, stated in the message: no hang, no OOM, no OverflowError.
    *[
        case(_option(command, option, value), 2, option, bound, id=f"{command}{option}-{value}")
        for command, option, value, bound in (
            ("recall", "--max-iter", "100000000000000000000", "1<=x<=1000000"),
            ("recall", "--anneal", "100000000000000000000", "1<=x<=1000000"),
            ("train", "--degree", "31", "2<=x<=30"),
            ("capacity", "--degree", "1000000000000000000", "2<=x<=30"),
            ("capacity", "--trials", "100000000000000000000", "1<=x<=10000"),
            ("capacity", "--cues", "100000000000000000000", "1<=x<=100000"),
            ("capacity", "--max-iter", "100000000000000000000", "1<=x<=1000000"),
            ("capacity", "--jobs", "100000", "1<=x<="),
            ("capacity", "--loads", "100000000000000000000", "P x N must be at most 134217728"),
            ("capacity", "--neurons", "65536", "P x N = 1073741824 is over 134217728"),
        )
    ],
    case(lambda e: ["train", str(e.images)], 2, "--output", id="train-without-output"),
    case(
        lambda e: ["train", str(e.images), "-o", str(e.images / "a.png")],
        2,
        "--output",
        "a.png is also an input",
        id="train-output-is-input-in-folder",
    ),
    case(
        lambda e: ["train", str(e.model), "-o", str(e.model)],
        2,
        "--output",
        "is also an input",
        id="train-output-is-input",
    ),
    case(
        lambda e: ["train", str(e.images), "-o", str(e.images)],
        2,
        "--output",
        "is also an input",
        id="train-output-is-input-folder",
    ),
    case(
        lambda e: ["train", str(e.images), "--append", str(e.model), "--size", "16"],
        2,
        "--size",
        "(8, 8)",
        id="append-other-size",
    ),
    case(
        lambda e: ["corrupt", str(e.images / "a.png"), "-o", str(e.images / "a.png")],
        2,
        "--output",
        "is also an input",
        id="corrupt-over-its-input",
    ),
    case(
        lambda e: ["corrupt", str(e.images), "-o", str(e.images)],
        2,
        "--output",
        "is also an input",
        id="corrupt-over-input-folder",
    ),
    case(
        lambda e: ["recall", str(e.model), str(e.images / "a.png"), "-o", str(e.model)],
        2,
        "--output",
        "model.npz is also an input",
        id="recall-over-model",
    ),
    case(
        lambda e: ["recall", str(e.model), str(e.images / "a.png"), "-o", str(e.images / "a.png")],
        2,
        "--output",
        "is also an input",
        id="recall-over-cue",
    ),
    *[
        case(
            lambda e, option=option: ["capacity", "--images", str(e.images), option, str(e.images / "a.png")],
            2,
            option,
            "a.png is also an input",
            id=f"capacity{option}-over-input",
        )
        for option in ("--csv", "--plot")
    ],
    case(
        lambda e: [*e.recall(), "--montage", str(e.out_png)],
        2,
        "--montage",
        "is also a recall output",
        id="montage-over-recall-output",
    ),
    case(
        lambda e: [*e.recall(), "--montage", str(e.model)],
        2,
        "--montage",
        "is also an input",
        id="montage-over-model",
    ),
]


@pytest.mark.parametrize(
    ("build", "code", "needles"), INPUT_CASES + MODEL_CASES + OUTPUT_CASES + OPTION_CASES
)
def test_bad_input_fails_cleanly(
    runner: CliRunner,
    tmp_path: Path,
    image_dir: Path,
    model_file: Path,
    model_arrays: dict[str, np.ndarray],
    build: Build,
    code: int,
    needles: tuple[str, ...],
) -> None:
    env = Env(tmp_path, image_dir, model_file, model_arrays)
    args = build(env)
    before = snapshot(tmp_path)

    result = runner.invoke(app, args)

    assert result.exit_code == code, result.stderr
    assert isinstance(result.exception, SystemExit), repr(result.exception)  # nothing escaped
    assert "Traceback" not in result.output
    assert result.stdout == ""
    if code == 1:
        lines = result.stderr.splitlines()
        assert len(lines) == 1, result.stderr
        assert lines[0].startswith("Error: ")
        message = lines[0]
    else:
        message = flat(result.stderr)
        assert "Invalid value" in message or "No such option" in message or "Missing" in message, message
    for needle in needles:
        assert needle in message
    # Nothing written, changed, left behind or executed (no output, no *.part, no PWNED folder).
    assert snapshot(tmp_path) == before


# ---------------------------------------------------------------- what still works


def test_other_files_are_skipped_with_a_note(runner: CliRunner, image_dir: Path, tmp_path: Path) -> None:
    (image_dir / "notes.txt").write_text("not an image")
    (image_dir / ".DS_Store").write_bytes(b"\0\1")
    result = runner.invoke(app, ["train", str(image_dir), "-o", str(tmp_path / "m.npz"), "--size", "8"])
    assert result.exit_code == 0, result.stderr
    assert "Note: skipped 1 file(s) that are not images: notes.txt" in result.stderr
    assert load_model(tmp_path / "m.npz").names == ("a", "b", "c")


def test_max_pixels_can_be_raised(runner: CliRunner, image_dir: Path, tmp_path: Path) -> None:
    args = ["train", str(image_dir / "a.png"), "-o", str(tmp_path / "m.npz"), "--size", "8", "-q"]
    assert runner.invoke(app, [*args, "--max-pixels", "119"]).exit_code == 1
    assert runner.invoke(app, [*args, "--max-pixels", "120"]).exit_code == 0


def test_pillow_limit_neither_applies_nor_leaks(
    runner: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Pillow raises DecompressionBombError past twice its own limit; --max-pixels replaces that limit.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    Image.fromarray(stack(1)[0].repeat(10, axis=0).repeat(10, axis=1)).save(tmp_path / "big.png")  # 12,000 px
    result = runner.invoke(app, ["train", str(tmp_path / "big.png"), "-o", str(tmp_path / "m.npz"), "-q"])
    assert result.exit_code == 0, result.stderr
    assert Image.MAX_IMAGE_PIXELS == 1000


# Every Pillow mode a file can hold, in the formats that store it.
MODES = [
    ("L", "png"),
    ("RGB", "png"),
    ("RGBA", "png"),
    ("P", "png"),
    ("P", "gif"),
    ("1", "png"),
    ("1", "bmp"),
    ("LA", "png"),
    ("I;16", "png"),
    ("I;16B", "tiff"),
    ("I", "tiff"),
    ("F", "tiff"),
    ("CMYK", "tiff"),
    ("CMYK", "jpeg"),
    ("YCbCr", "tiff"),
    ("LAB", "tiff"),
    ("RGB", "webp"),
    ("L", "ppm"),
]


def _split_image(mode: str, size: tuple[int, int]) -> Image.Image:
    """Dark left, light right: every mode must binarize it the same way."""
    width, height = size
    gray = np.full((height, width), 40, dtype=np.uint8)
    gray[:, width // 2 :] = 210
    image = Image.fromarray(gray)
    if mode == "1":
        return image.convert("1", dither=Image.Dither.NONE)
    return image.convert(mode)


def test_mixed_sizes_and_modes_are_read_alike(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "mixed"
    folder.mkdir()
    sizes = [(16, 16), (40, 30), (9, 7), (64, 48)]
    for k, (mode, fmt) in enumerate(MODES):
        image = _split_image(mode, sizes[k % len(sizes)])
        image.save(
            folder / f"{k:02d}-{mode.replace(';', '')}.{fmt}", **({"lossless": True} if fmt == "webp" else {})
        )
    images = load_images([folder])
    assert len(images) == len(MODES)
    expected = np.where(np.arange(8) >= 4, 1, -1)
    for image in images:
        pattern = to_pattern(image, (8, 8)).reshape(8, 8)
        assert np.all(pattern == expected[np.newaxis, :]), (image.name, pattern)

    # Stored as memories through the CLI as well (rejected duplicates aside, every mode trains).
    result = runner.invoke(app, ["train", str(folder), "-o", str(tmp_path / "m.npz"), "--size", "8", "-q"])
    assert result.exit_code == 0, result.stderr
    assert load_model(tmp_path / "m.npz").n_patterns == len(MODES)


def test_transparent_pixels_become_unknown_in_cues(runner: CliRunner, tmp_path: Path) -> None:
    rgba = np.zeros((8, 8, 4), dtype=np.uint8)
    rgba[..., 3] = 255
    rgba[:, 4:, :3] = 255
    rgba[:2, :, 3] = 0  # top rows transparent: unknown
    Image.fromarray(rgba, mode="RGBA").save(tmp_path / "cue.png")
    (cue,) = load_images([tmp_path / "cue.png"])
    pattern = to_pattern(cue, (8, 8)).reshape(8, 8)
    assert np.all(pattern[:2] == 0)
    assert np.all(pattern[2:, :4] == -1) and np.all(pattern[2:, 4:] == 1)


# ---------------------------------------------------------------- where outputs go


def test_missing_parent_folders_are_created(runner: CliRunner, image_dir: Path, tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "c" / "m.npz"
    result = runner.invoke(app, ["train", str(image_dir), "-o", str(target), "--size", "8", "-q"])
    assert result.exit_code == 0, result.stderr
    assert load_model(target).n_patterns == 3
    cues = tmp_path / "x" / "y" / "cues"
    result = runner.invoke(app, ["corrupt", str(image_dir), "-o", str(cues), "--size", "8", "-q"])
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in cues.iterdir()) == ["a.png", "b.png", "c.png"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_outputs_get_ordinary_permissions(runner: CliRunner, image_dir: Path, tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        new = tmp_path / "new.npz"
        assert (
            runner.invoke(app, ["train", str(image_dir), "-o", str(new), "--size", "8", "-q"]).exit_code == 0
        )
        assert stat.S_IMODE(new.stat().st_mode) == 0o644  # not mkstemp's 0o600

        kept = tmp_path / "kept.npz"
        kept.write_bytes(b"old")
        kept.chmod(0o640)
        assert (
            runner.invoke(app, ["train", str(image_dir), "-o", str(kept), "--size", "8", "-q"]).exit_code == 0
        )
        assert stat.S_IMODE(kept.stat().st_mode) == 0o640  # a replaced file keeps its mode
    finally:
        os.umask(old)
