"""Capacity sweeps: how many patterns a rule stores before recall breaks down.

For each load P of a grid, and for ``trials`` independent repetitions, the
sweep stores P patterns (random unbiased ones, or a random subset of patterns
the caller supplies), cues stored patterns with ``noise`` flipped bits, runs
:func:`hopfield_cli.dynamics.recall` and records how often the cued pattern
comes back exactly, the mean overlap with it, the number of iterations and
the share of spurious end states.  The capacity is the largest load of the
grid before the first load that fails the criterion.

Criteria and the theory lines they correspond to (random unbiased patterns):

* ``"exact"`` -- at least :data:`EXACT_SHARE` (90 %) of the cued patterns
  come back bit for bit.  This is the "most memories exact" regime, whose
  Hebbian theory line is ``N / (2 ln N)`` (McEliece et al. 1987); Storkey's
  ``N / sqrt(2 ln N)`` is stated in the same sense.
* ``"all"`` -- every cued pattern of every trial comes back exactly: Hebbian
  theory ``N / (4 ln N)``.
* a float ``t`` in (0, 1] -- the mean overlap with the cued pattern is at
  least ``t``.  Bit errors are tolerated, as in the ``0.138 N`` line of
  Amit, Gutfreund & Sompolinsky (1985), where the retrieval overlap is 0.967.

The library never prints; pass ``progress`` to follow a long sweep.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli import rules, specs
from hopfield_cli._validate import (
    as_patterns,
    as_rng,
    check_choice,
    check_fraction,
    check_positive_int,
)
from hopfield_cli.corruption import flip
from hopfield_cli.dynamics import DEFAULT_MAX_ITER, FIXED_POINT, UPDATES, recall
from hopfield_cli.errors import InvalidParameterError
from hopfield_cli.options import DEFAULT_NOISE as DEFAULT_NOISE

CRITERIA = ("exact", "all")
#: Share of cued patterns that must come back exactly under ``criterion="exact"``.
EXACT_SHARE = 0.9
#: Cues per load and trial.
DEFAULT_CUES = 100
DEFAULT_TRIALS = 3
_BLAS_THREAD_VARIABLES = (
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "MKL_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
)

if TYPE_CHECKING:
    from hopfield_cli._validate import RNGLike


@dataclass(frozen=True)
class CapacityPoint:
    """Recall statistics at one load, pooled over all trials.

    Attributes
    ----------
    load : int
        Number of stored patterns P.
    cues : int
        Number of cues, summed over trials.
    exact : float
        Share of cues whose end state equals the cued pattern.
    overlap : float
        Mean overlap ``xi . s / N`` of the end state with the cued pattern.
    iterations : float
        Mean number of steps (sync) or sweeps (async, stochastic).
    converged : float
        Share of cues that reached a fixed point (not a 2-cycle or the
        iteration limit).
    spurious : float
        Share of end states that are neither a stored pattern nor the
        inverse of one.
    passed : bool
        Whether the load meets the sweep's criterion.
    """

    load: int
    cues: int
    exact: float
    overlap: float
    iterations: float
    converged: float
    spurious: float
    passed: bool


@dataclass(frozen=True)
class CapacityResult:
    """Outcome of :func:`capacity_sweep`.

    Attributes
    ----------
    rule : str
    neurons : int
        Number of neurons N.
    noise : float
        Fraction of flipped bits in each cue.
    update : str
    trials : int
    criterion : str or float
    points : list of CapacityPoint
        One per load, in increasing order.
    capacity : int
        Largest load before the first load that fails the criterion (0 when
        the smallest load fails).
    lower_bound : bool
        True when every load passed: the capacity is at least the last load.
    theory : dict of str to float
        Theoretical capacities of the rule at N (``inf`` where they overflow).
    params : dict
        Rule parameters used.
    """

    rule: str
    neurons: int
    noise: float
    update: str
    trials: int
    criterion: str | float
    points: list[CapacityPoint]
    capacity: int
    lower_bound: bool
    theory: dict[str, float]
    params: dict[str, Any] = field(default_factory=dict)

    def param_defaults(self) -> dict[str, str]:
        """How each parameter left to the rule was worked out at each load (``beta``: ``ln(P)/2 + 2``)."""
        spec = specs.spec_for(self.rule, **self.params)
        return {key: note for key, note in spec.default_notes.items() if spec.params().get(key) is None}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-serialisable dict (non-finite theory values become None)."""
        out = asdict(self)
        out["theory"] = {k: (v if math.isfinite(v) else None) for k, v in self.theory.items()}
        out["params"] = {k: _plain(v) for k, v in self.params.items()}
        out["param_defaults"] = self.param_defaults()
        return out


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    return value


