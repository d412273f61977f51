"""Dynamics: exact asynchronous sweeps, energies that never rise, 2-cycles, seeds."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import make_random_patterns
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose

from hopfield_cli.corruption import flip
from hopfield_cli.dynamics import (
    CYCLE_THEN_FIXED,
    FIXED_POINT,
    MAX_ITER,
    SYNC_THEN_ASYNC,
    TIE_TOLERANCE,
    TWO_CYCLE,
    async_sweep,
    decide,
    recall,
)
from hopfield_cli.errors import InvalidParameterError
from hopfield_cli.network import DenseNetwork
from hopfield_cli.rules import exponential, hebbian, pseudoinverse, storkey

SEED = 7


def random_patterns(p: int, n: int, seed: int = SEED) -> np.ndarray:
    return make_random_patterns(p, n, seed)  # the one maker (conftest), with this module's seed


def naive_sweep(net, state: np.ndarray, order: np.ndarray) -> None:
    for i in order:
        state[i] = decide(net.fields(state)[0, i], state[i])


@pytest.mark.parametrize("block", [1, 7, 256])
def test_async_sweep_equals_one_neuron_at_a_time(block: int) -> None:
    x = random_patterns(8, 120)
    for net in (
        hebbian(x),
        DenseNetwork(x, "power", degree=3),
        DenseNetwork(x, "log-sum-exp", beta=0.1),
    ):
        start = flip(x[0], 0.4, SEED)
        fast, slow = start.copy(), start.copy()
        rng_fast, rng_slow = np.random.default_rng(1), np.random.default_rng(1)
        for _ in range(3):
            async_sweep(net, fast, rng_fast, block=block)
            naive_sweep(net, slow, rng_slow.permutation(120))
            np.testing.assert_array_equal(fast, slow)


@settings(max_examples=40, deadline=None)
@given(
    p=st.integers(1, 12),
    n=st.integers(8, 80),
    seed=st.integers(0, 2**32 - 1),
    rule=st.sampled_from(["hebbian", "centered", "storkey", "pseudoinverse", "poly", "exp"]),
)
def test_async_energy_never_rises(p: int, n: int, seed: int, rule: str) -> None:
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(min(p, n // 2), n))
    net = {
        "hebbian": lambda: hebbian(x),
        "centered": lambda: hebbian(x, centered=True),
        "storkey": lambda: storkey(x),
        "pseudoinverse": lambda: pseudoinverse(x),
        "poly": lambda: DenseNetwork(x, "power", degree=3),
        "exp": lambda: DenseNetwork(x, "log-sum-exp", beta=0.5),
    }[rule]()
    cue = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=n)
    (result,) = recall(net, cue, update="async", rng=seed)
    steps = np.diff(result.energies[1:])  # from the first fully known state on
    assert np.all(steps <= 1e-9 * (1 + np.abs(result.energies[1:-1])))
    assert result.converged and result.status == FIXED_POINT
    assert result.changes[-1] == 0
    fields = net.fields(result.state)[0]
    np.testing.assert_array_equal(decide(fields, result.state), result.state)
    # A fixed point: no neuron could lower the energy by flipping.
    assert np.all(fields * result.state >= -TIE_TOLERANCE)


@pytest.mark.parametrize("update", ["sync", "async", "stochastic"])
def test_low_load_recovers_patterns_from_30_percent_flips(update: str) -> None:
    x = random_patterns(5, 400)
    cues = np.stack([flip(p, 0.3, SEED + k) for k, p in enumerate(x)])
    results = recall(hebbian(x), cues, update=update, rng=SEED, temperature=0.2)
    for result, pattern in zip(results, x, strict=True):
        np.testing.assert_array_equal(result.state, pattern)
        assert result.converged
        assert result.energies.shape == (result.iterations + 1,)
        assert result.changes.shape == (result.iterations,)


def test_stored_patterns_are_fixed_points() -> None:
    x = random_patterns(4, 300)
    for update in ("sync", "async"):
        for result, pattern in zip(recall(hebbian(x), x, update=update, rng=0), x, strict=True):
            np.testing.assert_array_equal(result.state, pattern)
            assert result.iterations == 1 and result.changes.tolist() == [0]


def test_sync_detects_two_cycle() -> None:
    net = hebbian(np.array([[1, 1]]))
    (result,) = recall(net, [1, -1], update="sync", max_iter=50, settle_cycles=False)
    assert result.status == TWO_CYCLE
    assert not result.converged
    assert result.iterations == 2
    (async_result,) = recall(net, [1, -1], update="async", rng=0)
    assert async_result.converged


def test_sync_continues_a_two_cycle_asynchronously_to_a_fixed_point() -> None:
    net = hebbian(np.array([[1, 1]]))
    (result,) = recall(net, [1, -1], update="sync", max_iter=50, rng=0)
    assert result.status == CYCLE_THEN_FIXED and result.converged
    assert result.state.tolist() in ([1, 1], [-1, -1])
    # Two sync steps (the cycle), then sweeps from the cue until one changes nothing.
    assert result.changes[:2].tolist() == [2, 2] and result.changes[-1] == 0
    assert result.iterations == result.changes.size == result.energies.size - 2
    assert result.energies[3] == net.energy([1, -1])[0]
    assert result.energies[-1] == net.energy(result.state)[0] < result.energies[3]


def test_continued_cycles_match_async_from_the_cue() -> None:
    # Many correlated memories of a small quartic network: sync cycles often.
    x = random_patterns(60, 64)
    x[:, :32] = x[0, :32]
    net = DenseNetwork(x, "power", degree=4)
    cues = np.stack([flip(x[k % 60], 0.3, k) for k in range(40)])
    stopped = recall(net, cues, update="sync", settle_cycles=False)
    cycled = [k for k, r in enumerate(stopped) if r.status == TWO_CYCLE]
    assert cycled
    continued = recall(net, cues, update="sync", rng=5)
    rng = np.random.default_rng(5)
    for k, (before, after) in enumerate(zip(stopped, continued, strict=True)):
        if k not in cycled:
            assert after.status == before.status
            np.testing.assert_array_equal(after.state, before.state)
            continue
        assert after.status == CYCLE_THEN_FIXED
        (alone,) = recall(net, cues[k], update="async", rng=rng)
        np.testing.assert_array_equal(after.state, alone.state)
        tail = after.energies[before.iterations + 1 :]
        assert np.all(np.diff(tail) <= 1e-9)
        fields = net.fields(after.state)[0]
        assert np.all(fields * after.state >= -1e-9)  # a fixed point: no neuron wants to flip


def test_max_iter_bounds_the_run() -> None:
    x = random_patterns(3, 200)
    (result,) = recall(hebbian(x), flip(x[0], 0.45, 1), update="sync", max_iter=1)
    assert result.iterations == 1
    assert result.status in (MAX_ITER, FIXED_POINT)


def test_unknown_pixels_cast_no_vote_and_get_filled() -> None:
    x = random_patterns(3, 200)
    cue = x[1].copy()
    cue[:120] = 0
    for update in ("sync", "async"):
        (result,) = recall(hebbian(x), cue, update=update, rng=3)
        np.testing.assert_array_equal(result.state, x[1])


def test_batch_sync_equals_single_cue_runs() -> None:
    x = random_patterns(10, 256)
    cues = np.stack([flip(x[k % 10], 0.35, k) for k in range(12)])
    batch = recall(hebbian(x), cues, update="sync")
    for cue, together in zip(cues, batch, strict=True):
        (alone,) = recall(hebbian(x), cue, update="sync")
        np.testing.assert_array_equal(alone.state, together.state)
        assert_allclose(alone.energies, together.energies, rtol=1e-12, atol=1e-9)


def test_same_seed_same_result_other_seed_other_path() -> None:
    x = random_patterns(20, 100)
    cue = flip(x[0], 0.4, 0)
    runs = [recall(hebbian(x), cue, update="stochastic", temperature=1.0, rng=s)[0] for s in (5, 5, 6)]
    np.testing.assert_array_equal(runs[0].state, runs[1].state)
    assert_allclose(runs[0].energies, runs[1].energies, rtol=0, atol=0)
    assert not np.array_equal(runs[0].energies, runs[2].energies)


def test_progress_callback_counts_cues() -> None:
    x = random_patterns(2, 50)
    seen: list[int] = []
    recall(hebbian(x), x, update="async", rng=0, progress=seen.append)
    assert sum(seen) == 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"update": "random"}, "update must be one of sync, async, stochastic"),
        ({"max_iter": 0}, "max_iter must be at least 1"),
        ({"temperature": -1.0}, "temperature"),
        ({"temperature": float("nan")}, "temperature"),
        ({"rng": -3}, "seed must be >= 0"),
    ],
)
def test_bad_parameters_are_named(kwargs: dict, match: str) -> None:
    x = random_patterns(2, 10)
    with pytest.raises(InvalidParameterError, match=match):
        recall(hebbian(x), x[0], **kwargs)


def test_ties_keep_the_state() -> None:
    fields = [0.0, 1e-12, -1e-12, 0.0, 0.5, -0.5]
    current = [-1, -1, 1, 0, -1, 1]
    np.testing.assert_array_equal(decide(fields, current), [-1, -1, 1, 1, 1, -1])
    # At the tolerance itself, a NaN, float32 fields, batches and single neurons alike.
    edge = np.array([[1e-9, -1e-9, 1.0000001e-9, -1.0000001e-9, np.nan, np.nan]], dtype=np.float32)
    out = decide(edge, [[-1, 1, -1, 1, -1, 0]])
    assert out.dtype == np.int8 and out.shape == (1, 6)
    np.testing.assert_array_equal(out, [[-1, 1, 1, -1, -1, 1]])
    assert decide(np.float64(-3.0), np.int8(1)) == -1 and decide(0.0, 0) == 1


def test_sync_energies_are_the_energies_of_the_states() -> None:
    x = random_patterns(6, 150)
    net = hebbian(x, threshold=0.05)
    cues = np.stack([flip(x[0], 0.35, 1), flip(x[1], 0.1, 2), x[2]])
    for result in recall(net, cues, update="sync"):
        assert_allclose(result.energies[-1], net.energy(result.state)[0], rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize(
    "make",
    [
        lambda x: exponential(x),
        lambda x: exponential(x, beta=3.0, threshold=0.1),
        lambda x: DenseNetwork(x, "power", degree=3),
        lambda x: DenseNetwork(x, "power", degree=4, threshold=-0.05),
    ],
)
def test_dense_async_batch_equals_one_cue_at_a_time(make) -> None:
    # The batch runs every cue in lockstep; each must equal its own
    # single-cue run (block sweeps, checked against the one-neuron loop above)
    # with the generator the batch gave it.
    x = random_patterns(30, 80)
    x[:, :40] = x[0, :40]
    net = make(x)
    cues = np.stack([flip(x[k % 30], 0.3, k) for k in range(20)])
    cues[3, :10] = 0
    cues[5, 5:9] = 0
    together = recall(net, cues, update="async", rng=4)
    generators = np.random.default_rng(4).spawn(len(cues))
    for cue, got, generator in zip(cues, together, generators, strict=True):
        state = cue.copy()
        sweeps = 0
        while True:
            sweeps += 1
            if async_sweep(net, state, generator) == 0:
                break
        np.testing.assert_array_equal(got.state, state)
        assert got.iterations == sweeps and got.status == FIXED_POINT
        assert_allclose(got.energies[-1], net.energy(state)[0], rtol=1e-12, atol=1e-9)
        assert np.all(np.diff(got.energies) <= 1e-9)


def mean_field_reference(net: DenseNetwork, cue: np.ndarray, max_iter: int) -> tuple[np.ndarray, list[float]]:
    """The mean-field steps written out in float64 for one cue: s <- sign(X.T softmax(beta X s) - theta)."""
    x = net._xt.T
    s = cue.astype(np.int8).copy()
    energies = []
    for _ in range(max_iter):
        z = net.beta * (x @ s.astype(np.float64))
        energies.append(-np.logaddexp.reduce(z) / net.beta + float(s @ net.threshold))
        p = np.exp(z - z.max())
        new = decide(x.T @ (p / p.sum()) - net.threshold, s)
        if np.array_equal(new, s):
            break
        s = new
    return s, energies


@pytest.mark.parametrize("threshold", [0.0, 0.05])
def test_exponential_sync_equals_reference_mean_field_steps(threshold: float) -> None:
    x = random_patterns(40, 90)
    x[:, :40] = x[0, :40]  # correlated: the steps take several rounds and often end off a fixed point
    net = exponential(x, threshold=threshold)
    cues = np.stack([flip(x[k % 40], 0.35, k) for k in range(30)])
    cues[::3, :5] = 0  # unknown pixels too
    results = recall(net, cues, update="sync", rng=3)
    assert {r.status for r in results} <= {FIXED_POINT, SYNC_THEN_ASYNC}
    polished = 0
    for cue, result in zip(cues, results, strict=True):
        state, energies = mean_field_reference(net, cue, 100)
        steps = len(energies)
        assert_allclose(result.energies[:steps], energies, rtol=1e-12, atol=1e-12)
        assert result.changes[steps - 1] == 0
        if result.status == FIXED_POINT:
            np.testing.assert_array_equal(result.state, state)
            assert result.iterations == steps
        else:
            polished += 1
            # Exact async sweeps from where the steps stopped, with their own generator.
            assert result.iterations > steps
        fields = net.fields(result.state)[0]
        np.testing.assert_array_equal(decide(fields, result.state), result.state)
    assert 0 < polished < len(cues)


@settings(max_examples=40, deadline=None)
@given(
    p=st.integers(1, 30),
    n=st.integers(4, 60),
    seed=st.integers(0, 2**32 - 1),
    beta=st.sampled_from([None, 0.05, 0.5, 1.9, 6.0]),
    threshold=st.sampled_from([0.0, 0.3]),
)
def test_exponential_sync_energy_never_rises_and_ends_at_a_fixed_point(
    p: int, n: int, seed: int, beta: float | None, threshold: float
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(p, n))
    net = exponential(x, beta=beta, threshold=threshold)
    cues = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=(3, n))
    for result in recall(net, cues, update="sync", rng=seed):
        steps = np.diff(result.energies[1:])  # from the first fully known state on
        assert np.all(steps <= 1e-9 * (1 + np.abs(result.energies[1:-1])))
        assert result.converged and result.status in (FIXED_POINT, SYNC_THEN_ASYNC)
        assert result.changes[-1] == 0 and result.energies.shape == (result.iterations + 1,)
        assert_allclose(result.energies[-1], net.energy(result.state)[0], rtol=1e-12, atol=1e-12)
        fields = net.fields(result.state)[0]
        np.testing.assert_array_equal(decide(fields, result.state), result.state)


@settings(max_examples=60, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    beta=st.sampled_from([2.5, 4.0, 6.3, 11.0, 40.0, 128.0]),
    threshold=st.sampled_from([0.0, 1e-10, 0.2, -0.5, 1.0, 1.5]),
    spread=st.integers(1, 4),
)
def test_mean_field_stability_at_large_beta_is_the_exact_fields(
    seed: int, beta: float, threshold: float, spread: int
) -> None:
    # Clusters of memories one to a few pixels apart: a stored pattern's stability is then
    # decided by weights near exp(-2 beta), the size of the flip bound.
    rng = np.random.default_rng(seed)
    x = np.repeat(rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, 40)), 6, axis=0)
    for memory in x[1:]:
        memory[rng.choice(40, size=int(rng.integers(1, spread + 1)), replace=False)] *= -1
    net = DenseNetwork(x, "log-sum-exp", beta=beta, threshold=threshold)
    states = np.concatenate([x, np.stack([flip(x[k], 0.05, rng) for k in range(len(x))])])
    step = net.mean_field_step(states)
    settled = ~(step.states != states).any(axis=1)
    exact = ~(decide(net.fields(states), states) != states).any(axis=1)
    np.testing.assert_array_equal(step.stable[settled], exact[settled])
    assert not step.stable[~settled].any()


@pytest.mark.parametrize("beta", [2.5, 3.0, 4.0, 5.0, 6.0])
def test_stability_with_a_threshold_tuned_to_the_flip_bound_is_the_exact_fields(beta: float) -> None:
    # Neuron 0's threshold puts its flip bound within a few 1e-9 (relative) of the share of
    # weight against it, a bound far below exp(-4 beta): only the exact fields can decide.
    n = 40
    rng = np.random.default_rng(0)
    two_b = 2 * beta
    for k in (2, 3, 4, 5):
        near = np.ones(n, dtype=np.int8)
        near[: k + 1] = -1
        far = rng.choice(np.array([-1, 1], dtype=np.int8), size=(60, n))
        far[:, : n // 2] = -1
        x = np.concatenate([np.ones((1, n), dtype=np.int8), near[np.newaxis], far])
        state = x[:1]
        overlaps = (state.astype(np.float64) @ x.T.astype(np.float64))[0]
        weights = np.exp(beta * (overlaps - overlaps.max()))[np.newaxis]
        weights /= weights.sum()
        for c in (1.5, 2, 3, 5, 10, 30, 100, -1.5, -3, -10, -100):
            target = weights[0, 1] / (1 + 1e-9 * c)
            tuned = TIE_TOLERANCE - np.log(target * (np.exp(two_b) - np.exp(-two_b)) + np.exp(-two_b)) / two_b
            for ulp in range(-3, 4):
                threshold = np.zeros(n)
                threshold[0] = tuned + ulp * np.spacing(tuned)
                net = DenseNetwork(x, "log-sum-exp", beta=beta, threshold=threshold)
                exact = not (decide(net.fields(state), state) != state).any()
                assert bool(net._stable_from_weights(state, weights)[0]) == exact, (k, c, ulp)


class _NoFields(DenseNetwork):
    def fields(self, states: object) -> np.ndarray:
        raise AssertionError("fell back to the exact fields")


@pytest.mark.parametrize("beta", [2.5, 6.3, 40.0])
def test_mean_field_stability_at_large_beta_decides_clear_states_from_the_weights(beta: float) -> None:
    # Memories and memories with a pixel changed: no state is near its bound, so the few
    # weights that matter decide, and no (B, P) x (P, N) product is needed.
    x = random_patterns(30, 64)
    net = _NoFields(x, "log-sum-exp", beta=beta, threshold=0.1)
    nudged = x.copy()
    nudged[:, 0] *= -1
    states = np.concatenate([x, nudged])
    overlaps = states.astype(np.float64) @ x.T.astype(np.float64)
    weights = np.exp(beta * (overlaps - overlaps.max(axis=1, keepdims=True)))
    weights /= weights.sum(axis=1, keepdims=True)
    stable = net._stable_from_weights(states, weights)
    np.testing.assert_array_equal(stable, np.arange(60) < 30)


@pytest.mark.parametrize("threshold", [0.0, 0.02])
def test_dense_async_jumps_stay_equal_to_the_one_neuron_loop(threshold: float) -> None:
    # Cues two flips from their pattern: each sweep's look-ahead jumps over most of the order.
    x = random_patterns(25, 150)
    x[:, :60] = x[0, :60]
    net = exponential(x, threshold=threshold)
    cues = np.stack([flip(x[k % 25], 2 / 150, k) for k in range(12)])
    for got in assert_async_batch_is_the_loop(net, cues, 9):
        assert got.status == FIXED_POINT


def loop_reference(net, cue: np.ndarray, generator: np.random.Generator, max_iter: int = 100):
    """The one-neuron-at-a-time loop: state, per-sweep change counts and energies."""
    state = cue.copy()
    energies = [float(net.energy(state)[0])]
    changes = []
    for _ in range(max_iter):
        changes.append(async_sweep(net, state, generator, block=1))
        energies.append(float(net.energy(state)[0]))
        if changes[-1] == 0:
            break
    return state, changes, energies


def assert_async_batch_is_the_loop(net, cues: np.ndarray, seed: int) -> list:
    """Batch async recall of ``cues`` equals the loop run with each cue's own generator; the results."""
    together = recall(net, cues, update="async", rng=seed)
    generators = np.random.default_rng(seed).spawn(len(cues))
    for cue, got, generator in zip(cues, together, generators, strict=True):
        state, changes, energies = loop_reference(net, cue, generator)
        np.testing.assert_array_equal(got.state, state)
        np.testing.assert_array_equal(got.changes, changes)
        assert_allclose(got.energies, energies, rtol=1e-12, atol=1e-12)
    return together


