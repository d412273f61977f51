"""Tests of the learning rules (hopfield_cli.rules)."""

from __future__ import annotations

import importlib.resources
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import make_random_patterns
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

from hopfield_cli import dynamics, rules
from hopfield_cli.corruption import flip
from hopfield_cli.errors import InvalidParameterError, LearningError
from hopfield_cli.network import DenseNetwork, MatrixNetwork, QuadraticNetwork, StorkeyNetwork

SEED = 20240611
SAMPLE_IMAGES = Path(__file__).resolve().parent.parent / "sample_images"


def random_patterns(p: int, n: int, seed: int = SEED) -> np.ndarray:
    return make_random_patterns(p, n, seed)  # the one maker (conftest), with this module's seed


# --------------------------------------------------------------------------- references


def storkey_reference(x: np.ndarray) -> np.ndarray:
    """Storkey (1997) exactly as published: loops over i, j and k, N x N weights."""
    p, n = x.shape
    w = np.zeros((n, n))
    for mu in range(p):
        xi = x[mu].astype(np.float64)
        h = np.zeros((n, n))
        for i in range(n):
            for j in range(n):
                h[i, j] = sum(w[i, k] * xi[k] for k in range(n) if k not in (i, j))
        new = w.copy()
        for i in range(n):
            for j in range(n):
                if i != j:
                    new[i, j] = w[i, j] + (xi[i] * xi[j] - xi[i] * h[j, i] - h[i, j] * xi[j]) / n
        w = new
    return w


def pseudoinverse_reference(x: np.ndarray) -> np.ndarray:
    xf = x.astype(np.float64)
    w = xf.T @ np.linalg.inv(xf @ xf.T) @ xf
    np.fill_diagonal(w, 0.0)
    return w


def dense_reference(x: np.ndarray, state: np.ndarray, kind: str, degree: int, beta: float) -> np.ndarray:
    """Fields from the overlaps without each neuron, one neuron at a time."""
    n = x.shape[1]
    xf = x.astype(np.float64)
    s = state.astype(np.float64)
    out = np.empty(n)
    for i in range(n):
        a = xf @ s - xf[:, i] * s[i]
        if kind == "polynomial":
            out[i] = 0.5 * n * (((a + xf[:, i]) / n) ** degree - ((a - xf[:, i]) / n) ** degree).sum()
        else:
            up = np.logaddexp.reduce(beta * (a + xf[:, i]))
            down = np.logaddexp.reduce(beta * (a - xf[:, i]))
            out[i] = (up - down) / (2 * beta)
    return out


# --------------------------------------------------------------------------- storkey


# 37 and 40 patterns span several blocks of the blocked build.
@pytest.mark.parametrize(("p", "n"), [(1, 12), (3, 12), (5, 20), (8, 30), (37, 50), (40, 64)])
def test_storkey_matches_literal_dense_rule(p: int, n: int) -> None:
    x = random_patterns(p, n, SEED + n)
    expected = storkey_reference(x)
    net = rules.storkey(x)
    assert net.rank == 2 * p
    assert_allclose(net.weights(), expected, rtol=1e-10, atol=1e-12)
    # Fields include the removed diagonal, which weights() does not show.
    states = random_patterns(6, n, SEED + 1)
    assert_allclose(net.fields(states), states @ expected.T, rtol=1e-10, atol=1e-12)


def test_storkey_column_blocks_of_the_build_match_literal_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    # At this size every product is one column block; narrow blocks take the other path.
    monkeypatch.setattr(rules, "_LEAF_COLUMNS", 7)
    monkeypatch.setattr(rules, "_column_step", lambda rows: 5)
    x = random_patterns(30, 40, SEED + 5)
    expected = storkey_reference(x)
    net = rules.storkey(x)
    assert_allclose(net.weights(), expected, rtol=1e-10, atol=1e-12)
    states = random_patterns(4, 40, SEED + 6)
    assert_allclose(net.fields(states), states @ expected.T, rtol=1e-10, atol=1e-12)


