"""Network engines: local fields and energies without an N x N matrix.

Three engines cover every learning rule:

* :class:`QuadraticNetwork` -- the classic energy ``E = -1/2 s.W.s + theta.s``
  with ``W = scale * (U.T @ M @ U - diag(d))``: a K x N factor matrix ``U``, a
  small K x K coupling ``M`` and the diagonal ``d`` removed so that ``W`` has a
  zero diagonal.  Hebbian, pseudo-inverse and Storkey weights all have this
  form, so a field costs O(K N) instead of O(N^2).  :class:`StorkeyNetwork`
  is this form with Storkey's factors, its -1/+1 half kept as int8.
* :class:`MatrixNetwork` -- the same energy with the N x N weights held,
  for the few cases where the low-rank form would cost more.
* :class:`DenseNetwork` -- dense associative memory, ``E = -sum F(xi.s)`` with
  a polynomial or exponential ``F``; it needs only the P x N patterns.

In all, the *field* of neuron ``i`` is half the energy gained by setting it to
-1 rather than +1, so the deterministic rule is ``s_i = +1 if h_i >= 0`` and
Glauber dynamics use ``P(s_i = +1) = 1 / (1 + exp(-2 h_i / T))``.

The *incremental engine protocol* -- :meth:`Network.start_cache`,
:meth:`Network.gather_rows`, :meth:`Network.prefix_fields`,
:meth:`Network.apply_changes`, plus :meth:`Network.energy_from_fields` and
:meth:`DenseNetwork.lockstep` -- is public: it is what
:mod:`hopfield_cli.dynamics` uses to process a block of neurons in visiting
order with vectorised arithmetic while staying exactly sequential.  A new
engine implements it and every update mode works.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import as_states
from hopfield_cli.errors import InvalidParameterError

FloatArray = NDArray[np.floating[Any]]

# Largest integer that float32 represents exactly.
_FLOAT32_EXACT = 2**24
# Temporaries of about this many elements stay in cache and are not
# re-mapped from the OS on every call (measured: page faults dominated).
_BLOCK_ELEMENTS = 1 << 18
# ... but matrix products need enough rows to be efficient.
_MIN_BLOCK_ROWS = 32
#: Fields closer to zero than this are ties (see :func:`decide`).
TIE_TOLERANCE = 1e-9
# A softmax mix leaves out the unused patterns when at least 1 in this many is unused.
_SPARSE_MIX_SHARE = 8
# Largest exponential beta for which DenseNetwork batch fields use the closed form.
_CLOSED_FORM_MAX_BETA = 2.0
# Largest exponential beta for the split form (sums of positive terms, see _exponential_fields):
# its cut, 1e-16 exp(-4 beta) / P, stays far above float64's smallest numbers, so weights that
# underflow are among those it leaves out with a bound, and exp(2 beta) stays finite.
_SPLIT_FORM_MAX_BETA = 128.0
# Margin (in units of log(B / A), scaled by 1 + 4 beta) by which DenseNetwork.dominant
# requires its bound to hold: far above float64 rounding of the bound and of the fields.
_DOMINANCE_SLACK = 1e-9


def decide(fields: Any, current: Any) -> NDArray[np.int8]:
    """The deterministic update: the sign of the field, ties keeping the state.

    Parameters
    ----------
    fields : array_like
        Local fields.
    current : array_like of the same shape
        States before the update (-1, 0 or +1).

    Returns
    -------
    ndarray, int8
        +1 where ``fields > TIE_TOLERANCE``, -1 where ``fields <
        -TIE_TOLERANCE``; in between the current state, or +1 for an unknown
        neuron.  Treating near-zero fields as ties means a neuron only changes
        when that lowers the energy, so rounding in float64 fields cannot make
        it flip back and forth forever at constant energy.
    """
    h = np.asarray(fields)
    # Two comparisons as 0/1 bytes: a tenth of the time of masked assignments.
    up = np.asarray(h > TIE_TOLERANCE).view(np.int8)
    out = np.subtract(up, np.asarray(h < -TIE_TOLERANCE).view(np.int8), out=np.empty(h.shape, np.int8))
    tie = out == 0
    if tie.any():
        out[tie] = np.where(np.asarray(current)[tie] < 0, np.int8(-1), np.int8(1))
    return np.asarray(out)


def _exclusive_cumsum(increments: FloatArray) -> FloatArray:
    """Cumulative sum along axis 0 that excludes each row's own increment."""
    out = np.cumsum(increments, axis=0)
    out -= increments
    return out


