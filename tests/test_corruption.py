"""Corruption: exact damage counts, unknown pixels, blocks, halves, seeds."""

from __future__ import annotations

import numpy as np
import pytest

from hopfield_cli.corruption import corrupt, erase, flip, half, occlude
from hopfield_cli.errors import InvalidParameterError

SEED = 99
SHAPE = (20, 30)


@pytest.fixture
def pattern() -> np.ndarray:
    return np.random.default_rng(SEED).choice(np.array([-1, 1], dtype=np.int8), size=600)


@pytest.mark.parametrize("noise", [0.0, 0.1, 0.3, 0.5, 1.0])
def test_flip_inverts_exactly_round_noise_n(pattern: np.ndarray, noise: float) -> None:
    out = flip(pattern, noise, SEED)
    assert np.count_nonzero(out != pattern) == round(noise * 600)
    np.testing.assert_array_equal(np.abs(out), 1)


def test_flip_per_pixel_is_bernoulli(pattern: np.ndarray) -> None:
    big = np.tile(pattern, 50)
    share = np.count_nonzero(flip(big, 0.3, SEED, per_pixel=True) != big) / big.size
    assert abs(share - 0.3) < 0.01  # 30000 draws: 5 standard deviations is 0.013


def test_erase_marks_unknown(pattern: np.ndarray) -> None:
    out = erase(pattern, 0.25, SEED)
    assert np.count_nonzero(out == 0) == 150
    np.testing.assert_array_equal(out[out != 0], pattern[out != 0])


def test_occlude_covers_one_block(pattern: np.ndarray) -> None:
    out = occlude(pattern, SHAPE, 0.25, SEED, fill="unknown").reshape(SHAPE)
    rows, cols = np.nonzero(out == 0)
    assert (rows.max() - rows.min() + 1, cols.max() - cols.min() + 1) == (10, 15)
    assert rows.size == 150


@pytest.mark.parametrize(
    "side, region",
    [("top", np.s_[:10]), ("bottom", np.s_[10:]), ("left", np.s_[:, :15]), ("right", np.s_[:, 15:])],
)
def test_half_blanks_one_side(pattern: np.ndarray, side: str, region: object) -> None:
    out = half(pattern, SHAPE, 0.5, side=side, fill="white").reshape(SHAPE)
    assert np.all(out[region] == 1)
    keep = np.ones(SHAPE, dtype=bool)
    keep[region] = False
    np.testing.assert_array_equal(out[keep], pattern.reshape(SHAPE)[keep])


@pytest.mark.parametrize("kind", ["flip", "erase", "occlude", "half"])
def test_same_seed_same_damage_and_zero_noise_is_clean(pattern: np.ndarray, kind: str) -> None:
    a = corrupt(pattern, SHAPE, kind, 0.3, 5)
    b = corrupt(pattern, SHAPE, kind, 0.3, 5)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(corrupt(pattern, SHAPE, kind, 0.0, 5), pattern)
    if kind in ("flip", "erase", "occlude"):
        assert not np.array_equal(a, corrupt(pattern, SHAPE, kind, 0.3, 6))


@pytest.mark.parametrize("noise", [-0.1, 1.5, float("nan")])
def test_noise_outside_unit_interval_is_refused(pattern: np.ndarray, noise: float) -> None:
    with pytest.raises(InvalidParameterError, match="noise must be between 0 and 1"):
        flip(pattern, noise, SEED)


def test_bad_kind_and_shape_are_named(pattern: np.ndarray) -> None:
    with pytest.raises(InvalidParameterError, match="kind must be one of flip, erase, occlude, half"):
        corrupt(pattern, SHAPE, "smudge", 0.1)
    with pytest.raises(InvalidParameterError, match="does not match"):
        occlude(pattern, (10, 10), 0.1)
