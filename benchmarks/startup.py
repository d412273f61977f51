"""Startup: what the CLI costs beyond importing the libraries it needs.

Two pairs, run interleaved so that drift in machine load hits both sides:
a small recall (64 x 64 cue) against ``python -c "import numpy, PIL.Image, typer"``,
and ``--help`` against ``python -c "import typer"``.
"""

from __future__ import annotations

import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks._common import (
    Goal,
    Row,
    SectionResult,
    console_command,
    module_command,
    require_cli,
    run_child,
    sample_images,
    scratch_dir,
)

SIZE = 64
RECALL_GOAL = 1.3
HELP_GOAL = 1.2


def run(quick: bool, log: Callable[[str], None]) -> SectionResult:
    """Median wall time of each command over interleaved runs; ratio = ours / baseline."""
    reps = 3 if quick else 15
    result = SectionResult("startup", f"process start to exit, interleaved medians of {reps} runs")
    require_cli()
    cli, how = console_command()
    with scratch_dir("startup") as tmp:
        work = Path(tmp)
        images = sample_images(2)
        prep = module_command()
        run_child([*prep, "train", *images, "-o", "model.npz", "--size", SIZE, "--quiet"], cwd=work)
        run_child(
            [*prep, "corrupt", images[0], "-o", "cue.png", "--noise", 0.3, "--size", SIZE, "--seed", 1],
            cwd=work,
        )
        commands = {
            "recall": [*cli, "recall", "model.npz", "cue.png", "-o", "out.png", "--quiet"],
            "imports": [sys.executable, "-c", "import numpy, PIL.Image, typer"],
            "help": [*cli, "--help"],
            "import typer": [sys.executable, "-c", "import typer"],
        }
        log(f"startup: {reps} interleaved rounds of {len(commands)} commands...")
        times: dict[str, list[float]] = {name: [] for name in commands}
        for argv in commands.values():  # warm-up: bytecode caches, file cache
            run_child(argv, cwd=work)
        for i in range(reps):
            # Rotate the order so that no command always runs right after another.
            names = list(commands)
            names = names[i % len(names) :] + names[: i % len(names)]
            for name in names:
                times[name].append(run_child(commands[name], cwd=work).wall_s)

    med = {name: statistics.median(values) for name, values in times.items()}
    goals = not quick
    result.rows = [
        Row(
            f"recall {SIZE}x{SIZE} vs import numpy, PIL.Image, typer",
            med["recall"],
            med["imports"],
            "s",
            med["recall"] / med["imports"],
            Goal("ratio", "<=", RECALL_GOAL) if goals else None,
        ),
        Row(
            "--help vs import typer",
            med["help"],
            med["import typer"],
            "s",
            med["help"] / med["import typer"],
            Goal("ratio", "<=", HELP_GOAL) if goals else None,
        ),
    ]
    result.notes = [
        "ratio = ours / baseline here (the CLI's overhead; 1.0 means none).",
        f"ours ran as: {how}.",
    ]
    if quick:
        result.notes.append("quick mode: too few runs for the goals to be checked.")
    result.raw = {"runs": reps, "command": cli, "seconds": times, "medians_s": med}
    return result
