"""Engines: fields and energies agree with dense references, without N x N storage."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_random_patterns
from numpy.testing import assert_allclose

from hopfield_cli.dynamics import RecallResult, recall
from hopfield_cli.errors import InvalidParameterError
from hopfield_cli.network import DenseNetwork, MatrixNetwork, QuadraticNetwork, StorkeyNetwork
from hopfield_cli.rules import hebbian, storkey

SEED = 20261123


def random_patterns(p: int, n: int, seed: int = SEED) -> np.ndarray:
    return make_random_patterns(p, n, seed)  # the one maker (conftest), with this module's seed


def assert_same_recalls(ours: list[RecallResult], theirs: list[RecallResult], tolerance: float) -> None:
    """Same states and iteration counts, energies to ``tolerance`` (relative and absolute)."""
    for a, b in zip(ours, theirs, strict=True):
        assert np.array_equal(a.state, b.state)
        assert a.iterations == b.iterations
        assert_allclose(a.energies, b.energies, rtol=tolerance, atol=tolerance)


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
        storkey(random_patterns(6, 30), threshold=0.05),
    ],
    ids=["hebbian", "hebbian-threshold", "poly3", "poly4-threshold", "exp", "matrix", "storkey"],
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
    for net in (hebbian(x), DenseNetwork(x, "log-sum-exp", beta=0.2), matrix, storkey(x)):
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
    assert_same_recalls(ours, theirs, tolerance=1e-12)


def test_matrix_network_rejects_a_non_square_matrix() -> None:
    with pytest.raises(InvalidParameterError, match="weights must have shape"):
        MatrixNetwork(np.zeros((3, 4)))


def _storkey_network_and_float64_form(
    p: int, n: int, seed: int, step: int
) -> tuple[StorkeyNetwork, QuadraticNetwork]:
    """A StorkeyNetwork on random data and the same network as float64 factors ``[X; H]``, ``M``."""
    rng = np.random.default_rng(seed)
    x = random_patterns(p, n, seed)
    met = rng.normal(size=(p, n))
    w = rng.uniform(0.5, 2.0, size=p) / n
    d = rng.normal(size=n)
    theta = rng.normal(scale=0.1, size=n)
    net = StorkeyNetwork(x, met, w, d, theta)
    net._step = step  # several column blocks even at this small size
    c = np.diag(w)
    coupling = np.block([[c, -c], [-c, np.zeros((p, p))]])
    return net, QuadraticNetwork(np.concatenate([x, met]), coupling, d, theta)


@pytest.mark.parametrize(("p", "n", "step"), [(1, 9, 256), (7, 50, 16), (20, 300, 64)])
def test_storkey_network_equals_its_float64_quadratic_form(p: int, n: int, step: int) -> None:
    net, reference = _storkey_network_and_float64_form(p, n, SEED + p, step)
    assert net.rank == reference.rank == 2 * p
    states = np.random.default_rng(SEED + 7).choice(np.array([-1, 0, 1], dtype=np.int8), size=(5, n))
    assert_allclose(net.fields(states), reference.fields(states), rtol=1e-10, atol=1e-10)
    assert_allclose(net.energy(states), reference.energy(states), rtol=1e-10, atol=1e-10)
    assert_allclose(net.weights(), reference.weights(), rtol=1e-10, atol=1e-12)
    state = states[0]
    idx = np.arange(n)[::-2]
    delta = np.zeros(idx.size, dtype=np.int8)
    delta[::3] = np.where(state[idx[::3]] > 0, -1, 1)
    ours = net.prefix_fields(net.start_cache(state), idx, net.gather_rows(idx), state[idx], delta)
    theirs = reference.prefix_fields(
        reference.start_cache(state), idx, reference.gather_rows(idx), state[idx], delta
    )
    assert_allclose(ours, theirs, rtol=1e-10, atol=1e-10)
    cache, rows = net.start_cache(state), net.gather_rows(idx)
    net.apply_changes(cache, rows, delta)
    expected = reference.start_cache(state)
    reference.apply_changes(expected, reference.gather_rows(idx), delta)
    assert_allclose(cache, expected, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("update", ["sync", "async"])
def test_storkey_network_recalls_as_its_float64_form(update: str) -> None:
    x = random_patterns(12, 60, seed=4)
    net = storkey(x, threshold=0.01)
    assert isinstance(net, StorkeyNetwork)
    reference = QuadraticNetwork(net._factors(), net._coupling(), net._d, 0.01)
    cues = random_patterns(6, 60, seed=5)
    cues[:3] = x[:3]
    cues[:3, :12] *= -1
    ours = recall(net, cues, update=update, rng=SEED)
    theirs = recall(reference, cues, update=update, rng=SEED)
    assert_same_recalls(ours, theirs, tolerance=1e-10)


def test_storkey_network_rejects_mismatched_parts() -> None:
    x = random_patterns(3, 8)
    with pytest.raises(InvalidParameterError, match="patterns must be int8"):
        StorkeyNetwork(x.astype(np.float64), np.zeros((3, 8)), np.ones(3), np.zeros(8))
    with pytest.raises(InvalidParameterError, match="met must be float64"):
        StorkeyNetwork(x, np.zeros((2, 8)), np.ones(3), np.zeros(8))
    with pytest.raises(InvalidParameterError, match="weights must have shape"):
        StorkeyNetwork(x, np.zeros((3, 8)), np.ones(2), np.zeros(8))
    with pytest.raises(InvalidParameterError, match="self_coupling must have shape"):
        StorkeyNetwork(x, np.zeros((3, 8)), np.ones(3), np.zeros(7))