def test_storkey_on_correlated_patterns_matches_reference() -> None:
    base = random_patterns(1, 24)[0]
    rng = np.random.default_rng(SEED)
    x = np.array([flip(base, 0.2, rng) for _ in range(6)])
    assert_allclose(rules.storkey(x).weights(), storkey_reference(x), rtol=1e-10, atol=1e-12)
    x = np.array([flip(base, 0.2, rng) for _ in range(35)])
    assert_allclose(rules.storkey(x).weights(), storkey_reference(x), rtol=1e-10, atol=1e-12)


def test_storkey_threshold_and_order() -> None:
    x = random_patterns(4, 16)
    net = rules.storkey(x, threshold=0.25)
    assert_allclose(net.threshold, np.full(16, 0.25), rtol=0, atol=0)
    # Learning is sequential: another order gives other weights.
    assert not np.allclose(rules.storkey(x[::-1]).weights(), net.weights(), rtol=1e-6, atol=1e-9)


def test_storkey_same_input_same_network() -> None:
    x = random_patterns(6, 40)
    assert_array_equal(rules.storkey(x).weights(), rules.storkey(x.copy()).weights())


@pytest.mark.parametrize("narrow", [False, True])
@pytest.mark.parametrize(("p", "n"), [(1, 12), (2, 12), (8, 30), (37, 50), (40, 64)])
def test_storkey_from_its_summary_matches_literal_rule(
    p: int, n: int, narrow: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if narrow:  # column blocks of 7: several, the last one partial
        monkeypatch.setattr(rules, "_SUMMARY_COLUMNS", 7 * p)
    x = random_patterns(p, n, SEED + n)
    summary = rules.storkey_summary(rules.storkey(x))
    assert rules._storkey_from_summary(x, summary, 0.0) is not None  # the summary held
    net = rules.storkey(x, summary=summary, threshold=0.5)
    expected = storkey_reference(x)
    assert_allclose(net.weights(), expected, rtol=1e-10, atol=1e-12)
    states = random_patterns(6, n, SEED + 1)
    assert_allclose(net.fields(states), states @ expected.T - 0.5, rtol=1e-10, atol=1e-12)


def test_storkey_summary_is_the_gram_matrix_and_the_met_overlaps() -> None:
    x = random_patterns(9, 40)
    net = rules.storkey(x)
    summary = rules.storkey_summary(net)
    xf = x.astype(np.float64)
    assert_array_equal(summary.gram, xf @ xf.T)
    assert_allclose(summary.met_overlaps, net.met @ xf.T, rtol=1e-12, atol=1e-12)
    assert not net.met.flags.writeable and not net.patterns.flags.writeable
    assert_array_equal(net.patterns, x)


def test_storkey_summary_over_many_column_blocks_equals_the_build_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(rules, "_SUMMARY_COLUMNS", 100 * 45)  # blocks of 100 columns, the last of 37
    x = random_patterns(45, 737, SEED + 3)
    plain = rules.storkey(x)
    net = rules.storkey(x, summary=rules.storkey_summary(plain))
    assert_allclose(net.met, plain.met, rtol=0, atol=1e-12 * np.abs(plain.met).max())
    states = random_patterns(5, 737, SEED + 4)
    assert_allclose(net.fields(states), plain.fields(states), rtol=1e-12, atol=1e-12)


def test_storkey_build_from_a_summary_in_two_threads_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rules, "_SUMMARY_COLUMNS", 64 * 20)  # 9 blocks of 64 columns, the last of 1
    x = random_patterns(20, 513, SEED + 8)
    summary = rules.storkey_summary(rules.storkey(x))
    nets = []
    for workers in (1, 2):
        monkeypatch.setattr(rules, "_summary_workers", lambda workers=workers: workers)
        nets.append(rules._storkey_from_summary(x, summary, 0.0))
    one, two = nets
    assert one is not None and two is not None
    assert_array_equal(two.met, one.met)  # disjoint column blocks, the same arithmetic
    states = random_patterns(3, 513, SEED + 9)
    assert_array_equal(two.fields(states), one.fields(states))


