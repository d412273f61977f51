"""Shared pieces: result rows, goals, child processes, timing and formatting."""

from __future__ import annotations

import importlib
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_IMAGES = REPO_ROOT / "sample_images"
MIB = 1024 * 1024

Unit = Literal["s", "bytes", "/s", "fraction", "count"]


class BenchmarkError(RuntimeError):
    """A benchmarked command failed, so its numbers would mean nothing."""


class SectionSkipped(Exception):
    """A section cannot run here (for example the CLI is missing); the message says why."""


@dataclass(frozen=True)
class Goal:
    """A target for one row: on the ratio (``subject="ratio"``) or on our own value."""

    subject: Literal["ratio", "ours"]
    op: Literal[">=", "<=", "<"]
    value: float

    def check(self, row: Row) -> bool | None:
        actual = row.ratio if self.subject == "ratio" else row.ours
        if actual is None:
            return None
        if self.op == ">=":
            return actual >= self.value
        if self.op == "<=":
            return actual <= self.value
        return actual < self.value

    def describe(self, unit: Unit) -> str:
        if self.subject == "ratio":
            return f"ratio {self.op} {self.value:g}x"
        return f"{self.op} {format_value(self.value, unit)}"


@dataclass
class Row:
    """One line of a section's table; ``ratio`` is set by the section (its direction is in the notes)."""

    measure: str
    ours: float | None
    baseline: float | None
    unit: Unit
    ratio: float | None = None
    goal: Goal | None = None
    note: str = ""

    @property
    def met(self) -> bool | None:
        return None if self.goal is None else self.goal.check(self)

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["goal"] = None if self.goal is None else self.goal.describe(self.unit)
        out["met"] = self.met
        return out


@dataclass
class SectionResult:
    """Everything one section measured: table rows, notes, and raw numbers for ``--json``."""

    name: str
    title: str
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    raw: dict[str, Any] = field(default_factory=dict)
    skipped: str | None = None
    error: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "skipped": self.skipped,
            "error": self.error,
            "rows": [row.as_dict() for row in self.rows],
            "notes": self.notes,
            "raw": self.raw,
        }


def speedup(baseline: float | None, ours: float | None) -> float | None:
    """``baseline / ours`` for costs (time, memory): above 1 means ours is cheaper."""
    if baseline is None or ours is None or ours <= 0:
        return None
    return baseline / ours


# --------------------------------------------------------------------------- formatting


def format_value(value: float | None, unit: Unit) -> str:
    """Human-readable value with a unit chosen for its magnitude."""
    if value is None:
        return "-"
    if unit == "s":
        if value < 1e-3:
            return f"{value * 1e6:.3g} us"
        if value < 1:
            return f"{value * 1e3:.3g} ms"
        return f"{value:.3g} s"
    if unit == "bytes":
        if value >= 1024 * MIB:
            return f"{value / (1024 * MIB):.3g} GiB"
        return f"{value / MIB:.3g} MiB"
    if unit == "/s":
        for limit, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
            if value >= limit:
                return f"{value / limit:.3g} {suffix}/s"
        return f"{value:.3g} /s"
    if unit == "fraction":
        return f"{100 * value:.1f} %"
    return f"{value:g}"


def format_ratio(ratio: float | None) -> str:
    if ratio is None:
        return "-"
    return f"{ratio:.3g}x" if ratio < 1000 else f"{ratio:,.0f}x"


