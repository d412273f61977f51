"""Regenerate the README's recall montage and animation from the bundled sample images.

Run from anywhere: ``python docs/make_figures.py [OUT_FOLDER]`` (default: this
folder).  It calls the installed command line exactly as a user would, with
fixed seeds, so the same code gives the same bytes.  Writes
``recall-montage.png`` and ``recall-animation.gif``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_images"

#: (cue name, source photo, corrupt options): one wrong recall among right ones.
CUES = [
    ("astronaut", "astronaut", ["--kind", "erase", "--noise", "0.5", "--seed", "1"]),
    ("camera", "camera", ["--kind", "half", "--noise", "0.5"]),
    ("clock", "clock", ["--noise", "0.3", "--seed", "2"]),
    ("rocket", "rocket", ["--kind", "half", "--noise", "0.5", "--fill", "unknown", "--side", "right"]),
]


def hopfield(*args: object) -> None:
    subprocess.run([sys.executable, "-m", "hopfield_cli", *map(str, args)], check=True)


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        model = work / "model.npz"
        hopfield("train", SAMPLES, "-o", model, "--quiet")
        cues = work / "cues"
        for name, photo, options in CUES:
            hopfield("corrupt", SAMPLES / f"{photo}.png", "-o", cues / f"{name}.png", *options, "--quiet")
        hopfield("recall", model, cues, "-o", work / "out", "--montage", out / "recall-montage.png")
        erased = work / "camera.png"
        hopfield(
            "corrupt",
            SAMPLES / "camera.png",
            "-o",
            erased,
            "--kind",
            "erase",
            "--noise",
            "0.6",
            "--seed",
            "3",
        )
        hopfield(
            "recall", model, erased, "-o", work / "camera-out.png", "--update", "async", "--seed", "1",
            "--animate", out / "recall-animation.gif", "--quiet",
        )  # fmt: skip


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent)