def theory(rule: str, neurons: int, *, noise: float = DEFAULT_NOISE, **params: Any) -> dict[str, float]:
    """Theoretical capacities of ``rule`` for random unbiased patterns of N neurons.

    Parameters
    ----------
    rule : str
        One of :data:`hopfield_cli.rules.RULES`.
    neurons : int
        Number of neurons N (>= 2).
    noise : float, optional
        Cue corruption, used by the exponential line.
    **params
        ``degree`` for ``polynomial``; others are ignored.

    Returns
    -------
    dict of str to float
        ``hebbian``: ``0.138N`` (bit errors tolerated), ``N/(2 ln N)`` (most
        memories exact), ``N/(4 ln N)`` (all exact).  ``storkey``:
        ``N/sqrt(2 ln N)``.  ``pseudoinverse``: ``N``.  ``polynomial`` of
        degree n: ``N^(n-1)/(2 (2n-3)!! ln N)`` (Krotov & Hopfield 2016, no
        errors; n = 2 gives the Hebbian ``N/(2 ln N)``).  ``exponential``:
        ``exp(N I(1 - 2 noise) / 2)`` with ``I(x) = ((1+x) ln(1+x) + (1-x)
        ln(1-x)) / 2`` (Demircigil et al. 2017, one-step retrieval from
        ``noise``, stated for ``beta = 1``; larger than any grid one can run).
    """
    check_choice("rule", rule, rules.RULES)
    return specs.spec_for(rule, **params).theory(specs.check_neurons(neurons), noise)


def default_loads(rule: str, neurons: int, *, available: int | None = None, **params: Any) -> list[int]:
    """A grid of about 12 loads reaching past the rule's theory line.

    Parameters
    ----------
    rule : str
    neurons : int
        Number of neurons N.
    available : int, optional
        Number of supplied patterns; the grid never exceeds it.
    **params
        ``degree`` for ``polynomial``.

    Returns
    -------
    list of int
        Increasing loads.  Linear up to ``0.25 N`` (hebbian), twice the theory
        line (storkey, at most ``0.75 N``) and ``N - 1`` (pseudoinverse, which cannot store N patterns
        with a zero diagonal); geometric from ``N/8`` up to ``min(2 x theory,
        8 N)`` for the dense rules, whose theory lines soon exceed any grid
        that runs in reasonable time.
    """
    check_choice("rule", rule, rules.RULES)
    spec = specs.spec_for(rule, **params)
    return spec.default_loads(specs.check_neurons(neurons), available=available, noise=DEFAULT_NOISE)


@dataclass(frozen=True)
class _Cell:
    """Raw counts of one (load, trial) cell."""

    cues: int
    exact: int
    overlap: float
    iterations: int
    converged: int
    spurious: int


@dataclass(frozen=True)
class _Spec:
    rule: str
    neurons: int
    patterns: NDArray[np.int8] | None
    loads: tuple[int, ...]
    noise: float
    update: str
    cues: int
    max_iter: int
    params: dict[str, Any]


