"""Continuous modern Hopfield network for grey-level and colour memories.

Ramsauer et al. (2020, arXiv:2008.02217) store real-valued patterns ``X``
(P x N) and update a state ``xi <- X^T softmax(beta X xi)``.  Written with the
squared distance instead of the dot product (the two differ by per-memory
constants), the update is ``xi <- X^T softmax(-beta D(xi))`` with
``D_mu = sum_i rho(r_mu,i / s)`` over the residuals ``r = x_mu - xi`` and
``rho(u) = u^2 / 2``: the softmax is the posterior over memories of a cue
with Gaussian noise of scale ``s`` (at ``beta = 1``).

That similarity fails real damage: a black block over half a photo adds
``sum x_mu,i^2`` over the block to every memory, which favours memories that
are dark there over the right one.  The ``robust`` similarity keeps the
update and the energy but swaps in Tukey's biweight for ``rho`` -- bounded,
so a pixel that disagrees wildly costs a constant whichever memory it is
compared with -- with its scale ``s`` taken by least quantile of squares
(the smallest, over memories, 40 % quantile of the residuals; breakdown
60 %).
This is the classic MM-estimate: a high-breakdown scale, then an efficient
M-score (about 99 % of the Gaussian efficiency with ``c = 6``), so Gaussian
noise is scored almost as by the squared distance and an occluder that
covers up to half of the picture is ignored.

Noise and a block together defeat any per-pixel score: under noise of
scale 0.2 a black block's residuals are only a few scales, and the block,
free of noise, fits dark memories better than noisy pixels fit the right
one.  But noise never leaves a 5 x 5 patch flat, so when the cue is noisy
(and the network knows the image shape) flat patches are set aside as
damage before the scale is fitted again and memories are scored.

Noise is clipped to [0, 1], so a noisy cue does not scatter around a
memory's levels but around ``E[clip(x + s Z)]``: a black sky under noise of
0.5 averages 0.2 and would match a dark grey picture better than its own.
For noisy cues the residuals are taken against those expected levels.

Pixels are vectors of ``C`` channels (1 grey, 3 colour) in [0, 1]; an
occluder hides whole pixels, so a pixel's residual is the root mean square
over its channels.  Unknown pixels of a cue (erased, transparent) take no
part in the similarity; the update fills them from the memories.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import check_choice, check_positive_int
from hopfield_cli.dynamics import Snapshot
from hopfield_cli.errors import InvalidParameterError

SIMILARITIES = ("robust", "euclidean")
DEFAULT_SIMILARITY = "robust"
#: Inverse temperature of the softmax, in units where ``beta = 1`` makes the
#: weights the posterior over memories under the noise model.  Chosen by
#: measurement (closing note of issue 11): on 23 photos at 64 x 64 and 200
#: faces at 25 x 25, beta = 1, 4 and 16 give the same recalls, bit for bit at
#: the uint8 level; the distances are in units of the estimated noise, so the
#: posterior is already sharp and no larger value is needed.
DEFAULT_BETA = 1.0
#: Tukey biweight tuning constant.  The textbook 4.685 (95 % Gaussian
#: efficiency) lost 0-2 right recalls per 200 noisy LFW faces to the squared
#: distance; 6 (about 99 %) matched or beat it on 8 seeds, and a blacked-out
#: block costs the same constant either way (its residuals are far beyond c).
TUKEY_C = 6.0
#: Smallest noise scale, in intensity units: below one grey level the data
#: carry no information (uint8 quantisation), and a cue that matches a memory
#: exactly on half its pixels would otherwise get a zero scale.
MIN_SCALE = 1.0 / 255.0
#: Share of the known pixels whose residuals set the robust scale: a least
#: quantile of squares (Rousseeuw 1984) that breaks down only when more than
#: ``1 - SCALE_QUANTILE`` of the pixels are outliers.  The median (0.5) breaks
#: down exactly at a blanked half; 0.4 leaves a margin.
SCALE_QUANTILE = 0.4
# |N(0, 1)| has its SCALE_QUANTILE quantile at Phi^-1((1 + q) / 2).
_QUANTILE_TO_SIGMA = 1.0 / 0.524400512708041
_RHO_MAX = TUKEY_C**2 / 6.0
#: Side of the patches searched for flat damage in noisy cues.
WINDOW = 5
#: A patch whose spread is below 1 / FLAT of the noise scale is damage; only
#: looked for when the noise exceeds FLAT grey levels (below that, flat
#: patches are what exact matches look like).
FLAT = 4.0
# Elements of the (memories x pixels) residual block held at once.
_BLOCK_ELEMENTS = 1 << 22
# Energy may rise by rounding only.
_ENERGY_TOLERANCE = 1e-9


def as_memories(patterns: Any) -> NDArray[np.uint8]:
    """Coerce stored grey or colour patterns to a (P, N, C) uint8 array.

    Parameters
    ----------
    patterns : array_like of shape (P, N) or (P, N, C)
        Intensities 0-255 (integers); C is 1 (grey) or 3 (colour).

    Raises
    ------
    InvalidParameterError
        If the array is empty, not integer, outside 0-255 or has another shape.
    """
    arr = np.asarray(patterns)
    if arr.ndim == 2:
        arr = arr[:, :, np.newaxis]
    if arr.ndim != 3 or 0 in arr.shape or arr.shape[2] not in (1, 3):
        raise InvalidParameterError(
            f"patterns must have shape (P, N) or (P, N, C) with C = 1 or 3, got {np.shape(patterns)}"
        )
    if arr.dtype != np.uint8:
        if not (np.issubdtype(arr.dtype, np.integer) or arr.dtype == np.bool_):
            raise InvalidParameterError(f"patterns must hold integers 0-255, got dtype {arr.dtype}")
        if arr.min() < 0 or arr.max() > 255:
            raise InvalidParameterError("patterns must hold integers 0-255")
        arr = arr.astype(np.uint8)
    return np.ascontiguousarray(arr)


def _check_beta(beta: Any) -> float:
    if isinstance(beta, bool) or not isinstance(beta, int | float | np.integer | np.floating):
        raise InvalidParameterError(f"beta must be a finite number > 0, got {beta!r}")
    if not (math.isfinite(beta) and beta > 0):
        raise InvalidParameterError(f"beta must be a finite number > 0, got {beta!r}")
    return float(beta)


def _clipped_means(scale: float) -> NDArray[np.float32]:
    """``E[clip(x + scale Z, 0, 1)]`` for the 256 levels x, Z standard normal."""
    x = np.arange(256) / 255.0
    erf = np.vectorize(math.erf, otypes=[np.float64])

    def below(t: NDArray[np.float64]) -> NDArray[np.float64]:
        # E[min(0, t + Z)] = t Phi(-t) - phi(t).
        return np.asarray(
            t * 0.5 * (1.0 + erf(-t / math.sqrt(2.0))) - np.exp(-0.5 * t * t) / math.sqrt(2 * math.pi)
        )

    # clip(y) = y - min(0, y) + min(0, 1 - y).
    return np.asarray(x - scale * below(x / scale) + scale * below((1.0 - x) / scale), dtype=np.float32)


def _box(values: NDArray[np.float64], size: int) -> NDArray[np.float64]:
    """Sums over ``size`` x ``size`` windows (cut at the borders) of (B, H, W, C) arrays."""
    half = size // 2
    out = values
    for axis in (1, 2):
        length = out.shape[axis]
        padded = np.concatenate([np.zeros_like(out.take([0], axis=axis)), out], axis=axis)
        sums = np.cumsum(padded, axis=axis)
        index = np.arange(length)
        out = sums.take(np.minimum(index + half + 1, length), axis=axis) - sums.take(
            np.maximum(index - half, 0), axis=axis
        )
    return out


def tukey_rho(u: Any) -> NDArray[np.float64]:
    """Tukey's biweight loss, scaled so that ``rho(u) ~ u^2 / 2`` near 0.

    ``rho(u) = c^2 / 6 * (1 - (1 - (u / c)^2)^3)`` for ``|u| <= c``, and the
    constant ``c^2 / 6`` beyond: a residual of more than ``c`` scales costs
    the same whatever its size.
    """
    t = np.minimum(np.square(np.asarray(u, dtype=np.float64) / TUKEY_C), 1.0)
    return np.asarray(_RHO_MAX * (1.0 - (1.0 - t) ** 3))


@dataclass(frozen=True)
class ContinuousResult:
    """Outcome of one continuous recall.

    Attributes
    ----------
    state : ndarray of shape (N, C), float64
        Final state, intensities in [0, 1].
    weights : ndarray of shape (P,), float64
        Softmax weights of the memories in the last update.
    energies : ndarray of shape (iterations + 1,), float64
        Energy of the cue and after each accepted update; never rises.
    scale : float
        Noise scale ``s`` estimated from the cue, in intensity units.
    ignored : int
        Known pixels of the cue set aside as flat damage (see
        :meth:`ContinuousNetwork.flat_damage`).
    iterations : int
        Updates run, including a last one that changed nothing.
    converged : bool
        True when a fixed point was reached.
    status : str
        ``"fixed point"`` or ``"max-iter"``.
    snapshots : tuple of Snapshot
        The cue and the state after each accepted update (for an
        animation); empty unless asked for.
    """

    state: NDArray[np.float64]
    weights: NDArray[np.float64]
    energies: NDArray[np.float64]
    scale: float
    ignored: int
    iterations: int
    converged: bool
    status: str
    snapshots: tuple[Snapshot, ...] = ()

    @property
    def winner(self) -> int:
        """Index of the memory with the largest weight."""
        return int(np.argmax(self.weights))


class ContinuousNetwork:
    """Continuous modern Hopfield network over grey or colour patterns.

    Parameters
    ----------
    patterns : array_like of shape (P, N) or (P, N, C)
        Stored intensities 0-255 (see :func:`as_memories`).
    beta : float, optional
        Inverse temperature of the softmax (:data:`DEFAULT_BETA`).
    similarity : {"robust", "euclidean"}
        ``robust``: Tukey biweight of the residuals with a least-quantile
        scale; ``euclidean``: squared distance with the maximum-likelihood
        scale (the plain Ramsauer et al. network).
    shape : tuple of int, optional
        Image (height, width).  Lets the robust similarity set aside flat
        patches of noisy cues (:meth:`flat_damage`).

    Examples
    --------
    >>> net = ContinuousNetwork([[0, 0, 255, 255, 0, 255], [255, 255, 0, 0, 255, 0]])
    >>> cue = np.array([0.0, 0.1, 0.9, 1.0, 0.1, 0.5]), np.array([1, 1, 1, 1, 1, 0], dtype=bool)
    >>> np.round(net.recall(*cue).state[:, 0] * 255).astype(int).tolist()
    [0, 0, 255, 255, 0, 255]
    """

    def __init__(
        self,
        patterns: Any,
        *,
        beta: float = DEFAULT_BETA,
        similarity: str = DEFAULT_SIMILARITY,
        shape: tuple[int, int] | None = None,
    ):
        self.memories = as_memories(patterns)
        if shape is not None:
            if len(shape) != 2 or int(shape[0]) * int(shape[1]) != self.memories.shape[1]:
                raise InvalidParameterError(
                    f"image shape {tuple(shape)} does not fit patterns of {self.memories.shape[1]} pixels"
                )
            shape = (int(shape[0]), int(shape[1]))
        self.shape = shape
        self.beta = _check_beta(beta)
        self.similarity = check_choice("similarity", similarity, SIMILARITIES)
        self._x = self.memories.astype(np.float32) / np.float32(255.0)

    @property
    def n_patterns(self) -> int:
        """Number of stored patterns P."""
        return int(self.memories.shape[0])

    @property
    def n_pixels(self) -> int:
        """Number of pixels N."""
        return int(self.memories.shape[1])

    @property
    def channels(self) -> int:
        """Channels per pixel C (1 grey, 3 colour)."""
        return int(self.memories.shape[2])

    def _as_state(self, state: Any, known: Any) -> tuple[NDArray[np.float64], NDArray[np.bool_]]:
        arr = np.asarray(state, dtype=np.float64)
        n, c = self.n_pixels, self.channels
        if arr.shape == (n,) and c == 1:
            arr = arr[:, np.newaxis]
        if arr.shape != (n, c):
            raise InvalidParameterError(f"state must have shape ({n}, {c}), got {np.shape(state)}")
        if not np.all(np.isfinite(arr)):
            raise InvalidParameterError("state contains NaN or infinite values")
        arr = np.clip(arr, 0.0, 1.0)
        if known is None:
            mask = np.ones(n, dtype=bool)
        else:
            mask = np.asarray(known, dtype=bool).reshape(-1)
            if mask.shape != (n,):
                raise InvalidParameterError(f"known must have {n} entries, got {np.shape(known)}")
        return arr, mask

    def scale(self, state: Any, known: Any = None) -> float:
        """Noise scale ``s`` of a cue against the memories, in intensity units.

        ``robust``: the smallest, over memories, :data:`SCALE_QUANTILE`
        quantile of the pixel residual magnitudes, divided by that quantile
        of ``|N(0, 1)|`` (least quantile of squares); ``euclidean``:
        ``min_mu rms_i |r_mu,i|`` (maximum likelihood); both at least
        :data:`MIN_SCALE`.
        """
        arr, mask = self._as_state(state, known)
        return self._scale(arr, mask)

    def _scale(
        self, state: NDArray[np.float64], known: NDArray[np.bool_], table: NDArray[np.float32] | None = None
    ) -> float:
        if not known.any():
            return MIN_SCALE
        best = math.inf
        for rows in self._blocks(int(known.sum())):
            r = self._residuals_rows(state, known, rows, table)
            if self.similarity == "robust":
                value = _QUANTILE_TO_SIGMA * float(np.quantile(r, SCALE_QUANTILE, axis=1).min())
            else:
                value = math.sqrt(float(np.square(r).mean(axis=1).min()))
            best = min(best, value)
        return max(MIN_SCALE, best)

    def flat_damage(self, cue: Any, known: Any = None) -> NDArray[np.bool_]:
        """Pixels of a noisy cue that lie in flat patches, which recall ignores.

        Noise of scale ``s`` cannot leave a :data:`WINDOW` x :data:`WINDOW`
        patch with a spread below ``s / FLAT`` (clipped at black or white,
        half the pixels still move), so such patches -- a cover, a blanked
        side -- are damage, not signal.  Only for robust networks that know
        the image shape, and cues noisier than :data:`FLAT` grey levels.
        """
        arr, mask = self._as_state(cue, known)
        flat = self._flat(arr, mask, self._scale(arr, mask))
        return np.zeros(self.n_pixels, dtype=bool) if flat is None else flat

    def _flat(
        self, state: NDArray[np.float64], known: NDArray[np.bool_], s: float
    ) -> NDArray[np.bool_] | None:
        if self.similarity != "robust" or self.shape is None or s < FLAT / 255.0:
            return None
        height, width = self.shape
        weight = known.astype(np.float64).reshape(1, height, width, 1)
        values = state.reshape(1, height, width, self.channels) * weight
        count = _box(weight, WINDOW)
        mean = _box(values, WINDOW) / np.maximum(count, 1.0)
        square = _box(values * values, WINDOW) / np.maximum(count, 1.0)
        spread = np.sqrt(np.maximum(square - mean * mean, 0.0).mean(axis=3))[0]
        # Centres of flat windows with enough known pixels; then every pixel of those windows.
        centres = (spread < s / FLAT) & (count[0, :, :, 0] >= WINDOW * WINDOW / 2)
        covered = _box(centres.astype(np.float64).reshape(1, height, width, 1), WINDOW)[0, :, :, 0] > 0
        return np.asarray(covered.reshape(-1) & known)

    def _residuals_rows(
        self,
        state: NDArray[np.float64],
        known: NDArray[np.bool_],
        rows: slice,
        table: NDArray[np.float32] | None = None,
    ) -> Any:
        x = (self._x[rows] if table is None else table[self.memories[rows]])[:, known]
        diff = x - state[known].astype(np.float32)[np.newaxis]
        return np.sqrt(np.square(diff).mean(axis=2, dtype=np.float64))

    def _blocks(self, width: int) -> list[slice]:
        step = max(1, _BLOCK_ELEMENTS // max(1, width * self.channels))
        return [slice(start, start + step) for start in range(0, self.n_patterns, step)]

    def distances(self, state: Any, known: Any = None, scale: float | None = None) -> NDArray[np.float64]:
        """Dissimilarities ``D_mu`` of a state to every memory.

        ``D_mu = C * sum_i rho(r_mu,i / s)`` over the known pixels, with
        ``rho`` Tukey's biweight (robust) or ``u^2 / 2`` (euclidean): about
        half the squared distance in units of the noise scale.

        Parameters
        ----------
        state : array_like of shape (N, C) or (N,)
            Intensities in [0, 1] (clipped).
        known : array_like of shape (N,), bool, optional
            Pixels that count (default all).
        scale : float, optional
            Noise scale ``s``; default :meth:`scale` of this state.

        Returns
        -------
        ndarray of shape (P,), float64
        """
        arr, mask = self._as_state(state, known)
        s = self._scale(arr, mask) if scale is None else float(scale)
        return self._distances(arr, mask, s)

    def _table(self, s: float) -> NDArray[np.float32] | None:
        """What a cue with noise of scale ``s`` shows of each level on average, when it matters."""
        if self.similarity != "robust" or s < FLAT / 255.0:
            return None
        return _clipped_means(s)

    def _distances(
        self,
        state: NDArray[np.float64],
        known: NDArray[np.bool_],
        s: float,
        table: NDArray[np.float32] | None = None,
    ) -> NDArray[np.float64]:
        out = np.zeros(self.n_patterns)
        if not known.any():
            return out
        for rows in self._blocks(int(known.sum())):
            u = self._residuals_rows(state, known, rows, table) / s
            loss = tukey_rho(u) if self.similarity == "robust" else 0.5 * np.square(u)
            out[rows] = self.channels * loss.sum(axis=1)
        return out

    def _weights(self, d: NDArray[np.float64]) -> NDArray[np.float64]:
        z = -self.beta * (d - d.min())
        w = np.exp(z)
        return np.asarray(w / w.sum())

    def energy(self, state: Any, known: Any = None, scale: float | None = None) -> float:
        """Energy ``E = -log(sum_mu exp(-beta D_mu)) / beta`` of a state.

        With the euclidean similarity this is the energy of Ramsauer et al.
        (``-lse(beta X xi) / beta + xi.xi / 2`` up to constants, in units of
        the noise scale).  Arguments as for :meth:`distances`.
        """
        arr, mask = self._as_state(state, known)
        s = self._scale(arr, mask) if scale is None else float(scale)
        return self._energy(self._distances(arr, mask, s))

    def _energy(self, d: NDArray[np.float64]) -> float:
        low = float(d.min())
        return low - float(np.log(np.exp(-self.beta * (d - low)).sum())) / self.beta

    def readout(self, weights: Any) -> NDArray[np.float64]:
        """The state ``X^T p`` for memory weights ``p`` (shape (N, C), in [0, 1])."""
        p = np.asarray(weights, dtype=np.float64)
        flat = p @ self._x.reshape(self.n_patterns, -1).astype(np.float64)
        return np.asarray(flat.reshape(self.n_pixels, self.channels))

    def recall(
        self, cue: Any, known: Any = None, *, max_iter: int = 10, snapshots: bool = False
    ) -> ContinuousResult:
        """Update a cue until it stops changing.

        The cue fixes the energy: its known pixels are the ones compared and
        its noise scale ``s`` is used throughout.  Each update is
        ``xi <- X^T softmax(-beta D(xi))`` (all pixels, unknown ones
        included); one that would raise the energy is not taken (with the
        euclidean similarity none does: it is the concave-convex step of
        Ramsauer et al.), so the energy never rises.

        Parameters
        ----------
        cue : array_like of shape (N, C) or (N,)
            Intensities in [0, 1].
        known : array_like of shape (N,), bool, optional
            False for unknown pixels (erased, transparent).
        max_iter : int
            Most updates.
        snapshots : bool, optional
            Also return the cue and every accepted update as pictures.

        Returns
        -------
        ContinuousResult
        """
        max_iter = check_positive_int("max_iter", max_iter)
        state, mask = self._as_state(cue, known)
        s = self._scale(state, mask)
        flat = self._flat(state, mask, s)
        ignored = 0 if flat is None else int(flat.sum())
        if flat is not None and ignored:
            mask = mask & ~flat
            s = self._scale(state, mask)
        table = self._table(s)
        if table is not None:
            s = self._scale(state, mask, table)
            table = self._table(s)
        d = self._distances(state, mask, s, table)
        energies = [self._energy(d)]
        weights = self._weights(d)
        track = [Snapshot("softmax", 0, state, energies[0])] if snapshots else None
        status = "max-iter"
        iterations = 0
        for _ in range(max_iter):
            iterations += 1
            new = self.readout(weights)
            new_d = self._distances(new, mask, s, table)
            new_energy = self._energy(new_d)
            # Changes below half a grey level leave the stored uint8 image unchanged.
            moved = bool(np.abs(new - state).max() > 0.5 / 255.0) or iterations == 1
            if new_energy > energies[-1] + _ENERGY_TOLERANCE * max(1.0, abs(energies[-1])):
                status = "fixed point"
                break
            state, d = new, new_d
            energies.append(new_energy)
            if track is not None:
                track.append(Snapshot("softmax", iterations, state, new_energy))
            weights = self._weights(d)
            if not moved:
                status = "fixed point"
                break
        return ContinuousResult(
            state=state,
            weights=weights,
            energies=np.asarray(energies),
            scale=s,
            ignored=ignored,
            iterations=iterations,
            converged=status == "fixed point",
            status=status,
            snapshots=() if track is None else tuple(track),
        )


def psnr(image: Any, reference: Any) -> float:
    """Peak signal-to-noise ratio in dB of intensities in [0, 1] (inf if equal)."""
    err = mse(image, reference)
    return math.inf if err == 0 else 10.0 * math.log10(1.0 / err)


def mse(image: Any, reference: Any) -> float:
    """Mean squared error of intensities in [0, 1]."""
    a = np.asarray(image, dtype=np.float64)
    b = np.asarray(reference, dtype=np.float64)
    if a.shape != b.shape:
        raise InvalidParameterError(f"images of shapes {a.shape} and {b.shape} cannot be compared")
    return float(np.mean(np.square(a - b)))


#: Memories compared pairwise at most (evenly spaced beyond): a Gram matrix of
#: 500 x 500 costs under a second at 64 x 64 colour.
MAX_PAIRWISE = 500


@dataclass(frozen=True)
class ClosestPair:
    """The two stored memories closest to each other.

    Attributes
    ----------
    distance : float
        Root-mean-square difference of their intensities, in [0, 1].
    pair : tuple of int
        Their indices.
    sampled : int or None
        Number of memories compared when there were more than :data:`MAX_PAIRWISE`.
    """

    distance: float
    pair: tuple[int, int]
    sampled: int | None


def pairwise_distances(memories: Any) -> NDArray[np.float64]:
    """Root-mean-square distances between memories (P x P, intensities in [0, 1])."""
    x = as_memories(memories).reshape(np.shape(memories)[0], -1).astype(np.float64) / 255.0
    sq = np.square(x).sum(axis=1)
    d2 = np.maximum(sq[:, np.newaxis] + sq[np.newaxis, :] - 2.0 * (x @ x.T), 0.0)
    np.fill_diagonal(d2, 0.0)
    return np.asarray(np.sqrt(d2 / x.shape[1]))


def closest_pair(memories: Any) -> ClosestPair:
    """The closest two of at least two memories (see :class:`ClosestPair`)."""
    arr = as_memories(memories)
    count = arr.shape[0]
    if count < 2:
        raise InvalidParameterError(f"need at least two memories, got {count}")
    index = np.arange(count)
    if count > MAX_PAIRWISE:
        index = np.linspace(0, count - 1, MAX_PAIRWISE).round().astype(np.intp)
    d = pairwise_distances(arr[index])
    np.fill_diagonal(d, np.inf)
    i, j = np.unravel_index(int(np.argmin(d)), d.shape)
    return ClosestPair(
        float(d[i, j]), (int(index[i]), int(index[j])), len(index) if count > MAX_PAIRWISE else None
    )
