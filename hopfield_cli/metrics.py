"""Measures of recall quality: overlap, Hamming distance, nearest memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import as_patterns, as_states, check_positive_int

STORED = "stored"
INVERTED = "inverted"
SPURIOUS = "spurious"


def overlap(states: Any, patterns: Any) -> NDArray[np.float64]:
    """Overlaps ``m = xi . s / N`` of each state with each pattern.

    Parameters
    ----------
    states : array_like of shape (N,) or (B, N)
    patterns : array_like of shape (P, N)

    Returns
    -------
    ndarray of shape (B, P), float64
        Values in [-1, 1]; unknown (0) entries count as half agreement.
    """
    x = as_patterns(patterns)
    s = as_states("states", states, x.shape[1])
    return np.asarray((s.astype(np.float64) @ x.T.astype(np.float64)) / x.shape[1])


def hamming(a: Any, b: Any) -> NDArray[np.int64]:
    """Number of differing entries between matching rows of ``a`` and ``b``.

    Parameters
    ----------
    a, b : array_like of shape (N,) or (B, N)
        Broadcast against each other row by row.

    Returns
    -------
    ndarray of shape (B,), int64
    """
    left = as_states("a", a)
    right = as_states("b", b, left.shape[1])
    counts: NDArray[np.int64] = np.count_nonzero(left != right, axis=1).astype(np.int64)
    return counts


@dataclass(frozen=True)
class Match:
    """Closest stored pattern to a state.

    Attributes
    ----------
    index : int
        Row of the nearest pattern (largest ``|overlap|``).
    overlap : float
        Signed overlap with that pattern.
    hamming : int
        Differing bits between the state and that pattern.
    verdict : str
        ``"stored"`` (equal to the pattern), ``"inverted"`` (equal to its
        negation, also a fixed point of symmetric rules) or ``"spurious"``.
    """

    index: int
    overlap: float
    hamming: int
    verdict: str

    @property
    def exact(self) -> bool:
        """True when the state equals the nearest pattern bit for bit."""
        return self.verdict == STORED


def nearest(states: Any, patterns: Any) -> list[Match]:
    """Nearest stored pattern of each state, with a verdict.

    Parameters
    ----------
    states : array_like of shape (N,) or (B, N)
    patterns : array_like of shape (P, N)

    Returns
    -------
    list of Match
    """
    x = as_patterns(patterns)
    s = as_states("states", states, x.shape[1])
    m = overlap(s, x)
    best = np.argmax(np.abs(m), axis=1)
    matches: list[Match] = []
    for b, (row, index) in enumerate(zip(s, best.tolist(), strict=True)):
        distance = int(np.count_nonzero(row != x[index]))
        if distance == 0:
            verdict = STORED
        elif np.array_equal(row, -x[index]):
            verdict = INVERTED
        else:
            verdict = SPURIOUS
        matches.append(Match(index, float(m[b, index]), distance, verdict))
    return matches


@dataclass(frozen=True)
class PairwiseSummary:
    """Largest and mean absolute overlap between distinct stored patterns.

    Attributes
    ----------
    max_overlap : float
        Largest ``|m|`` over pairs (0 for a single pattern).
    pair : tuple of int
        Rows of that pair (``(0, 0)`` for a single pattern).
    mean_overlap : float
        Mean ``|m|`` over pairs.
    sampled : int or None
        None when every pair was compared; else the number of patterns of the
        random subset compared (large collections such as MNIST).
    """

    max_overlap: float
    pair: tuple[int, int]
    mean_overlap: float
    sampled: int | None


def pairwise_overlaps(patterns: Any, *, sample: int = 2000, rng: Any = 0) -> PairwiseSummary:
    """Summarise how similar the stored patterns are to each other.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
    sample : int, optional
        Above this many patterns, compare a random subset of this size
        (P^2 N work and P^2 memory would otherwise grow without bound).
    rng : numpy.random.Generator, int or None, optional
        Draws the subset; the default makes the summary reproducible.

    Returns
    -------
    PairwiseSummary
    """
    x = as_patterns(patterns)
    rows = np.arange(x.shape[0])
    sampled = None
    if x.shape[0] > sample:
        rows = np.sort(np.random.default_rng(rng).choice(x.shape[0], sample, replace=False))
        sampled = sample
    if rows.size < 2:
        return PairwiseSummary(0.0, (0, 0), 0.0, sampled)
    subset = x[rows].astype(np.float32)  # integer dot products below 2**24: exact
    m = np.abs(subset @ subset.T) / x.shape[1]
    np.fill_diagonal(m, -1.0)
    i, j = np.unravel_index(int(np.argmax(m)), m.shape)
    off_diagonal = m[~np.eye(rows.size, dtype=bool)]
    return PairwiseSummary(float(m[i, j]), (int(rows[i]), int(rows[j])), float(off_diagonal.mean()), sampled)


def top_pairs(
    patterns: Any, k: int = 5, *, sample: int = 2000, rng: Any = 0
) -> tuple[list[tuple[int, int, float]], int | None]:
    """The ``k`` most similar pairs of stored patterns, by the size of their overlap.

    A pattern and another's inverse are as alike to the dynamics as two equal
    ones (-xi is a fixed point too), so pairs are ranked by ``|m|``; the
    overlap itself keeps its sign.

    Parameters
    ----------
    patterns : array_like of shape (P, N)
    k : int, optional
        Pairs to return (fewer when there are fewer pairs).
    sample : int, optional
        Above this many patterns, compare a random subset of this size, as
        :func:`pairwise_overlaps` does (with the same subset for the same ``rng``).
    rng : numpy.random.Generator, int or None, optional

    Returns
    -------
    pairs : list of (int, int, float)
        Indices ``i < j`` and the signed overlap, largest ``|overlap|`` first.
    sampled : int or None
        The subset size, or None when every pair was compared.

    Examples
    --------
    >>> top_pairs([[1, 1, 1, 1], [1, 1, 1, -1], [-1, -1, -1, -1]], k=2)
    ([(0, 2, -1.0), (0, 1, 0.5)], None)
    """
    check_positive_int("k", k)
    x = as_patterns(patterns)
    rows = np.arange(x.shape[0])
    sampled = None
    if x.shape[0] > sample:
        rows = np.sort(np.random.default_rng(rng).choice(x.shape[0], sample, replace=False))
        sampled = sample
    if rows.size < 2:
        return [], sampled
    subset = x[rows].astype(np.float32)  # integer dot products below 2**24: exact
    m = subset @ subset.T / x.shape[1]
    upper_i, upper_j = np.triu_indices(rows.size, 1)
    values = m[upper_i, upper_j]
    # Stable sort: ties keep the order of the stored patterns.
    order = np.argsort(-np.abs(values), kind="stable")[:k]
    pairs = [(int(rows[upper_i[n]]), int(rows[upper_j[n]]), float(values[n])) for n in order]
    return pairs, sampled
