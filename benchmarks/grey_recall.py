"""Accuracy of the continuous rule: robust against plain similarities (not a speed benchmark).

``python -m benchmarks.grey_recall [--seeds K]`` prints markdown tables:

* the 23 pictures bundled with scikit-image (none used in tuning), at 64 x 64,
  grey and colour, under each kind of damage: right recalls (the winner is the
  cue's own photo) and recalls within 40 dB PSNR of it, for Ramsauer et al.'s
  dot product (centred intensities), the squared distance (``euclidean``) and
  the ``robust`` similarity;
* the 200 LFW faces (25 x 25) from Gaussian noise: right recalls against the
  nearest-face limit (cues whose nearest clean face, by squared distance, is
  their own), per seed;
  the right memory wins at any beta (it is the smallest distance); beta sets
  how close the written image is to it, shown as recalls within 40 dB.

Cues pass through 8-bit levels as a PNG would keep them.  Needs scikit-image.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli.continuous import ContinuousNetwork, psnr
from hopfield_cli.corruption import corrupt_values
from hopfield_cli.images import GrayImage, to_values

PHOTOS = (
    "astronaut",
    "camera",
    "coffee",
    "chelsea",
    "coins",
    "moon",
    "page",
    "horse",
    "rocket",
    "text",
    "brick",
    "grass",
    "gravel",
    "checkerboard",
    "clock",
    "hubble_deep_field",
    "immunohistochemistry",
    "logo",
    "retina",
    "binary_blobs",
    "colorwheel",
    "microaneurysms",
    "cell",
)
SIDE = 64
GREY_CASES = (
    ("gaussian", 0.5, "black"),
    ("gaussian+occlude", 0.5, "black"),
    ("occlude", 0.5, "black"),
    ("occlude", 0.5, "white"),
    ("erase", 0.7, "black"),
    ("half", 0.5, "black"),
    ("half", 0.5, "white"),
    ("saltpepper", 0.3, "black"),
)
COLOUR_CASES = (
    ("gaussian", 0.3, "black"),
    ("occlude", 0.4, "black"),
    ("half", 0.5, "black"),
    ("gaussian+occlude", 0.5, "black"),
)
#: Noise added before the block in the combined case.
COMBINED_NOISE = 0.2


def photo_images() -> list[GrayImage]:
    """The bundled pictures as the CLI reads them (transparency on white)."""
    import skimage.data
    from PIL import Image

    out = []
    for name in PHOTOS:
        array = getattr(skimage.data, name)()
        if array.dtype == np.bool_:
            array = array.astype(np.uint8) * 255
        image = Image.fromarray(array)
        if image.mode == "RGBA":
            white = Image.new("RGBA", image.size, (255, 255, 255, 255))
            white.alpha_composite(image)
            image = white
        grey = np.asarray(image.convert("L"), dtype=np.float32)
        colour = np.asarray(image.convert("RGB"), dtype=np.float32)
        out.append(GrayImage(name, grey, color=colour))
    return out


def quantised(values: NDArray[Any]) -> NDArray[Any]:
    return np.round(values * 255.0) / 255.0


def dot_winner(memories: NDArray[np.uint8], cue: NDArray[Any], known: NDArray[np.bool_]) -> int:
    """Ramsauer et al.'s similarity x . xi on intensities centred to [-1, 1]; unknown pixels 0."""
    centred = (2.0 * cue - 1.0) * known[:, np.newaxis]
    stored = 2.0 * memories.astype(np.float64) / 255.0 - 1.0
    return int(np.argmax(np.einsum("pnc,nc->p", stored, centred)))


def photo_table(color: bool, cases: tuple[tuple[str, float, str], ...], seeds: int) -> list[str]:
    images = photo_images()
    memories = np.stack(
        [np.round(to_values(i, (SIDE, SIDE), color=color)[0] * 255).astype(np.uint8) for i in images]
    )
    nets = {s: ContinuousNetwork(memories, similarity=s, shape=(SIDE, SIDE)) for s in ("euclidean", "robust")}
    total = seeds * len(images)
    lines = [
        f"| {'colour' if color else 'grey'} damage | dot product | euclidean | robust |",
        "|---|---|---|---|",
    ]
    for kind, noise, fill in cases:
        right = {"dot": 0, "euclidean": 0, "robust": 0}
        good = {"euclidean": 0, "robust": 0}
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            for index, memory in enumerate(memories):
                values, known = memory / 255.0, None
                if kind == "gaussian+occlude":
                    values, known = corrupt_values(
                        values, known, (SIDE, SIDE), "gaussian", COMBINED_NOISE, rng
                    )
                values, known = corrupt_values(
                    values, known, (SIDE, SIDE), kind.split("+")[-1], noise, rng, fill=fill
                )
                cue = quantised(values)
                right["dot"] += dot_winner(memories, cue, known) == index
                for name, net in nets.items():
                    result = net.recall(cue, known)
                    right[name] += result.winner == index
                    good[name] += psnr(quantised(result.state), memory / 255.0) >= 40.0
        label = f"{kind} {noise:g}" + (f" {fill}" if kind in ("occlude", "half") else "")
        if kind == "gaussian+occlude":
            label = f"gaussian {COMBINED_NOISE:g} + occlude {noise:g} {fill}"
        cells = [f"{right['dot']}/{total}"] + [
            f"{right[s]}/{total} right, {good[s]} ≥ 40 dB" for s in ("euclidean", "robust")
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return lines


def faces() -> NDArray[np.uint8]:
    import skimage.data

    images = skimage.data.lfw_subset()
    return np.asarray(np.round(images * 255).reshape(len(images), -1), dtype=np.uint8)


def face_table(sigma: float, seeds: int, betas: tuple[float, ...]) -> list[str]:
    memories = faces()
    clean = memories / 255.0
    lines = [
        f"| faces, Gaussian {sigma:g}, seed | nearest face (limit) | right (≥ 40 dB): "
        + " | ".join(f"{s} β={b:g}" for s in ("euclidean", "robust") for b in betas)
        + " |",
        "|---|---|" + "---|" * (2 * len(betas)),
    ]
    nets = [
        ContinuousNetwork(memories, beta=b, similarity=s, shape=(25, 25))
        for s in ("euclidean", "robust")
        for b in betas
    ]
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        limit = 0
        right = [0] * len(nets)
        good = [0] * len(nets)
        for index, face in enumerate(clean):
            values, known = corrupt_values(face, None, (25, 25), "gaussian", sigma, rng)
            cue = quantised(values)
            limit += int(np.argmin(np.square(clean - cue[:, 0]).sum(axis=1)) == index)
            for k, net in enumerate(nets):
                result = net.recall(cue, known)
                right[k] += result.winner == index
                good[k] += psnr(quantised(result.state)[:, 0], face) >= 40.0
        cells = [f"{r} ({g})" for r, g in zip(right, good, strict=True)]
        lines.append(f"| {seed} | {limit}/200 | " + " | ".join(cells) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grey_recall", description=__doc__)
    parser.add_argument("--seeds", type=int, default=3, help="damage draws per photo (faces: 2 more)")
    args = parser.parse_args()
    for table in (
        photo_table(False, GREY_CASES, args.seeds),
        photo_table(True, COLOUR_CASES, args.seeds),
        face_table(0.2, args.seeds + 2, (0.05, 1.0, 16.0)),
    ):
        print("\n".join(table) + "\n", flush=True)


if __name__ == "__main__":
    main()
