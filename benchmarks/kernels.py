"""Kernels: fields and sweeps per second, in process, against dense NumPy.

Ours is :func:`hopfield_cli.rules.hebbian` with ``Network.fields`` (sync
steps, batches) and :func:`hopfield_cli.dynamics.async_sweep` (async and
stochastic sweeps).  The baseline is the dense float64 ``W = X.T @ X / N``
with ``h = W @ s``, and a Python loop over neurons for async sweeps; that
loop is timed on a sample of neurons and extrapolated to a full sweep.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks._common import Row, SectionResult, paired_medians, speedup

SEED = 20240
NOISE = 0.3
BATCH = 64
FULL_SIZES = ((4096, 20), (4096, 200), (16384, 20), (16384, 200))
QUICK_SIZES = ((1024, 20),)
NAIVE_SAMPLE = 1024  # neurons timed in the Python-loop async baseline


def _dense_weights(x: NDArray[np.int8]) -> NDArray[np.float64]:
    """Dense Hebbian matrix, built as the public scripts do (float64, in place where possible)."""
    xf = x.astype(np.float64)
    w = xf.T @ xf
    w /= x.shape[1]
    np.fill_diagonal(w, 0.0)
    return w


def _naive_async(
    w: NDArray[np.float64],
    s: NDArray[np.float64],
    order: NDArray[np.intp],
    temperature: float,
    rng: np.random.Generator,
) -> None:
    """One neuron at a time, as the public scripts' async mode does."""
    for i in order:
        h = w[i] @ s
        if temperature > 0:
            # 1 / (1 + exp(-2h/T)) written with tanh, which cannot overflow.
            s[i] = 1.0 if rng.random() < 0.5 * (1.0 + math.tanh(h / temperature)) else -1.0
        else:
            s[i] = 1.0 if h >= 0 else -1.0


def _random_states(rng: np.random.Generator, rows: int, n: int) -> NDArray[np.int8]:
    return np.where(rng.random((rows, n)) < 0.5, -1, 1).astype(np.int8)


