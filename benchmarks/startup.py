"""Startup: what the CLI costs beyond importing the libraries it needs.

Two pairs, run interleaved so that drift in machine load hits both sides:
a small recall (64 x 64 cue) against ``python -c "import numpy, PIL.Image, typer"``,
and ``--help`` against ``python -c "import typer"``.
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks._common import (
    Goal,
    Row,
    SectionResult,
    child_env,
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
    reps = 1 if quick else 15
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
        commands: dict[str, tuple[list[str], dict[str, str]]] = {
            "recall": ([*cli, "recall", "model.npz", "cue.png", "-o", "out.png", "--quiet"], {}),
            "imports": ([sys.executable, "-c", "import numpy, PIL.Image, typer"], {}),
            "help": ([*cli, "--help"], {}),
            "import typer": ([sys.executable, "-c", "import typer"], {}),
        }
        if not quick:
            commands.update(_diagnostics(cli))
        log(f"startup: {reps} interleaved rounds of {len(commands)} commands...")
        times: dict[str, list[float]] = {name: [] for name in commands}
        if not quick:  # warm-up: bytecode caches, file cache
            for argv, extra in commands.values():
                run_child(argv, cwd=work, env={**child_env(), **extra})
        for i in range(reps):
            # Rotate the order so that no command always runs right after another.
            names = list(commands)
            names = names[i % len(names) :] + names[: i % len(names)]
            for name in names:
                argv, extra = commands[name]
                times[name].append(run_child(argv, cwd=work, env={**child_env(), **extra}).wall_s)

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
    if "imports + option parser" in med:
        result.rows.append(
            Row(
                "(diagnosis) recall vs the imports + typer's option parser",
                med["recall"],
                med["imports + option parser"],
                "s",
                med["recall"] / med["imports + option parser"],
            )
        )
    if "help, plain" in med:
        result.rows.append(
            Row(
                "(diagnosis) --help with TYPER_USE_RICH=0 vs import typer",
                med["help, plain"],
                med["import typer"],
                "s",
                med["help, plain"] / med["import typer"],
            )
        )
    result.notes = [
        "ratio = ours / baseline here (the CLI's overhead; 1.0 means none).",
        f"ours ran as: {how}.",
    ]
    if not quick:
        result.notes.append(
            "(diagnosis) rows, no goal: how much of the overhead belongs to Typer itself -- its option"
            " parser (typer._adapters, which imports pydantic in recent Typer) and its Rich help screen."
        )
    if quick:
        result.notes.append("quick mode: too few runs (and no warm-up) for the goals to be checked.")
    result.raw = {"runs": reps, "command": cli, "seconds": times, "medians_s": med}
    return result


def _diagnostics(cli: list[str]) -> dict[str, tuple[list[str], dict[str, str]]]:
    """Extra commands that split the CLI's overhead between Typer and hopfield_cli."""
    extra: dict[str, tuple[list[str], dict[str, str]]] = {
        "help, plain": ([*cli, "--help"], {"TYPER_USE_RICH": "0"}),
    }
    # Recent Typer parses every option through typer._adapters (pydantic); older ones have no such module.
    if importlib.util.find_spec("typer._adapters") is not None:
        extra["imports + option parser"] = (
            [sys.executable, "-c", "import numpy, PIL.Image, typer, typer._adapters"],
            {},
        )
    return extra
