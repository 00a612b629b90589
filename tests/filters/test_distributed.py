"""The runner on real dask processes: a `dask scheduler` and two `dask worker`s on loopback, a
worker killed mid-run, and the whole run SIGKILLed then resumed; each must give exactly the
output of an uninterrupted LocalCluster run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dask_cluster import cli_cluster, kill_a_worker_mid_run, kill_then_rerun
from filter_helpers import assert_same_outputs, run_recipe

pytestmark = pytest.mark.slow  # dask scheduler and worker processes, SIGKILL


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, [worker processes]) of a real CLI-started cluster on 127.0.0.1."""
    with cli_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


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
    done_at_kill = kill_a_worker_mid_run(
        lambda: run_recipe(fast_recipe, shapes, out, scheduler=address),
        lambda: len(_done(out)),
        workers[0],
    )
    total_tasks = len(shapes.shards()) * 2  # two stages
    assert 0 < done_at_kill < total_tasks
    assert_same_outputs(demo_run, out)


def test_sigkill_of_the_whole_run_resumes_to_the_same_output(shapes, fast_recipe, demo_run,
                                                             tmp_path):  # fmt: skip
    out = tmp_path / "killed_run"
    cmd = [sys.executable, "-m", "filters", "run", str(fast_recipe), "--input", str(shapes.root),
           "--out", str(out), "--workers", "2", "--no-progress"]  # fmt: skip
    total_tasks = len(shapes.shards()) * 2  # two stages
    kill_then_rerun(cmd, lambda: _done(out), total_tasks, out / "report.json", tmp_path / "run.log")
    assert_same_outputs(demo_run, out)
