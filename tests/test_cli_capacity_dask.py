"""hopfield capacity --scheduler: sweeps on a real Dask cluster with worker processes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _cli_support import assert_clean_error, invoke
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin

from hopfield_cli.capacity import capacity_sweep

SEED = 13


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two single-threaded worker processes behind a scheduler on loopback."""
    with LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=":0",  # any free port: 8787 may be taken by another cluster on this machine
    ) as local:
        yield local


@pytest.fixture
def client(cluster: LocalCluster) -> Iterator[Client]:
    with Client(cluster, set_as_default=False) as connected:
        connected.wait_for_workers(2, timeout=60)  # a previous test may have killed one
        yield connected


class _Processing(SchedulerPlugin):
    """Counts how often the scheduler hands each task to a worker."""

    def __init__(self) -> None:
        self.starts: Counter[str] = Counter()

    def transition(self, key: Any, start: str, finish: str, *args: Any, **kwargs: Any) -> None:
        if finish == "processing":
            self.starts[str(key)] += 1


def _sweep_args(*extra: object) -> list[str]:
    return [
        "capacity", "--neurons", "64", "--rule", "hebbian", "--rule", "storkey", "--loads", "2,4,8,16",
        "--trials", "3", "--seed", str(SEED), *(str(e) for e in extra),
    ]  # fmt: skip


def test_sweep_on_a_cluster_equals_the_local_run_byte_for_byte(
    tmp_path: Path, cluster: LocalCluster, client: Client
) -> None:
    plugin = _Processing()
    cluster.scheduler.add_plugin(plugin, name="count-processing")
    try:
        outputs = {}
        backends = {"local": ("--jobs", "1"), "dask": ("--scheduler", cluster.scheduler_address)}
        for backend, option in backends.items():
            folder = tmp_path / backend
            files = ("--csv", folder / "c.csv", "--plot", folder / "c.png")
            result = invoke(*_sweep_args(*option, "--json", *files))
            assert result.exit_code == 0, result.output
            outputs[backend] = (
                result.stdout,
                (folder / "c.csv").read_bytes(),
                (folder / "c.png").read_bytes(),
                result.stderr,
            )
    finally:
        cluster.scheduler.remove_plugin("count-processing")
    assert outputs["dask"][:3] == outputs["local"][:3]
    assert outputs["dask"][3] == outputs["local"][3]  # the same table, and no Dask log noise
    # The scheduler really ran the cells: two rules x three trials, one task each.
    assert sum(plugin.starts.values()) == 6 and "_run_trial" in next(iter(plugin.starts))


def test_scheduler_address_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, cluster: LocalCluster, client: Client
) -> None:
    monkeypatch.setenv("DASK_SCHEDULER_ADDRESS", cluster.scheduler_address)
    remote = invoke(*_sweep_args("--json", "-q"))
    monkeypatch.delenv("DASK_SCHEDULER_ADDRESS")
    assert remote.exit_code == 0, remote.output
    assert remote.stdout == invoke(*_sweep_args("--json", "-q")).stdout


def test_library_sweep_takes_a_dask_executor(client: Client) -> None:
    calls: list[int] = []
    kwargs: dict[str, Any] = {"neurons": 48, "loads": [3, 6, 12], "trials": 4, "rng": SEED}
    remote = capacity_sweep("pseudoinverse", executor=client.get_executor(), progress=calls.append, **kwargs)
    assert remote == capacity_sweep("pseudoinverse", **kwargs)
    assert calls == [3] * 4  # one call per trial, as each finishes
    assert capacity_sweep("pseudoinverse", **{**kwargs, "rng": SEED + 1}) != remote


def test_losing_a_worker_mid_sweep_changes_nothing_but_the_time(
    cluster: LocalCluster, client: Client
) -> None:
    # Trials of about half a second each, so that the kill lands while one runs.
    args = [
        "capacity", "--neurons", "256", "--rule", "storkey", "--update", "async", "--loads", "20,40,60,80",
        "--trials", "4", "--seed", str(SEED), "--json", "-q",
    ]  # fmt: skip
    plugin = _Processing()
    cluster.scheduler.add_plugin(plugin, name="count-processing")
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    command = [sys.executable, "-m", "hopfield_cli", *args, "--scheduler", cluster.scheduler_address]
    try:
        with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as sweep:
            deadline = time.monotonic() + 60
            while not cluster.scheduler.workers[victim].processing:
                assert sweep.poll() is None, "the sweep ended before the victim worker got a task"
                assert time.monotonic() < deadline
                time.sleep(0.01)
            os.kill(pids[victim], signal.SIGKILL)
            stdout, stderr = sweep.communicate(timeout=120)
    finally:
        cluster.scheduler.remove_plugin("count-processing")
    assert sweep.returncode == 0, stderr
    assert stderr == ""
    assert pids[victim] not in client.run(os.getpid).values()  # killed, not just idle
    assert max(plugin.starts.values()) >= 2, plugin.starts  # the lost worker's trial ran again elsewhere
    assert stdout == invoke(*args, "--jobs", "1").stdout


def test_unreachable_scheduler_is_one_error_line_within_seconds() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = invoke("capacity", "--neurons", "32", "--scheduler", f"tcp://127.0.0.1:{port}")
    assert_clean_error(result, 1, f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert time.monotonic() - started < 20  # Dask's own connect timeout is 30 s


@pytest.mark.parametrize("address", ["nonsense", "tcp://127.0.0.1", "tcp://host:port", "inproc://x:1"])
def test_bad_scheduler_address_is_a_usage_error(address: str) -> None:
    assert_clean_error(invoke("capacity", "--neurons", "32", "--scheduler", address), 2, "--scheduler")


def test_scheduler_and_jobs_together_is_a_usage_error() -> None:
    result = invoke("capacity", "--neurons", "32", "--jobs", "2", "--scheduler", "tcp://127.0.0.1:8786")
    assert_clean_error(result, 2, "not both")


def test_scheduler_without_dask_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import distributed raises ImportError
    result = invoke("capacity", "--neurons", "32", "--scheduler", "tcp://127.0.0.1:8786")
    assert_clean_error(result, 1, "pip install 'hopfield-cli[dask]'")