def _rows_per_block(width: int) -> int:
    return max(_MIN_BLOCK_ROWS, _BLOCK_ELEMENTS // max(1, width))


class Network(ABC):
    """Common interface of every network engine.

    Attributes
    ----------
    n_neurons : int
        Number of neurons N.
    threshold : ndarray of shape (N,)
        Per-neuron threshold theta, in field units.
    """

    n_neurons: int
    threshold: NDArray[np.float64]

    def fields(self, states: Any) -> NDArray[np.float64]:
        """Local fields of a state or batch of states.

        Parameters
        ----------
        states : array_like of shape (N,) or (B, N)
            Values -1, +1, or 0 for unknown (an unknown neuron casts no vote).

        Returns
        -------
        ndarray of shape (B, N), float64
            ``h[b, i]``: neuron ``i`` prefers +1 when ``h >= 0``.
        """
        batch = as_states("states", states, self.n_neurons)
        out = np.empty(batch.shape, dtype=np.float64)
        step = _rows_per_block(self.n_neurons)
        for start in range(0, batch.shape[0], step):
            self._batch_fields(batch[start : start + step], out[start : start + step])
        return out

    def energy(self, states: Any) -> NDArray[np.float64]:
        """Energy of a state or batch of states.

        Parameters
        ----------
        states : array_like of shape (N,) or (B, N)

        Returns
        -------
        ndarray of shape (B,), float64
        """
        batch = as_states("states", states, self.n_neurons)
        out = np.empty(batch.shape[0], dtype=np.float64)
        step = _rows_per_block(self.n_neurons)
        for start in range(0, batch.shape[0], step):
            out[start : start + step] = self._batch_energy(batch[start : start + step])
        return out

    def energy_from_fields(
        self, states: NDArray[np.int8], fields: NDArray[np.float64]
    ) -> NDArray[np.float64] | None:
        """Energies computed from already known fields, or None if that is not possible."""
        return None

    @abstractmethod
    def _batch_fields(self, states: NDArray[np.int8], out: NDArray[np.float64]) -> None:
        """Write the fields of ``states`` into ``out`` (same shape)."""

    @abstractmethod
    def _batch_energy(self, states: NDArray[np.int8]) -> NDArray[np.float64]: ...

    # The incremental engine protocol: exact block-sequential asynchronous updates.
    @abstractmethod
    def start_cache(self, state: NDArray[np.int8]) -> FloatArray:
        """Summary of ``state`` from which any field can be computed."""

    @abstractmethod
    def gather_rows(self, idx: NDArray[np.intp]) -> tuple[FloatArray, ...]:
        """Per-neuron rows needed for the neurons ``idx``."""

    @abstractmethod
    def prefix_fields(
        self,
        cache: FloatArray,
        idx: NDArray[np.intp],
        rows: tuple[FloatArray, ...],
        current: NDArray[np.int8],
        delta: NDArray[np.int8] | None,
    ) -> NDArray[np.float64]:
        """Fields of neurons ``idx`` visited in order.

        The field of position ``t`` is computed as if the changes ``delta`` of
        positions before ``t`` had already been applied; ``current`` holds the
        states of ``idx`` before the block.
        """

    @abstractmethod
    def apply_changes(self, cache: FloatArray, rows: tuple[FloatArray, ...], delta: NDArray[np.int8]) -> None:
        """Update ``cache`` in place for the state changes ``delta``."""


def _pairwise_energy(
    states: NDArray[np.int8], fields: NDArray[np.float64], threshold: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Energies of symmetric pairwise networks from fields already computed."""
    # h = W s - theta, so E = -s.W.s / 2 + theta.s = -s.h / 2 + theta.s / 2.
    s = states.astype(np.float64)
    return np.asarray(-0.5 * np.einsum("bi,bi->b", s, fields) + 0.5 * (s @ threshold))


class QuadraticNetwork(Network):
    """Pairwise network with low-rank weights ``scale * (U.T M U - diag(d))``.

    Parameters
    ----------
    factors : array_like of shape (K, N)
        Factor matrix ``U`` (for Hebbian storage, the patterns themselves).
    coupling : array_like of shape (K, K)
        Symmetric matrix ``M``.
    self_coupling : array_like of shape (N,)
        ``diag(U.T M U)``, removed so that the weights have a zero diagonal.
    threshold : array_like of shape (N,) or float, optional
        Threshold theta in field units.
    scale : float, optional
        Positive factor applied to the weights.  Keeping ``U``, ``M`` and ``d``
        integer-valued (Hebbian) makes fields exact, so ties break the same
        way in every update mode.
    copy : bool, optional
        False lets the network keep float64, C-contiguous ``factors`` as they
        are instead of a transposed copy (the caller must not modify them):
        the matrix products read either layout at the same speed, and for
        large networks the copy costs more than building the factors.
    """

    def __init__(
        self,
        factors: Any,
        coupling: Any,
        self_coupling: Any,
        threshold: Any = 0.0,
        scale: float = 1.0,
        *,
        copy: bool = True,
    ) -> None:
        u = np.asarray(factors)
        if not (np.issubdtype(u.dtype, np.integer) or np.issubdtype(u.dtype, np.floating)):
            raise InvalidParameterError(f"factors must be numeric, got dtype {u.dtype}")
        m = np.asarray(coupling, dtype=np.float64)
        d = np.asarray(self_coupling, dtype=np.float64)
        if u.ndim != 2 or u.shape[1] == 0:
            raise InvalidParameterError(f"factors must have shape (K, N), got {u.shape}")
        k, n = u.shape
        if m.shape != (k, k):
            raise InvalidParameterError(f"coupling must have shape ({k}, {k}), got {m.shape}")
        if d.shape != (n,):
            raise InvalidParameterError(f"self_coupling must have shape ({n},), got {d.shape}")
        if not scale > 0:
            raise InvalidParameterError(f"scale must be > 0, got {scale}")
        self.n_neurons = n
        self.scale = float(scale)
        self.threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (n,)).copy()
        dtype = np.float32 if self._float32_exact(u, m, d) else np.float64
        self.dtype = np.dtype(dtype)
        self._ut: FloatArray  # (N, K), C- or (with copy=False) F-ordered
        if not copy and u.dtype == dtype and u.flags.c_contiguous:
            self._ut = u.T
        else:
            self._ut = np.ascontiguousarray(u.T, dtype=dtype)
        self._m: FloatArray = m.astype(dtype)
        self._d: FloatArray = d.astype(dtype)
        self._identity = bool(np.array_equal(m, np.eye(k)))
        # +1 or -1 when M = +I or -I (Hebbian, pseudo-inverse and its
        # complement form): the K x K product is then skipped, bit for bit the same.
        self._unit = 1 if self._identity else -1 if np.array_equal(m, -np.eye(k)) else 0
        # Rows of U.T and of (M U).T, for asynchronous updates, made on first
        # use (synchronous recall never needs them); with M = I (Hebbian,
        # pseudo-inverse) they are the same array.
        self._ut_rows: FloatArray | None = self._ut if self._ut.flags.c_contiguous else None
        self._mut_cache: FloatArray | None = self._ut_rows if self._identity else None

    @staticmethod
    def _float32_exact(u: NDArray[Any], m: FloatArray, d: FloatArray) -> bool:
        """True when every intermediate is an integer below 2**24."""
        # The small arrays first: a non-integer coupling settles it cheaply.
        if not all(np.array_equal(a, np.round(a)) for a in (m, d)):
            return False
        if not (np.issubdtype(u.dtype, np.integer) or np.array_equal(u, np.round(u))):
            return False
        n = u.shape[1]
        umax = float(np.abs(u).max(initial=0))
        projection = n * umax  # bound on |U s|
        coupled = projection * float(np.abs(m).sum(axis=1).max(initial=0.0))  # |M U s|
        field = coupled * float(np.abs(u).sum(axis=0, dtype=np.float64).max(initial=0.0)) + float(
            np.abs(d).max(initial=0.0)
        )
        return bool(max(projection, coupled, field) < _FLOAT32_EXACT)

    @property
    def rank(self) -> int:
        """Number K of factor rows."""
        return int(self._ut.shape[1])

    def weights(self) -> NDArray[np.float64]:
        """The dense N x N weight matrix (for inspection of small networks only)."""
        u = self._ut.astype(np.float64)
        w = (u @ self._m.astype(np.float64)) @ u.T
        np.fill_diagonal(w, 0.0)
        return np.asarray(self.scale * w, dtype=np.float64)

    def _batch_fields(self, states: NDArray[np.int8], out: NDArray[np.float64]) -> None:
        s = states.astype(self.dtype)
        coupled = self._couple(s @ self._ut)  # (B, K)
        h = coupled @ self._ut.T
        s *= self._d
        h -= s
        np.multiply(h, self.scale, out=out, dtype=np.float64)
        out -= self.threshold

    def energy_from_fields(
        self, states: NDArray[np.int8], fields: NDArray[np.float64]
    ) -> NDArray[np.float64] | None:
        return _pairwise_energy(states, fields, self.threshold)

    def _batch_energy(self, states: NDArray[np.int8]) -> NDArray[np.float64]:
        s = states.astype(self.dtype)
        proj = (s @ self._ut).astype(np.float64)
        quad = np.einsum("bk,bk->b", proj, proj @ self._m.astype(np.float64))
        quad -= (s * s).astype(np.float64) @ self._d.astype(np.float64)
        return np.asarray(-0.5 * self.scale * quad + states.astype(np.float64) @ self.threshold)

    def _couple(self, projections: FloatArray) -> FloatArray:
        """``projections @ M``."""
        if self._unit == 1:
            return projections
        if self._unit == -1:
            return np.negative(projections, out=projections)
        return np.asarray(projections @ self._m)

    def start_cache(self, state: NDArray[np.int8]) -> FloatArray:
        return self._couple(np.asarray(state.astype(self.dtype) @ self._ut))

    def gather_rows(self, idx: NDArray[np.intp]) -> tuple[FloatArray, ...]:
        theta: FloatArray = self.threshold[idx]
        if self._ut_rows is None:
            self._ut_rows = np.ascontiguousarray(self._ut)
        if self._mut_cache is None:
            self._mut_cache = self._ut_rows if self._identity else np.ascontiguousarray(self._ut @ self._m.T)
        return self._ut_rows[idx], self._mut_cache[idx], self._d[idx], theta

    def prefix_fields(
        self,
        cache: FloatArray,
        idx: NDArray[np.intp],
        rows: tuple[FloatArray, ...],
        current: NDArray[np.int8],
        delta: NDArray[np.int8] | None,
    ) -> NDArray[np.float64]:
        u_rows, mu_rows, d_rows, theta = rows
        if delta is None or not delta.any():
            h = u_rows @ cache
        else:
            coupled = cache + _exclusive_cumsum(mu_rows * delta[:, np.newaxis].astype(self.dtype))
            h = np.einsum("bk,bk->b", u_rows, coupled)
        h -= d_rows * current
        out = h.astype(np.float64)
        out *= self.scale
        out -= theta
        return out

    def apply_changes(self, cache: FloatArray, rows: tuple[FloatArray, ...], delta: NDArray[np.int8]) -> None:
        cache += delta.astype(self.dtype) @ rows[1]


class StorkeyNetwork(QuadraticNetwork):
    """Storkey network ``W = S - diag(S)``, ``S = sum_nu w_nu (xi xi^T - xi h^T - h xi^T)``.

    The :class:`QuadraticNetwork` of factors ``U = [X; H]`` (rank 2P) and
    coupling ``M = [[C, -C], [-C, 0]]``, ``C = diag(w)``, stored so that the
    -1/+1 half stays the int8 pattern array: half the memory of a float64
    ``U``, and ``M`` is applied in O(P).  Products with ``X`` convert it to
    float64 one column block at a time (the block stays in cache), so every
    field is computed in float64 as with float64 factors.

    Parameters
    ----------
    patterns : ndarray of shape (P, N), int8
        The -1/+1 patterns ``xi`` (kept as given, not copied).
    met : ndarray of shape (P, N), float64
        The field ``h`` each pattern met when it was learnt (kept, not copied).
    weights : ndarray of shape (P,)
        ``w_nu``.
    self_coupling : ndarray of shape (N,)
        ``diag(S)``, removed so that the weights have a zero diagonal.
    threshold : array_like of shape (N,) or float, optional
    """

    def __init__(
        self,
        patterns: NDArray[np.int8],
        met: NDArray[np.float64],
        weights: Any,
        self_coupling: Any,
        threshold: Any = 0.0,
    ) -> None:
        x = np.asarray(patterns)
        h = np.asarray(met)
        w = np.asarray(weights, dtype=np.float64)
        d = np.asarray(self_coupling, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] == 0 or x.dtype != np.int8:
            raise InvalidParameterError(f"patterns must be int8 of shape (P, N), got {x.dtype} {x.shape}")
        p, n = x.shape
        if h.shape != (p, n) or h.dtype != np.float64:
            raise InvalidParameterError(f"met must be float64 of shape ({p}, {n}), got {h.dtype} {h.shape}")
        if w.shape != (p,):
            raise InvalidParameterError(f"weights must have shape ({p},), got {w.shape}")
        if d.shape != (n,):
            raise InvalidParameterError(f"self_coupling must have shape ({n},), got {d.shape}")
        self.n_neurons = n
        self.scale = 1.0
        self.threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (n,)).copy()
        self.dtype = np.dtype(np.float64)
        self._x = x
        self._h = h
        self._w = w
        self._d = d
        self._step = max(256, (1 << 18) // max(1, p))  # columns per block: X block ~2 MB as float64

    @property
    def rank(self) -> int:
        """Number 2P of factor rows."""
        return 2 * int(self._x.shape[0])

    @property
    def patterns(self) -> NDArray[np.int8]:
        """The patterns ``X``, (P, N) int8 (read-only view)."""
        view = self._x.view()
        view.flags.writeable = False
        return view

    @property
    def met(self) -> NDArray[np.float64]:
        """The fields ``H`` the patterns met, (P, N) float64 (read-only view)."""
        view = self._h.view()
        view.flags.writeable = False
        return view

    def _factors(self) -> NDArray[np.float64]:
        return np.concatenate([self._x.astype(np.float64), self._h])

    def _coupling(self) -> NDArray[np.float64]:
        p = self._x.shape[0]
        c = np.diag(self._w)
        return np.block([[c, -c], [-c, np.zeros((p, p))]])

    def weights(self) -> NDArray[np.float64]:
        """The dense N x N weight matrix (for inspection of small networks only)."""
        u = self._factors()
        w = u.T @ (self._coupling() @ u)
        np.fill_diagonal(w, 0.0)
        return np.asarray(w, dtype=np.float64)

    def _projections(self, s: NDArray[np.float64]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """``X s`` and ``H s`` of the float64 states ``s`` (B, N)."""
        p, n = self._x.shape
        xs = np.zeros((s.shape[0], p))
        for start in range(0, n, self._step):
            cols = slice(start, start + self._step)
            xs += s[:, cols] @ self._x[:, cols].astype(np.float64).T
        return xs, s @ self._h.T

    def _batch_fields(self, states: NDArray[np.int8], out: NDArray[np.float64]) -> None:
        s = states.astype(np.float64)
        xs, hs = self._projections(s)
        a = self._w * (xs - hs)  # coupled projections M U s, X half
        b = -self._w * xs  # H half
        np.matmul(b, self._h, out=out)
        n = self.n_neurons
        for start in range(0, n, self._step):
            cols = slice(start, start + self._step)
            out[:, cols] += a @ self._x[:, cols].astype(np.float64)
        s *= self._d
        out -= s
        out -= self.threshold

    def _batch_energy(self, states: NDArray[np.int8]) -> NDArray[np.float64]:
        s = states.astype(np.float64)
        xs, hs = self._projections(s)
        quad = (xs * (xs - 2.0 * hs)) @ self._w - (s * s) @ self._d
        return np.asarray(-0.5 * quad + s @ self.threshold)

    def start_cache(self, state: NDArray[np.int8]) -> FloatArray:
        xs, hs = self._projections(state.astype(np.float64)[np.newaxis])
        return np.concatenate([self._w * (xs[0] - hs[0]), -self._w * xs[0]])

    def gather_rows(self, idx: NDArray[np.intp]) -> tuple[FloatArray, ...]:
        ux = self._x[:, idx].T.astype(np.float64)
        uh = self._h[:, idx].T
        mu_rows = np.concatenate([self._w * (ux - uh), -self._w * ux], axis=1)
        theta: FloatArray = self.threshold[idx]
        return np.concatenate([ux, uh], axis=1), mu_rows, self._d[idx], theta


class MatrixNetwork(Network):
    """Pairwise network holding its N x N weights ``W`` (symmetric, zero diagonal).

    For when a low-rank form would cost more: a field of a
    :class:`QuadraticNetwork` of rank K costs about ``2 K N``, of this one
    ``N**2``.  Capacity sweeps use it for Storkey networks of rank ``2P >
    N / 2``; it is never saved and never built for large N.

    Parameters
    ----------
    weights : ndarray of shape (N, N), float64
        Kept as given (not copied; the caller must not modify it).
    threshold : array_like of shape (N,) or float, optional
    """

    def __init__(self, weights: NDArray[np.float64], threshold: Any = 0.0) -> None:
        w = np.asarray(weights, dtype=np.float64)
        if w.ndim != 2 or w.shape[0] != w.shape[1] or w.shape[0] == 0:
            raise InvalidParameterError(f"weights must have shape (N, N), got {w.shape}")
        n = w.shape[0]
        self.n_neurons = n
        self.threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (n,)).copy()
        self._w = w

    def weights(self) -> NDArray[np.float64]:
        """A copy of the N x N weight matrix."""
        return self._w.copy()

    def _batch_fields(self, states: NDArray[np.int8], out: NDArray[np.float64]) -> None:
        np.matmul(states.astype(np.float64), self._w, out=out)
        out -= self.threshold

    def energy_from_fields(
        self, states: NDArray[np.int8], fields: NDArray[np.float64]
    ) -> NDArray[np.float64] | None:
        return _pairwise_energy(states, fields, self.threshold)

    def _batch_energy(self, states: NDArray[np.int8]) -> NDArray[np.float64]:
        s = states.astype(np.float64)
        quad = np.einsum("bi,bi->b", s @ self._w, s)
        return np.asarray(-0.5 * quad + s @ self.threshold)

    def start_cache(self, state: NDArray[np.int8]) -> FloatArray:
        return np.asarray(state.astype(np.float64) @ self._w)  # W s (zero diagonal: no self term)

    def gather_rows(self, idx: NDArray[np.intp]) -> tuple[FloatArray, ...]:
        theta: FloatArray = self.threshold[idx]
        return self._w[idx], theta

    def prefix_fields(
        self,
        cache: FloatArray,
        idx: NDArray[np.intp],
        rows: tuple[FloatArray, ...],
        current: NDArray[np.int8],
        delta: NDArray[np.int8] | None,
    ) -> NDArray[np.float64]:
        w_rows, theta = rows
        h = cache[idx]
        if delta is not None and delta.any():
            # Position t also sees the changes of the positions before it.
            h = h + delta.astype(np.float64) @ np.triu(w_rows[:, idx], 1)
        return np.asarray(h - theta)

    def apply_changes(self, cache: FloatArray, rows: tuple[FloatArray, ...], delta: NDArray[np.int8]) -> None:
        cache += delta.astype(np.float64) @ rows[0]


#: Dense energies ``F``: a power of the overlap, or the log-sum-exp of its exponentials.
POWER = "power"
LOG_SUM_EXP = "log-sum-exp"
DENSE_KINDS = (POWER, LOG_SUM_EXP)


class DenseNetwork(Network):
    """Dense associative memory ``E = -sum_mu F(xi_mu . s)`` (Krotov & Hopfield 2016).

    Parameters
    ----------
    patterns : ndarray of shape (P, N), int8
        Stored patterns (-1/+1).
    kind : {"power", "log-sum-exp"}
        ``power``: ``F(x) = x**degree / N**(degree - 1)`` (fields of order 1).
        ``log-sum-exp``: the log-sum-exp energy ``E = -log(sum exp(beta xi.s)) / beta``,
        a monotone transform of ``-sum exp(beta xi.s)`` that never overflows.
    degree : int, optional
        Polynomial degree n (>= 2).
    beta : float, optional
        Inverse temperature of the exponential rule, applied to raw overlaps ``xi.s``.
    threshold : array_like of shape (N,) or float, optional
    """

    def __init__(
        self,
        patterns: NDArray[np.int8],
        kind: str,
        *,
        degree: int = 3,
        beta: float = 1.0,
        threshold: Any = 0.0,
    ) -> None:
        if kind not in DENSE_KINDS:
            raise InvalidParameterError(f"kind must be {POWER} or {LOG_SUM_EXP}, got {kind!r}")
        if kind == POWER and (isinstance(degree, bool) or int(degree) != degree or degree < 2):
            raise InvalidParameterError(f"degree must be an integer >= 2, got {degree!r}")
        if kind == LOG_SUM_EXP and not (np.isfinite(beta) and beta > 0):
            raise InvalidParameterError(f"beta must be a finite number > 0, got {beta!r}")
        p, n = patterns.shape
        self.kind = kind
        self.degree = int(degree)
        self.beta = float(beta)
        self.n_neurons = n
        self.threshold = np.broadcast_to(np.asarray(threshold, dtype=np.float64), (n,)).copy()
        self._xt = np.ascontiguousarray(patterns.T, dtype=np.float64)  # (N, P)
        self._x32: NDArray[np.float32] | None = None
        self._exp_cache: NDArray[np.float64] | None = None
        self._lean: NDArray[np.float64] | None = None

    def _closed_form(self) -> bool:
        """Whether batch fields may use the one-product closed form.

        The exponential closed form recovers the weight of the patterns that
        agree with each neuron from a difference of sums; its rounding error
        grows like ``exp(4 beta) * eps``, below 1e-12 up to ``beta = 2``.
        """
        return self.kind == POWER or self.beta <= _CLOSED_FORM_MAX_BETA

    def _split_form(self) -> bool:
        """Whether batch fields may use the split form: exponential, ``2 < beta <= 128``."""
        return self.kind == LOG_SUM_EXP and _CLOSED_FORM_MAX_BETA < self.beta <= _SPLIT_FORM_MAX_BETA

    def _fast_fields(self) -> bool:
        """Whether batch fields cost a few matrix products (else one logsumexp per neuron)."""
        return self._closed_form() or self._split_form()

    def _interaction(self, a: FloatArray, xi: FloatArray) -> NDArray[np.float64]:
        """Field from overlaps ``a`` that exclude the neuron, pattern bits ``xi``.

        Both arrays have shape (rows, P); the result has shape (rows,).
        """
        if self.kind == POWER:
            n = float(self.n_neurons)
            up = ((a + xi) / n) ** self.degree
            down = ((a - xi) / n) ** self.degree
            return np.asarray(0.5 * n * (up - down).sum(axis=1))
        beta = self.beta
        return np.asarray((_logsumexp(beta * (a + xi)) - _logsumexp(beta * (a - xi))) / (2 * beta))

    def _batch_fields(self, states: NDArray[np.int8], out: NDArray[np.float64]) -> None:
        if not self._fast_fields():
            self._batch_fields_direct(states, out)
            return
        # With a = o - xi s_i the overlap without neuron i, the field is a
        # function of the full overlaps o and of s_i in {-1, 0, +1} whose
        # pattern-dependent part is linear in xi: one (B, P) x (P, N) product
        # (two for the split form).
        s = states.astype(np.float64)
        overlaps = s @ self._xt  # (B, P)
        if self.kind == POWER:
            out[...] = self._polynomial_fields(s, overlaps)
        else:
            out[...] = self._exponential_fields(s, overlaps)
        out -= self.threshold

    def _polynomial_fields(self, s: FloatArray, overlaps: FloatArray) -> NDArray[np.float64]:
        # field_i = (N/2) sum_mu [(u + e xi (1 - s_i))^n - (u - e xi (1 + s_i))^n],
        # u = o / N, e = 1 / N.  For s_i = +-1 the binomial theorem (xi^k = xi
        # for odd k, 1 for even k) gives (N/2) [sum_mu xi odd(u) - s_i sum_mu even(u)].
        n = float(self.n_neurons)
        u = overlaps / n
        odd = np.zeros_like(u)  # sum over odd k of C(n, k) u^(n-k) (2e)^k
        even = np.zeros_like(u)  # sum over even k >= 2
        for k in range(1, self.degree + 1):
            term = math.comb(self.degree, k) * (2.0 / n) ** k * u ** (self.degree - k)
            if k % 2:
                odd += term
            else:
                even += term
        out = np.asarray(0.5 * n * (odd @ self._xt.T - s * even.sum(axis=1, keepdims=True)))
        unknown = s == 0
        if unknown.any():
            # s_i = 0: (N/2) sum_mu [(u + e xi)^n - (u - e xi)^n].
            half = np.zeros_like(u)
            for k in range(1, self.degree + 1, 2):
                half += math.comb(self.degree, k) * (1.0 / n) ** k * u ** (self.degree - k)
            out[unknown] = (n * (half @ self._xt.T))[unknown]
        return out

    def _exponential_fields(self, s: FloatArray, overlaps: FloatArray) -> NDArray[np.float64]:
        # S+ / S-: see _field_from_sums.  Up to beta = 2 they come from one product, S+ - S-; beyond, the
        # small one of the two loses its precision in that difference, so the
        # split form sums each over its own patterns (positive terms, no cancellation).
        beta = self.beta
        z = beta * overlaps
        w = np.exp(z - z.max(axis=1, keepdims=True))
        if self._closed_form():
            total = w.sum(axis=1, keepdims=True)
            diff = w @ self._xt.T  # S+ - S-
            plus = np.maximum(0.5 * (total + diff), 0.0)
            minus = np.maximum(0.5 * (total - diff), 0.0)
        else:
            # With the largest weight 1, a term that decides a field is at least
            # exp(-2 beta) / 2 and a dropped weight is scaled by at most exp(2 beta):
            # dropping weights that sum to under 1e-16 exp(-4 beta) moves no field by
            # more than float64 rounding.  Near memories few patterns are left.
            p = w.shape[1]
            used = np.flatnonzero((w >= 1e-16 * math.exp(-4.0 * beta) / p).any(axis=0))
            xi = self._xt[:, used].T if used.size < p else self._xt.T  # (P', N)
            weights = w[:, used] if used.size < p else w
            plus = weights @ (xi > 0).astype(np.float64)
            minus = weights @ (xi < 0).astype(np.float64)
        return _field_from_sums(plus, minus, s, beta)

    def _batch_fields_direct(self, states: NDArray[np.int8], out: NDArray[np.float64]) -> None:
        step = max(1, _BLOCK_ELEMENTS // int(self._xt.shape[1]))
        for b, state in enumerate(states.astype(np.float64)):
            overlaps = state @ self._xt
            for start in range(0, self.n_neurons, step):
                xi = self._xt[start : start + step]
                a = overlaps - xi * state[start : start + step, np.newaxis]
                out[b, start : start + step] = self._interaction(a, xi)
        out -= self.threshold

    def _batch_energy(self, states: NDArray[np.int8]) -> NDArray[np.float64]:
        s = states.astype(np.float64)
        return self._energy_of_overlaps(s, s @ self._xt)

    def _energy_of_overlaps(self, s: FloatArray, overlaps: FloatArray) -> NDArray[np.float64]:
        """Energies of states ``s`` (B, N) whose overlaps ``X s`` (B, P) are known."""
        if self.kind == POWER:
            n = float(self.n_neurons)
            inter = -n * ((overlaps / n) ** self.degree).sum(axis=1)
        else:
            inter = -_logsumexp(self.beta * overlaps) / self.beta
        return np.asarray(inter + s @ self.threshold)

    def _patterns32(self) -> NDArray[np.float32]:
        """The patterns as a (P, N) float32 array (exact: the entries are -1/+1), made on first use."""
        if self._x32 is None:
            self._x32 = np.ascontiguousarray(self._xt.T, dtype=np.float32)
        return self._x32

    def mean_field_step(self, states: NDArray[np.int8]) -> MeanFieldStep:
        """One synchronous mean-field (concave-convex) step of the exponential rule.

        The energy ``E(s) = -lse(beta X s) / beta + theta.s`` is a convex
        function plus a linear one, so it lies above its tangent at ``s``;
        the state of the cube that minimises the tangent,
        ``s' = sign(X.T softmax(beta X s) - theta)`` (ties keep ``s``), has
        ``E(s') < E(s)`` whenever ``s' != s`` (Yuille & Rangarajan 2003;
        Ramsauer et al. 2020 for the continuous case).  A run of these steps
        therefore never cycles and never raises the energy.

        The two products run in float32: the overlaps ``X s`` are integers
        below 2**24, hence exact, and the softmax mix is re-done in float64
        for the states with any field near its tie.  The energy comes from
        the overlaps already computed, in float64.

        Parameters
        ----------
        states : ndarray of shape (B, N), int8

        Returns
        -------
        MeanFieldStep
            Energies of ``states``, the next states, and whether each state is
            also a fixed point of the exact one-neuron update.
        """
        if self.kind != LOG_SUM_EXP:
            raise InvalidParameterError(f"mean-field steps need the {LOG_SUM_EXP} kind, got {self.kind!r}")
        x32 = self._patterns32()
        beta = self.beta
        # Overlaps relative to each state's largest: exact integers in float32.
        rel = states.astype(np.float32) @ x32.T
        best = rel.max(axis=1, keepdims=True)
        rel -= best
        # exp(beta * rel) looked up in a table over the 2N + 1 possible gaps: no exponentials per entry.
        exact = self._exp_of_gaps(rel)
        total = exact.sum(axis=1)
        with np.errstate(over="ignore", invalid="ignore"):
            lse = beta * best[:, 0].astype(np.float64) + np.log(total)
        energies = -lse / beta + states.astype(np.float64) @ self.threshold
        exact /= total[:, np.newaxis]
        weights = exact.astype(np.float32)
        # Bound on float32 rounding of the softmax and of the mix, with room to spare.
        error = np.float32((2 * x32.shape[0] + 16) * np.finfo(np.float32).eps)
        mix = _softmax_mix(weights.astype(np.float32, copy=False), x32, float(error) / 4)  # X.T softmax
        field = mix - self.threshold.astype(np.float32) if self.threshold.any() else mix
        new = decide(field, states)
        close = np.flatnonzero((np.abs(field) < error).any(axis=1))
        if close.size:
            # The float32 sign may be wrong here: the same step in float64 for these states.
            mix64 = exact[close] @ self._xt.T
            new[close] = decide(mix64 - self.threshold, states[close])
        settled = np.flatnonzero(~(new != states).any(axis=1))
        stable = np.zeros(states.shape[0], dtype=bool)
        if settled.size:
            mix_settled = mix[settled].astype(np.float64)
            if close.size:
                where = np.searchsorted(settled, close)
                hit = where < settled.size
                hit[hit] = settled[where[hit]] == close[hit]
                mix_settled[where[hit]] = mix64[hit]
            # All settled (the last step of a batch): the weights as they are, not a copy.
            every = settled.size == states.shape[0]
            stable[settled] = self._exactly_stable(
                states if every else states[settled],
                mix_settled,
                float(error),
                exact if every else exact[settled],
            )
        return MeanFieldStep(energies, new, stable)

    def _exp_of_gaps(self, rel: NDArray[np.float32]) -> NDArray[np.float64]:
        """``exp(beta rel)`` for overlaps ``rel`` relative to each row's largest (integers in [-2N, 0]).

        Looked up in a table of the 2N + 1 possible values: no exponential per entry.
        """
        n2 = 2 * self.n_neurons
        if self._exp_cache is None:
            with np.errstate(over="ignore", under="ignore", invalid="ignore"):
                table = np.exp(self.beta * np.arange(-n2, 1, dtype=np.float64))
            table[-1] = 1.0  # also when beta * 0 is not a number (beta = inf)
            self._exp_cache = table
        index = rel.astype(np.int32)
        index += n2
        return np.asarray(self._exp_cache[index])

    def _exactly_stable(
        self,
        states: NDArray[np.int8],
        mix: NDArray[np.float64],
        error: float,
        weights: NDArray[np.float64] | None = None,
    ) -> NDArray[np.bool_]:
        """Whether each state is a fixed point of the exact one-neuron update, given ``X.T softmax``.

        For a neuron with value ``s``, the share ``q`` of softmax weight on the
        patterns that disagree with it is ``(1 - s mix) / 2``; flipping it
        changes the energy by ``log(e^(-2b) (1 - q) + e^(2b) q) / b``, so it
        stays put when ``q`` is at most a bound that depends only on ``s`` and
        its threshold.  States with ``q`` within rounding of the bound go
        through the exact float64 :meth:`fields`.  Beyond ``beta = 2`` the
        bound (about ``exp(-2 beta)``) is below the rounding of ``mix``, and
        ``q`` is summed from the float64 softmax ``weights`` instead
        (:meth:`_stable_from_weights`).
        """
        if states.size == 0:
            return np.zeros(0, dtype=bool)
        unknown = bool((states == 0).any())
        if not unknown and weights is not None and self._split_form():
            return self._stable_from_weights(states, weights)
        if unknown or not self._closed_form():
            return self._fixed_points(states)
        s = states.astype(np.float64)
        q = 0.5 * (1.0 - s * mix)
        bound = self._flip_bound(s)
        margin = error * (1.0 + np.abs(bound))
        near = np.flatnonzero((np.abs(q - bound) <= margin).any(axis=1))
        stable: NDArray[np.bool_] = np.asarray(~(q > bound).any(axis=1))
        if near.size:
            stable[near] = self._fixed_points(states[near])
        return np.asarray(stable)

    def _fixed_points(self, states: NDArray[np.int8]) -> NDArray[np.bool_]:
        """Whether each state is a fixed point of the one-neuron update, from the exact float64 fields."""
        return np.asarray(~(decide(self.fields(states), states) != states).any(axis=1))

    def _stable_from_weights(
        self, states: NDArray[np.int8], weights: NDArray[np.float64]
    ) -> NDArray[np.bool_]:
        """:meth:`_exactly_stable` from the float64 softmax ``weights`` (rows summing to 1) of -1/+1 states.

        The share ``q`` against each neuron is summed over the patterns whose
        weight could matter; the others, each below ``1e-3 / P`` of the
        smallest bound, add at most ``tail`` to every ``q``.  A state is
        stable when every ``q + tail`` is below its bound, unstable when some
        ``q`` is above it, either by 1e-9 of the bound plus the bound's own
        rounding (far above the rounding of sums of a few positive terms);
        other states, and batches with too many weights to gather, go
        through the exact :meth:`fields`.  Near a memory at large ``beta`` a state has a
        handful of such patterns, so this costs O(N) per pattern kept
        rather than two (B, P) x (P, N) products.
        """
        batch, p = weights.shape
        bound = self._flip_bound(states.astype(np.float64))
        smallest = bound.min(axis=1)
        cut = np.maximum(smallest, 0.0) * (1e-3 / p)
        rows, cols = np.nonzero(weights >= cut[:, np.newaxis])
        if rows.size > batch * p // _SPARSE_MIX_SHARE:
            return self._fixed_points(states)  # too many to gather: the products are cheaper
        # Each left-out weight is below the cut: a bound on their sum without another pass.
        tail = (p - np.bincount(rows, minlength=batch)) * cut
        unsure = smallest <= 0.0
        x32 = self._patterns32()
        q = np.zeros(states.shape)
        step = max(1, _BLOCK_ELEMENTS // self.n_neurons)
        for start in range(0, rows.size, step):
            r, c = rows[start : start + step], cols[start : start + step]
            against = (x32[c] * states[r] < 0) * weights[r, c][:, np.newaxis]
            # np.nonzero lists rows in order: sum each row's run of patterns.
            first = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
            q[r[first]] += np.add.reduceat(against, first, axis=0)
        # The bound itself is a difference rounded to about eps exp(-4 beta).
        margin = 1e-9 * (np.abs(bound) + math.exp(-4.0 * self.beta))
        unstable = (q > bound + margin).any(axis=1)
        stable = ~unstable & ((q + tail[:, np.newaxis]) < bound - margin).all(axis=1)
        stable &= ~unsure
        check = np.flatnonzero(unsure | ~(stable | unstable))
        if check.size:
            stable[check] = self._fixed_points(states[check])
        return np.asarray(stable)

    def flip_candidates(
        self, states: NDArray[np.int8], overlaps: FloatArray | None = None
    ) -> NDArray[np.bool_]:
        """Neurons that the exact one-neuron update might change, each state taken as it is.

        False means the neuron certainly keeps its value: its field, computed
        in float32 with a bound on the rounding, is on its side of the tie by
        more than the bound.  For the exponential rule up to ``beta = 2`` this
        costs two float32 products and no logarithm; otherwise the float64
        fields decide, with fields within 1e-6 of a tie counted as
        candidates.  Beyond ``beta = 2`` the exact ``overlaps`` of the
        states, when given, save the product that finds them, and near
        memories few patterns enter the fields (:meth:`_exponential_fields`).
        """
        if self.kind == LOG_SUM_EXP and self._closed_form():
            return self._softmax_flip_candidates(states)
        if self._split_form() and overlaps is not None:
            fields = self._exponential_fields(states.astype(np.float64), overlaps) - self.threshold
        else:
            fields = self.fields(states)
        return np.asarray((decide(fields, states) != states) | (np.abs(fields) < 1e-6))

    def _softmax_flip_candidates(self, states: NDArray[np.int8]) -> NDArray[np.bool_]:
        """:meth:`flip_candidates` up to ``beta = 2``: the float32 softmax mix against the flip bound."""
        x32 = self._patterns32()
        rel = states.astype(np.float32) @ x32.T
        rel -= rel.max(axis=1, keepdims=True)
        weights = self._exp_of_gaps(rel).astype(np.float32)
        weights /= weights.sum(axis=1, keepdims=True)
        error = float((2 * x32.shape[0] + 16) * np.finfo(np.float32).eps)
        mix = _softmax_mix(weights, x32, error / 4).astype(np.float64)
        s = states.astype(np.float64)
        q = 0.5 * (1.0 - s * mix)
        bound = self._flip_bound(s)
        return np.asarray((q >= bound - error * (1.0 + np.abs(bound))) | (states == 0))

    def _flip_bound(self, s: NDArray[np.float64]) -> NDArray[np.float64]:
        """Largest share of softmax weight against a neuron's value ``s`` at which it keeps it.

        Flipping changes the energy by ``log(e^(-2b) (1 - q) + e^(2b) q) / b`` (``q``
        the share), so the neuron stays when ``q`` is at most this bound, which
        depends only on ``s`` and the threshold.  A share is at most 1, so
        bounds above 2 (a threshold that holds the neuron whatever the
        patterns say) are given as 2, which no rounding margin turns into
        infinity.
        """
        two_b = 2.0 * self.beta
        with np.errstate(over="ignore"):
            limit = np.exp(two_b * (TIE_TOLERANCE - s * self.threshold))
            bound = (limit - math.exp(-two_b)) / (math.exp(two_b) - math.exp(-two_b))
        return np.asarray(np.minimum(bound, 2.0))

    def dominant(self, overlaps: FloatArray) -> NDArray[np.intp]:
        """The stored pattern that decides every neuron of each state, or -1 (exponential rule).

        With ``m = X s`` the overlaps and ``r = m - s_i X[:, i]`` those without
        neuron ``i``, the one-neuron update sets ``s_i`` to ``sigma`` when
        ``B / A < exp(-2 beta (tol + sigma theta_i))``, where
        ``A = sum_mu exp(beta (r_mu + sigma xi_mu,i))`` and ``B`` the same with
        ``-sigma`` (``tol`` is :data:`TIE_TOLERANCE`).  Take ``sigma = xi_t,i``
        for the pattern ``t`` of largest overlap and ``D = sum_{nu != t}
        exp(beta (m_nu - m_t))``.  Then ``A >= exp(beta (r_t + 1))`` and, for
        ``s_i`` in {-1, 0, +1}, ``B / A <= exp(-2 beta) + exp(2 beta) D``.  So
        when ``log(exp(-2 beta) + exp(2 beta) D) < -2 beta (tol + c_t)``, with
        ``c_t = max_i xi_t,i theta_i``, every neuron is set to ``xi_t,i``.
        Setting a neuron to ``xi_t,i`` changes each gap ``m_t - m_nu`` by
        ``(xi_t,i - s_i)(xi_t,i - xi_nu,i) >= 0``, so ``D`` never grows and the
        bound keeps holding: a sweep in any order ends exactly at ``xi_t``,
        and the next changes nothing.  The bound is required with a margin
        (``_DOMINANCE_SLACK (1 + 4 beta)``) far above float64 rounding, so a
        state declared dominated is one the exact loop takes to ``xi_t``.

        Parameters
        ----------
        overlaps : ndarray of shape (B, P), float64
            Exact overlaps ``X s`` of the states.

        Returns
        -------
        ndarray of shape (B,), intp
            Index of the dominating pattern, -1 where none is proven (always
            -1 for the polynomial rule, for which no such bound is used).
        """
        b, p = overlaps.shape
        out = np.full(b, -1, dtype=np.intp)
        if self.kind != LOG_SUM_EXP or b == 0:
            return out
        if self._lean is None:
            # c_t = max_i xi_t,i theta_i: how far the thresholds lean against pattern t
            # (in blocks of patterns: no N x P temporary for a large model).
            self._lean = np.zeros(p)
            if self.threshold.any():
                step = max(1, _BLOCK_ELEMENTS // self.n_neurons)
                for start in range(0, p, step):
                    block = self._xt[:, start : start + step] * self.threshold[:, np.newaxis]
                    self._lean[start : start + step] = block.max(axis=0)
        rows = np.arange(b)
        top = overlaps.argmax(axis=1)
        two_b = 2.0 * self.beta
        z = self.beta * (overlaps - overlaps[rows, top][:, np.newaxis])
        z[rows, top] = -np.inf
        rest = np.full(b, -np.inf)
        if p > 1:
            with np.errstate(over="ignore", under="ignore"):
                rest = _logsumexp(z)  # log D
        bound = np.logaddexp(-two_b, two_b + rest)
        limit = -two_b * (TIE_TOLERANCE + self._lean[top]) - _DOMINANCE_SLACK * (1.0 + 2.0 * two_b)
        ok = bound < limit
        out[ok] = top[ok]
        return out

    def overlaps(self, states: NDArray[np.int8]) -> NDArray[np.float64]:
        """Exact overlaps ``X s`` (B, P) of int8 states (integers in float64)."""
        return np.asarray(states.astype(np.float64) @ self._xt)

    def stored(self, idx: NDArray[np.intp]) -> NDArray[np.int8]:
        """The stored patterns ``idx`` as int8 rows."""
        return np.asarray(self._xt[:, idx].T, dtype=np.int8)

    def lockstep(self, states: NDArray[np.int8], overlaps: FloatArray | None = None) -> DenseLockstep:
        """Single-neuron updater serving a batch of states at once (see :class:`DenseLockstep`).

        ``overlaps``, when given, must be the exact ``X s`` of ``states`` (saves the product).
        """
        return DenseLockstep(self, states, overlaps)

    def start_cache(self, state: NDArray[np.int8]) -> FloatArray:
        return np.asarray(state.astype(np.float64) @ self._xt)

    def gather_rows(self, idx: NDArray[np.intp]) -> tuple[FloatArray, ...]:
        return self._xt[idx], self.threshold[idx]

    def prefix_fields(
        self,
        cache: FloatArray,
        idx: NDArray[np.intp],
        rows: tuple[FloatArray, ...],
        current: NDArray[np.int8],
        delta: NDArray[np.int8] | None,
    ) -> NDArray[np.float64]:
        xi, theta = rows
        overlaps = np.broadcast_to(cache, xi.shape)
        if delta is not None and delta.any():
            overlaps = cache + _exclusive_cumsum(xi * delta[:, np.newaxis])
        a = overlaps - xi * current[:, np.newaxis]
        return self._interaction(a, xi) - theta

    def apply_changes(self, cache: FloatArray, rows: tuple[FloatArray, ...], delta: NDArray[np.int8]) -> None:
        cache += delta.astype(np.float64) @ rows[0]


@dataclass(frozen=True)
class MeanFieldStep:
    """Outcome of :meth:`DenseNetwork.mean_field_step` for a batch of states.

    Attributes
    ----------
    energies : ndarray of shape (B,), float64
        Energies of the states the step started from.
    states : ndarray of shape (B, N), int8
        States after the step.
    stable : ndarray of shape (B,), bool
        True for the states the step left unchanged that are also fixed points
        of the exact one-neuron update (the asynchronous dynamics).
    """

    energies: NDArray[np.float64]
    states: NDArray[np.int8]
    stable: NDArray[np.bool_]


class DenseLockstep:
    """Exact one-neuron-at-a-time updates of a batch of states of a :class:`DenseNetwork`.

    Each call decides or changes one neuron in every state of the batch (a
    different neuron per state), so a Python step serves the whole batch.
    The overlaps ``o = X s`` (B, P) are kept exact (integers in float64); the
    field of neuron ``i`` depends on ``o`` only through per-pattern terms
    ``g(o)`` and the pattern bits ``xi_i``:

    * exponential: with ``w = exp(beta (o - max o))``, the weights ``S+`` and
      ``S-`` of the patterns with ``xi_i = +1`` and ``-1`` give the field
      ``(log(e^(b(1-s)) S+ + e^(-b(1-s)) S-) - log(e^(-b(1+s)) S+ + e^(b(1+s)) S-)) / 2b``;
    * polynomial: ``(N/2) (xi_i . odd(o / N) - s_i sum even(o / N))`` (the
      binomial expansion of :meth:`DenseNetwork._polynomial_fields`).

    A field costs one O(P) dot product per state; a change of neuron ``i``
    updates ``o`` by ``2 s_i xi_i`` and recomputes ``g`` of that state, O(P).

    Parameters
    ----------
    network : DenseNetwork
    states : ndarray of shape (B, N), int8
        States before the first update (not modified; the caller keeps them).
    overlaps : ndarray of shape (B, P), optional
        Their exact overlaps ``X s`` when already computed (copied).
    """

    def __init__(
        self, network: DenseNetwork, states: NDArray[np.int8], overlaps: FloatArray | None = None
    ) -> None:
        self.net = network
        self.xt = network._xt
        if overlaps is None:
            overlaps = states.astype(np.float64) @ self.xt
        self.overlaps = np.array(overlaps, dtype=np.float64)
        self._sharp = network.kind == LOG_SUM_EXP and not network._closed_form()
        self._unknown = bool((states == 0).any())
        b, p = self.overlaps.shape
        self.terms = np.empty((b, p))
        self.total = np.empty(b)
        self.half = np.empty((b, p)) if self._unknown and network.kind == POWER else None
        self._refresh(slice(None))

    def _refresh(self, rows: Any) -> None:
        """Recompute the per-pattern terms of the states ``rows`` from their overlaps."""
        o = self.overlaps[rows]
        if self.net.kind == LOG_SUM_EXP:
            z = self.net.beta * o
            w = np.exp(z - z.max(axis=1, keepdims=True))
            self.terms[rows] = w
            self.total[rows] = w.sum(axis=1)
            return
        n = float(self.net.n_neurons)
        degree = self.net.degree
        u = o / n
        odd = np.zeros_like(u)
        even = np.zeros_like(u)
        for k in range(1, degree + 1):
            term = math.comb(degree, k) * (2.0 / n) ** k * u ** (degree - k)
            if k % 2:
                odd += term
            else:
                even += term
        self.terms[rows] = odd
        self.total[rows] = even.sum(axis=1)
        if self.half is not None:
            half = np.zeros_like(u)
            for k in range(1, degree + 1, 2):
                half += math.comb(degree, k) * (1.0 / n) ** k * u ** (degree - k)
            self.half[rows] = half

    def fields(self, idx: NDArray[np.intp], current: NDArray[np.int8]) -> NDArray[np.float64]:
        """Field of neuron ``idx[b]`` in state ``b``, whose value is ``current[b]``."""
        xi = self.xt[idx]
        s = current.astype(np.float64)
        if self.net.kind == POWER:
            n = float(self.net.n_neurons)
            h = 0.5 * n * (np.einsum("bp,bp->b", self.terms, xi) - s * self.total)
            if self.half is not None:
                unknown = np.flatnonzero(current == 0)
                if unknown.size:
                    h[unknown] = n * np.einsum("bp,bp->b", self.half[unknown], xi[unknown])
        else:
            beta = self.net.beta
            if self._sharp:
                # Large beta: S+ and S- as sums of positive terms (no cancellation).
                plus = np.where(xi > 0, self.terms, 0.0).sum(axis=1)
                minus = np.where(xi < 0, self.terms, 0.0).sum(axis=1)
            else:
                diff = np.einsum("bp,bp->b", self.terms, xi)  # S+ - S-
                plus = np.maximum(0.5 * (self.total + diff), 0.0)
                minus = np.maximum(0.5 * (self.total - diff), 0.0)
            h = _field_from_sums(plus, minus, s, beta)
        return np.asarray(h - self.net.threshold[idx])

    def apply(self, rows: NDArray[np.intp], idx: NDArray[np.intp], delta: NDArray[np.int8]) -> None:
        """Neuron ``idx[k]`` of state ``rows[k]`` changed by ``delta[k]``."""
        self.overlaps[rows] += delta[:, np.newaxis].astype(np.float64) * self.xt[idx]
        self._refresh(rows)

    def energies(self, states: NDArray[np.int8]) -> NDArray[np.float64]:
        """Energies of ``states``, which must be the current states of the batch."""
        return self.net._energy_of_overlaps(states.astype(np.float64), self.overlaps)


def _softmax_mix(weights: NDArray[np.float32], x32: NDArray[np.float32], slack: float) -> NDArray[np.float32]:
    """``weights @ x32`` for softmax rows, leaving out weights too small to matter.

    The weights of a row sum to 1; those below ``slack / P`` together move
    any entry of the result by at most ``slack``.  Patterns that no row
    keeps (most of them once the states are near memories) are left out of
    the product.
    """
    p = x32.shape[0]
    used = np.flatnonzero((weights >= np.float32(slack / p)).any(axis=0))
    if used.size * _SPARSE_MIX_SHARE > p * (_SPARSE_MIX_SHARE - 1):
        return np.asarray(weights @ x32)
    return np.asarray(weights[:, used] @ x32[used])


def _field_from_sums(plus: FloatArray, minus: FloatArray, s: FloatArray, beta: float) -> NDArray[np.float64]:
    """Exponential-rule field from ``S+`` / ``S-`` (weights of the patterns with ``xi_i = +1`` / ``-1``).

    With weights ``w = exp(beta o - max)`` of the full overlaps ``o``,
    ``lse(beta (o + t xi)) = max + log(e^(beta t) S+ + e^(-beta t) S-)``; the
    overlaps without neuron ``i``, plus or minus its pattern bit, are
    ``o + xi (1 - s_i)`` and ``o - xi (1 + s_i)``.
    """
    up = beta * (1.0 - s)
    down = -beta * (1.0 + s)
    num = np.log(np.exp(up) * plus + np.exp(-up) * minus)
    den = np.log(np.exp(down) * plus + np.exp(-down) * minus)
    return np.asarray((num - den) / (2 * beta))


def _logsumexp(z: FloatArray) -> NDArray[np.float64]:
    """Stable ``log(sum(exp(z)))`` over the last axis."""
    top = z.max(axis=-1, keepdims=True)
    return np.asarray(np.log(np.exp(z - top).sum(axis=-1)) + top[..., 0])