def test_dominated_state_fields_all_point_to_the_pattern() -> None:
    # The bound of DenseNetwork.dominant, checked against the float64 fields of every neuron.
    rng = np.random.default_rng(3)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(12, 40))
    seen = 0
    for threshold in (0.0, 0.2, -0.4):
        for beta in (0.3, 1.0, 2.5):
            net = exponential(x, beta=beta, threshold=threshold)
            cues = np.stack([flip(x[k % 12], 0.25 * (k % 3) / 2, k) for k in range(36)])
            cues[::4, :5] = 0
            top = net.dominant(net.overlaps(cues))
            for cue, t in zip(cues, top, strict=True):
                if t < 0:
                    continue
                seen += 1
                h = net.fields(cue)[0]
                assert np.all(x[t] * h > TIE_TOLERANCE)
                # ... also at the pattern itself, where the sweep ends.
                assert np.all(x[t] * net.fields(x[t])[0] > TIE_TOLERANCE)
    assert seen > 50


@settings(max_examples=60, deadline=None)
@given(
    p=st.integers(1, 15),
    n=st.integers(4, 50),
    seed=st.integers(0, 2**32 - 1),
    beta=st.sampled_from([None, 0.2, 0.7, 1.9, 4.0, 12.0]),
    threshold=st.sampled_from([0.0, 0.15, -0.3, 0.9]),
    noise=st.sampled_from([0.0, 0.05, 0.15, 0.4]),
)
def test_dense_async_dominated_sweeps_equal_the_one_neuron_loop(
    p: int, n: int, seed: int, beta: float | None, threshold: float, noise: float
) -> None:
    rng = np.random.default_rng(seed)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(p, n))
    net = exponential(x, beta=beta, threshold=threshold)
    cues = np.stack([flip(x[k % p], noise, rng) for k in range(6)])
    cues[1, : n // 4] = 0
    cues[4] = rng.choice(np.array([-1, 0, 1], dtype=np.int8), size=n)
    for got in assert_async_batch_is_the_loop(net, cues, seed):
        assert np.all(np.diff(got.energies) <= 1e-9 * (1 + np.abs(got.energies[1:])))


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    beta=st.sampled_from([None, 2.5, 6.0, 20.0]),
    threshold=st.sampled_from([0.0, 0.2]),
    noise=st.sampled_from([0.02, 0.1, 0.3]),
)
def test_dense_async_in_clusters_of_memories_equals_the_one_neuron_loop(
    seed: int, beta: float | None, threshold: float, noise: float
) -> None:
    # Memories a few pixels apart: no cue is dominated, cues change a few neurons a sweep,
    # and each change makes the sweep look for its cue's flip candidates again.
    rng = np.random.default_rng(seed)
    x = np.repeat(rng.choice(np.array([-1, 1], dtype=np.int8), size=(3, 48)), 5, axis=0)
    for memory in x[1:]:
        memory[rng.choice(48, size=int(rng.integers(1, 4)), replace=False)] *= -1
    net = exponential(x, beta=beta, threshold=threshold)
    cues = np.stack([flip(x[k], noise, rng) for k in range(len(x))])
    assert_async_batch_is_the_loop(net, cues, seed)