@pytest.mark.parametrize(
    ("environment", "workers"),
    [({"OPENBLAS_NUM_THREADS": "1"}, 2), ({"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "4"}, 1), ({}, 1)],
)
def test_storkey_summary_build_uses_a_second_thread_only_beside_single_threaded_blas(
    monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], workers: int
) -> None:
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(rules.os, "sched_getaffinity", lambda pid: {0, 1}, raising=False)
    assert rules._summary_workers() == workers


@pytest.mark.parametrize("damage", ["gram", "overlap", "unused overlap", "pattern", "huge"])
def test_storkey_summary_that_does_not_hold_is_ignored(damage: str) -> None:
    x = random_patterns(12, 300, SEED + 7)
    good = rules.storkey_summary(rules.storkey(x))
    gram, met = good.gram.copy(), good.met_overlaps.copy()
    if damage == "gram":
        gram[2, 7] += 2
        gram[7, 2] += 2
    elif damage == "overlap":  # used by the build: a later field changes
        met[3, 9] += 1e-5 * np.abs(met[3]).max()
    elif damage == "unused overlap":  # below the diagonal, seen by the check alone
        met[11, 0] += 1e-5 * np.abs(met[11]).max()
    elif damage == "huge":  # overflows on the way, without a warning
        met[3, 9] = gram[1, 4] = 1e308
    else:  # the summary of other patterns
        x = x.copy()
        x[5, 17] *= -1
    bad = rules.StorkeySummary(gram, met)
    assert rules._storkey_from_summary(x, bad, 0.0) is None
    plain = rules.storkey(x)
    assert_array_equal(rules.storkey(x, summary=bad).met, plain.met)  # built as without a summary


def test_storkey_summary_must_hold_two_finite_p_by_p_matrices() -> None:
    x = random_patterns(3, 8)
    square = np.zeros((3, 3))
    with pytest.raises(InvalidParameterError, match=r"^summary gram must have shape \(3, 3\), got \(2, 2\)$"):
        rules.storkey(x, summary=rules.StorkeySummary(np.zeros((2, 2)), square))
    with pytest.raises(InvalidParameterError, match="^summary met_overlaps contains NaN or infinite values$"):
        rules.storkey(x, summary=rules.StorkeySummary(square, np.full((3, 3), np.inf)))


# --------------------------------------------------------------------------- pseudo-inverse


@pytest.mark.parametrize(("p", "n"), [(1, 10), (4, 16), (12, 30), (29, 30)])
def test_pseudoinverse_matches_dense_formula(p: int, n: int) -> None:
    x = random_patterns(p, n, SEED + p)
    net = rules.pseudoinverse(x)
    expected = pseudoinverse_reference(x)
    assert_allclose(net.weights(), expected, rtol=1e-9, atol=1e-10)
    states = random_patterns(5, n, SEED + 2)
    assert_allclose(net.fields(states), states @ expected.T, rtol=1e-9, atol=1e-10)


def test_pseudoinverse_recalls_correlated_patterns_that_hebbian_cannot() -> None:
    base = random_patterns(1, 200)[0]
    rng = np.random.default_rng(SEED)
    x = np.array([flip(base, 0.1, rng) for _ in range(10)])  # overlaps about 0.8
    assert_array_equal(np.where(rules.pseudoinverse(x).fields(x) >= 0, 1, -1), x)
    assert not np.array_equal(np.where(rules.hebbian(x).fields(x) >= 0, 1, -1), x)


def test_pseudoinverse_dependent_patterns_use_pseudo_inverse_of_gram() -> None:
    x = random_patterns(5, 24)
    with_duplicates = np.concatenate([x, x[:2], -x[3:4]])
    net = rules.pseudoinverse(with_duplicates)
    assert net.rank == 5
    assert_allclose(net.weights(), pseudoinverse_reference(x), rtol=1e-9, atol=1e-10)
    gram = with_duplicates.astype(np.float64) @ with_duplicates.T
    expected = with_duplicates.T @ np.linalg.pinv(gram) @ with_duplicates
    np.fill_diagonal(expected, 0.0)
    assert_allclose(net.weights(), expected, rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize(("p", "n"), [(16, 16), (20, 16)])
def test_pseudoinverse_rejects_patterns_spanning_all_neurons(p: int, n: int) -> None:
    with pytest.raises(LearningError, match=rf"cannot store {p} patterns of {n} neurons.*rank 16"):
        rules.pseudoinverse(random_patterns(p, n))


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(min_value=8, max_value=48),
    ratio=st.floats(min_value=0.05, max_value=0.6),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_pseudoinverse_stored_patterns_are_fixed_points(n: int, ratio: float, seed: int) -> None:
    p = max(1, int(ratio * n))
    x = random_patterns(p, n, seed)
    xf = x.astype(np.float64)
    assume(np.linalg.matrix_rank(xf) == p)  # dependent draws: see the duplicate test
    net = rules.pseudoinverse(x)
    diag = np.diag(xf.T @ np.linalg.inv(xf @ xf.T) @ xf)
    # W xi = (1 - d) xi exactly, so every bit keeps its sign while d < 1.
    assert_allclose(net.fields(x), (1.0 - diag) * xf, rtol=1e-9, atol=1e-9)
    if diag.max() < 1 - 1e-9:
        for result in dynamics.recall(net, x, update="sync"):
            assert result.iterations == 1
        assert_array_equal(np.array([r.state for r in dynamics.recall(net, x, update="sync")]), x)


# --------------------------------------------------------------------------- dense rules


@pytest.mark.parametrize(
    ("kind", "param"), [("polynomial", 2), ("polynomial", 3), ("polynomial", 6), ("exponential", 0.05)]
)
@pytest.mark.parametrize(("p", "n"), [(3, 7), (20, 64), (150, 40)])
def test_dense_fields_match_per_neuron_reference(kind: str, param: float, p: int, n: int) -> None:
    x = random_patterns(p, n)
    rng = np.random.default_rng(SEED)
    states = rng.integers(-1, 2, size=(6, n)).astype(np.int8)  # includes unknown (0) neurons
    states[0] = x[0]
    if kind == "polynomial":
        net = rules.polynomial(x, degree=int(param), threshold=0.1)
    else:
        net = rules.exponential(x, beta=param, threshold=0.1)
    degree, beta = net.degree, net.beta
    expected = np.array([dense_reference(x, s, kind, degree, beta) for s in states]) - 0.1
    assert_allclose(net.fields(states), expected, rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("beta", [0.3, 1.9, 2.5, 40.0])
def test_exponential_fields_for_small_and_large_beta(beta: float) -> None:
    x = random_patterns(30, 50)
    states = random_patterns(4, 50, SEED + 3)
    net = rules.exponential(x, beta=beta)
    expected = np.array([dense_reference(x, s, "exponential", 3, beta) for s in states])
    assert_allclose(net.fields(states), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("beta", [2.0, 2.01, 5.45, 20.0, 127.9, 128.0, 128.1, 400.0])
def test_exponential_batch_fields_near_memories_match_reference(beta: float) -> None:
    # Clusters of memories a few flips apart, and states one to three flips
    # from a memory, some neurons unknown: the weight against a neuron is a
    # small sum next to large ones, which a difference of sums loses.
    rng = np.random.default_rng(SEED)
    x = np.repeat(random_patterns(8, 48, SEED + 5), 5, axis=0)
    for memory in x[1:]:
        memory[rng.choice(48, size=int(rng.integers(1, 6)), replace=False)] *= -1
    states = np.repeat(x[:6], 3, axis=0)
    for state in states:
        state[rng.choice(48, size=int(rng.integers(0, 4)), replace=False)] *= -1
    states[::4, rng.choice(48, size=5, replace=False)] = 0
    threshold = rng.uniform(-0.3, 0.3, size=48)
    net = DenseNetwork(x, "log-sum-exp", beta=beta, threshold=threshold)
    expected = np.array([dense_reference(x, s, "exponential", 3, beta) for s in states]) - threshold
    assert_allclose(net.fields(states), expected, rtol=1e-9, atol=1e-9)


def test_dense_fields_are_half_energy_differences() -> None:
    x = random_patterns(25, 32)
    state = random_patterns(1, 32, SEED + 4)[0]
    for net in (rules.polynomial(x, degree=4), rules.exponential(x)):
        up = np.tile(state, (32, 1))
        down = up.copy()
        np.fill_diagonal(up, 1)
        np.fill_diagonal(down, -1)
        expected = 0.5 * (net.energy(down) - net.energy(up))
        assert_allclose(net.fields(state)[0], expected, rtol=1e-9, atol=1e-9)


def test_default_beta_resolves_one_pixel_against_all_other_memories() -> None:
    assert_allclose(rules.default_beta(n_patterns=1000), (math.log(1000) + 4) / 2, rtol=1e-15, atol=0)
    for p in (1, 2, 10, 1000, 10**6):
        # The other P - 1 memories, each one pixel (overlap 2) further, weigh under e^-4 together.
        assert (p - 1) * math.exp(-2 * rules.default_beta(n_patterns=p)) < math.exp(-4)
    net = rules.exponential(random_patterns(3, 100))
    assert isinstance(net, DenseNetwork)
    assert_allclose(net.beta, (math.log(3) + 4) / 2, rtol=1e-15, atol=0)
    assert_allclose(rules.legacy_default_beta(4096), 8 / 64, rtol=1e-15, atol=0)


def test_polynomial_degree_two_is_hebbian() -> None:
    x = random_patterns(6, 40)
    states = random_patterns(5, 40, SEED + 5)
    # E = -(1/N) sum (xi.s)^2 is twice the Hebbian energy up to a constant.
    assert_allclose(
        rules.polynomial(x, degree=2).fields(states),
        2 * rules.hebbian(x).fields(states),
        rtol=1e-9,
        atol=1e-9,
    )


# --------------------------------------------------------------------------- all rules

ALL_RULES: list[tuple[str, dict[str, Any]]] = [
    ("hebbian", {}),
    ("hebbian", {"centered": True}),
    ("storkey", {}),
    ("pseudoinverse", {}),
    ("polynomial", {"degree": 3}),
    ("exponential", {}),
]


@settings(max_examples=15, deadline=None)
@given(
    n=st.integers(min_value=6, max_value=60),
    p=st.integers(min_value=1, max_value=12),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_async_energy_never_rises(n: int, p: int, seed: int) -> None:
    p = min(p, n - 1)
    x = random_patterns(p, n, seed)
    cues = random_patterns(2, n, seed + 1)
    for rule, params in ALL_RULES:
        net = rules.build_network(rule, x, **params)
        for result in dynamics.recall(net, cues, update="async", rng=seed):
            energies = result.energies
            scale = 1.0 + np.abs(energies).max()
            assert np.all(np.diff(energies) <= 1e-9 * scale), (rule, energies)
            # Convergence is not asserted: with float64 weights (Storkey, pseudo-inverse) a
            # field that is exactly 0 in theory can come out as +-1e-16 depending on the
            # neuron's own state, so that neuron may flip every sweep at constant energy.


@pytest.mark.parametrize(("rule", "params"), ALL_RULES)
def test_rules_accept_any_integer_patterns_and_return_engines(rule: str, params: dict[str, object]) -> None:
    x = random_patterns(3, 20).astype(np.int64)
    net = rules.build_network(rule, x, **params)
    assert net.n_neurons == 20
    if rule in ("polynomial", "exponential"):
        assert isinstance(net, DenseNetwork)
    else:
        assert isinstance(net, QuadraticNetwork)


@pytest.mark.parametrize("rule", rules.RULES)
def test_rules_store_a_few_random_patterns(rule: str) -> None:
    x = random_patterns(4, 100)
    net = rules.build_network(rule, x)
    rng = np.random.default_rng(SEED)
    cues = np.array([flip(p, 0.1, rng) for p in x])
    states = np.array([r.state for r in dynamics.recall(net, cues, update="sync")])
    assert_array_equal(states, x)


def test_build_network_ignores_unused_and_none_parameters() -> None:
    x = random_patterns(3, 30)
    state = random_patterns(1, 30, SEED + 6)
    params = {"centered": None, "threshold": None, "degree": None, "beta": None}
    for rule in rules.RULES:
        net = rules.build_network(rule, x, **params)
        direct = getattr(rules, rule)(x)
        assert_allclose(net.fields(state), direct.fields(state), rtol=1e-12, atol=1e-12)
    net = rules.build_network("storkey", x, centered=True, degree=5, beta=2.0, threshold=0.5)
    assert_allclose(net.threshold, np.full(30, 0.5), rtol=0, atol=0)
    poly = rules.build_network("polynomial", x, degree=5)
    expo = rules.build_network("exponential", x, beta=2.0)
    assert isinstance(poly, DenseNetwork) and poly.degree == 5
    assert isinstance(expo, DenseNetwork) and expo.beta == 2.0


@pytest.mark.parametrize(
    ("rule", "params", "message"),
    [
        ("oja", {}, "rule must be one of .*'oja'"),
        ("polynomial", {"degree": 1}, "degree must be an integer from 2 to 30, got 1"),
        ("polynomial", {"degree": 2.5}, "degree must be an integer from 2 to 30, got 2.5"),
        ("polynomial", {"degree": True}, "degree must be an integer from 2 to 30, got True"),
        ("polynomial", {"degree": 31}, "degree must be an integer from 2 to 30, got 31"),
        ("polynomial", {"degree": 10**18}, "degree must be an integer from 2 to 30, got 1000000000000000000"),
        ("exponential", {"beta": 0.0}, "beta must be a finite number > 0, got 0.0"),
        ("exponential", {"beta": -1}, "beta must be a finite number > 0, got -1"),
        ("exponential", {"beta": math.nan}, "beta must be a finite number > 0, got nan"),
        ("exponential", {"beta": "big"}, "beta must be a finite number > 0, got 'big'"),
        ("storkey", {"threshold": "x"}, "threshold must be a number, got 'x'"),
        ("pseudoinverse", {"threshold": math.inf}, "threshold must be a finite number, got inf"),
        ("hebbian", {"threshold": [1, 2]}, r"threshold must be a number, got \[1, 2\]"),
    ],
)
def test_invalid_parameters_are_named(rule: str, params: dict[str, Any], message: str) -> None:
    x = random_patterns(3, 10)
    with pytest.raises(InvalidParameterError, match=message):
        rules.build_network(rule, x, **params)
    if rule in rules.RULES:
        with pytest.raises(InvalidParameterError, match=message):
            getattr(rules, rule)(x, **params)


@pytest.mark.parametrize(
    ("patterns", "message"),
    [
        (np.ones((3, 0)), "patterns must have shape"),
        (np.full((3, 10), 2), "patterns must contain only -1, 0 and \\+1"),
        (np.zeros((3, 10)), "patterns must contain only -1 and \\+1"),
    ],
)
@pytest.mark.parametrize("rule", rules.RULES)
def test_invalid_patterns_are_rejected(rule: str, patterns: np.ndarray, message: str) -> None:
    with pytest.raises(InvalidParameterError, match=message):
        rules.build_network(rule, patterns)


# --------------------------------------------------------------------------- prefixes


@pytest.mark.parametrize("rule", rules.RULES)
def test_prefix_networks_equal_separate_builds(rule: str) -> None:
    x = random_patterns(40, 48)
    loads = [1, 5, 17, 40]
    states = random_patterns(4, 48, SEED + 7)
    for load, net in zip(loads, rules.prefix_networks(rule, x, loads), strict=True):
        expected = rules.build_network(rule, x[:load])
        assert_allclose(net.fields(states), expected.fields(states), rtol=1e-9, atol=1e-10)


def test_prefix_networks_pseudoinverse_falls_back_on_dependent_patterns() -> None:
    x = random_patterns(12, 32)
    x[8] = -x[2]
    loads = [4, 8, 9, 12]
    nets = list(rules.prefix_networks("pseudoinverse", x, loads))
    assert all(isinstance(net, QuadraticNetwork) for net in nets)
    assert [net.rank for net in nets if isinstance(net, QuadraticNetwork)] == [4, 8, 8, 11]
    for load, net in zip(loads, nets, strict=True):
        assert isinstance(net, QuadraticNetwork)
        assert_allclose(net.weights(), rules.pseudoinverse(x[:load]).weights(), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize(
    ("n", "loads", "kinds"),
    [
        (24, [3, 6, 12, 20], [StorkeyNetwork, StorkeyNetwork, MatrixNetwork, MatrixNetwork]),
        # 5 -> 30 spans two blocks of the N x N phase.
        (16, [3, 5, 30], [StorkeyNetwork, MatrixNetwork, MatrixNetwork]),
    ],
)
def test_storkey_prefixes_past_a_quarter_of_n_match_literal_rule(
    n: int, loads: list[int], kinds: list[type]
) -> None:
    # Loads of rank 2P > N / 2 come as held N x N weights, continued load to load.
    x = random_patterns(max(loads), n, SEED + 3)
    states = random_patterns(5, n, SEED + 4)
    nets = list(rules.prefix_networks("storkey", x, loads))
    assert [type(net) for net in nets] == kinds
    for load, net in zip(loads, nets, strict=True):
        expected = storkey_reference(x[:load])
        assert_allclose(net.fields(states), states @ expected.T, rtol=1e-10, atol=1e-12)
        assert isinstance(net, QuadraticNetwork | MatrixNetwork)
        assert_allclose(net.weights(), expected, rtol=1e-10, atol=1e-12)


def test_storkey_dense_phase_over_several_blocks_equals_separate_builds() -> None:
    x = random_patterns(150, 24, SEED + 8)
    loads = [5, 7, 150]  # 7 -> 150: three blocks of the N x N phase
    states = random_patterns(5, 24, SEED + 9)
    for load, net in zip(loads, rules.prefix_networks("storkey", x, loads), strict=True):
        assert_allclose(net.fields(states), rules.storkey(x[:load]).fields(states), rtol=1e-9, atol=1e-10)


@pytest.mark.parametrize("loads", [[2, 9, 15], [2, 9, 16, 22, 29]])
def test_pseudoinverse_prefixes_match_dense_formula(loads: list[int]) -> None:
    # All loads up to N / 2: Cholesky rows; past it: complement rows from one QR.
    n = 30
    x = random_patterns(29, n, SEED + 5)
    states = random_patterns(5, n, SEED + 6)
    for load, net in zip(loads, rules.prefix_networks("pseudoinverse", x, loads), strict=True):
        assert isinstance(net, QuadraticNetwork)
        assert net.rank == min(load, n - load)
        expected = pseudoinverse_reference(x[:load])
        assert_allclose(net.weights(), expected, rtol=1e-9, atol=1e-10)
        assert_allclose(net.fields(states), states @ expected.T, rtol=1e-9, atol=1e-10)


def test_pseudoinverse_complement_prefixes_fall_back_on_dependent_patterns() -> None:
    x = random_patterns(40, 48)
    x[30] = -x[2]
    loads = [10, 25, 30, 31, 40]
    nets = list(rules.prefix_networks("pseudoinverse", x, loads))
    # Complement form (rank N - P) up to the dependent pattern, the SVD after it.
    assert [net.rank for net in nets if isinstance(net, QuadraticNetwork)] == [10, 23, 18, 30, 39]
    for load, net in zip(loads, nets, strict=True):
        assert isinstance(net, QuadraticNetwork)
        assert_allclose(net.weights(), rules.pseudoinverse(x[:load]).weights(), rtol=1e-8, atol=1e-9)


@pytest.mark.parametrize("loads", [[], [3, 2], [0, 4], [2, 41]])
def test_prefix_networks_validates_loads(loads: list[int]) -> None:
    with pytest.raises(InvalidParameterError, match="loads must"):
        rules.prefix_networks("hebbian", random_patterns(40, 10), loads)


# --------------------------------------------------------------------------- real images


def photo_patterns(size: int) -> np.ndarray:
    image_module = pytest.importorskip("PIL.Image")
    paths = sorted(SAMPLE_IMAGES.glob("*.png"))
    if len(paths) < 12:
        pytest.skip("sample_images/ holds fewer than 12 photos")
    patterns = []
    for path in paths:
        with image_module.open(path) as image:
            resized = image.convert("L").resize((size, size), image_module.Resampling.LANCZOS)
        a = np.asarray(resized, dtype=np.float64)
        patterns.append(np.where(a > a.mean(), 1, -1).ravel())
    return np.array(patterns, dtype=np.int8)


@pytest.mark.parametrize(
    ("rule", "noise"), [(rules.DEFAULT_RULE, 0.3), (rules.DEFAULT_RULE, 0.45), ("pseudoinverse", 0.45)]
)
@pytest.mark.parametrize("update", ["sync", "async"])
def test_photos_recalled_bit_exactly(rule: str, noise: float, update: str) -> None:
    x = photo_patterns(64)
    net = rules.build_network(rule, x)
    rng = np.random.default_rng(SEED)
    cues = np.array([flip(p, noise, rng) for p in x])
    states = np.array([r.state for r in dynamics.recall(net, cues, update=update, rng=SEED)])
    assert_array_equal(states, x)


def test_hebbian_fails_on_correlated_photos() -> None:
    x = photo_patterns(64)
    rng = np.random.default_rng(SEED)
    cues = np.array([flip(p, 0.3, rng) for p in x])
    states = np.array([r.state for r in dynamics.recall(rules.hebbian(x), cues, update="sync")])
    assert np.count_nonzero(np.all(states == x, axis=1)) < len(x)


def test_exponential_recalls_lfw_faces() -> None:
    """200 LFW images of 25 x 25 (scikit-image's bundled ``lfw_subset``) at 20 % flips.

    Images 132 and 190 differ in 3 of 625 pixels, so a cue of one is now and
    then closer to the other: 99 % exact is the nearest-neighbour limit.
    """
    path = importlib.resources.files("skimage") / "data" / "lfw_subset.npy"
    with path.open("rb") as handle:
        images = np.load(handle)
    x = np.array([np.where(a > a.mean(), 1, -1).ravel() for a in images], dtype=np.int8)
    assert x.shape == (200, 625)
    rng = np.random.default_rng(SEED)
    cues = np.array([flip(p, 0.2, rng) for p in x])
    states = np.array([r.state for r in dynamics.recall(rules.exponential(x), cues, update="sync")])
    assert np.mean(np.all(states == x, axis=1)) >= 0.99
