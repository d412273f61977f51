"""Dense (default-rule) recall: quality against the nearest-memory limit, async cost, batch efficiency.

Three workloads of the exponential rule, each with its baseline run in the same process:

* many small memories: 1,000 synthetic digits at 10 x 10 (``benchmarks/_digits.py``),
  20 % flipped pixels, three data seeds.  A cue is recoverable when every
  stored pattern with its highest overlap equals its own pattern bit for bit;
  ours is the default update's right recalls among them, the baseline column
  exact ``--update async`` from the cue, and in a second row the default
  update with the default beta of models before format 4 (``8 / sqrt(N)``);
* async against sync: 50 cues (20 % flips) against the 200 LFW faces
  (scikit-image's ``lfw_subset``) resized to 64 x 64;
* batch efficiency: 5,000 synthetic digits at 28 x 28 (MNIST's shape) and
  1,000 cues with 20 % flips; ours is :func:`hopfield_cli.dynamics.recall`,
  the baseline ten lines of float32 NumPy iterating
  ``s <- sign(X.T softmax(beta X s))`` until nothing changes, and the sgemm
  limit one float32 (1,000 x 784) x (784 x 5,000) product per step.
"""

from __future__ import annotations

import importlib.resources
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks._common import Goal, Row, SectionResult, SectionSkipped
from benchmarks._digits import digits

NOISE = 0.2
SEEDS = (0, 1, 2)
REPEAT = 3


def recoverable(x: NDArray[np.int8], cues: NDArray[np.int8], own: NDArray[np.intp]) -> NDArray[np.bool_]:
    """Cues whose highest-overlap stored patterns all equal their own pattern (the nearest-memory limit)."""
    overlaps = cues.astype(np.float32) @ x.astype(np.float32).T
    top = overlaps == overlaps.max(axis=1, keepdims=True)
    ok = top[np.arange(len(cues)), own]
    for k in np.flatnonzero(ok & (top.sum(axis=1) > 1)):
        ok[k] = bool(np.all(x[top[k]] == x[own[k]]))
    return np.asarray(ok)


def _cues(x: NDArray[np.int8], rows: NDArray[np.intp], seed: int) -> NDArray[np.int8]:
    from hopfield_cli.corruption import flip

    rng = np.random.default_rng(seed)
    return np.stack([flip(x[k], NOISE, rng) for k in rows])


def _right(states: NDArray[np.int8], x: NDArray[np.int8], rows: NDArray[np.intp]) -> NDArray[np.bool_]:
    return np.asarray(np.all(states == x[rows], axis=1))


def _digit_limit(quick: bool, log: Callable[[str], None]) -> tuple[list[Row], dict[str, Any]]:
    from hopfield_cli import dynamics, rules

    count = 200 if quick else 1000
    seeds = SEEDS[:1] if quick else SEEDS
    ours: list[float] = []
    base: list[float] = []
    legacy: list[float] = []
    raw: dict[str, Any] = {}
    for seed in seeds:
        log(f"dense: {count} digits at 10x10, seed {seed}...")
        x, _ = digits(count, 10, seed=seed)
        rows = np.arange(count)
        cues = _cues(x, rows, seed)
        ok = recoverable(x, cues, rows)
        net = rules.exponential(x)
        sync = dynamics.recall(net, cues, rng=seed)
        both = dynamics.recall(net, cues, update="async", rng=seed)
        before = rules.exponential(x, beta=rules.legacy_default_beta(x.shape[1]))
        old = dynamics.recall(before, cues, rng=seed)
        right_sync = _right(np.stack([r.state for r in sync]), x, rows) & ok
        right_async = _right(np.stack([r.state for r in both]), x, rows) & ok
        right_old = _right(np.stack([r.state for r in old]), x, rows) & ok
        ours.append(float(right_sync.sum() / ok.sum()))
        base.append(float(right_async.sum() / ok.sum()))
        legacy.append(float(right_old.sum() / ok.sum()))
        statuses: dict[str, int] = {}
        for r in sync:
            statuses[r.status] = statuses.get(r.status, 0) + 1
        raw[f"seed {seed}"] = {
            "limit": int(ok.sum()),
            "right_default": int(right_sync.sum()),
            "right_async": int(right_async.sum()),
            "right_default_before_format_4": int(right_old.sum()),
            "default_statuses": statuses,
        }
    limits = [v["limit"] for v in raw.values()]
    row = Row(
        f"{count} digits 10x10, 20% flips: default update, right / nearest-memory limit",
        min(ours),
        min(base),
        "fraction",
        ratio=min(ours) / min(base) if min(base) else None,
        goal=Goal("ours", ">=", 0.9),
        note=f"worst of {len(seeds)} seeds; limit {min(limits)}-{max(limits)} cues; baseline: --update async",
    )
    before = Row(
        "same, default beta ln(P)/2 + 2 (baseline: 8/sqrt(N), the default before format 4)",
        min(ours),
        min(legacy),
        "fraction",
        ratio=min(ours) / min(legacy) if min(legacy) else None,
        note=f"worst of {len(seeds)} seeds each",
    )
    return [row, before], raw


