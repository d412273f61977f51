"""Regenerate the README's recall montage and animation from the bundled sample images.

Run from anywhere: ``python docs/make_figures.py [OUT_FOLDER]`` (default: this
folder).  It calls the installed command line exactly as a user would, with
fixed seeds, so the same code gives the same bytes.  Writes
``recall-montage.png`` and ``recall-animation.gif`` from ``sample_images/``,
and ``grey-and-colour.png`` from colour photos bundled with scikit-image (a
test dependency; skipped with a message when it is missing).
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


#: Colour photos of scikit-image and the damage each cue gets (the README's "Grey and colour" figure).
COLOUR_CUES = [
    ("astronaut", ["--kind", "gaussian", "--noise", "0.3", "--seed", "1"]),
    ("chelsea", ["--kind", "erase", "--noise", "0.7", "--seed", "2"]),
    ("coffee", ["--kind", "occlude", "--noise", "0.5", "--seed", "4"]),
    ("immunohistochemistry", ["--kind", "saltpepper", "--noise", "0.4", "--seed", "3"]),
    ("rocket", ["--kind", "half", "--noise", "0.5", "--side", "left", "--fill", "white"]),
]


def grey_and_colour(out: Path) -> None:
    try:
        from skimage import data
    except ImportError:
        sys.stderr.write("scikit-image is not installed: grey-and-colour.png not regenerated\n")
        return
    from PIL import Image

    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        photos = work / "photos"
        photos.mkdir()
        for name, _ in COLOUR_CUES:
            Image.fromarray(getattr(data, name)()).save(photos / f"{name}.png")
        model = work / "colour.npz"
        hopfield("train", photos, "-o", model, "--binarize", "none", "--color", "--quiet")
        cues = work / "cues"
        for name, options in COLOUR_CUES:
            damage = ["--binarize", "none", "--color", *options, "--quiet"]
            hopfield("corrupt", photos / f"{name}.png", "-o", cues / f"{name}.png", *damage)
        hopfield("recall", model, cues, "-o", work / "out", "--montage", out / "grey-and-colour.png")


if __name__ == "__main__":
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parent
    main(folder)
    grey_and_colour(folder)
