"""hopfield capacity --scheduler: sweeps on a real Dask cluster with worker processes."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dask
import pytest
from _cli_support import assert_clean_error, invoke
from distributed import Client, LocalCluster
from distributed.diagnostics.plugin import SchedulerPlugin

from hopfield_cli.capacity import capacity_sweep

SEED = 13
# Trials of about half a second each, so that a worker killed mid-sweep dies while one runs.
SLOW_SWEEP = [
    "capacity", "--neurons", "256", "--rule", "storkey", "--update", "async", "--loads", "20,40,60,80",
    "--trials", "4", "--seed", str(SEED), "--json", "-q",
]  # fmt: skip


@pytest.fixture(scope="module")
def cluster() -> Iterator[LocalCluster]:
    """Two single-threaded worker processes behind a scheduler on loopback.

    Free ports only, and timeouts generous enough for a machine whose cores other test runs
    share, yet bounded.
    """
    with (
        dask.config.set({"distributed.comm.timeouts.connect": "60s"}),
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            host="127.0.0.1",
            scheduler_port=0,
            # Any free port: 8787 may be taken by another cluster on this machine (None still
            # starts the scheduler's HTTP server on 8787).
            dashboard_address="127.0.0.1:0",
            worker_dashboard_address="127.0.0.1:0",
        ) as local,
    ):
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
    # (Counted by key: under load the scheduler may move a queued task to the idler worker.)
    assert len(plugin.starts) == 6 and all("_run_trial" in key for key in plugin.starts), plugin.starts


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
    plugin = _Processing()
    cluster.scheduler.add_plugin(plugin, name="count-processing")
    pids = client.run(os.getpid)
    victim = sorted(pids)[0]
    command = [sys.executable, "-m", "hopfield_cli", *SLOW_SWEEP, "--scheduler", cluster.scheduler_address]
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
    assert stdout == invoke(*SLOW_SWEEP, "--jobs", "1").stdout


def test_unreachable_scheduler_is_one_error_line_within_seconds() -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    result = invoke("capacity", "--neurons", "32", "--scheduler", f"tcp://127.0.0.1:{port}")
    assert_clean_error(result, 1, f"cannot reach the Dask scheduler at tcp://127.0.0.1:{port}")
    assert time.monotonic() - started < 20  # Dask's own connect timeout is 30 s


def _serve(listener: socket.socket, greeting: bytes | None) -> None:
    """Accept connections on ``listener``; greet each with ``greeting``, or say nothing (None)."""
    held = []
    with contextlib.suppress(OSError):  # the listener was closed: the test is over
        while True:
            connection, _ = listener.accept()
            held.append(connection)
            if greeting is not None:
                connection.sendall(greeting)
    for connection in held:
        connection.close()


@pytest.mark.parametrize(
    ("greeting", "message"),
    [
        (None, "connected, but no Dask handshake within 5 s"),  # Dask's Client would wait for ever
        (b"SSH-2.0-OpenSSH_9.6\r\n", "is not a Dask scheduler"),  # Client: a bogus out-of-memory error
    ],
    ids=["silent", "other-protocol"],
)
def test_a_server_that_is_not_a_dask_scheduler_is_one_error_line(
    greeting: bytes | None, message: str
) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        address = f"tcp://127.0.0.1:{listener.getsockname()[1]}"
        server = threading.Thread(target=_serve, args=(listener, greeting), daemon=True)
        server.start()
        started = time.monotonic()
        result = invoke("capacity", "--neurons", "32", "--scheduler", address)
        waited = time.monotonic() - started
        listener.shutdown(socket.SHUT_RDWR)
    server.join(timeout=10)
    assert_clean_error(result, 1, address, message)
    assert waited < 20


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


# ------------------------------------------- a cluster started with Dask's own command lines


def _dask_command(*args: str) -> list[str]:
    """``dask scheduler ...`` or ``dask worker ...`` of the installed distributed."""
    script = Path(sys.executable).with_name("dask")
    if script.exists():
        return [str(script), *args]
    module = {"scheduler": "distributed.cli.dask_scheduler", "worker": "distributed.cli.dask_worker"}[args[0]]
    return [sys.executable, "-m", module, *args[1:]]


def _die_with_pytest() -> None:
    """In the child, before exec: the kernel kills it if pytest dies (even by SIGKILL)."""
    import ctypes

    ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG


class _CommandLineCluster:
    """`dask scheduler` and `dask worker` processes on loopback, each on a free port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.scheduler_file = folder / "scheduler.json"
        self.processes: list[subprocess.Popen[bytes]] = []
        self.address = ""

    def _start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        # One BLAS thread per worker, as a nanny would set (these workers have none).
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        with open(self.folder / f"{name}-{len(self.processes)}.log", "wb") as log:
            process = subprocess.Popen(
                _dask_command(name, *args),
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
                preexec_fn=_die_with_pytest if sys.platform.startswith("linux") else None,
            )
        self.processes.append(process)
        return process

    def start(self, workers: int) -> None:
        no_dashboard = ("--no-dashboard", "--dashboard-address", "127.0.0.1:0")  # never port 8787
        scheduler = self._start(
            "scheduler", "--host", "127.0.0.1", "--port", "0", *no_dashboard,
            "--scheduler-file", str(self.scheduler_file),
        )  # fmt: skip
        deadline = time.monotonic() + 120
        while not self.scheduler_file.exists() or not self.scheduler_file.read_text():
            assert scheduler.poll() is None, "dask scheduler exited"
            assert time.monotonic() < deadline, "dask scheduler did not start"
            time.sleep(0.05)
        time.sleep(0.1)  # the file is written at once, but let it be complete
        self.address = json.loads(self.scheduler_file.read_text())["address"]
        for _ in range(workers):
            self.add_worker()

    def live_workers(self) -> int:
        return sum(process.poll() is None for process in self.processes[1:])

    def add_worker(self) -> subprocess.Popen[bytes]:
        # No nanny: the process started here is the worker itself, so killing it loses it.
        return self._start(
            "worker", "--scheduler-file", str(self.scheduler_file), "--nthreads", "1", "--no-nanny",
            "--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--host", "127.0.0.1",
            "--local-directory", str(self.folder), "--death-timeout", "60",
        )  # fmt: skip

    def stop(self) -> None:
        for process in reversed(self.processes):  # workers first
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.fixture(scope="module")
def command_line_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_CommandLineCluster]:
    cluster = _CommandLineCluster(tmp_path_factory.mktemp("dask-cli"))
    try:
        cluster.start(workers=2)
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def cli_client(command_line_cluster: _CommandLineCluster) -> Iterator[Client]:
    """A client of the command-line cluster, once it has two live workers again."""
    with Client(command_line_cluster.address, timeout=60, set_as_default=False) as connected:
        while command_line_cluster.live_workers() < 2:
            command_line_cluster.add_worker()  # a previous test killed one
        connected.wait_for_workers(2, timeout=120)
        yield connected