def _lfw(side: int) -> NDArray[np.int8]:
    try:
        path = importlib.resources.files("skimage") / "data" / "lfw_subset.npy"
        with path.open("rb") as handle:
            images = np.load(handle)
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise SectionSkipped(f"needs scikit-image's LFW faces ({exc})") from None
    from PIL import Image

    out = []
    for a in images:
        grey = Image.fromarray(np.asarray(a * 255 if a.dtype != np.uint8 else a, dtype=np.uint8))
        big = np.asarray(grey.resize((side, side), Image.Resampling.BILINEAR), dtype=np.float64)
        out.append(np.where(big > big.mean(), 1, -1).ravel())
    return np.asarray(out, dtype=np.int8)


def _faces(quick: bool, log: Callable[[str], None]) -> tuple[list[Row], dict[str, Any]]:
    from hopfield_cli import dynamics, rules

    side, count = (32, 10) if quick else (64, 50)
    log(f"dense: {count} face cues against 200 faces at {side}x{side}...")
    x = _lfw(side)
    rows = np.arange(count)
    cues = _cues(x, rows, 0)
    net = rules.exponential(x)
    times: dict[str, list[float]] = {"sync": [], "async": []}
    right: dict[str, int] = {}
    for _ in range(1 if quick else REPEAT):
        for update in ("sync", "async") if len(times["sync"]) % 2 == 0 else ("async", "sync"):
            begun = time.perf_counter()
            results = dynamics.recall(net, cues, update=update, rng=1)
            times[update].append(time.perf_counter() - begun)
            right[update] = int(_right(np.stack([r.state for r in results]), x, rows).sum())
    ratios = [a / s for a, s in zip(times["async"], times["sync"], strict=True)]
    ratio = float(np.median(ratios))
    row = Row(
        f"{count} faces vs 200 at {side}x{side}: --update async time (baseline: sync)",
        float(np.median(times["async"])),
        float(np.median(times["sync"])),
        "s",
        ratio=ratio,
        goal=Goal("ratio", "<=", 3.0),
        note=f"ratio = async / sync, median of pairs; right: async {right['async']}/{count},"
        f" sync {right['sync']}/{count}",
    )
    return [row], {"times": times, "ratios": ratios, "right": right}


