"""The runner on real dask processes: a `dask scheduler` and two `dask worker`s on loopback, a
worker killed mid-run, and the whole run SIGKILLed then resumed; each must give exactly the
output of an uninterrupted LocalCluster run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from filter_helpers import REPO, assert_same_outputs, run_recipe

pytestmark = pytest.mark.slow  # dask scheduler and worker processes, SIGKILL

DASK = Path(sys.executable).with_name("dask")
START_TIMEOUT_S = 60
POLL_S = 0.01


def _spawn(args: list[str], log: Path) -> subprocess.Popen:
    """A process in its own session, so killing its group takes its children (the nanny's
    worker) with it."""
    return subprocess.Popen(
        args, stdout=log.open("w"), stderr=subprocess.STDOUT, start_new_session=True, cwd=REPO
    )


def _kill(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, [worker processes]) of a real CLI-started cluster on 127.0.0.1."""
    from dask.distributed import Client

    tmp = tmp_path_factory.mktemp("cluster")
    sched_file = tmp / "scheduler.json"
    procs = [
        _spawn(
            [str(DASK), "scheduler", "--host", "127.0.0.1", "--port", "0", "--no-dashboard",
             "--scheduler-file", str(sched_file)],
            tmp / "scheduler.log",
        )
    ]  # fmt: skip
    deadline = time.monotonic() + START_TIMEOUT_S
    while not sched_file.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    workers = [
        _spawn(
            [str(DASK), "worker", "--scheduler-file", str(sched_file), "--nthreads", "1",
             "--no-dashboard", "--name", f"w{i}", "--host", "127.0.0.1"],
            tmp / f"worker{i}.log",
        )
        for i in range(2)
    ]  # fmt: skip
    with Client(scheduler_file=str(sched_file), timeout=START_TIMEOUT_S) as client:
        client.wait_for_workers(2, timeout=START_TIMEOUT_S)
        address = client.scheduler.address
    yield address, workers
    for p in workers + procs:
        _kill(p)


def _done(out: Path) -> list[Path]:
    return sorted((out / "work").glob("s*/*.done"))


def test_runs_on_a_cli_started_scheduler_and_two_workers(cluster, shapes, fast_recipe, demo_run,
                                                         tmp_path):  # fmt: skip
    address, _ = cluster
    out = tmp_path / "remote"
    run_recipe(fast_recipe, shapes, out, scheduler=address)
    assert_same_outputs(demo_run, out)


def test_a_worker_killed_mid_run_changes_nothing(cluster, shapes, fast_recipe, demo_run, tmp_path):
    address, workers = cluster
    out = tmp_path / "killed_worker"
    errors: list[BaseException] = []

    def target() -> None:
        try:
            run_recipe(fast_recipe, shapes, out, scheduler=address)
        except BaseException as e:  # re-raised in the test thread
            errors.append(e)

    thread = threading.Thread(target=target)
    thread.start()
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _done(out) and time.monotonic() < deadline:
        time.sleep(POLL_S)
    done_at_kill = len(_done(out))
    _kill(workers[0])
    thread.join(timeout=300)
    assert not errors, errors
    total_tasks = len(shapes.shards()) * 2  # two stages
    assert 0 < done_at_kill < total_tasks
    assert_same_outputs(demo_run, out)


def test_sigkill_of_the_whole_run_resumes_to_the_same_output(shapes, fast_recipe, demo_run,
                                                             tmp_path):  # fmt: skip
    out = tmp_path / "killed_run"
    cmd = [sys.executable, "-m", "filters", "run", str(fast_recipe), "--input", str(shapes.root),
           "--out", str(out), "--workers", "2", "--no-progress"]  # fmt: skip
    proc = _spawn(cmd, tmp_path / "run.log")
    deadline = time.monotonic() + START_TIMEOUT_S
    while not _done(out) and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(POLL_S)
    _kill(proc)  # the driver, its LocalCluster scheduler and workers, all at once
    survived = {p: p.stat().st_mtime_ns for p in _done(out)}
    total_tasks = len(shapes.shards()) * 2
    assert 0 < len(survived) < total_tasks
    assert not (out / "report.json").exists()
    rerun = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-2000:]
    assert {p: p.stat().st_mtime_ns for p in survived} == survived  # finished tasks skipped
    assert_same_outputs(demo_run, out)
