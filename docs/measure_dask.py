"""Wall and CPU seconds of one capacity sweep: ``--jobs 1``, ``--jobs 2`` and two local Dask workers.

Usage: ``python docs/measure_dask.py ROUNDS`` (needs ``pip install '.[dask]'``). Each round runs every setup
once; Dask runs on a ``dask scheduler`` plus two ``dask worker --nthreads 1`` processes on this machine, once
with Dask's defaults and once with the nanny's ``MALLOC_TRIM_THRESHOLD_`` unset. Prints one line per run and
checks that every run printed the same bytes.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from distributed import Client

SWEEP = "capacity --neurons 1024 --rule storkey --trials 4 --seed 1 -q --json".split()
NO_TRIM = "distributed:\n  nanny:\n    pre-spawn-environ:\n      MALLOC_TRIM_THRESHOLD_: null\n"


def children_cpu() -> tuple[float, float]:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime, usage.ru_stime


def run(
    label: str, args: list[str], digests: set[str], workers_cpu: Callable[[], tuple[float, float]]
) -> None:
    user0, sys0 = children_cpu()
    wuser0, wsys0 = workers_cpu()
    start = time.perf_counter()
    done = subprocess.run(["hopfield", *args], capture_output=True, check=True)
    wall = time.perf_counter() - start
    user1, sys1 = children_cpu()
    wuser1, wsys1 = workers_cpu()
    user, system = user1 - user0 + wuser1 - wuser0, sys1 - sys0 + wsys1 - wsys0
    digests.add(hashlib.sha256(done.stdout).hexdigest())
    print(f"{label:26s} wall {wall:5.1f} s  cpu {user + system:5.1f} s (sys {system:4.1f} s)", flush=True)


def dask_sweep(label: str, env: dict[str, str], folder: Path, digests: set[str]) -> None:
    scheduler_file = folder / "scheduler.json"
    scheduler_file.unlink(missing_ok=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    common = ["--no-dashboard", "--dashboard-address", "127.0.0.1:0", "--scheduler-file", str(scheduler_file)]
    processes = [
        subprocess.Popen(["dask", "scheduler", "--host", "127.0.0.1", "--port", "0", *common], **quiet)
    ]
    try:
        while not scheduler_file.exists() or not scheduler_file.read_text():
            time.sleep(0.1)
        time.sleep(0.2)
        address = json.loads(scheduler_file.read_text())["address"]
        for _ in range(2):
            worker = ["dask", "worker", "--nthreads", "1", "--host", "127.0.0.1", *common]
            processes.append(subprocess.Popen(worker, env={**os.environ, **env}, **quiet))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)

            def workers_cpu() -> tuple[float, float]:
                times = client.run(os.times).values()
                return sum(t.user for t in times), sum(t.system for t in times)

            run(label, [*SWEEP, "--scheduler", address], digests, workers_cpu)
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            process.wait(30)


def main(rounds: int) -> None:
    digests: set[str] = set()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "no-trim.yaml").write_text(NO_TRIM)
        for _ in range(rounds):
            run("--jobs 1", [*SWEEP, "--jobs", "1"], digests, lambda: (0.0, 0.0))
            run("--jobs 2", [*SWEEP, "--jobs", "2"], digests, lambda: (0.0, 0.0))
            dask_sweep("dask, defaults", {}, folder, digests)
            dask_sweep("dask, trim unset", {"DASK_CONFIG": str(folder)}, folder, digests)
    print("identical outputs" if len(digests) == 1 else f"DIFFERENT outputs: {len(digests)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