def test_async_sweep_where_every_neuron_is_a_candidate_and_none_flips_ends() -> None:
    # Thresholds put every field 5e-7 on the state's side: above the tie tolerance (so nothing
    # flips) but close enough that every neuron is a flip candidate to the look-ahead.
    x = random_patterns(6, 40)
    state = flip(x[0], 0.3, 2)
    for beta in (1.0, 5.0):
        fields = exponential(x, beta=beta).fields(state)[0]
        net = DenseNetwork(x, "log-sum-exp", beta=beta, threshold=fields - 5e-7 * state)
        assert np.all(net.flip_candidates(state[np.newaxis]))
        (result,) = recall(net, state, update="async", rng=0)
        np.testing.assert_array_equal(result.state, state)
        assert result.iterations == 1 and result.status == FIXED_POINT


@pytest.mark.parametrize("beta", [0.3, 1.5, 5.0])
def test_dominance_just_met_and_just_missed_both_equal_the_loop(beta: float) -> None:
    # A uniform threshold moves the bound: find where DenseNetwork.dominant
    # stops holding and run the loop just inside and just outside it.
    rng = np.random.default_rng(11)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), size=(6, 30))
    cue = flip(x[2], 0.1, 5)[np.newaxis]

    def dominated(theta: float) -> bool:
        net = exponential(x, beta=beta, threshold=theta)
        return bool(net.dominant(net.overlaps(cue))[0] == 2)

    low, high = 0.0, 1.0
    assert dominated(low) and not dominated(high)
    for _ in range(60):
        mid = 0.5 * (low + high)
        low, high = (mid, high) if dominated(mid) else (low, mid)
    for theta, expect in ((low, True), (high, False), (low - 1e-7, True), (high + 1e-7, False)):
        net = exponential(x, beta=beta, threshold=theta)
        assert dominated(theta) is expect
        got = recall(net, cue, update="async", rng=2)[0]
        state, changes, energies = loop_reference(net, cue[0], np.random.default_rng(2).spawn(1)[0])
        np.testing.assert_array_equal(got.state, state)
        np.testing.assert_array_equal(got.changes, changes)
        assert_allclose(got.energies, energies, rtol=1e-12, atol=1e-12)
        if expect:
            np.testing.assert_array_equal(state, x[2])
            assert changes[-1] == 0 and len(changes) <= 2


def test_polynomial_rule_claims_no_dominance() -> None:
    x = random_patterns(5, 40)
    net = DenseNetwork(x, "power", degree=3)
    assert np.all(net.dominant(net.overlaps(x)) == -1)
