"""The classic workload: 4 photos, Hebbian, 30 % flips, synchronous recall.

Ours is the three CLI processes a user would run (train, corrupt, recall);
the baseline is ``benchmarks/classic_baseline.py``, the public-script way,
run as one process.  Each process is timed and its peak RSS taken alone.
"""

from __future__ import annotations

import json
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks._common import (
    ChildRun,
    Goal,
    Row,
    SectionResult,
    agreement,
    module_command,
    require_cli,
    run_child,
    sample_images,
    scratch_dir,
    speedup,
)

BASELINE_SCRIPT = Path(__file__).resolve().parent / "classic_baseline.py"
IMAGES = ("camera.png", "astronaut.png", "coins.png", "rocket.png")
NOISE = 0.3
SEED = 1
STEPS = ("train", "corrupt", "recall")
TIME_GOAL = 25.0
MEMORY_GOAL = 100.0


def _ours(images: list[Path], size: int, work: Path) -> dict[str, ChildRun]:
    """One pass of the three CLI commands, as a user would type them."""
    cli = module_command()
    model, noisy, out = work / "model.npz", work / "noisy.png", work / "out.png"
    names = [str(p) for p in images]
    return {
        "train": run_child(
            [*cli, "train", *names, "-o", model, "--size", size, "--rule", "hebbian", "--quiet"], cwd=work
        ),
        "corrupt": run_child(
            [*cli, "corrupt", names[0], "-o", noisy, "--noise", NOISE, "--size", size, "--seed", SEED],
            cwd=work,
        ),
        "recall": run_child(
            [*cli, "recall", model, noisy, "-o", out, "--update", "sync", "--quiet"], cwd=work
        ),
    }


def run(quick: bool, log: Callable[[str], None]) -> SectionResult:
    """Measure the classic workload; ``quick`` shrinks it to 32 x 32 and one pass."""
    size = 32 if quick else 128
    passes = 1 if quick else 3
    n = size * size
    result = SectionResult(
        "classic",
        f"4 photos {size}x{size} (N={n}), Hebbian, {NOISE:.0%} flips, sync recall; ours = 3 CLI processes",
    )
    require_cli()
    images = sample_images(4, IMAGES)
    with scratch_dir("classic") as tmp:
        work = Path(tmp)
        log(f"classic: baseline (dense {n}x{n} float64, one process)...")
        base_out = work / "baseline.png"
        base_run = run_child(
            [
                sys.executable,
                BASELINE_SCRIPT,
                *images,
                "--out",
                base_out,
                "--size",
                size,
                "--noise",
                NOISE,
                "--seed",
                SEED,
            ],
            cwd=work,
        )
        base = json.loads(base_run.stdout.strip().splitlines()[-1])
        base_accuracy = agreement(base_out, images[0], size)
        runs: list[dict[str, ChildRun]] = []
        for i in range(passes):
            log(f"classic: ours, pass {i + 1}/{passes}...")
            runs.append(_ours(images, size, work))
        ours_accuracy = agreement(work / "out.png", images[0], size)

    # Median per step over the passes; the total is the median of the pass totals.
    step_time = {s: statistics.median(r[s].wall_s for r in runs) for s in STEPS}
    step_rss = {s: statistics.median(r[s].peak_rss_bytes for r in runs) for s in STEPS}
    total = statistics.median(sum(r[s].wall_s for s in STEPS) for r in runs)
    peak = max(step_rss.values())
    phases: dict[str, float] = base["phases_s"]
    base_peaks: dict[str, int] = base["peak_rss_bytes"]
    goals = not quick  # the goals are for the 128 x 128 workload

    rows = [
        Row(
            "total wall time",
            total,
            base_run.wall_s,
            "s",
            speedup(base_run.wall_s, total),
            Goal("ratio", ">=", TIME_GOAL) if goals else None,
            note="ours: sum of 3 processes",
        ),
        Row(
            "peak RSS",
            peak,
            base_run.peak_rss_bytes,
            "bytes",
            speedup(base_run.peak_rss_bytes, peak),
            Goal("ratio", ">=", MEMORY_GOAL) if goals else None,
            note="ours: largest of 3 processes",
        ),
        Row("  train: time", step_time["train"], phases["load"] + phases["train"], "s"),
        Row("  corrupt: time", step_time["corrupt"], phases["corrupt"], "s"),
        Row("  recall: time", step_time["recall"], phases["recall"] + phases["save"], "s"),
        Row("  train: peak RSS", step_rss["train"], base_peaks["train"], "bytes"),
        Row("  corrupt: peak RSS", step_rss["corrupt"], base_peaks["corrupt"], "bytes"),
        Row("  recall: peak RSS", step_rss["recall"], base_peaks["save"], "bytes"),
        Row("recall accuracy", ours_accuracy, base_accuracy, "fraction"),
    ]
    for row in rows[2:8]:
        row.ratio = speedup(row.baseline, row.ours)
    result.rows = rows
    result.notes = [
        "ratio = baseline / ours (above 1: ours is faster or smaller).",
        "per-step baseline numbers are phases inside its one process (load+train, corrupt, recall+save);"
        " ours are whole processes, interpreter start and imports included.",
        "per-step baseline peak RSS is the peak reached so far in its process (it only grows).",
        f"baseline ran once; ours: median of {passes} pass(es).  Baseline ran {base['steps']} sync step(s).",
        "recall accuracy: pixels of the recalled PNG equal to the mean-binarized original (not a goal).",
    ]
    if quick:
        result.notes.append(f"quick mode: {size}x{size}, so the goals (for 128x128) are not checked.")
    result.raw = {
        "size": size,
        "passes": passes,
        "ours": [
            {s: {"wall_s": r[s].wall_s, "peak_rss_bytes": r[s].peak_rss_bytes} for s in STEPS} for r in runs
        ],
        "baseline": {"wall_s": base_run.wall_s, "peak_rss_bytes": base_run.peak_rss_bytes, **base},
        "accuracy": {"ours": ours_accuracy, "baseline": base_accuracy},
    }
    return result