def capacity_sweep(
    rule: str,
    *,
    neurons: int | None = None,
    patterns: Any = None,
    loads: Sequence[int] | None = None,
    noise: float = DEFAULT_NOISE,
    trials: int = DEFAULT_TRIALS,
    update: str = "sync",
    criterion: str | float = "exact",
    cues: int = DEFAULT_CUES,
    max_iter: int = DEFAULT_MAX_ITER,
    rng: RNGLike = None,
    progress: Callable[[int], None] | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    **rule_params: Any,
) -> CapacityResult:
    """Measure recall quality against the number of stored patterns.

    Parameters
    ----------
    rule : str
        One of :data:`hopfield_cli.rules.RULES`.
    neurons : int, optional
        Number of neurons N for random unbiased patterns.  Give exactly one
        of ``neurons`` and ``patterns``.
    patterns : array_like of shape (M, N), optional
        Patterns to store instead (for example images, coerced to int8).
        Each trial stores the first P of its own random ordering of them.
    loads : sequence of int, optional
        Numbers of stored patterns to try.  Default :func:`default_loads`.
        With ``patterns``, loads may not exceed M.
    noise : float, optional
        Fraction of bits flipped in every cue (exactly ``round(noise * N)``).
    trials : int, optional
        Independent repetitions (fresh patterns, cues and visiting orders).
    update : {"sync", "async", "stochastic"}, optional
        Dynamics; ``sync`` runs all cues as one batch and is the fastest.
    criterion : {"exact", "all"} or float, optional
        ``"exact"``: at least 90 % of cues recovered exactly; ``"all"``: every
        cue recovered exactly; a float in (0, 1]: mean overlap at least that.
        See the module docstring for the matching theory lines.
    cues : int, optional
        Cues per load and trial, each with its own noise.  When P >= cues
        they are a random sample of distinct stored patterns; otherwise every
        stored pattern is cued in turn, ``cues / P`` times on average, so
        that small loads are measured as precisely as large ones.
    max_iter : int, optional
        Iteration limit of the dynamics.
    rng : numpy.random.Generator, int or None
        Seed.  Trial ``t`` draws from the ``t``-th stream spawned from it,
        whichever process runs it and whenever it finishes, so the result
        depends neither on ``jobs`` nor on ``executor``.
    progress : callable, optional
        Called with the number of (load, trial) cells just finished; there
        are ``len(loads) * trials`` in all.
    jobs : int, optional
        Worker processes running trials in parallel (started with ``spawn``,
        one BLAS thread each; a script that passes ``jobs > 1`` needs the
        usual ``if __name__ == "__main__":`` guard).
    executor : concurrent.futures.Executor, optional
        Runs the trials instead of this process or the ``jobs`` pool: one
        task per trial (all loads of a trial share one pattern draw and its
        nested networks), gathered as they finish.  Any executor whose
        workers can import this package works, for example a
        ``ProcessPoolExecutor`` or ``distributed.Client(...).get_executor()``
        for a Dask cluster.  The caller owns it (this function does not shut
        it down); on an exception or ``KeyboardInterrupt`` the trials not
        yet gathered are cancelled.  Not combined with ``jobs > 1``.
    **rule_params
        Passed to :func:`hopfield_cli.rules.build_network` (``centered``,
        ``threshold``, ``degree``, ``beta``).

    Returns
    -------
    CapacityResult

    Raises
    ------
    InvalidParameterError
        If an argument is out of range.
    LearningError
        If the rule cannot store some load (pseudoinverse at P >= N).

    Examples
    --------
    >>> result = capacity_sweep("hebbian", neurons=64, loads=[2, 4, 8, 16], rng=0)
    >>> result.capacity <= 16
    True
    """
    check_choice("rule", rule, rules.RULES)
    check_choice("update", update, UPDATES)
    noise = check_fraction("noise", noise)
    trials = check_positive_int("trials", trials)
    jobs = check_positive_int("jobs", jobs)
    if executor is not None and jobs > 1:
        raise InvalidParameterError(f"give jobs or executor, not both; got jobs={jobs} and an executor")
    max_iter = check_positive_int("max_iter", max_iter)
    cues = check_positive_int("cues", cues)
    criterion = _check_criterion(criterion)
    pool: NDArray[np.int8] | None = None
    if (neurons is None) == (patterns is None):
        raise InvalidParameterError("give exactly one of neurons and patterns")
    if neurons is None:
        pool = as_patterns(patterns)
        n = int(pool.shape[1])
    else:
        n = check_positive_int("neurons", neurons)
        if n < 2:
            raise InvalidParameterError(f"neurons must be at least 2, got {n}")
    available = None if pool is None else int(pool.shape[0])
    if loads is None:
        grid = default_loads(rule, n, available=available, **rule_params)
    else:
        grid = _check_loads(loads, available)
    rules.build_network(rule, np.ones((1, n), dtype=np.int8), **rule_params)  # validate params early
    spec = _Spec(rule, n, pool, tuple(grid), noise, update, cues, max_iter, dict(rule_params))
    seeds = np.random.SeedSequence(int(as_rng(rng).integers(2**63))).spawn(trials)

    cells: list[list[_Cell]] = []
    if executor is not None:
        cells = _gather(executor, spec, seeds, progress)
    elif jobs == 1 or trials == 1:
        for seed in seeds:
            cells.append(_run_trial(spec, seed, progress))
    else:
        # Imported here: they cost ~20 ms, which train and inspect need not pay.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        from hopfield_cli._workers import die_with_parent

        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(
            max_workers=min(jobs, trials),
            mp_context=context,
            initializer=die_with_parent,  # no orphans if this process is killed
            initargs=(os.getpid(),),
        ) as local:
            with _single_threaded_blas():  # workers inherit the environment when they start
                cells = _gather(local, spec, seeds, progress)

    points = [_point(load, [trial[i] for trial in cells], criterion) for i, load in enumerate(grid)]
    capacity = 0
    for point in points:
        if not point.passed:
            break
        capacity = point.load
    return CapacityResult(
        rule=rule,
        neurons=n,
        noise=noise,
        update=update,
        trials=trials,
        criterion=criterion,
        points=points,
        capacity=capacity,
        lower_bound=all(p.passed for p in points),
        theory=theory(rule, n, noise=noise, **rule_params),
        params=dict(rule_params),
    )