def plain_softmax_recall(x32: NDArray[np.float32], cues: NDArray[np.int8], beta: float) -> NDArray[np.int8]:
    """The baseline: float32 modern-Hopfield steps until nothing changes, as a user would write them."""
    s = cues.astype(np.float32)
    for _ in range(100):
        z = beta * (s @ x32.T)
        p = np.exp(z - z.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        new = np.where(p @ x32 >= 0, 1, -1).astype(np.float32)
        if np.array_equal(new, s):
            break
        s = new
    return s.astype(np.int8)


def _batch(quick: bool, log: Callable[[str], None]) -> tuple[list[Row], dict[str, Any]]:
    from hopfield_cli import dynamics, rules

    count, batch = (1000, 200) if quick else (5000, 1000)
    log(f"dense: {count} digits at 28x28, {batch} cues...")
    x, _ = digits(count, 28, seed=0)
    rows = np.sort(np.random.default_rng(1).choice(count, batch, replace=False))
    cues = _cues(x, rows, 1)
    ok = recoverable(x, cues, rows)
    net = rules.exponential(x)
    x32 = x.astype(np.float32)
    probe = cues.astype(np.float32)
    t_ours: list[float] = []
    t_plain: list[float] = []
    t_gemm: list[float] = []
    steps = 0.0
    right_ours = right_plain = 0
    for _ in range(1 if quick else REPEAT):
        begun = time.perf_counter()
        probe @ x32.T
        t_gemm.append(time.perf_counter() - begun)
        begun = time.perf_counter()
        results = dynamics.recall(net, cues)
        t_ours.append(time.perf_counter() - begun)
        begun = time.perf_counter()
        plain = plain_softmax_recall(x32, cues, net.beta)
        t_plain.append(time.perf_counter() - begun)
        steps = float(np.mean([r.iterations for r in results]))
        right_ours = int((_right(np.stack([r.state for r in results]), x, rows) & ok).sum())
        right_plain = int((_right(plain, x, rows) & ok).sum())
    ours = float(np.median(t_ours))
    gemm = float(np.median(t_gemm))
    label = f"{count} x {28 * 28} patterns, {batch} cues"
    rows_out = [
        Row(
            f"{label}: recall time (baseline: float32 NumPy softmax)",
            ours,
            float(np.median(t_plain)),
            "s",
            ratio=float(np.median(t_plain)) / ours,
            goal=Goal("ratio", ">=", 1.0),
            note=f"right among {int(ok.sum())} recoverable: ours {right_ours}, baseline {right_plain}",
        ),
        Row(
            f"{label}: share of the 1-thread sgemm limit",
            steps * gemm / ours,
            None,
            "fraction",
            goal=Goal("ours", ">=", 0.5),
            note=f"one float32 {batch}x{28 * 28}x{count} product ({gemm * 1e3:.0f} ms) per step,"
            f" {steps:.2f} steps per cue",
        ),
    ]
    raw = {
        "ours_s": t_ours,
        "plain_s": t_plain,
        "sgemm_s": t_gemm,
        "steps_per_cue": steps,
        "right_ours": right_ours,
        "right_plain": right_plain,
        "recoverable": int(ok.sum()),
    }
    return rows_out, raw


def run(quick: bool, log: Callable[[str], None]) -> SectionResult:
    """The three workloads; quick mode shrinks each."""
    result = SectionResult(
        "dense", "default (exponential) rule: recall quality, async cost, batch efficiency"
    )
    for name, part in (("digits", _digit_limit), ("faces", _faces), ("batch", _batch)):
        try:
            rows, raw = part(quick, log)
        except SectionSkipped as exc:
            result.notes.append(f"{name}: skipped ({exc})")
            continue
        result.rows.extend(rows)
        result.raw[name] = raw
    result.notes += [
        "fractions: right recalls among recoverable cues (every pattern with the cue's highest overlap"
        " is its own); 20% flipped pixels everywhere.",
        "time rows: ratio = baseline / ours for the batch row (above 1: ours faster), async / sync for"
        " the faces row (the goal is at most 3).",
        "sgemm share = (steps per cue x one float32 product of cues x patterns) / our recall time.",
    ]
    if quick:
        result.notes.append(
            "quick mode: 200 digits (one seed), 10 faces at 32x32, 1,000 x 784 patterns;"
            " goals are for the full sizes."
        )
    return result
