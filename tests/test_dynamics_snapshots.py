"""Snapshots for animations: same dynamics, cue first, result last, bounded."""

from __future__ import annotations

import numpy as np
import pytest

from hopfield_cli.continuous import ContinuousNetwork
from hopfield_cli.dynamics import MAX_SNAPSHOTS, recall
from hopfield_cli.network import Network
from hopfield_cli.specs import spec_for

SEED = 9


def _setup(rule: str) -> tuple[Network, np.ndarray]:
    rng = np.random.default_rng(SEED)
    x = rng.choice(np.array([-1, 1], dtype=np.int8), (20, 100))
    cues = x.copy()
    cues[:, :30] *= -1
    cues[:, 30:40] = 0  # unknown
    return spec_for(rule).build(x), cues


@pytest.mark.parametrize("rule", ["hebbian", "exponential"])
@pytest.mark.parametrize("update", ["sync", "async", "stochastic"])
def test_snapshots_change_nothing_and_run_from_cue_to_result(rule: str, update: str) -> None:
    network, cues = _setup(rule)
    plain = recall(network, cues, update=update, rng=3)
    traced = recall(network, cues, update=update, rng=3, snapshots=4)
    for a, b, cue in zip(plain, traced, cues, strict=True):
        np.testing.assert_array_equal(a.state, b.state)
        np.testing.assert_array_equal(a.energies, b.energies)
        assert a.status == b.status and a.snapshots == ()
        np.testing.assert_array_equal(b.snapshots[0].state, cue)
        np.testing.assert_array_equal(b.snapshots[-1].state, b.state)
        assert b.snapshots[0].energy == b.energies[0] and b.snapshots[-1].energy == b.energies[-1]
        iterations = [s.iteration for s in b.snapshots]
        if update == "sync" and b.status == "fixed point":
            assert iterations == list(range(b.iterations + 1))  # one per step
        if update != "sync":
            assert len(b.snapshots) == 4 * b.iterations + 1  # four per sweep
            assert iterations[1] == 0.25


def test_snapshots_are_bounded_with_first_and_last_kept() -> None:
    network, cues = _setup("hebbian")
    (result,) = recall(
        network, cues[:1], update="stochastic", anneal=400, temperature=50.0, rng=1, snapshots=8
    )
    assert len(result.snapshots) <= MAX_SNAPSHOTS + 1
    np.testing.assert_array_equal(result.snapshots[0].state, cues[0])
    np.testing.assert_array_equal(result.snapshots[-1].state, result.state)
    iterations = [s.iteration for s in result.snapshots]
    assert iterations == sorted(iterations) and iterations[-1] == result.iterations


def test_continuous_snapshots() -> None:
    rng = np.random.default_rng(SEED)
    memories = (rng.random((5, 64)) * 255).astype(np.uint8)
    network = ContinuousNetwork(memories)
    cue = np.clip(memories[2] / 255.0 + rng.normal(0, 0.2, 64), 0, 1)
    plain = network.recall(cue)
    traced = network.recall(cue, snapshots=True)
    np.testing.assert_array_equal(plain.state, traced.state)
    assert plain.snapshots == () and len(traced.snapshots) == len(traced.energies)
    np.testing.assert_allclose(traced.snapshots[0].state[:, 0], cue, rtol=0, atol=0)
    np.testing.assert_array_equal(traced.snapshots[-1].state, traced.state)


def test_large_batches_keep_fewer_pictures_per_cue(monkeypatch: pytest.MonkeyPatch) -> None:
    from hopfield_cli import dynamics

    network, cues = _setup("hebbian")
    monkeypatch.setattr(dynamics, "SNAPSHOT_BYTES", 1)  # as if the batch were huge
    options = {"update": "stochastic", "anneal": 100, "temperature": 50.0, "rng": 1}
    results = recall(network, cues[:2], snapshots=8, **options)
    for result, cue in zip(results, cues, strict=False):
        assert len(result.snapshots) <= dynamics.MIN_SNAPSHOTS + 1
        np.testing.assert_array_equal(result.snapshots[0].state, cue)
        np.testing.assert_array_equal(result.snapshots[-1].state, result.state)
