"""Pairwise rules: one-cue recall of a Storkey / pseudo-inverse model, and their capacity sweeps.

Both through the CLI processes, each against its baseline in the same run:

* one cue against a 200-pattern 256 x 256 model (random patterns): the
  pseudo-inverse network is rebuilt from the patterns at every load, the
  Storkey one from the patterns and the summary its file keeps (checked on
  the way); the Hebbian one is the baseline (goal: at most 2x its time);
* ``hopfield capacity --neurons 1024 --trials 3``: the exponential rule's
  sweep is the baseline (goal: at most 1.5x its time), although its grid
  reaches 8,192 patterns.

Runs alternate between the rules and the order rotates each round, so drift
in machine load spreads over all of them; the table shows medians.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks._common import (
    ChildRun,
    Goal,
    Row,
    SectionResult,
    console_command,
    require_cli,
    run_child,
    scratch_dir,
)

RECALL_RULES = ("hebbian", "storkey", "pseudoinverse")
SWEEP_RULES = ("exponential", "storkey", "pseudoinverse")
RECALL_GOAL = 2.0
SWEEP_GOAL = 1.5
NOISE = 0.2
SEED = 1


def _rounds(commands: dict[str, list[object]], repeats: int, cwd: Path) -> dict[str, list[ChildRun]]:
    """Every command ``repeats`` times, alternating, the order rotated each round."""
    names = list(commands)
    runs: dict[str, list[ChildRun]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            runs[name].append(run_child(commands[name], cwd=cwd))
    return runs


def _rows(
    runs: dict[str, list[ChildRun]], baseline: str, label: str, goal: float | None
) -> tuple[list[Row], dict[str, object]]:
    base = statistics.median(r.wall_s for r in runs[baseline])
    base_cpu = statistics.median(r.cpu_s for r in runs[baseline])
    rows = [Row(f"{label}: {baseline} (baseline)", base, None, "s")]
    raw: dict[str, object] = {}
    for name, child in runs.items():
        walls = [r.wall_s for r in child]
        cpus = [r.cpu_s for r in child]
        raw[name] = {"wall_s": walls, "cpu_s": cpus}
        if name == baseline:
            continue
        ours = statistics.median(walls)
        row = Row(f"{label}: {name}", ours, base, "s", ratio=ours / base)
        row.goal = None if goal is None else Goal("ratio", "<=", goal)
        rows.append(row)
        cpu_ratio = statistics.median(cpus) / base_cpu
        rows.append(Row(f"  {name}: CPU time", statistics.median(cpus), base_cpu, "s", ratio=cpu_ratio))
    return rows, raw


def _is_pattern(png: Path, image: np.ndarray) -> bool:
    with Image.open(png) as img:
        recalled = np.asarray(img.convert("L")) >= 128
    return bool(np.array_equal(recalled, image >= 128))


def run(quick: bool, log: Callable[[str], None]) -> SectionResult:
    """One-cue recall per rule, then capacity sweeps per rule, alternating."""
    patterns, side = (20, 32) if quick else (200, 256)
    neurons, trials = (64, 1) if quick else (1024, 3)
    repeats = 1 if quick else 5
    sweep_repeats = 1 if quick else 3
    result = SectionResult(
        "pairwise",
        f"Storkey / pseudo-inverse via the CLI: one cue, {patterns} patterns {side}x{side}; "
        f"capacity sweeps at N={neurons}, {trials} trials",
    )
    require_cli()
    cli, _ = console_command()
    rng = np.random.default_rng(SEED)
    with scratch_dir("pairwise") as tmp:
        work = Path(tmp)
        images = np.where(rng.random((patterns, side, side)) < 0.5, 255, 0).astype(np.uint8)
        np.save(work / "stack.npy", images)
        cue = images[0].copy()
        flipped = rng.random((side, side)) < NOISE
        cue[flipped] = 255 - cue[flipped]
        Image.fromarray(cue).save(work / "cue.png")
        log(f"pairwise: train {patterns} patterns {side}x{side} per rule...")
        for rule in RECALL_RULES:
            run_child(
                [*cli, "train", "stack.npy", "--size", side, "--rule", rule, "-o", f"{rule}.npz", "-q"],
                cwd=work,
            )
        log(f"pairwise: one-cue recall x {repeats} per rule...")
        recalls = {
            rule: [*cli, "recall", f"{rule}.npz", "cue.png", "-o", f"{rule}.png", "-q"]
            for rule in RECALL_RULES
        }
        recall_runs = _rounds(recalls, repeats, work)
        exact = [rule for rule in RECALL_RULES if _is_pattern(work / f"{rule}.png", images[0])]
        log(f"pairwise: capacity sweeps x {sweep_repeats} per rule...")
        sweeps = {
            rule: [
                *cli,
                "capacity",
                "--neurons",
                neurons,
                "--rule",
                rule,
                "--trials",
                trials,
                "--seed",
                SEED,
                "-q",
                "--json",
            ]
            for rule in SWEEP_RULES
        }
        sweep_runs = _rounds(sweeps, sweep_repeats, work)
    capacities = {
        rule: json.loads(runs[-1].stdout.splitlines()[-1])["capacity"] for rule, runs in sweep_runs.items()
    }
    recall_rows, recall_raw = _rows(recall_runs, "hebbian", "one-cue recall", None if quick else RECALL_GOAL)
    sweep_rows, sweep_raw = _rows(sweep_runs, "exponential", "capacity sweep", None if quick else SWEEP_GOAL)
    result.rows = recall_rows + sweep_rows
    result.notes = [
        "ratio = ours / baseline (wall time of whole processes, medians; 1.0 means as fast as the baseline).",
        f"one-cue recall: {repeats} runs per rule ({NOISE:.0%} flipped pixels), interpreter start, model"
        " load and network rebuild included; recalled the stored image bit for bit: "
        + (", ".join(exact) or "none")
        + ".",
        f"capacity sweeps: {sweep_repeats} runs per rule; capacities found: "
        + ", ".join(f"{rule} {cap}" for rule, cap in capacities.items())
        + ".",
        "CPU-time rows: user + system time of the same processes (less sensitive to other load on a"
        " shared machine).",
    ]
    if quick:
        result.notes.append("quick mode: small sizes, single runs, goals not checked.")
    result.raw = {
        "recall": recall_raw,
        "sweep": sweep_raw,
        "capacities": capacities,
        "patterns": patterns,
        "side": side,
        "neurons": neurons,
        "trials": trials,
    }
    return result