class _TrialLog:
    """Counts the scheduler's transitions of sweep tasks from now on (processing, memory...)."""

    # Local functions: pickled by value, as the scheduler cannot import this test module.
    def __init__(self, client: Client) -> None:
        def last(dask_scheduler: Any) -> float:
            log = dask_scheduler.transition_log
            return float(log[-1].timestamp) if log else 0.0

        self.client = client
        self.since = client.run_on_scheduler(last)

    def counts(self) -> Counter[str]:
        def finishes(dask_scheduler: Any, since: float) -> list[str]:
            return [
                str(entry.finish)
                for entry in dask_scheduler.transition_log
                if entry.timestamp > since and str(entry.key).startswith("_run_trial")
            ]

        return Counter(self.client.run_on_scheduler(finishes, since=self.since))


def _hopfield(*args: object) -> list[str]:
    return [sys.executable, "-m", "hopfield_cli", *(str(a) for a in args)]


def test_sweep_through_dask_scheduler_and_worker_processes_equals_the_local_run(
    tmp_path: Path, command_line_cluster: _CommandLineCluster, cli_client: Client
) -> None:
    log = _TrialLog(cli_client)
    outputs = {}
    for backend, option in {
        "local": ("--jobs", "1"),
        "dask": ("--scheduler", command_line_cluster.address),
    }.items():
        folder = tmp_path / backend
        files = ("--csv", folder / "c.csv", "--plot", folder / "c.png")
        done = subprocess.run(
            _hopfield(*_sweep_args(*option, "--json", "-q", *files)), capture_output=True, timeout=300
        )
        assert done.returncode == 0, done.stderr
        assert done.stderr == b""
        outputs[backend] = (done.stdout, (folder / "c.csv").read_bytes(), (folder / "c.png").read_bytes())
    ran = log.counts()
    assert outputs["dask"] == outputs["local"]
    assert ran["memory"] == 6, ran  # two rules x three trials, each a task the scheduler's workers ran


