"""``python -m benchmarks``: run the sections and print one table each.

Tables go to stdout, progress to stderr.  The exit code is 1 only when a
benchmarked command failed; goals that are not met never fail the run.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks import classic, kernels, scale, startup
from benchmarks._common import (
    BenchmarkError,
    SectionResult,
    SectionSkipped,
    machine_info,
    machine_line,
    render_table,
)

SECTIONS: dict[str, tuple[str, Callable[[bool, Callable[[str], None]], SectionResult]]] = {
    "classic": ("4 photos, Hebbian, sync recall: CLI vs public-script baseline", classic.run),
    "scale": ("8 images at 512x512 through the CLI", scale.run),
    "kernels": ("in-process fields and sweeps vs dense NumPy", kernels.run),
    "startup": ("CLI start-up vs bare imports", startup.run),
}


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
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every number to FILE as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    selected = args.only or list(SECTIONS)
    info = machine_info()
    print(machine_line(info))
    print(f"mode: {'quick' if args.quick else 'full'}")
    results: list[SectionResult] = []
    failed = False
    for name in SECTIONS:
        if name not in selected:
            continue
        title, runner = SECTIONS[name]
        begun = time.perf_counter()
        try:
            section = runner(args.quick, _log)
        except SectionSkipped as exc:
            section = SectionResult(name, title, skipped=str(exc))
        except BenchmarkError as exc:
            section = SectionResult(name, title, error=str(exc))
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