def render_table(section: SectionResult) -> str:
    """Plain-text table: measure, ours, baseline, ratio, goal, met?"""
    lines = [f"== {section.name}: {section.title} =="]
    if section.skipped is not None:
        lines.append(f"SKIPPED: {section.skipped}")
        return "\n".join(lines)
    if section.error is not None:
        lines.append(f"FAILED: {section.error}")
    header = ("measure", "ours", "baseline", "ratio", "goal", "met?")
    body = []
    for row in section.rows:
        goal = "" if row.goal is None else row.goal.describe(row.unit)
        met = {None: "", True: "yes", False: "NO"}[row.met]
        body.append(
            (
                f"{row.measure} [{row.note}]" if row.note else row.measure,
                format_value(row.ours, row.unit),
                format_value(row.baseline, row.unit),
                format_ratio(row.ratio),
                goal,
                met,
            )
        )
    if body:
        widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]
        for i, cells in enumerate([header, *body]):
            first = cells[0].ljust(widths[0])
            rest = "  ".join(
                c.rjust(w) if 0 < j < 4 else c.ljust(w)
                for j, (c, w) in enumerate(zip(cells, widths, strict=True))
                if j
            )
            lines.append(f"{first}  {rest}".rstrip())
            if i == 0:
                lines.append("-" * (sum(widths) + 2 * (len(widths) - 1)))
    for note in section.notes:
        lines.append(f"  * {note}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- environment


def machine_info() -> dict[str, Any]:
    """CPU count, Python, NumPy (and its BLAS where NumPy reports it), platform."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    blas = "unknown"
    try:
        config: Any = np.show_config(mode="dicts")
        blas = str(config["Build Dependencies"]["blas"]["name"])
    except Exception:  # older NumPy has no dict mode; the name is only informative
        pass
    return {
        "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None,
        "cpus": os.cpu_count(),
        "usable_cpus": usable,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": blas,
        "platform": platform.platform(),
    }


def machine_line(info: dict[str, Any]) -> str:
    load = info["load_average"]
    return (
        f"machine: {info['cpus']} CPUs ({info['usable_cpus']} usable), Python {info['python']}, "
        f"NumPy {info['numpy']} ({info['blas']}), {info['platform']}"
        + ("" if load is None else f"; load average {load[0]:.2f} at start (other work skews timings)")
    )


def require_cli() -> None:
    """Raise :class:`SectionSkipped` unless ``hopfield_cli.cli`` imports in this interpreter."""
    try:
        importlib.import_module("hopfield_cli.cli")
    except Exception as exc:  # any failure means the CLI cannot be benchmarked
        raise SectionSkipped(
            f"hopfield_cli.cli is not importable ({type(exc).__name__}: {exc}); "
            "this section needs the command-line tool"
        ) from exc


def child_env() -> dict[str, str]:
    """Environment of child processes: the repository first on ``PYTHONPATH``.

    So that ``python -m hopfield_cli`` runs this checkout's code from any
    working directory, installed or not.  Bytecode writing is switched back
    on, as in a normal install.
    """
    env = dict(os.environ)
    # Undo the BLAS limits the runner set for its own in-process kernels.
    for name in env.pop("HOPFIELD_BENCH_IN_PROCESS_ONLY", "").split(","):
        env.pop(name, None)
    # Installed packages have bytecode caches; without them every child would
    # recompile hopfield_cli and start-up would be measured unfairly slow.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    parts = [str(REPO_ROOT), *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
    env["PYTHONPATH"] = os.pathsep.join(dict.fromkeys(parts))
    return env


def module_command() -> list[str]:
    """``python -m hopfield_cli``, which works without the console script."""
    return [sys.executable, "-m", "hopfield_cli"]


def console_command() -> tuple[list[str], str]:
    """The installed ``hopfield`` script if it runs this interpreter, else ``python -m``.

    A ``hopfield`` on PATH that belongs to another environment would time
    other code, so its shebang must name this interpreter.
    """
    here = Path(sys.executable).parent
    for candidate in (shutil.which("hopfield", path=str(here)), shutil.which("hopfield")):
        if candidate is None:
            continue
        try:
            with open(candidate, "rb") as handle:
                shebang = handle.readline().decode(errors="replace")
        except OSError:
            continue
        interpreter = shebang[2:].strip().split(" ")[0] if shebang.startswith("#!") else ""
        if interpreter and _same_file(interpreter, sys.executable):
            return [candidate], f"console script {candidate}"
    return module_command(), "python -m hopfield_cli (no console script for this interpreter)"


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def sample_images(count: int, preferred: Sequence[str] = ()) -> list[Path]:
    """``count`` images from ``sample_images/``: the preferred names first, then sorted order."""
    available = sorted(SAMPLE_IMAGES.glob("*.png"))
    by_name = {p.name: p for p in available}
    chosen = [by_name[name] for name in preferred if name in by_name]
    chosen += [p for p in available if p not in chosen]
    if len(chosen) < count:
        raise BenchmarkError(f"need {count} images in {SAMPLE_IMAGES}, found {len(available)}")
    return chosen[:count]


def scratch_dir(prefix: str) -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix=f"hopfield-bench-{prefix}-")


# --------------------------------------------------------------------------- child processes


@dataclass(frozen=True)
class ChildRun:
    """Wall time, CPU time and peak resident memory of one child process."""

    argv: list[str]
    wall_s: float
    peak_rss_bytes: int
    stdout: str
    cpu_s: float = 0.0  # user + system, the child alone


def _maxrss_bytes(ru_maxrss: int) -> int:
    # Linux reports KiB, macOS bytes.
    return ru_maxrss if sys.platform == "darwin" else ru_maxrss * 1024


def run_child(argv: Sequence[object], *, cwd: Path | str, env: dict[str, str] | None = None) -> ChildRun:
    """Run one command and measure it alone.

    ``os.wait4`` returns the resource usage of exactly this child, whereas
    ``getrusage(RUSAGE_CHILDREN)`` keeps the largest peak of all children so
    far and cannot tell a small process that follows a big one.
    """
    args = [str(a) for a in argv]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            args, cwd=cwd, env=child_env() if env is None else env, stdout=out, stderr=err
        )
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)  # reaped by wait4; tell Popen
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode(errors="replace")
        stderr = err.read().decode(errors="replace")
    if proc.returncode != 0:
        tail = stderr.strip()[-1500:] or stdout.strip()[-1500:]
        raise BenchmarkError(f"command failed with exit code {proc.returncode}: {' '.join(args)}\n{tail}")
    return ChildRun(
        argv=args,
        wall_s=wall,
        peak_rss_bytes=_maxrss_bytes(usage.ru_maxrss),
        stdout=stdout,
        cpu_s=usage.ru_utime + usage.ru_stime,
    )


# --------------------------------------------------------------------------- in-process timing


def _sample(fn: Callable[[], object], setup: Callable[[], object] | None, min_sample_s: float) -> float:
    """Seconds per call, averaged over as many calls as fill ``min_sample_s``.

    Averaging keeps sub-millisecond kernels above timer resolution; ``setup``
    runs before every call, outside the timed region (to reset a state that
    ``fn`` changes).
    """
    spent = 0.0
    calls = 0
    while spent < min_sample_s or calls == 0:
        if setup is not None:
            setup()
        t0 = time.perf_counter()
        fn()
        spent += time.perf_counter() - t0
        calls += 1
    return spent / calls


def paired_medians(
    ours: Callable[[], object],
    baseline: Callable[[], object],
    *,
    setup_ours: Callable[[], object] | None = None,
    setup_baseline: Callable[[], object] | None = None,
    repeat: int = 7,
    min_sample_s: float = 0.02,
    budget_s: float = 3.0,
) -> tuple[float, float]:
    """Median seconds per call of ``ours`` and of ``baseline``, sampled in alternation.

    Alternating (and swapping which goes first each round) spreads drift in
    machine load, which is large on a small shared machine, over both sides
    instead of biasing the ratio.  Sampling stops once ``budget_s`` is spent,
    after at least one round, so slow baselines stay affordable.
    """
    a: list[float] = []
    b: list[float] = []
    begun = time.perf_counter()
    for i in range(repeat):
        if i % 2 == 0:
            a.append(_sample(ours, setup_ours, min_sample_s))
            b.append(_sample(baseline, setup_baseline, min_sample_s))
        else:
            b.append(_sample(baseline, setup_baseline, min_sample_s))
            a.append(_sample(ours, setup_ours, min_sample_s))
        if time.perf_counter() - begun > budget_s:
            break
    return statistics.median(a), statistics.median(b)


# --------------------------------------------------------------------------- recall quality


def binarize_image(path: Path, size: int) -> NDArray[np.bool_]:
    """The classic preprocessing: grey, resized to ``size`` x ``size``, above the mean."""
    from PIL import Image

    with Image.open(path) as img:
        grey = np.asarray(img.convert("L").resize((size, size)), dtype=np.float64)
    return np.asarray(grey > grey.mean())


def agreement(output_png: Path, original: Path, size: int) -> float:
    """Share of pixels of a recalled image that match the mean-binarized original."""
    from PIL import Image

    with Image.open(output_png) as img:
        recalled = np.asarray(img.convert("L").resize((size, size)), dtype=np.float64) >= 128
    return float(np.mean(recalled == binarize_image(original, size)))