def test_killing_a_worker_process_mid_sweep_changes_nothing_but_the_time(
    command_line_cluster: _CommandLineCluster, cli_client: Client
) -> None:
    by_pid = {process.pid: process for process in command_line_cluster.processes}
    log = _TrialLog(cli_client)
    command = _hopfield(*SLOW_SWEEP, "--scheduler", command_line_cluster.address)
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as sweep:
        try:
            deadline = time.monotonic() + 120
            while True:  # the sweep has started once a worker runs one of its trials
                busy = [address for address, keys in cli_client.processing().items() if keys]
                if busy:
                    break
                assert sweep.poll() is None, "the sweep ended before a worker got a trial"
                assert time.monotonic() < deadline, "no worker got a trial"
                time.sleep(0.01)
            victim = by_pid[cli_client.run(os.getpid, workers=busy[:1])[busy[0]]]
            victim.kill()  # SIGKILL: the worker and its running trial are gone
            victim.wait(timeout=30)
            stdout, stderr = sweep.communicate(timeout=300)
        finally:
            if sweep.poll() is None:
                sweep.kill()
    assert sweep.returncode == 0, stderr
    assert stderr == b""
    ran = log.counts()
    assert ran["memory"] == 4 and ran["processing"] >= 5, ran  # the lost trial ran again elsewhere
    assert stdout.decode() == invoke(*SLOW_SWEEP, "--jobs", "1").stdout


@pytest.mark.parametrize(
    ("name", "code", "line"), [("SIGINT", 130, "Interrupted."), ("SIGTERM", 143, "Terminated by SIGTERM.")]
)
def test_a_signal_mid_sweep_cancels_its_dask_tasks_and_writes_nothing(
    tmp_path: Path,
    command_line_cluster: _CommandLineCluster,
    cli_client: Client,
    name: str,
    code: int,
    line: str,
) -> None:
    # Trials of 30 loads that would run for minutes; each load takes a second or so.
    loads = ",".join(str(10 * k) for k in range(1, 31))
    folder = tmp_path / "out"
    folder.mkdir()
    args = [
        "capacity", "--neurons", "256", "--rule", "storkey", "--update", "async", "--loads", loads,
        "--trials", "4", "--seed", str(SEED), "--scheduler", command_line_cluster.address,
        "--json", "--csv", folder / "c.csv", "--plot", folder / "c.png",
    ]  # fmt: skip
    with subprocess.Popen(
        _hopfield(*args), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as sweep:
        try:
            deadline = time.monotonic() + 120
            while sum(map(len, cli_client.processing().values())) < 2:  # both workers run a trial
                assert sweep.poll() is None, "the sweep ended before it got going"
                assert time.monotonic() < deadline, "the workers got no trials"
                time.sleep(0.01)
            sweep.send_signal(getattr(signal, name))
            stdout, stderr = sweep.communicate(timeout=60)
        finally:
            if sweep.poll() is None:
                sweep.kill()
    assert sweep.returncode == code, stderr
    assert stdout == ""
    assert stderr == line + "\n"  # one line, no progress residue off a terminal
    assert list(folder.iterdir()) == []  # no output, no temporary file

    def remaining(dask_scheduler: Any) -> int:
        return len(dask_scheduler.tasks)

    def running(dask_worker: Any) -> int:
        return len(dask_worker.state.tasks)

    # Cancelled: the scheduler forgets the trials, and each worker stops its trial after the
    # load at hand (a whole trial would run for minutes).
    deadline = time.monotonic() + 30
    while cli_client.run_on_scheduler(remaining) or any(cli_client.run(running).values()):
        assert time.monotonic() < deadline, (cli_client.processing(), cli_client.run(running))
        time.sleep(0.1)
