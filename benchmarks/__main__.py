"""``python -m benchmarks``: run the sections and print one table each.

Tables go to stdout, progress to stderr.  The exit code is 1 only when a
benchmarked command failed; goals that are not met never fail the run.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

# Section modules import NumPy, so they are loaded only after --blas-threads is applied.
SECTIONS = {
    "classic": "4 photos, Hebbian, sync recall: CLI vs public-script baseline",
    "scale": "8 images at 512x512 through the CLI",
    "kernels": "in-process fields and sweeps vs dense NumPy",
    "dense": "default rule: nearest-memory limit, async cost, batch efficiency",
    "startup": "CLI start-up vs bare imports",
    "pairwise": "Storkey / pseudo-inverse one-cue recall and capacity sweeps vs Hebbian / exponential",
}
BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
# Names of the variables above that this runner set for itself alone.
IN_PROCESS_ONLY = "HOPFIELD_BENCH_IN_PROCESS_ONLY"


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmarks of hopfield-cli, as ratios against baselines measured in the same run.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="smoke run of a few seconds (small sizes, goals unchecked)"
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(SECTIONS),
        help="run only this section (repeatable); default: all",
    )
    parser.add_argument(
        "--blas-threads",
        type=int,
        default=1,
        metavar="N",
        help="BLAS threads of the in-process kernels (unless the BLAS variables are already set); "
        "default 1, as the hopfield CLI uses; 0 leaves the library's own choice.  "
        "Child processes keep your environment.",
    )
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.blas_threads:
        # On a small machine shared with other work, BLAS threads that wait for
        # a busy core can slow small products tenfold; one thread shows the
        # kernels' own cost.  Set before NumPy loads.  Child processes get the
        # caller's own setting back (see child_env): the classic baseline runs
        # with the library default, as the classic scripts do, and the CLI
        # chooses its own.
        added = [name for name in BLAS_ENV if name not in os.environ]
        os.environ[IN_PROCESS_ONLY] = ",".join(added)
        for name in BLAS_ENV:
            os.environ.setdefault(name, str(args.blas_threads))
    from benchmarks._common import (
        BenchmarkError,
        SectionResult,
        SectionSkipped,
        machine_info,
        machine_line,
        render_table,
    )

    selected = args.only or list(SECTIONS)
    info = machine_info()
    info["blas_threads"] = args.blas_threads
    print(machine_line(info))
    threads = args.blas_threads or "library default"
    print(f"mode: {'quick' if args.quick else 'full'}; BLAS threads: {threads}")
    results: list[SectionResult] = []
    failed = False
    for name in SECTIONS:
        if name not in selected:
            continue
        title = SECTIONS[name]
        begun = time.perf_counter()
        try:
            section = importlib.import_module(f"benchmarks.{name}").run(args.quick, _log)
        except SectionSkipped as exc:
            section = SectionResult(name, title, skipped=str(exc))
        except BenchmarkError as exc:
            section = SectionResult(name, title, error=str(exc))
            failed = True
        except Exception as exc:  # a broken section must not hide the others' numbers
            section = SectionResult(name, title, error=f"{type(exc).__name__}: {exc}")
            failed = True
        section.raw["section_wall_s"] = time.perf_counter() - begun
        results.append(section)
        print()
        print(render_table(section), flush=True)
    if args.json is not None:
        payload = {
            "machine": info,
            "mode": "quick" if args.quick else "full",
            "sections": [s.as_dict() for s in results],
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        _log(f"wrote {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
