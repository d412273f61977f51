"""Engines: fields and energies agree with dense references, without N x N storage."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_random_patterns
from numpy.testing import assert_allclose

from hopfield_cli.dynamics import recall
from hopfield_cli.errors import InvalidParameterError
from hopfield_cli.network import DenseNetwork, MatrixNetwork, QuadraticNetwork
from hopfield_cli.rules import hebbian, storkey

SEED = 20261123


def random_patterns(p: int, n: int, seed: int = SEED) -> np.ndarray:
    return make_random_patterns(p, n, seed)  # the one maker (conftest), with this module's seed


def dense_hebbian(x: np.ndarray) -> np.ndarray:
    w = x.T.astype(np.float64) @ x.astype(np.float64) / x.shape[1]
    np.fill_diagonal(w, 0.0)
    return w


@pytest.mark.parametrize("p, n", [(1, 5), (3, 40), (10, 64)])
def test_hebbian_fields_and_energy_match_dense_matrix(p: int, n: int) -> None:
    x = random_patterns(p, n)
    net = hebbian(x)
    w = dense_hebbian(x)
    states = np.random.default_rng(SEED + 1).choice(np.array([-1, 0, 1], dtype=np.int8), size=(4, n))
    assert_allclose(net.fields(states), states @ w.T, rtol=0, atol=1e-12)
    expected = -0.5 * np.einsum("bi,ij,bj->b", states, w, states)
    assert_allclose(net.energy(states), expected, rtol=1e-12, atol=1e-12)
    assert_allclose(net.weights(), w, rtol=0, atol=1e-12)


def test_hebbian_uses_exact_float32_integer_arithmetic() -> None:
    net = hebbian(random_patterns(4, 100))
    assert net.dtype == np.float32
    assert net.rank == 4


def test_centered_hebbian_field_is_weights_times_centred_state() -> None:
    x = random_patterns(5, 50)
    x[:, :30] = -1  # biased: mostly dark
    net = hebbian(x, centered=True)
    a = x.mean()
    u = x - a
    w = u.T @ u / x.shape[1]
    np.fill_diagonal(w, 0.0)
    s = random_patterns(1, 50, seed=3)[0]
    assert_allclose(net.fields(s)[0], w @ (s - a), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(
    "net",
    [
        hebbian(random_patterns(6, 30)),
        hebbian(random_patterns(6, 30), threshold=0.1),
        DenseNetwork(random_patterns(6, 30), "power", degree=3),
        DenseNetwork(random_patterns(6, 30), "power", degree=4, threshold=0.05),
        DenseNetwork(random_patterns(6, 30), "log-sum-exp", beta=0.3),
        MatrixNetwork(storkey(random_patterns(6, 30)).weights(), threshold=0.05),
    ],
    ids=["hebbian", "hebbian-threshold", "poly3", "poly4-threshold", "exp", "matrix"],
)
def test_field_is_half_the_energy_difference(net: QuadraticNetwork | DenseNetwork | MatrixNetwork) -> None:
    s = random_patterns(1, 30, seed=11)[0]
    fields = net.fields(s)[0]
    for i in range(30):
        up, down = s.copy(), s.copy()
        up[i], down[i] = 1, -1
        energies = net.energy(np.stack([up, down]))
        assert_allclose(fields[i], 0.5 * (energies[1] - energies[0]), rtol=1e-9, atol=1e-9)


def test_block_prefix_fields_equal_sequential_updates() -> None:
    x = random_patterns(5, 40)
    matrix = MatrixNetwork(storkey(x).weights())
    for net in (hebbian(x), DenseNetwork(x, "log-sum-exp", beta=0.2), matrix):
        state = random_patterns(1, 40, seed=5)[0]
        idx = np.arange(10, 20)
        delta = np.zeros(10, dtype=np.int8)
        delta[[1, 4, 7]] = -2 * state[idx[[1, 4, 7]]]
        cache = net.start_cache(state)
        fields = net.prefix_fields(cache, idx, net.gather_rows(idx), state[idx], delta)
        sequential = state.copy()
        for t, i in enumerate(idx):
            assert_allclose(fields[t], net.fields(sequential)[0, i], rtol=1e-9, atol=1e-9)
            sequential[i] += delta[t]


def test_invalid_inputs_are_rejected_with_named_parameters() -> None:
    with pytest.raises(InvalidParameterError, match="coupling"):
        QuadraticNetwork(np.ones((2, 3)), np.eye(3), np.zeros(3))
    with pytest.raises(InvalidParameterError, match="degree"):
        DenseNetwork(random_patterns(2, 4), "power", degree=1)
    with pytest.raises(InvalidParameterError, match="beta"):
        DenseNetwork(random_patterns(2, 4), "log-sum-exp", beta=-1.0)
    with pytest.raises(InvalidParameterError, match="states"):
        hebbian(random_patterns(2, 4)).fields(np.ones(5))
    with pytest.raises(InvalidParameterError, match="-1, 0 and"):
        hebbian(random_patterns(2, 4)).fields(np.full(4, 2))


@pytest.mark.parametrize("threshold", [0.0, 0.3])
def test_quadratic_energy_from_fields_matches_energy(threshold: float) -> None:
    net = hebbian(random_patterns(7, 90), threshold=threshold)
    states = np.random.default_rng(SEED + 5).choice(np.array([-1, 0, 1], dtype=np.int8), size=(5, 90))
    from_fields = net.energy_from_fields(states, net.fields(states))
    assert from_fields is not None
    assert_allclose(from_fields, net.energy(states), rtol=1e-12, atol=1e-9)
    dense = DenseNetwork(random_patterns(2, 8), "power")
    assert dense.energy_from_fields(states[:, :8], net.fields(states)[:, :8]) is None


@pytest.mark.parametrize("update", ["sync", "async"])
def test_matrix_network_recalls_as_its_low_rank_form(update: str) -> None:
    low_rank = storkey(random_patterns(12, 40), threshold=0.02)
    matrix = MatrixNetwork(low_rank.weights(), threshold=0.02)
    states = random_patterns(6, 40, seed=9)
    assert_allclose(matrix.fields(states), low_rank.fields(states), rtol=1e-12, atol=1e-12)
    assert_allclose(matrix.energy(states), low_rank.energy(states), rtol=1e-12, atol=1e-12)
    ours = recall(matrix, states, update=update, rng=SEED)
    theirs = recall(low_rank, states, update=update, rng=SEED)
    for a, b in zip(ours, theirs, strict=True):
        assert np.array_equal(a.state, b.state)
        assert a.iterations == b.iterations
        assert_allclose(a.energies, b.energies, rtol=1e-12, atol=1e-12)


def test_matrix_network_rejects_a_non_square_matrix() -> None:
    with pytest.raises(InvalidParameterError, match="weights must have shape"):
        MatrixNetwork(np.zeros((3, 4)))
