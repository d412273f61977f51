"""Learning rules: turn stored patterns into a network engine.

Every rule returns a :class:`~hopfield_cli.network.Network` built from the
P x N patterns and a few small matrices; none forms the N x N weight matrix.

=================  ============================================  ==============================
rule               weights or energy                             engine
=================  ============================================  ==============================
``hebbian``        ``(1/N) sum xi xi^T``, zero diagonal          QuadraticNetwork, rank P
``storkey``        Storkey (1997), exact incremental form        StorkeyNetwork, rank 2P
``pseudoinverse``  projection ``X^T (X X^T)^-1 X``, zero diag.   QuadraticNetwork, rank <= P
``polynomial``     ``E = -N sum (xi.s / N)**n``                  DenseNetwork
``exponential``    ``E = -log(sum exp(beta xi.s)) / beta``       DenseNetwork
=================  ============================================  ==============================
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import as_patterns, check_choice
from hopfield_cli.errors import InvalidParameterError, LearningError
from hopfield_cli.network import (
    LOG_SUM_EXP,
    POWER,
    DenseNetwork,
    MatrixNetwork,
    Network,
    QuadraticNetwork,
    StorkeyNetwork,
)
from hopfield_cli.options import BINARY_RULE_NAMES, DEFAULT_DEGREE, MAX_DEGREE, MIN_DEGREE
from hopfield_cli.options import DEFAULT_RULE as DEFAULT_RULE

RULES: tuple[str, ...] = BINARY_RULE_NAMES

#: Rule used when none is named.  Chosen by measurement (cues with exactly
#: round(p N) flipped pixels, 5-10 seeds): on the 12 correlated sample photos
#: it recalls every photo bit for bit from 30 % flips, sync and async, at
#: 16 x 16 to 128 x 128, and from 45 % flips at 32 x 32 and above (at 64 x 64
#: Hebbian recalls 67 %, centred Hebbian 75 % from 30 %).  Storkey, the
#: pseudo-inverse and the cubic polynomial also pass the 30 % test at 64 x 64,
#: but on 200 LFW faces of 25 x 25 (overlaps up to 0.99) only the exponential
#: rule works: 99.5 % exact from 20 % flips, the nearest-neighbour limit,
#: against 74 % (sync) / 43 % (async) for the pseudo-inverse, 2 % for Storkey
#: and 0 % for Hebbian and the cubic polynomial.  (The name lives in
#: :data:`hopfield_cli.options.DEFAULT_RULE`.)

#: Default inverse temperature of ``exponential`` on raw overlaps ``xi.s``:
#: ``(ln P + DEFAULT_BETA_MARGIN) / 2`` (see :func:`default_beta`).
DEFAULT_BETA_MARGIN = 4.0
#: Models written before format version 4 with the default beta use
#: ``LEGACY_BETA_SCALE / sqrt(N)`` (see :func:`legacy_default_beta`).
LEGACY_BETA_SCALE = 8.0

#: Patterns per smallest block of the Storkey build, learnt one by one (see _storkey_met).
_STORKEY_BLOCK = 4
#: Columns per pass of that pattern-by-pattern step: its rows stay in cache.
_LEAF_COLUMNS = 16384
#: Random probes of the check of a Storkey summary (see _storkey_from_summary):
#: a summary that does not hold passes each with probability under about
#: 1e-9 over the size of its error.
_SUMMARY_PROBES = 4
#: Values of the interleaved [patterns; fields] buffer of the build from a
#: summary, per pattern row pair: 2 P x width float64 stays near 8 MB.
_SUMMARY_COLUMNS = 1 << 19
#: Patterns per block once Storkey learning runs on the N x N sum (capacity sweeps).
_DENSE_BLOCK = 64


#: Smallest ``|R_kk| / max |R_kk|`` of the QR factorisation of a pseudo-inverse
#: capacity sweep's patterns for which pattern k counts as independent of the
#: earlier ones (below it, the projector would lose its 1e-9 accuracy).
_QR_TOLERANCE = 1e-6


def _check_threshold(threshold: Any) -> float:
    try:
        value = float(threshold)
    except (TypeError, ValueError):
        raise InvalidParameterError(f"threshold must be a number, got {threshold!r}") from None
    if not math.isfinite(value):
        raise InvalidParameterError(f"threshold must be a finite number, got {threshold!r}")
    return value


def hebbian(patterns: Any, *, centered: bool = False, threshold: float = 0.0) -> QuadraticNetwork:
    """Hebbian storage ``W = (1/N) sum_mu xi_mu xi_mu^T`` with a zero diagonal.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
        Patterns of -1/+1 (coerced to int8).
    centered : bool, optional
        Subtract the mean activity ``a`` of all patterns before the outer
        products and use the matching threshold ``theta = W a``, so that the
        field becomes ``W (s - a)``.  Helps when images are mostly dark or light.
    threshold : float, optional
        Extra threshold added to every neuron, in field units.

    Returns
    -------
    QuadraticNetwork
        Fields cost O(P N) per state.

    Examples
    --------
    >>> import numpy as np
    >>> net = hebbian(np.array([[1, -1, 1, -1], [1, 1, -1, -1]]))
    >>> net.fields([1, -1, 1, -1]).round(2).tolist()
    [[0.5, -0.5, 0.5, -0.5]]
    """
    x = as_patterns(patterns)
    threshold = _check_threshold(threshold)
    p, n = x.shape
    if not centered:
        return QuadraticNetwork(x, np.eye(p), np.full(n, float(p)), threshold, scale=1.0 / n)
    activity = float(x.mean())
    factors = x.astype(np.float64) - activity
    self_coupling = (factors**2).sum(axis=0)
    net = QuadraticNetwork(factors, np.eye(p), self_coupling, 0.0, scale=1.0 / n)
    matching = net.scale * (factors.T @ (factors @ np.full(n, activity)) - self_coupling * activity)
    net.threshold = matching + threshold
    return net


class StorkeySummary(NamedTuple):
    """Two P x P matrices a Storkey build computes, kept to build it again faster.

    Given them, the fields the patterns met no longer wait for each other
    (see :func:`storkey`).  A model file keeps them for large models.

    Attributes
    ----------
    gram : ndarray of shape (P, P), float64
        ``X X^T``, the overlaps of the patterns (integers).
    met_overlaps : ndarray of shape (P, P), float64
        ``H X^T``: entry ``(nu, mu)`` is the overlap ``h_nu . xi_mu`` of the
        field pattern ``nu`` met with pattern ``mu``.
    """

    gram: NDArray[np.float64]
    met_overlaps: NDArray[np.float64]


def storkey(
    patterns: Any, *, threshold: float = 0.0, summary: StorkeySummary | None = None
) -> StorkeyNetwork:
    """Storkey (1997) incremental rule, exact form with per-pair exclusions.

    Patterns are learnt one after the other (row order matters):

    ``W_ij += (1/N) (xi_i xi_j - xi_i h_ji - h_ij xi_j)`` for ``i != j``, with
    ``h_ij = sum_{k != i, j} W_ik xi_k`` and a zero diagonal.

    Because the diagonal is zero, ``h_ij = h_i - W_ij xi_j`` with the full
    field ``h = W xi``, so the step is ``W <- (1 + 2/N) W + (1/N)(xi xi^T -
    xi h^T - h xi^T)`` off the diagonal.  Unrolled, ``W = S - diag(S)`` with
    ``S = sum_mu (1 + 2/N)**(P-1-mu) / N (xi xi^T - xi h^T - h xi^T)``: a
    network of rank 2P whose factors are the patterns and the fields ``h``
    they met.  The fields are computed by blocked matrix products over the
    Gram matrix (see :func:`_storkey_met`).  No N x N matrix is formed.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
        Patterns of -1/+1 (coerced to int8), learnt in row order.
    threshold : float, optional
        Threshold of every neuron, in field units.
    summary : StorkeySummary, optional
        The Gram matrix and the overlaps of the fields met, from an earlier
        build of the same patterns (:func:`storkey_summary`).  Each field
        then depends on the earlier ones only through these numbers, so the
        build runs one column block at a time with every operand in cache.
        It is checked before use: the products it stands for are
        recomputed along four random directions drawn from a hash of the
        patterns and the summary (Freivalds' check; the Gram products exact,
        the others to 1e-9).  A summary that does not hold, or that could
        not be checked exactly, is ignored and the network is built as
        without it.

    Returns
    -------
    StorkeyNetwork
        A :class:`QuadraticNetwork` of rank ``2P`` that keeps the patterns as
        int8; learning costs O(P^2 N), a field O(P N).

    Raises
    ------
    InvalidParameterError
        If the patterns are not -1/+1, ``threshold`` is not finite, or
        ``summary`` does not hold two finite P x P matrices.

    Examples
    --------
    >>> import numpy as np
    >>> net = storkey(np.array([[1, -1, 1, -1], [1, 1, -1, -1]]))
    >>> bool(np.array_equal(np.sign(net.fields([1, -1, 1, -1])), [[1, -1, 1, -1]]))
    True
    """
    x = as_patterns(patterns)
    threshold = _check_threshold(threshold)
    if summary is not None:
        net = _storkey_from_summary(x, _check_summary(summary, x.shape[0]), threshold)
        if net is not None:
            return net
    built = next(_storkey_prefixes(x, [x.shape[0]], threshold))
    assert isinstance(built, StorkeyNetwork)  # without dense, always the low-rank form
    return built


def storkey_summary(network: StorkeyNetwork) -> StorkeySummary:
    """The :class:`StorkeySummary` of a Storkey network (O(P^2 N), as products).

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, -1, 1, -1], [1, 1, -1, -1]])
    >>> net = storkey(x)
    >>> again = storkey(x, summary=storkey_summary(net))
    >>> bool(np.allclose(again.weights(), net.weights(), rtol=1e-12, atol=0))
    True
    """
    x, met = network.patterns, network.met
    overlaps = np.zeros((x.shape[0], x.shape[0]))
    step = _column_step(x.shape[0])
    for start in range(0, x.shape[1], step):
        cols = slice(start, start + step)
        overlaps += met[:, cols] @ x[:, cols].astype(np.float64).T
    return StorkeySummary(exact_gram(x), overlaps)


def _check_summary(summary: Any, count: int) -> StorkeySummary:
    """``summary`` as two finite float64 (P, P) arrays, or InvalidParameterError naming the bad one."""
    arrays = []
    for name, value in zip(("gram", "met_overlaps"), tuple(summary), strict=True):
        array = np.asarray(value, dtype=np.float64)
        if array.shape != (count, count):
            raise InvalidParameterError(
                f"summary {name} must have shape ({count}, {count}), got {array.shape}"
            )
        if not np.all(np.isfinite(array)):
            raise InvalidParameterError(f"summary {name} contains NaN or infinite values")
        arrays.append(array)
    return StorkeySummary(*arrays)


def _storkey_prefixes(
    x: NDArray[np.int8], loads: Sequence[int], threshold: float, *, dense: bool = False
) -> Iterator[StorkeyNetwork | MatrixNetwork]:
    """Storkey networks of the first ``P`` patterns, for each ``P`` in sorted ``loads``.

    The rule is incremental, so one pass over the patterns serves every load:
    after ``P`` patterns the weights are ``S - diag(S)`` with ``S = sum_nu
    g**(P-1-nu) / N (xi xi^T - xi h^T - h xi^T)``, ``g = 1 + 2/N`` and ``h``
    the field pattern ``nu`` met (see :func:`_storkey_met`), so each load's
    :class:`StorkeyNetwork` takes a prefix of the patterns and fields.  With
    ``dense``, loads of rank ``2P > N / 2`` come as a :class:`MatrixNetwork`
    (a field then costs ``N**2`` instead of ``4 P N``), and from the first
    of them on the rule runs on the N x N sum itself (see
    :func:`_storkey_dense`).
    """
    n = x.shape[1]
    wanted = set(loads)
    last = max(wanted)
    growth = 1.0 + 2.0 / n
    gram = exact_gram(x[:last])
    # The low-rank pass stops at the first load held as N x N weights.
    switch = min((load for load in wanted if 4 * load > n), default=last + 1) if dense else last + 1
    stop = min(last, switch)
    met, diags = _storkey_met(x, stop, gram, {load for load in wanted if load <= stop})
    for load in sorted(wanted):
        if load < switch:
            weights = growth ** np.arange(load - 1, -1, -1, dtype=np.float64) / n
            yield StorkeyNetwork(x[:load], met[:load], weights, diags[load], threshold)
    if switch <= last:
        full = np.zeros((n, n))
        _continue_storkey(full, x[:stop], met, growth)
        del met  # the N x N phase needs the sum only
        yield from _storkey_dense(x, sorted(wanted), stop, full, diags[stop], gram, threshold)


def _storkey_met(
    x: NDArray[np.int8], stop: int, gram: NDArray[np.float64], loads: set[int]
) -> tuple[NDArray[np.float64], dict[int, NDArray[np.float64]]]:
    """The fields ``h_mu`` the first ``stop`` patterns meet, and ``diag(S)`` after each of ``loads``.

    Pattern ``mu`` meets ``h_mu = S_mu xi_mu - d_mu xi_mu`` with ``S_mu xi_mu
    = sum_{nu < mu} g**(mu-1-nu) / N (xi_nu (G_nu,mu - h_nu.xi_mu) - h_nu
    G_nu,mu)`` (``G`` the Gram matrix) and ``d_mu = diag(S_mu)``; then
    ``d_{mu+1} = g d_mu + (1 - 2 xi_mu h_mu) / N``.  A block of earlier
    patterns ``A`` adds to the fields of a later block ``B`` through two
    products (``X_B H_A^T``, then the combination of ``X_A`` and ``H_A``), so
    the patterns are split in halves recursively, as in a blocked triangular
    solve (:func:`_storkey_schedule`): most of the O(P^2 N) work runs as
    large matrix products, and the rows accumulate in place in one P x N
    array (no float64 copy of the patterns, no other P x N temporary).
    Small blocks run pattern by pattern, one pass over column blocks per
    pattern: each field needs the full overlaps of the earlier ones.
    """
    n = x.shape[1]
    growth = 1.0 + 2.0 / n
    met = np.zeros((stop, n))
    diag = np.zeros(n)
    diags: dict[int, NDArray[np.float64]] = {}

    def update(b0: int, b1: int, a0: int) -> None:
        """Add the patterns ``a0:b0`` (done) to the fields of ``b0:b1``."""
        step = _column_step(b1 - a0)
        # Buffers reused across column blocks: fresh multi-MB temporaries cost page faults.
        patterns = np.empty((max(b1 - b0, b0 - a0), min(step, n)))
        part = np.empty((b1 - b0, min(step, n)))
        more = np.empty_like(part)
        overlaps = np.zeros((b1 - b0, b0 - a0))  # xi_mu . h_nu
        for c in range(0, n, step):
            cols = slice(c, c + step)
            block = patterns[: b1 - b0, : min(step, n - c)]
            np.copyto(block, x[b0:b1, cols])
            overlaps += block @ met[a0:b0, cols].T
        coef_x, coef_h = _storkey_coefficients(gram, overlaps.T, b0, b1, a0, n)
        for c in range(0, n, step):
            cols = slice(c, c + step)
            width = min(step, n - c)
            block = patterns[: b0 - a0, :width]
            np.copyto(block, x[a0:b0, cols])
            np.matmul(coef_x, block, out=part[:, :width])
            np.matmul(coef_h, met[a0:b0, cols], out=more[:, :width])
            part[:, :width] += more[:, :width]
            met[b0:b1, cols] += part[:, :width]

    def leaf(lo: int, hi: int) -> None:
        nonlocal diag
        size = hi - lo
        block = x[lo:hi].astype(np.float64)
        overlaps = np.zeros((size, size))  # [nu, mu]: h_nu . xi_mu within the block
        step = _LEAF_COLUMNS
        for j in range(size):
            mu = lo + j
            if mu in loads:
                diags[mu] = diag.copy()
            coef_x, coef_h = _storkey_coefficients(gram, overlaps[:j, j : j + 1], mu, mu + 1, lo, n)
            h = met[mu]
            for c in range(0, n, step):
                cols = slice(c, c + step)
                part = h[cols]
                if j:
                    part += coef_x[0] @ block[:j, cols]
                    part += coef_h[0] @ met[lo:mu, cols]
                xi = block[j, cols]
                d = diag[cols]
                part -= d * xi
                d *= growth
                d += (1.0 - 2.0 * xi * part) / n
                if j + 1 < size:
                    overlaps[j, j + 1 :] += block[j + 1 :, cols] @ part

    for lo, hi, done in _storkey_schedule(stop):
        if done == lo:
            leaf(lo, hi)
        else:
            update(lo, hi, done)
    diags[stop] = diag
    return met, diags


def _storkey_schedule(count: int) -> list[tuple[int, int, int]]:
    """The blocks of a Storkey build of ``count`` patterns, in order.

    ``(lo, hi, lo)`` learns the patterns ``lo:hi`` one by one; ``(lo, hi,
    done)`` with ``done < lo`` adds the learnt patterns ``done:lo`` to the
    fields of ``lo:hi``.  Blocks are halved recursively (at multiples of
    :data:`_STORKEY_BLOCK`), as in a blocked triangular solve.
    """
    steps: list[tuple[int, int, int]] = []

    def split(lo: int, hi: int) -> None:
        if hi - lo <= _STORKEY_BLOCK:
            steps.append((lo, hi, lo))
            return
        mid = lo + -(-(hi - lo) // (2 * _STORKEY_BLOCK)) * _STORKEY_BLOCK
        split(lo, mid)
        steps.append((mid, hi, lo))
        split(mid, hi)

    if count:
        split(0, count)
    return steps


def _storkey_coefficients(
    gram: NDArray[np.float64], met_overlaps: NDArray[np.float64], b0: int, b1: int, a0: int, n: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """What the patterns ``a0:b0`` and the fields they met add to the fields of ``b0:b1``.

    Field ``mu`` gets ``sum_nu g**(mu-1-nu) / N (xi_nu (G_nu,mu - O_nu,mu) -
    h_nu G_nu,mu)`` with ``O = met_overlaps``, the block ``h_nu . xi_mu``
    (rows ``a0:b0``, columns ``b0:b1``): returned as the coefficients of the
    ``xi_nu`` and of the ``h_nu``, shape ``(b1 - b0, b0 - a0)`` each.
    """
    growth = 1.0 + 2.0 / n
    # g**(mu-1-nu) split as g**(mu-b0) g**(b0-1-nu).
    weight = np.outer(growth ** np.arange(b1 - b0), growth ** np.arange(b0 - a0 - 1, -1, -1) / n)
    g_ba = gram[b0:b1, a0:b0]
    return weight * (g_ba - met_overlaps.T), -weight * g_ba


def _storkey_from_summary(
    x: NDArray[np.int8], summary: StorkeySummary, threshold: float
) -> StorkeyNetwork | None:
    """The Storkey network of ``x`` from its summary, or None if the summary does not hold.

    With every overlap known, no field waits for the full overlaps of the
    earlier ones, so the whole build runs one column block at a time: the
    patterns and fields of a block are interleaved rows of one buffer (each
    block step is one product of its coefficients with rows ``[xi_nu;
    h_nu]``), and only the finished fields go to the P x N array.  The
    blocks are independent: two threads share them where that pays
    (:func:`_summary_workers`), with the same result bit for bit.

    The summary is checked on the way (Freivalds): for random integer
    probes ``r`` drawn from a hash of the patterns and the summary, ``X
    (X^T r)`` must equal ``G r`` exactly (every term an integer below
    2**53) and ``H (X^T r)`` must equal ``O r`` to 1e-9 of ``sqrt(N) |h_nu|
    sum(r)``, a bound on its terms.  Each probe passes a wrong entry ``e``
    with probability at most 2**-19 (Gram) or about that bound over ``e``
    (overlaps), and the probes cannot be chosen against.
    """
    import hashlib  # here, not at start-up: 4 ms to import

    p, n = x.shape
    if p * n >= 2**32:  # the Gram products could round
        return None
    gram, known = summary
    growth = 1.0 + 2.0 / n
    digest = hashlib.sha256(np.ascontiguousarray(x).data)
    digest.update(np.ascontiguousarray(gram).data)
    digest.update(np.ascontiguousarray(known).data)
    rng = np.random.default_rng(int.from_bytes(digest.digest(), "little"))
    probes = rng.integers(2**19, 2**20, size=(_SUMMARY_PROBES, p)).astype(np.float64)
    plan: list[tuple[int, int, int, Any]] = []
    for lo, hi, done in _storkey_schedule(p):
        coefficients: Any
        if done == lo:  # one row per pattern, interleaved as the buffer rows [xi, h]
            coefficients = [
                _interleave(*_storkey_coefficients(gram, known[lo:mu, mu : mu + 1], mu, mu + 1, lo, n))[0]
                for mu in range(lo, hi)
            ]
        else:
            coefficients = _interleave(*_storkey_coefficients(gram, known[done:lo, lo:hi], lo, hi, done, n))
        plan.append((lo, hi, done, coefficients))
    width = min(n, max(1, _SUMMARY_COLUMNS // p))
    starts = list(range(0, n, width))
    met = np.empty((p, n))
    diag = np.zeros(n)
    workers = min(_summary_workers(), len(starts))
    shares = [starts[k::workers] for k in range(workers)]

    def build(share: list[int]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        return _summary_columns(x, plan, probes, met, diag, share, width)

    if workers > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(build, shares))
    else:
        parts = [build(starts)]
    found = np.sum([part[0] for part in parts], axis=0)  # [X; H] interleaved times X^T r: exact for X
    squares = np.sum([part[1] for part in parts], axis=0)
    with np.errstate(over="ignore", invalid="ignore"):  # made-up huge values: refused below
        bound = 1e-9 * np.sqrt(n * squares)[:, np.newaxis] * probes.sum(axis=1)
        holds = (
            np.array_equal(found[0::2], gram @ probes.T)
            and bool(np.all(np.isfinite(bound)))
            and bool(np.all(np.abs(found[1::2] - known @ probes.T) <= bound))
        )
    if not holds:
        return None
    weights = growth ** np.arange(p - 1, -1, -1, dtype=np.float64) / n
    return StorkeyNetwork(x, met, weights, diag, threshold)


def _summary_columns(
    x: NDArray[np.int8],
    plan: list[tuple[int, int, int, Any]],
    probes: NDArray[np.float64],
    met: NDArray[np.float64],
    diag: NDArray[np.float64],
    starts: list[int],
    width: int,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Fill ``met`` and ``diag`` in the column blocks at ``starts`` (see :func:`_storkey_from_summary`).

    Returns the blocks' share of ``[X; H] X^T r`` (rows interleaved) and of
    the squared norms of the fields.  Blocks are independent, so threads may
    take disjoint ones.
    """
    p, n = x.shape
    growth = 1.0 + 2.0 / n
    buffer = np.empty((2 * p, width))  # rows xi_0, h_0, xi_1, h_1, ...
    out = np.empty((p // 2 + 1, width))
    found = np.zeros((2 * p, probes.shape[0]))
    squares = np.zeros(p)
    # A summary of huge made-up values may overflow; the check then refuses it.
    with np.errstate(over="ignore", invalid="ignore"):
        for start in starts:
            cols = slice(start, start + width)
            z = buffer[:, : min(width, n - start)]
            xs, hs = z[0::2], z[1::2]
            np.copyto(xs, x[:, cols])
            hs[...] = 0.0
            d, t = diag[cols], out[0, : z.shape[1]]
            for lo, hi, done, coefficients in plan:
                if done != lo:
                    part = out[: hi - lo, : z.shape[1]]
                    np.matmul(coefficients, z[2 * done : 2 * lo], out=part)
                    hs[lo:hi] += part
                    continue
                for j, row in enumerate(coefficients):
                    h, xi = hs[lo + j], xs[lo + j]
                    if j:
                        h += row @ z[2 * lo : 2 * (lo + j)]
                    np.multiply(d, xi, out=t)
                    h -= t
                    np.multiply(xi, h, out=t)
                    t *= -2.0 / n
                    d *= growth
                    d += t
                    d += 1.0 / n
            met[:, cols] = hs
            found += z @ (probes @ xs).T
            squares += np.einsum("ij,ij->i", hs, hs)
    return found, squares


def _summary_workers() -> int:
    """Threads for a build from a summary: 2 where BLAS runs one thread (as in the CLI) on 2 or more cores.

    Its column blocks are independent; with single-threaded BLAS a second
    thread shortens the build (measured 0.36 -> 0.27 s for 200 x 65,536 on
    2 cores), while with multi-threaded BLAS it only competes (0.39 -> 0.50 s).
    BLAS reads its thread count once, from these variables, when it loads.
    """
    settings = [
        os.environ.get(name) for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")
    ]
    single = any(value is not None for value in settings) and all(value in (None, "1") for value in settings)
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return 2 if single and cores >= 2 else 1


def _interleave(first: NDArray[np.float64], second: NDArray[np.float64]) -> NDArray[np.float64]:
    """Columns of ``first`` and ``second`` alternating: ``[f0, s0, f1, s1, ...]``."""
    both = np.empty((first.shape[0], 2 * first.shape[1]))
    both[:, 0::2] = first
    both[:, 1::2] = second
    return both


def _storkey_dense(
    x: NDArray[np.int8],
    loads: list[int],
    start: int,
    full: NDArray[np.float64],
    diag: NDArray[np.float64],
    gram: NDArray[np.float64],
    threshold: float,
) -> Iterator[MatrixNetwork]:
    """Storkey networks of the loads from ``start`` on, learnt on the N x N sum itself.

    Unrolled, the rule is ``S_P = sum_mu g**(P - mu) / N (xi xi^T - xi h^T -
    h xi^T)`` with ``g = 1 + 2/N``, the field ``h = (S - diag(S)) xi`` each
    pattern meets, and the weights ``S - diag(S)``.  ``full`` holds ``S`` of
    the first ``start`` patterns and ``diag`` its diagonal.  Patterns are
    taken in blocks of at most :data:`_DENSE_BLOCK` ending at the loads:
    ``S xi`` of the whole block is one product with the block start's ``S``,
    the block's own earlier patterns add their rank-two terms (through the
    Gram matrix and their fields), and at the block's end ``S`` grows by a
    product of rank twice the block.  Only the loads' weights are copied out.
    Blocks are larger than in the low-rank pass: their cost per pattern
    inside is O(block N), against O(N**2) for the products.
    """
    n = full.shape[0]
    growth = 1.0 + 2.0 / n
    done = start
    weights = full.copy()
    np.fill_diagonal(weights, 0.0)
    yield MatrixNetwork(weights, threshold)
    ends: list[int] = []
    for load in loads:
        if load > done:
            ends.extend(range(max(ends, default=done) + _DENSE_BLOCK, load, _DENSE_BLOCK))
            ends.append(load)
    for end in ends:
        block = x[done:end].astype(np.float64)
        size = end - done
        base = block @ full  # rows S xi (S is symmetric)
        fields = np.empty((size, n))
        for j in range(size):
            mu = done + j
            xi = block[j]
            weight = growth ** np.arange(j - 1, -1, -1) / n
            overlap = gram[done:mu, mu]
            h = growth**j * base[j]
            if j:
                met_overlap = fields[:j] @ xi
                h += (weight * (overlap - met_overlap)) @ block[:j] - (weight * overlap) @ fields[:j]
            h -= diag * xi
            fields[j] = h
            diag = growth * diag + (1.0 - 2.0 * xi * h) / n
        _continue_storkey(full, x[done:end], fields, growth)
        done = end
        if end in loads:
            weights = full.copy()
            np.fill_diagonal(weights, 0.0)
            yield MatrixNetwork(weights, threshold)


def _continue_storkey(
    full: NDArray[np.float64], x: NDArray[np.int8], met: NDArray[np.float64], growth: float
) -> None:
    """Add the patterns ``x``, which met the fields ``met``, to the unrolled sum ``full`` in place.

    ``sum_mu c_mu (xi xi^T - xi h^T - h xi^T)`` is ``Z^T (M Z)`` with the
    rows ``Z = [X; H]`` and ``M Z = [C (X - H); -C X]``: one product.
    """
    n = full.shape[0]
    weight = (growth ** np.arange(x.shape[0] - 1, -1, -1) / n)[:, np.newaxis]
    xf = x.astype(np.float64)
    rows = np.concatenate([xf, met])
    coupled = np.concatenate([weight * (xf - met), -weight * xf])
    full *= growth ** x.shape[0]
    full += rows.T @ coupled


def exact_gram(x: NDArray[np.int8]) -> NDArray[np.float64]:
    """The Gram matrix ``X X^T`` of -1/+1 patterns, exactly, as float64.

    Computed in float32 over column blocks: every partial sum is an integer
    of magnitude at most N, exact in float32 below 2**24 neurons, and
    single precision runs at twice the speed on the same data.  The blocks
    keep the float32 copy of the patterns in cache.
    """
    p, n = x.shape
    if n >= 2**24:
        xf = x.astype(np.float64)
        return np.asarray(xf @ xf.T)
    gram = np.zeros((p, p), dtype=np.float64)
    step = _column_step(p)
    for start in range(0, n, step):
        part = x[:, start : start + step].astype(np.float32)
        gram += part @ part.T
    return gram


def _column_step(rows: int) -> int:
    """Columns per block of a (rows, N) float product whose operand stays near 4 MB."""
    return max(256, (1 << 19) // max(1, rows))


def pseudoinverse(patterns: Any, *, threshold: float = 0.0) -> QuadraticNetwork:
    """Projection (pseudo-inverse) rule ``W = X^T (X X^T)^-1 X``, zero diagonal.

    ``X^T (X X^T)^-1 X`` projects onto the span of the patterns, so every
    stored pattern satisfies ``W xi = (1 - d) xi`` with ``d = diag`` of the
    projector in [0, 1): it is a fixed point however correlated the patterns
    are, and capacity approaches N (Personnaz et al. 1985).  The projector is
    ``B^T B`` with the orthonormal rows ``B = L^-1 X``, where ``L`` is the
    Cholesky factor of the Gram matrix ``X X^T = L L^T``: all the algebra is
    on P x P matrices, and the only O(P^2 N) steps are two matrix-matrix
    products (the exact Gram matrix, and ``B``).  When ``L^-1 X X^T L^-T``
    is not the identity to 1e-9 (nearly dependent patterns), the economy
    SVD of the patterns gives the basis instead, which is better
    conditioned.  Both give the same weights as inverting ``X X^T``.

    Linearly dependent patterns (duplicates, inverses, or more patterns than
    neurons) are handled with the Moore-Penrose inverse of the Gram matrix:
    the weights are the projector onto the span of the patterns, so a
    duplicate is simply stored once.  Directions with singular values below
    ``max(P, N) * eps * s_max`` (the :func:`numpy.linalg.matrix_rank`
    tolerance) count as dependent.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
        Patterns of -1/+1 (coerced to int8).
    threshold : float, optional
        Threshold of every neuron, in field units.

    Returns
    -------
    QuadraticNetwork
        Rank = rank of the patterns (<= P); a field costs O(P N).

    Raises
    ------
    LearningError
        If the patterns span all N dimensions (rank N, e.g. P >= N random
        patterns): the projector is then the identity, the zero-diagonal
        weights vanish and nothing is stored.
    InvalidParameterError
        If the patterns are not -1/+1 or ``threshold`` is not finite.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, -1, 1, -1, 1, 1], [1, 1, -1, -1, 1, -1]])
    >>> net = pseudoinverse(x)
    >>> bool(np.array_equal(np.where(net.fields(x) >= 0, 1, -1), x))
    True
    """
    x = as_patterns(patterns)
    threshold = _check_threshold(threshold)
    p, n = x.shape
    if p < n:
        basis = _cholesky_basis(x)
        if basis is not None and basis.shape[0] == p:
            return _projection_network(basis, threshold)
    _, singular, vt = np.linalg.svd(x.astype(np.float64), full_matrices=False)
    tol = singular.max(initial=0.0) * max(p, n) * np.finfo(np.float64).eps
    rank = int(np.count_nonzero(singular > tol))
    if rank >= n:
        raise LearningError(
            f"pseudoinverse cannot store {p} patterns of {n} neurons: they span all {n} dimensions "
            f"(rank {rank}), so the zero-diagonal projection weights are all zero; "
            f"store fewer than {n} linearly independent patterns"
        )
    return _projection_network(vt[:rank], threshold)


def _projection_network(basis: NDArray[np.float64], threshold: float) -> QuadraticNetwork:
    """Zero-diagonal projector onto the span of the orthonormal rows of ``basis`` (kept, not copied)."""
    basis = np.ascontiguousarray(basis)
    self_coupling = np.einsum("kn,kn->n", basis, basis)
    return QuadraticNetwork(basis, np.eye(basis.shape[0]), self_coupling, threshold, copy=False)


def _pseudoinverse_prefixes(
    x: NDArray[np.int8], loads: Sequence[int], threshold: float
) -> Iterator[QuadraticNetwork]:
    """Pseudo-inverse networks of the first ``P`` patterns, for each ``P`` in sorted ``loads``.

    One factorisation serves every load: the first P rows of an orthonormal
    basis ``B`` of the patterns, built in pattern order, span the first P
    patterns.  Up to ``P = N / 2`` the network is ``B^T B`` (rank P); past
    it, the projector is written through the orthogonal complement, ``B^T B
    = I - Q^T Q`` with N - P orthonormal rows ``Q``, so that the
    zero-diagonal weights are ``-Q^T Q`` with ``diag(Q^T Q)`` removed: rank
    ``N - P``, never more than N / 2.  ``B`` comes from the Cholesky factor
    of the Gram matrix when no load passes N / 2 (see :func:`pseudoinverse`),
    else from one complete QR of ``X^T``, whose last N - P columns are every
    load's ``Q``.  A load whose patterns are dependent or ill-conditioned,
    or reach N, falls back to :func:`pseudoinverse`.
    """
    n = x.shape[1]
    last = min(max(loads), n - 1)
    if 2 * last <= n:
        basis = _cholesky_basis(x[:last])
        for load in loads:
            if basis is not None and load <= basis.shape[0]:
                yield _projection_network(basis[:load], threshold)
            else:
                yield pseudoinverse(x[:load], threshold=threshold)
        return
    q, r = np.linalg.qr(x[:last].T.astype(np.float64), mode="complete")
    rows = np.ascontiguousarray(q.T)  # rows[:P] span the first P patterns, rows[P:] the rest
    size = np.abs(np.diagonal(r))
    # A pattern nearly in the span of the earlier ones ends the usable prefix.
    small = np.flatnonzero(size < _QR_TOLERANCE * size.max(initial=0.0))
    good = int(small[0]) if small.size else last
    for load in loads:
        if load > good:
            yield pseudoinverse(x[:load], threshold=threshold)
        elif 2 * load <= n:
            yield _projection_network(rows[:load], threshold)
        else:
            complement = rows[load:]
            self_coupling = -np.einsum("kn,kn->n", complement, complement)
            yield QuadraticNetwork(complement, -np.eye(n - load), self_coupling, threshold, copy=False)


def _cholesky_basis(x: NDArray[np.int8]) -> NDArray[np.float64] | None:
    """Orthonormal rows ``L^-1 X`` spanning the leading patterns, via ``X X^T = L L^T``.

    Row ``k`` spans the first ``k + 1`` patterns.  Orthonormality is checked
    in P x P algebra on the exact Gram matrix ``G``: ``B B^T = L^-1 G L^-T``.
    Ill-conditioned patterns lose it, so only the leading rows whose block
    of ``L^-1 G L^-T - I`` stays below 1e-9 are returned; None when there
    are none (or the Gram matrix is singular).
    """
    gram = exact_gram(x)
    try:
        chol = np.linalg.cholesky(gram)
    except np.linalg.LinAlgError:
        return None
    p = gram.shape[0]
    inverse = np.linalg.solve(chol, np.eye(p))
    inverse = np.tril(inverse)  # exactly lower triangular: row k mixes the first k + 1 patterns
    error = np.abs(inverse @ gram @ inverse.T - np.eye(p))
    row_error = np.maximum.accumulate(np.tril(error).max(axis=1))
    good = int(np.count_nonzero(row_error < 1e-9))
    if not good:
        return None
    return _times_patterns(inverse[:good, :good], x[:good])


def _times_patterns(left: NDArray[np.float64], x: NDArray[np.int8]) -> NDArray[np.float64]:
    """``left @ x`` for -1/+1 patterns ``x``, over column blocks (no float64 copy of ``x``)."""
    p, n = x.shape
    out = np.empty((left.shape[0], n), dtype=np.float64)
    step = _column_step(p)
    for start in range(0, n, step):
        np.matmul(left, x[:, start : start + step].astype(np.float64), out=out[:, start : start + step])
    return out


def _check_degree(degree: Any) -> int:
    # Bounds from options: x**30 of overlaps up to N = 65,536 stays inside float64.
    if (
        isinstance(degree, bool)
        or not isinstance(degree, int | np.integer)
        or not MIN_DEGREE <= degree <= MAX_DEGREE
    ):
        raise InvalidParameterError(
            f"degree must be an integer from {MIN_DEGREE} to {MAX_DEGREE}, got {degree!r}"
        )
    return int(degree)


def polynomial(patterns: Any, *, degree: int = DEFAULT_DEGREE, threshold: float = 0.0) -> DenseNetwork:
    """Dense associative memory with a polynomial energy (Krotov & Hopfield 2016).

    ``E(s) = -N sum_mu (xi_mu . s / N)**degree``.  Degree 2 is the Hebbian
    network; each extra degree multiplies the capacity by about N
    (``N**(degree-1)`` patterns).  For an odd degree the inverse of a pattern
    is not a minimum.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
        Patterns of -1/+1 (coerced to int8).
    degree : int, optional
        Interaction order n >= 2.
    threshold : float, optional
        Threshold of every neuron, in field units.

    Returns
    -------
    DenseNetwork
        Stores the P x N patterns; a field costs O(P N).

    Raises
    ------
    InvalidParameterError
        If ``degree`` is not an integer >= 2 or the patterns are not -1/+1.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, -1, 1, -1, 1, -1, 1, -1], [1, 1, -1, -1, 1, 1, -1, -1]])
    >>> net = polynomial(x, degree=3)
    >>> np.where(net.fields([1, -1, 1, -1, 1, -1, 1, 1]) >= 0, 1, -1).tolist()
    [[1, -1, 1, -1, 1, -1, 1, -1]]
    """
    x = as_patterns(patterns)
    degree = _check_degree(degree)
    return DenseNetwork(x, POWER, degree=degree, threshold=_check_threshold(threshold))


def default_beta(*, n_patterns: int) -> float:
    """Default inverse temperature of :func:`exponential`: ``(ln P + 4) / 2``.

    Two states' overlaps with a memory differ by at least 2 (one pixel).  At
    this ``beta`` the other ``P - 1`` memories, were each of them only one
    pixel further from a state than the nearest memory, would together weigh
    ``(P - 1) exp(-2 beta) < exp(-4)``, under 2 % of the nearest one: the
    network resolves a one-pixel difference in overlap, however many memories
    it holds, and so recalls the memory nearest the cue.  Between correlated
    images (digits, faces) the nearest memories are often a few pixels apart.
    Measured on 1,000 synthetic 10 x 10 digits with 20 % flips (four seeds),
    96.6-97.9 % of the nearest-memory limit, against 89.6-91.1 % with
    :func:`legacy_default_beta` (0.8 there), which suits random patterns,
    whose chance overlaps are of order ``sqrt(N)``; on scikit-learn's 1,797
    8 x 8 digits 97.0-98.1 % against 92.5-95.5 %.  Margins above 4 changed
    nothing there until fields fell below the tie tolerance (beta near 10).

    Parameters
    ----------
    n_patterns : int
        Number of stored patterns P (>= 1).
    """
    return (math.log(max(1, n_patterns)) + DEFAULT_BETA_MARGIN) / 2


def legacy_default_beta(n_neurons: int) -> float:
    """Default inverse temperature of model files written before format version 4: ``8 / sqrt(N)``.

    Such files keep recalling exactly as they were written to.
    """
    return LEGACY_BETA_SCALE / math.sqrt(n_neurons)


def exponential(patterns: Any, *, beta: float | None = None, threshold: float = 0.0) -> DenseNetwork:
    """Dense associative memory with an exponential energy (Demircigil et al. 2017).

    ``E(s) = -log(sum_mu exp(beta xi_mu . s)) / beta``, a monotone transform of
    ``-sum_mu exp(beta xi_mu . s)`` that never overflows.  Capacity grows
    exponentially with N; a large ``beta`` makes the network retrieve the
    stored pattern closest to the cue.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
        Patterns of -1/+1 (coerced to int8).
    beta : float or None, optional
        Inverse temperature applied to raw overlaps ``xi . s`` (which range
        over [-N, N]).  None picks :func:`default_beta`, ``(ln P + 4) / 2``.
    threshold : float, optional
        Threshold of every neuron, in field units.

    Returns
    -------
    DenseNetwork
        Stores the P x N patterns; a field costs O(P N).

    Raises
    ------
    InvalidParameterError
        If ``beta`` is not a finite number > 0 or the patterns are not -1/+1.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, -1, 1, -1, 1, -1, 1, -1], [1, 1, -1, -1, 1, 1, -1, -1]])
    >>> net = exponential(x)
    >>> np.where(net.fields([1, -1, 1, -1, 1, -1, 1, 1]) >= 0, 1, -1).tolist()
    [[1, -1, 1, -1, 1, -1, 1, -1]]
    """
    x = as_patterns(patterns)
    if beta is None:
        beta = default_beta(n_patterns=x.shape[0])
    elif isinstance(beta, bool) or not isinstance(beta, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"beta must be a finite number > 0, got {beta!r}")
    if not (math.isfinite(beta) and beta > 0):
        raise InvalidParameterError(f"beta must be a finite number > 0, got {beta!r}")
    return DenseNetwork(x, LOG_SUM_EXP, beta=float(beta), threshold=_check_threshold(threshold))


def prefix_networks(rule: str, patterns: Any, loads: Sequence[int], **params: Any) -> Iterator[Network]:
    """Networks that store the first ``P`` patterns, for each ``P`` in ``loads``.

    Equivalent to ``build_network(rule, patterns[:P], **params)`` for each
    load, but shares the work where a rule allows it: Storkey learning is
    incremental (one pass serves every load) and the pseudo-inverse spans of
    nested prefixes come from one Cholesky factorisation.  Used by capacity
    sweeps.

    Parameters
    ----------
    rule : str
        One of :data:`RULES`.
    patterns : array_like of shape (P, N)
    loads : sequence of int
        Increasing numbers of patterns, each between 1 and P.
    **params
        As for :func:`build_network`.

    Yields
    ------
    Network
        One per load, in order.

    Raises
    ------
    InvalidParameterError
        If ``loads`` is empty, not increasing, or out of range.
    """
    check_choice("rule", rule, RULES)
    x = as_patterns(patterns)
    counts = [int(v) for v in loads]
    if not counts or any(b <= a for a, b in zip(counts, counts[1:], strict=False)):
        raise InvalidParameterError(f"loads must be a non-empty increasing sequence, got {list(loads)!r}")
    if counts[0] < 1 or counts[-1] > x.shape[0]:
        raise InvalidParameterError(f"loads must lie between 1 and {x.shape[0]} patterns, got {counts!r}")
    return _prefix_networks(rule, x, counts, params)


def _prefix_networks(
    rule: str, x: NDArray[np.int8], loads: list[int], params: dict[str, Any]
) -> Iterator[Network]:
    from hopfield_cli.specs import spec_for  # the registry builds on this module

    yield from spec_for(rule, **params).prefixes(x, loads)


def build_network(rule: str, patterns: Any, **params: Any) -> Network:
    """Build the network of ``rule`` (one of :data:`RULES`) for ``patterns``.

    Parameters
    ----------
    rule : str
        Name of the learning rule.
    patterns : array_like of shape (P, N)
    **params
        Rule parameters: ``centered`` (hebbian), ``threshold`` (all rules),
        ``degree`` (polynomial), ``beta`` (exponential).  Parameters that a
        rule does not use, and parameters given as None, are ignored, so a
        model's saved settings can be passed as they are.  See
        :func:`hopfield_cli.specs.spec_for`.

    Returns
    -------
    Network

    Raises
    ------
    InvalidParameterError
        If ``rule`` is unknown or a parameter is out of range.
    LearningError
        If the rule cannot store the patterns.
    """
    from hopfield_cli.specs import spec_for

    check_choice("rule", rule, RULES)
    return spec_for(rule, **params).build(patterns)
