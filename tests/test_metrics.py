"""Metrics: overlap, Hamming distance and nearest-memory verdicts."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from hopfield_cli.metrics import INVERTED, SPURIOUS, STORED, hamming, nearest, overlap, pairwise_overlaps


@settings(max_examples=50, deadline=None)
@given(n=st.integers(1, 60), seed=st.integers(0, 2**32 - 1))
def test_hamming_is_n_one_minus_overlap_over_two(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    a, b = rng.choice(np.array([-1, 1], dtype=np.int8), size=(2, n))
    m = overlap(a, b[np.newaxis])[0, 0]
    assert_allclose(hamming(a, b)[0], n * (1 - m) / 2, rtol=0, atol=1e-9)


def test_nearest_verdicts() -> None:
    x = np.array([[1, 1, 1, 1, -1, -1], [1, -1, 1, -1, 1, -1]], dtype=np.int8)
    stored, inverted, spurious = x[1], -x[0], np.array([1, 1, 1, 1, 1, 1], dtype=np.int8)
    matches = nearest(np.stack([stored, inverted, spurious]), x)
    assert [m.verdict for m in matches] == [STORED, INVERTED, SPURIOUS]
    assert [m.index for m in matches] == [1, 0, 0]
    assert matches[0].exact and not matches[1].exact and not matches[2].exact
    assert matches[0].hamming == 0 and matches[1].hamming == 6 and matches[2].hamming == 2
    assert_allclose([m.overlap for m in matches], [1.0, -1.0, 2 / 6], rtol=0, atol=1e-12)


def test_overlap_shape_and_range() -> None:
    rng = np.random.default_rng(0)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, 20))
    m = overlap(x, x)
    assert m.shape == (3, 3)
    assert_allclose(np.diag(m), 1.0, rtol=0, atol=0)
    assert np.all(np.abs(m) <= 1)


def test_pairwise_overlaps_exact_and_sampled() -> None:
    rng = np.random.default_rng(1)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(40, 64))
    x[7] = x[3]
    x[7, :8] *= -1  # rows 3 and 7 overlap by 1 - 2 * 8 / 64 = 0.75
    exact = pairwise_overlaps(x)
    m = np.abs(overlap(x, x))
    np.fill_diagonal(m, 0)
    assert exact.sampled is None and exact.pair == (3, 7)
    assert_allclose(exact.max_overlap, 0.75, rtol=0, atol=1e-12)
    assert_allclose(exact.mean_overlap, m.sum() / (40 * 39), rtol=1e-6, atol=0)
    sampled = pairwise_overlaps(x, sample=10, rng=0)
    assert sampled.sampled == 10 and sampled.max_overlap <= exact.max_overlap
    assert pairwise_overlaps(x, sample=10, rng=0) == sampled
    assert pairwise_overlaps(x[:1]).max_overlap == 0.0


def test_judge_tells_right_from_merely_stored() -> None:
    from hopfield_cli.metrics import CORRECT, OTHER_MEMORY, judge, targets_by_name

    x = np.array([[1, 1, 1, 1, -1, -1], [1, -1, 1, -1, 1, -1]], dtype=np.int8)
    spurious = np.array([1, 1, 1, 1, 1, 1], dtype=np.int8)
    states = np.stack([x[0], x[1], -x[0], spurious, x[1]])
    targets = targets_by_name(["a", "a", "a", "b", "nobody"], ["a", "b"])
    assert targets == [0, 0, 0, 1, None]
    verdicts = judge(states, x, targets)
    assert [v.verdict for v in verdicts] == [CORRECT, OTHER_MEMORY, INVERTED, SPURIOUS, STORED]
    assert [v.correct for v in verdicts] == [True, False, False, False, None]
    # exact keeps meaning "some stored pattern": true for the wrong memory too.
    assert [v.match.exact for v in verdicts] == [True, True, False, False, True]


def test_judge_counts_a_duplicate_memory_as_correct() -> None:
    """Two names for one picture: equal to the target bit for bit is correct, whichever row is nearest."""
    from hopfield_cli.metrics import judge

    x = np.array([[1, -1, 1, -1], [1, -1, 1, -1]], dtype=np.int8)
    (verdict,) = judge(x[:1], x, [1])
    assert verdict.correct is True and verdict.match.index == 0


def test_tally_line_counts_correct_cycles_and_limits() -> None:
    from hopfield_cli.metrics import tally

    counts = tally(
        ["correct", "other-memory", "spurious", "stored"],
        [True, False, False, None],
        ["fixed point", "2-cycle, then async fixed point", "max-iter", "fixed point"],
    )
    assert (counts.cues, counts.with_target, counts.correct, counts.cycles, counts.unconverged) == (
        4,
        3,
        1,
        1,
        1,
    )
    assert counts.line() == (
        "1/3 correct (1 of 4 cues named like no stored memory): 1 other-memory, 1 spurious, 1 stored; "
        "1 fell into a 2-cycle; 1 stopped at the iteration limit"
    )