def _case(n: int, p: int, quick: bool, log: Callable[[str], None]) -> tuple[list[Row], dict[str, Any]]:
    """Every measurement of one (N, P); ours and the dense baseline are sampled in alternation."""
    from hopfield_cli.dynamics import DEFAULT_TEMPERATURE, async_sweep
    from hopfield_cli.rules import hebbian

    log(f"kernels: N={n} P={p}...")
    rng = np.random.default_rng(SEED)
    x = _random_states(rng, p, n)
    cue = x[0].copy()
    cue[rng.choice(n, size=round(NOISE * n), replace=False)] *= -1
    batch = _random_states(rng, BATCH, n)
    budget = 1.0 if quick else 4.0
    temp = DEFAULT_TEMPERATURE
    big = n > 8192  # a dense build takes seconds and 2 GiB there: time it once

    # Only one dense matrix may be alive at a time, so each build first drops the last.
    held: dict[str, NDArray[np.float64]] = {}

    def build_dense() -> None:
        held["w"] = _dense_weights(x)

    build_ours, build_dense_s = paired_medians(
        lambda: hebbian(x), build_dense, setup_baseline=held.clear, repeat=1 if big else 3, budget_s=budget
    )
    net = hebbian(x)
    w = held["w"]
    ours_bytes = sum(a.nbytes for a in vars(net).values() if isinstance(a, np.ndarray))

    s_dense = cue.astype(np.float64)
    fields_ours, fields_dense = paired_medians(lambda: net.fields(cue), lambda: w @ s_dense, budget_s=budget)

    # Every sweep starts from the same corrupted cue; the dense loop visits a sample of neurons.
    state = cue.copy()
    s_work = s_dense.copy()
    sweep_rng = np.random.default_rng(SEED)
    sample = min(n, NAIVE_SAMPLE)
    order = np.random.default_rng(SEED).permutation(n)[:sample]
    extrapolate = n / sample

    def reset_ours() -> None:
        state[:] = cue

    def reset_dense() -> None:
        s_work[:] = s_dense

    async_ours, async_dense = paired_medians(
        lambda: async_sweep(net, state, sweep_rng),
        lambda: _naive_async(w, s_work, order, 0.0, sweep_rng),
        setup_ours=reset_ours,
        setup_baseline=reset_dense,
        repeat=5,
        budget_s=budget,
    )
    stoch_ours, stoch_dense = paired_medians(
        lambda: async_sweep(net, state, sweep_rng, temperature=temp),
        lambda: _naive_async(w, s_work, order, temp, sweep_rng),
        setup_ours=reset_ours,
        setup_baseline=reset_dense,
        repeat=5,
        budget_s=budget,
    )
    async_dense *= extrapolate
    stoch_dense *= extrapolate
    batch_ours, singles_ours = paired_medians(
        lambda: net.fields(batch), lambda: [net.fields(b) for b in batch], repeat=5, budget_s=budget
    )
    held.clear()

    label = f"N={n} P={p}"
    extrapolated = (
        f"baseline extrapolated from {sample} of {n} neurons" if sample < n else "baseline: full Python loop"
    )
    rows = [
        Row(f"{label} build weights", build_ours, build_dense_s, "s", speedup(build_dense_s, build_ours)),
        Row(f"{label} weight memory", ours_bytes, w.nbytes, "bytes", speedup(w.nbytes, ours_bytes)),
        Row(f"{label} sync fields (h of one state)", 1 / fields_ours, 1 / fields_dense, "/s"),
        Row(f"{label} async sweeps", 1 / async_ours, 1 / async_dense, "/s", note=extrapolated),
        Row(f"{label} stochastic sweeps", 1 / stoch_ours, 1 / stoch_dense, "/s", note=extrapolated),
        Row(
            f"{label} batch of {BATCH} vs {BATCH} calls: states/s",
            BATCH / batch_ours,
            BATCH / singles_ours,
            "/s",
        ),
    ]
    for row in rows[2:]:
        row.ratio = speedup(row.ours, row.baseline)  # rates: ours / baseline
    raw = {
        "n": n,
        "p": p,
        "seconds_per_call": {
            "build_ours": build_ours,
            "build_dense": build_dense_s,
            "fields_ours": fields_ours,
            "fields_dense": fields_dense,
            "async_sweep_ours": async_ours,
            "async_sweep_dense_extrapolated": async_dense,
            "stochastic_sweep_ours": stoch_ours,
            "stochastic_sweep_dense_extrapolated": stoch_dense,
            "batch_fields_ours": batch_ours,
            "single_fields_x_batch_ours": singles_ours,
        },
        "bytes": {"ours": ours_bytes, "dense": w.nbytes},
        "naive_sample_neurons": sample,
    }
    return rows, raw


def run(quick: bool, log: Callable[[str], None]) -> SectionResult:
    """All (N, P) cases; quick mode runs one small case."""
    sizes = QUICK_SIZES if quick else FULL_SIZES
    result = SectionResult("kernels", "in-process fields and sweeps, low-rank Hebbian vs dense NumPy float64")
    for n, p in sizes:
        rows, raw = _case(n, p, quick, log)
        result.rows.extend(rows)
        result.raw[f"N={n},P={p}"] = raw
    largest = max(n for n, _ in sizes)
    result.notes = [
        "ratio = baseline / ours for time and memory, ours / baseline for rates (above 1: ours is better).",
        "batch rows: baseline column = our own fields() called once per state, ratio = batching gain.",
        f"async/stochastic baseline: a Python loop over neurons timed on {NAIVE_SAMPLE} neurons and"
        " extrapolated to a full sweep (labelled 'baseline extrapolated').",
        f"dense baseline holds an N x N float64 matrix: {largest**2 * 8 / 2**30:.3g} GiB at N={largest}.",
        "sweeps start from the same 30%-flipped pattern each time; medians of repeated perf_counter samples.",
        "BLAS threads as in the header: on a busy machine with few cores, multi-threaded BLAS waits for"
        " busy cores and inflates small calls (the dense Python-loop baseline most); --blas-threads 1"
        " compares the kernels alone.",
    ]
    if quick:
        result.notes.append("quick mode: N=1024 only (the dense N=16384 case needs 2 GiB and is skipped).")
    return result