def _gather(
    executor: Executor,
    spec: _Spec,
    seeds: Sequence[np.random.SeedSequence],
    progress: Callable[[int], None] | None,
) -> list[list[_Cell]]:
    """Run one task per trial on ``executor``; results in trial order, whatever the finishing order."""
    futures: dict[Future[list[_Cell]], int] = {}
    try:
        for trial, seed in enumerate(seeds):
            futures[executor.submit(_run_trial, spec, seed, _stop_if_cancelled)] = trial
        done: dict[int, list[_Cell]] = {}
        for future in as_completed(futures):
            done[futures[future]] = future.result()
            if progress is not None:
                progress(len(spec.loads))
    except BaseException:
        # Ctrl-C or a failed trial: nothing else of this sweep is wanted.
        for future in futures:
            future.cancel()
        raise
    return [done[trial] for trial in range(len(seeds))]


class _Abandoned(Exception):
    """The Dask task running a trial was cancelled: nobody wants its result any more."""


def _stop_if_cancelled(_cells: int) -> None:
    """Between two loads of a trial: stop if it runs as a Dask task that was cancelled.

    Dask cannot stop a running task.  Without this check a cancelled sweep
    (Ctrl-C, or the client gone) would keep each worker busy until its trial
    ended, which at large N takes hours; with it, until the load at hand is
    done.  Anywhere else (this process, a process pool) it does nothing and
    costs a dictionary look-up.
    """
    distributed = sys.modules.get("distributed")
    if distributed is None:
        return  # not on a Dask worker: nothing imported Dask
    try:
        worker = distributed.get_worker()
    except ValueError:  # Dask is loaded, but this is not one of its tasks
        return
    key = worker.active_threads.get(threading.get_ident())
    task = None if key is None else worker.state.tasks.get(key)
    if task is None or task.state in ("cancelled", "released"):
        raise _Abandoned(f"Dask task {key} was cancelled")


@contextmanager
def _single_threaded_blas() -> Iterator[None]:
    """Ask BLAS libraries of processes started here to use one thread each.

    ``jobs`` processes that each start a multi-threaded BLAS oversubscribe
    the cores and run many times slower than one process.  Variables the
    user has set are left alone.
    """
    added = [name for name in _BLAS_THREAD_VARIABLES if name not in os.environ]
    for name in added:
        os.environ[name] = "1"
    try:
        yield
    finally:
        for name in added:
            os.environ.pop(name, None)


