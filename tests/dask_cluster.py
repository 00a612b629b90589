"""A real dask cluster for the tests: a `dask scheduler` and `dask worker`s started with the CLI
on 127.0.0.1, each in its own session so that a test can SIGKILL one (or a whole run) at once."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
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


def kill_a_worker_mid_run(run: Callable[[], None], done: Callable[[], int], worker) -> int:
    """Run ``run`` in a thread, SIGKILL ``worker`` once ``done()`` (finished tasks) is above 0,
    wait for the run to end and re-raise its error; returns how many tasks were done at the kill."""
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run()
        except BaseException as e:  # re-raised in the test's thread
            errors.append(e)

    thread = threading.Thread(target=target)
    thread.start()
    wait_until(done)
    done_at_kill = done()
    kill(worker)
    thread.join(timeout=300)
    assert not errors, errors
    return done_at_kill


def kill_then_rerun(
    cmd: list[str], finished: Callable[[], list[Path]], total: int, final: Path, log: Path,
    min_done: int = 1,
) -> None:  # fmt: skip
    """Start ``cmd``; SIGKILL it (its session: driver, scheduler, workers) once ``min_done`` of
    its ``total`` tasks have finished, before its ``final`` file exists; rerun it to the end. The
    finished tasks' files must be left as they were: a resumed run skips them."""
    proc = spawn(cmd, log)
    wait_until(lambda: len(finished()) >= min_done, proc)
    kill(proc)
    survived = {p: p.stat().st_mtime_ns for p in finished()}
    assert 0 < len(survived) < total and not final.exists()
    rerun = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert {p: p.stat().st_mtime_ns for p in survived} == survived
