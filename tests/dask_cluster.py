"""A real dask cluster for the tests: a `dask scheduler` and `dask worker`s started with the CLI
on 127.0.0.1, each in its own session so that a test can SIGKILL one (or a whole run) at once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DASK = Path(sys.executable).with_name("dask")
START_TIMEOUT_S = 60
POLL_S = 0.01


def spawn(args: list[str], log: Path) -> subprocess.Popen:
    """A process in its own session, so killing its group takes its children (the nanny's
    worker, a run's LocalCluster) with it."""
    return subprocess.Popen(
        args, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO
    )


def kill(proc: subprocess.Popen) -> None:
    """SIGKILL the process and everything in its session."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@contextlib.contextmanager
def cli_cluster(tmp: Path, workers: int = 2) -> Iterator[tuple[str, list[subprocess.Popen]]]:
    """(scheduler address, [worker processes]) of a cluster of single-threaded workers; logs
    in `tmp`. Everything is killed on exit."""
    from dask.distributed import Client

    sched_file = tmp / "scheduler.json"
    scheduler = spawn(
        [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
         "--scheduler-file", str(sched_file)],
        tmp / "scheduler.log",
    )  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_S
    while not sched_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    procs = [
        spawn(
            [str(DASK), "worker", "--scheduler-file", str(sched_file), "--nthreads", "1",
             "--no-dashboard", "--name", f"w{i}", "--host", "127.0.0.1"],
            tmp / f"worker{i}.log",
        )
        for i in range(workers)
    ]  # fmt: skip
    try:
        with Client(scheduler_file=str(sched_file), timeout=START_TIMEOUT_S) as client:
            client.wait_for_workers(workers, timeout=START_TIMEOUT_S)
            address = client.scheduler.address
        yield address, procs
    finally:
        for p in [*procs, scheduler]:
            kill(p)


def wait_until(condition, proc: subprocess.Popen | None = None) -> None:
    """Poll `condition()` until it holds, `proc` (if given) exits, or START_TIMEOUT_S pass."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while not condition() and time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return
        time.sleep(POLL_S)
