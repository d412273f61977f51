"""Measures of recall quality: overlap, Hamming distance, nearest memory, right vs stored.

A recall is judged twice.  Where it landed (:func:`nearest`): on a stored
pattern, on a stored pattern's inverse, or elsewhere (spurious).  And whether
that is the right memory (:func:`judge`): the *target* of a cue is the stored
memory named like it, and the recall is correct only when it equals the
target.  Landing on some stored pattern is not being right: a half-blanked
horse that comes back as the moon is stored and wrong.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from hopfield_cli._validate import as_patterns, as_states, check_positive_int
from hopfield_cli.errors import InvalidParameterError

STORED = "stored"
INVERTED = "inverted"
SPURIOUS = "spurious"
#: Grey/colour recall that is not any one memory at 8-bit levels (a blend).
MIXTURE = "mixture"
#: Verdicts of cues with a target: the right memory, or a stored memory that is not it.
CORRECT = "correct"
OTHER_MEMORY = "other-memory"


#: Pattern values per block of :func:`overlap` (4 MB as float32, unless 64 rows, the fewest a
#: block takes, are more).
_OVERLAP_BLOCK = 1 << 20
_MIN_OVERLAP_ROWS = 64


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
    # The dot products are integers: exact in float32 below 2**24, and float32 products are twice as fast.
    dtype = np.float32 if x.shape[1] < 2**24 else np.float64
    cue = s.astype(dtype)
    dots = np.empty((s.shape[0], x.shape[0]))
    # Patterns converted a block of rows at a time into one reused buffer: a float copy of
    # them all (52 MB for 200 images of 256 x 256) costs more in page faults than the product.
    rows = max(_MIN_OVERLAP_ROWS, _OVERLAP_BLOCK // x.shape[1])
    buffer = np.empty((min(rows, x.shape[0]), x.shape[1]), dtype=dtype)
    for start in range(0, x.shape[0], rows):
        block = buffer[: min(rows, x.shape[0] - start)]
        np.copyto(block, x[start : start + rows])
        dots[:, start : start + rows] = cue @ block.T
    return np.asarray(dots / x.shape[1])


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


def _sampled_overlaps(
    patterns: Any, sample: int, rng: Any
) -> tuple[NDArray[np.intp], NDArray[np.float32] | None, int | None]:
    """Rows compared, their signed overlap matrix (None below two rows) and the subset size.

    Above ``sample`` patterns the rows are a sorted random subset of that size.
    """
    x = as_patterns(patterns)
    rows = np.arange(x.shape[0])
    sampled = None
    if x.shape[0] > sample:
        rows = np.sort(np.random.default_rng(rng).choice(x.shape[0], sample, replace=False))
        sampled = sample
    if rows.size < 2:
        return rows, None, sampled
    subset = x[rows].astype(np.float32)  # integer dot products below 2**24: exact
    return rows, subset @ subset.T / x.shape[1], sampled


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
    rows, signed, sampled = _sampled_overlaps(patterns, sample, rng)
    if signed is None:
        return PairwiseSummary(0.0, (0, 0), 0.0, sampled)
    m = np.abs(signed)
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
    rows, m, sampled = _sampled_overlaps(patterns, sample, rng)
    if m is None:
        return [], sampled
    upper_i, upper_j = np.triu_indices(rows.size, 1)
    values = m[upper_i, upper_j]
    # Stable sort: ties keep the order of the stored patterns.
    order = np.argsort(-np.abs(values), kind="stable")[:k]
    pairs = [(int(rows[upper_i[n]]), int(rows[upper_j[n]]), float(values[n])) for n in order]
    return pairs, sampled


def targets_by_name(cue_names: Sequence[str], names: Sequence[str]) -> list[int | None]:
    """Index of the stored memory named like each cue, or None.

    Parameters
    ----------
    cue_names : sequence of str
        Names of the cues (file names without extension).
    names : sequence of str
        Names of the stored memories; the first of duplicates wins.

    Returns
    -------
    list of int or None
    """
    index: dict[str, int] = {}
    for k, name in enumerate(names):
        index.setdefault(name, k)
    return [index.get(name) for name in cue_names]


def verdict_of(landed: str, correct: bool | None) -> str:
    """One word for a recall, from where it landed and whether that is right.

    Parameters
    ----------
    landed : {"stored", "inverted", "spurious", "mixture"}
        Where the output landed (see :func:`nearest`).
    correct : bool or None
        Whether the output is the target; None when the cue has no target.

    Returns
    -------
    str
        ``"correct"``; with a target that was missed, ``"other-memory"`` for
        a stored pattern (or, grey/colour, a picture nearest to one) that is
        not the target, else ``"inverted"`` or ``"spurious"``; without a
        target, ``landed`` itself.
    """
    if correct:
        return CORRECT
    if correct is None:
        return landed
    return OTHER_MEMORY if landed in (STORED, MIXTURE) else landed


@dataclass(frozen=True)
class Judgement:
    """Nearest memory and right-vs-stored verdict of one binary recall.

    Attributes
    ----------
    match : Match
        Nearest stored pattern (largest ``|overlap|``) and where it landed.
    target : int or None
        Row of the memory named like the cue.
    correct : bool or None
        Output equals the target bit for bit; None without a target.
    verdict : str
        See :func:`verdict_of`.
    """

    match: Match
    target: int | None
    correct: bool | None
    verdict: str


def judge(states: Any, patterns: Any, targets: Sequence[int | None]) -> list[Judgement]:
    """Judge binary recalls against their targets.

    Parameters
    ----------
    states : array_like of shape (B, N)
        Recalled states (-1/+1).
    patterns : array_like of shape (P, N)
        Stored patterns.
    targets : sequence of int or None, length B
        Row of each state's target (see :func:`targets_by_name`).

    Returns
    -------
    list of Judgement
    """
    x = as_patterns(patterns)
    s = as_states("states", states, x.shape[1])
    if len(targets) != s.shape[0]:
        raise InvalidParameterError(f"targets: {len(targets)} given for {s.shape[0]} states")
    out = []
    for row, match, target in zip(s, nearest(s, x), targets, strict=True):
        correct = None if target is None else bool(np.array_equal(row, x[target]))
        out.append(Judgement(match, target, correct, verdict_of(match.verdict, correct)))
    return out


@dataclass(frozen=True)
class Tally:
    """Counts of a batch of recalls, for the one-line summary.

    Attributes
    ----------
    cues, with_target, correct : int
        Cues, cues with a target, and correct ones among them.
    verdicts : dict of str to int
        Cues per verdict.
    cycles : int
        Cues whose synchronous run fell into a 2-cycle.
    unconverged : int
        Cues stopped by the iteration limit.
    """

    cues: int
    with_target: int
    correct: int
    verdicts: dict[str, int]
    cycles: int
    unconverged: int

    def line(self) -> str:
        """``"12/13 correct (1 other-memory); 2 fell into a 2-cycle"`` and the like."""
        if self.with_target:
            head = f"{self.correct}/{self.with_target} correct"
            if self.with_target < self.cues:
                missing = self.cues - self.with_target
                head += f" ({missing} of {self.cues} cues named like no stored memory)"
        else:
            head = f"{self.cues} cue(s), none named like a stored memory (correct unknown)"
        wrong = [f"{n} {v}" for v, n in self.verdicts.items() if v != CORRECT and n]
        parts = [head + (": " + ", ".join(wrong) if wrong else "")]
        if self.cycles:
            parts.append(f"{self.cycles} fell into a 2-cycle")
        if self.unconverged:
            parts.append(f"{self.unconverged} stopped at the iteration limit")
        return "; ".join(parts)


def tally(verdicts: Sequence[str], correct: Sequence[bool | None], statuses: Sequence[str]) -> Tally:
    """Count verdicts, correct recalls, 2-cycles and runs stopped by the limit.

    Parameters
    ----------
    verdicts : sequence of str
    correct : sequence of bool or None
    statuses : sequence of str
        Dynamics statuses (``"2-cycle"``, ``"2-cycle, then async fixed
        point"``, ``"max-iter"``, ...).

    Returns
    -------
    Tally
    """
    counts: dict[str, int] = {}
    for verdict in verdicts:
        counts[verdict] = counts.get(verdict, 0) + 1
    return Tally(
        cues=len(verdicts),
        with_target=sum(c is not None for c in correct),
        correct=sum(c is True for c in correct),
        verdicts=counts,
        cycles=sum(status.startswith("2-cycle") for status in statuses),
        unconverged=sum(status == "max-iter" for status in statuses),
    )
