"""Baseline of the ``classic`` benchmark: the widely shared public Hopfield scripts.

Written the way those scripts are, on purpose -- do not optimise it:
photos resized to SIZE x SIZE, binarized at the mean, a dense float64 N x N
Hebbian matrix centred by the mean activity (``W = sum (x - a)(x - a)^T / N``,
diagonal removed with a dense ``diag`` copy), per-pixel flip noise, then at most
20 synchronous steps with the energy ``-0.5 s.W.s`` recomputed after each.
The real scripts also import matplotlib and scikit-image and draw plots;
that is left out, so this baseline is, if anything, faster than they are.

Run as its own process (only NumPy and Pillow)::

    python benchmarks/classic_baseline.py IMG... --out OUT.png [--size 128] [--noise 0.3] [--seed 1]

The first image is corrupted and recalled.  Prints one JSON object: seconds
per phase, the peak RSS reached by the end of each phase, and the steps run.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time

import numpy as np
from PIL import Image

NUM_ITER = 20


def peak_rss_bytes() -> int:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def preprocess(path: str, size: int) -> np.ndarray:
    img = Image.open(path).convert("L").resize((size, size))
    data = np.asarray(img, dtype=np.float64)
    binary = data > data.mean()
    return np.asarray(2 * binary.astype(np.float64) - 1).flatten()


def train_weights(train_data: list[np.ndarray]) -> np.ndarray:
    num_data = len(train_data)
    num_neuron = train_data[0].shape[0]
    weights = np.zeros((num_neuron, num_neuron))
    rho = np.sum([np.sum(t) for t in train_data]) / (num_data * num_neuron)
    for t in train_data:
        centred = t - rho
        weights += np.outer(centred, centred)
    diag_w = np.diag(np.diag(weights))
    weights = weights - diag_w
    weights /= num_neuron
    return weights


def energy(weights: np.ndarray, s: np.ndarray, threshold: float) -> float:
    return float(-0.5 * s @ weights @ s + np.sum(s * threshold))


def run_sync(weights: np.ndarray, init_s: np.ndarray, threshold: float) -> tuple[np.ndarray, int]:
    s = init_s
    e = energy(weights, s, threshold)
    for step in range(1, NUM_ITER + 1):
        s = np.sign(weights @ s - threshold)
        e_new = energy(weights, s, threshold)
        if e == e_new:
            return s, step
        e = e_new
    return s, NUM_ITER


def corrupt(data: np.ndarray, noise: float, rng: np.random.Generator) -> np.ndarray:
    s = np.copy(data)
    inv = rng.binomial(n=1, p=noise, size=len(data))
    for i, v in enumerate(data):
        if inv[i]:
            s[i] = -1 * v
    return s


def save(state: np.ndarray, size: int, path: str) -> None:
    image = np.where(state.reshape(size, size) >= 0, 255, 0).astype(np.uint8)
    Image.fromarray(image).save(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("images", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--noise", type=float, default=0.3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    phases: dict[str, float] = {}
    peaks: dict[str, int] = {}

    def mark(name: str, start: float) -> float:
        now = time.perf_counter()
        phases[name] = now - start
        peaks[name] = peak_rss_bytes()
        return now

    t = time.perf_counter()
    data = [preprocess(path, args.size) for path in args.images]
    t = mark("load", t)
    weights = train_weights(data)
    t = mark("train", t)
    noisy = corrupt(data[0], args.noise, np.random.default_rng(args.seed))
    t = mark("corrupt", t)
    recalled, steps = run_sync(weights, noisy, 0.0)
    t = mark("recall", t)
    save(recalled, args.size, args.out)
    mark("save", t)
    print(json.dumps({"phases_s": phases, "peak_rss_bytes": peaks, "steps": steps}))


if __name__ == "__main__":
    main()