def _check_criterion(criterion: str | float) -> str | float:
    if isinstance(criterion, str):
        return check_choice("criterion", criterion, CRITERIA)
    if isinstance(criterion, bool) or not isinstance(criterion, int | float):
        raise InvalidParameterError(
            f"criterion must be exact, all or an overlap in (0, 1]; got {criterion!r}"
        )
    value = float(criterion)
    if not 0.0 < value <= 1.0:
        raise InvalidParameterError(f"criterion overlap must be in (0, 1], got {criterion!r}")
    return value


def _check_loads(loads: Sequence[int], available: int | None) -> list[int]:
    try:
        values = [int(v) for v in loads]
    except (TypeError, ValueError):
        raise InvalidParameterError(f"loads must be integers, got {loads!r}") from None
    if not values or any(v != w for v, w in zip(values, loads, strict=True)):
        raise InvalidParameterError(f"loads must be a non-empty list of integers, got {loads!r}")
    grid = sorted(set(values))
    if grid[0] < 1:
        raise InvalidParameterError(f"loads must be at least 1, got {grid[0]}")
    if available is not None and grid[-1] > available:
        raise InvalidParameterError(
            f"loads must not exceed the {available} supplied patterns, got {grid[-1]}"
        )
    return grid


def _run_trial(
    spec: _Spec, seed: np.random.SeedSequence, progress: Callable[[int], None] | None
) -> list[_Cell]:
    """Every load of one trial: one pattern draw, nested prefixes of it."""
    rng = np.random.default_rng(seed)
    last = spec.loads[-1]
    if spec.patterns is None:
        pool = np.where(rng.random((last, spec.neurons)) < 0.5, 1, -1).astype(np.int8)
    else:
        pool = spec.patterns[rng.permutation(spec.patterns.shape[0])[:last]]
    networks = rules.prefix_networks(spec.rule, pool, spec.loads, **spec.params)
    cells = []
    for load, network in zip(spec.loads, networks, strict=True):
        stored = pool[:load]
        if load >= spec.cues:
            cued = np.sort(rng.choice(load, size=spec.cues, replace=False))
        else:
            cued = np.concatenate([np.arange(load)] * (spec.cues // load) + [rng.permutation(load)])
            cued = np.sort(cued[: spec.cues])
        cues = np.stack([flip(stored[i], spec.noise, rng) for i in cued])
        # A sweep measures the update itself: 2-cycles count as not converged.
        results = recall(
            network, cues, update=spec.update, max_iter=spec.max_iter, rng=rng, settle_cycles=False
        )
        cells.append(_score(stored, cued, results))
        if progress is not None:
            progress(1)
    return cells


def _score(stored: NDArray[np.int8], cued: NDArray[np.intp], results: list[Any]) -> _Cell:
    states = np.stack([r.state for r in results])
    targets = stored[cued]
    n = stored.shape[1]
    exact = np.all(states == targets, axis=1)
    agreement = np.einsum("bn,bn->b", states.astype(np.int64), targets.astype(np.int64))
    overlaps = states.astype(np.float64) @ stored.T.astype(np.float64)  # exact integers
    attractor = np.any(np.abs(overlaps) == n, axis=1)
    return _Cell(
        cues=len(results),
        exact=int(exact.sum()),
        overlap=float(agreement.sum()) / n,
        iterations=sum(r.iterations for r in results),
        converged=sum(r.status == FIXED_POINT for r in results),
        spurious=int(np.count_nonzero(~attractor)),
    )


def _point(load: int, cells: list[_Cell], criterion: str | float) -> CapacityPoint:
    cues = sum(c.cues for c in cells)
    exact = sum(c.exact for c in cells) / cues
    overlap = sum(c.overlap for c in cells) / cues
    if criterion == "exact":
        passed = exact >= EXACT_SHARE
    elif criterion == "all":
        passed = exact == 1.0
    else:
        passed = overlap >= float(criterion)
    return CapacityPoint(
        load=load,
        cues=cues,
        exact=exact,
        overlap=overlap,
        iterations=sum(c.iterations for c in cells) / cues,
        converged=sum(c.converged for c in cells) / cues,
        spurious=sum(c.spurious for c in cells) / cues,
        passed=bool(passed),
    )


def write_capacity_csv(results: Sequence[CapacityResult], path: str | os.PathLike[str]) -> None:
    """Write one CSV row per rule and load: the fields of :class:`CapacityPoint` plus P/N.

    Written to a temporary file beside ``path``, then renamed into place.
    """
    import csv
    import io

    from hopfield_cli._atomic import atomic_path

    rows = [
        {"rule": result.rule, "neurons": result.neurons, "load_ratio": point.load / result.neurons}
        | asdict(point)
        for result in results
        for point in result.points
    ]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({key: _csv_cell(value) for key, value in row.items()})
    with atomic_path(Path(path)) as temporary:
        temporary.write_text(buffer.getvalue(), encoding="utf-8")


def _csv_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    return f"{value:.6g}" if isinstance(value, float) else value


#: Loads spanning more than this factor get a logarithmic axis in :func:`plot_capacity`.
LOG_AXIS_SPAN = 20.0


def plot_capacity(results: Sequence[CapacityResult], path: str | os.PathLike[str]) -> None:
    """Draw exact recall and overlap against P/N with the theory lines, as a PNG (needs matplotlib).

    See :func:`capacity_figure` for what is drawn.
    """
    figure = capacity_figure(results)  # first: it picks the non-interactive backend
    import matplotlib.pyplot as plt

    from hopfield_cli._atomic import atomic_path

    try:
        with atomic_path(Path(path)) as temporary:
            figure.savefig(temporary, format="png")
    finally:
        plt.close(figure)


def capacity_figure(results: Sequence[CapacityResult]) -> Any:
    """A matplotlib figure of exact recall and overlap against P/N, with the theory lines.

    When the loads span more than a decade (rules of different kinds compared:
    Hebbian near 0.1 N, dense rules past N), the load axis is logarithmic.
    Theory lines are named in the legend, not on the plot, so that lines
    close together never write over each other.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hopfield_cli._text import format_count

    ratios = [p.load / r.neurons for r in results for p in r.points]
    logarithmic = max(ratios) / min(ratios) > LOG_AXIS_SPAN
    figure, axis = plt.subplots(figsize=(8, 5), dpi=120)
    styles = ["--", "-.", (0, (1, 1)), (0, (5, 2, 1, 2))]
    for k, result in enumerate(results):
        color = f"C{k}"
        ratio = [p.load / result.neurons for p in result.points]
        axis.plot(ratio, [p.exact for p in result.points], "o-", color=color, label=f"{result.rule}: exact")
        axis.plot(
            ratio, [p.overlap for p in result.points], ":", color=color, label=f"{result.rule}: overlap"
        )
        logs = specs.spec_for(result.rule, **result.params).theory_log10(result.neurons, result.noise)
        for shown, (name, value) in enumerate(result.theory.items()):
            label = f"{result.rule} theory: {name} = {format_count(value, logs.get(name))}"
            style = styles[shown % len(styles)]
            if math.isfinite(value) and value / result.neurons <= 2 * max(ratios):
                axis.axvline(value / result.neurons, color=color, linestyle=style, linewidth=1.0, label=label)
            else:  # named all the same, so that no rule's theory goes missing
                axis.plot(
                    [], [], color=color, linestyle=style, linewidth=1.0, label=f"{label} (off the axis)"
                )
    if logarithmic:
        axis.set_xscale("log")
    axis.set_xlabel("load P / N" + (" (log scale)" if logarithmic else ""))
    axis.set_ylabel("share recalled exactly / mean overlap")
    axis.set_ylim(-0.05, 1.05)
    axis.set_title(f"Capacity at N = {results[0].neurons}, {results[0].noise:.0%} flipped bits")
    # Outside the axes: the legend never covers a curve.
    axis.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    figure.tight_layout()
    return figure
