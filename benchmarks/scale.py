"""Scale: 8 images at 512 x 512 (N = 262,144) through the CLI processes.

There is no same-run baseline: the dense N x N float64 matrix of the public
scripts would need 512 GiB.  The goals are absolute (time and memory).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PIL import Image

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
)

COUNT = 8
NOISE = 0.3
SEED = 1
DEFAULT_GOAL_S = 3.0
ASYNC_GOAL_S = 10.0
MEMORY_GOAL_BYTES = 300 * 1024 * 1024


def _upscale(sources: list[Path], size: int, work: Path) -> list[Path]:
    """The sample photos enlarged to ``size`` x ``size``, deterministic (bicubic)."""
    out = []
    for src in sources:
        dest = work / f"big-{src.name}"
        with Image.open(src) as img:
            img.convert("L").resize((size, size), Image.Resampling.BICUBIC).save(dest)
        out.append(dest)
    return out


def run(quick: bool, log: Callable[[str], None]) -> SectionResult:
    """Train 8 images, corrupt one, recall it with the default and the async update."""
    size = 64 if quick else 512
    n = size * size
    result = SectionResult(
        "scale", f"{COUNT} images {size}x{size} (N={n:,}), train + recall one cue via the CLI"
    )
    require_cli()
    cli = module_command()
    with scratch_dir("scale") as tmp:
        work = Path(tmp)
        images = _upscale(sample_images(COUNT), size, work)
        model, noisy = work / "model.npz", work / "noisy.png"
        runs: dict[str, ChildRun] = {}
        log(f"scale: train {COUNT} x {size}x{size}...")
        runs["train"] = run_child([*cli, "train", *images, "-o", model, "--size", size, "--quiet"], cwd=work)
        corrupt = [*cli, "corrupt", images[0], "-o", noisy, "--noise", NOISE, "--size", size, "--seed", SEED]
        runs["corrupt"] = run_child(corrupt, cwd=work)
        log("scale: recall, default update...")
        recall = [*cli, "recall", model, noisy, "-o"]
        runs["recall default"] = run_child([*recall, "default.png", "--quiet"], cwd=work)
        log("scale: recall, --update async...")
        runs["recall async"] = run_child([*recall, "async.png", "--update", "async", "--quiet"], cwd=work)
        accuracy = {
            "default": agreement(work / "default.png", images[0], size),
            "async": agreement(work / "async.png", images[0], size),
        }
        model_bytes = model.stat().st_size

    total_default = runs["train"].wall_s + runs["recall default"].wall_s
    total_async = runs["train"].wall_s + runs["recall async"].wall_s
    peak = max(r.peak_rss_bytes for r in runs.values())
    rows = [
        Row(
            "train + recall (default update)",
            total_default,
            None,
            "s",
            goal=Goal("ours", "<", DEFAULT_GOAL_S),
        ),
        Row("train + recall (--update async)", total_async, None, "s", goal=Goal("ours", "<", ASYNC_GOAL_S)),
        Row("peak RSS (largest process)", peak, None, "bytes", goal=Goal("ours", "<", MEMORY_GOAL_BYTES)),
    ]
    if quick:  # the goals are for 512 x 512
        for row in rows:
            row.goal = None
    for name, child in runs.items():
        rows.append(Row(f"  {name}: time", child.wall_s, None, "s"))
    for name, child in runs.items():
        rows.append(Row(f"  {name}: peak RSS", child.peak_rss_bytes, None, "bytes"))
    rows.append(Row("model file size", model_bytes, None, "bytes"))
    rows.append(Row("recall accuracy (default)", accuracy["default"], None, "fraction"))
    rows.append(Row("recall accuracy (async)", accuracy["async"], None, "fraction"))
    result.rows = rows
    result.notes = [
        f"no baseline: a dense {n:,} x {n:,} float64 matrix would take {n * n * 8 / 2**30:,.0f} GiB.",
        "totals are the train and recall processes; the corrupt process (making the cue) is listed apart.",
        "each process ran once, interpreter start and imports included.",
        "recall accuracy: pixels of the recalled PNG equal to the mean-binarized original (not a goal).",
    ]
    if quick:
        result.notes.append(f"quick mode: {size}x{size}, so the goals (for 512x512) are not checked.")
    result.raw = {
        "size": size,
        "runs": {k: {"wall_s": r.wall_s, "peak_rss_bytes": r.peak_rss_bytes} for k, r in runs.items()},
        "total_default_s": total_default,
        "total_async_s": total_async,
        "model_bytes": model_bytes,
        "accuracy": accuracy,
    }
    return result
