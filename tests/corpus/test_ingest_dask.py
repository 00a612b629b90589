"""Ingest on a real dask cluster (a `dask scheduler` and two `dask worker`s started with the CLI
on loopback): the same dataset, byte for byte, as the local ingest of the same inputs; also
after a SIGKILL of the whole run and a rerun, and with a worker killed mid-run."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from dask_cluster import cli_cluster, kill_a_worker_mid_run, kill_then_rerun
from raw_inputs import assert_same_dataset, ingest_paths, write_numbered_folder

from corpus.ingest.run import WORK_DIR

pytestmark = pytest.mark.slow  # dask scheduler and worker processes, SIGKILL

N_IMAGES = 300
CHUNK = 10  # records per chunk: 30 chunks, so a kill lands mid-run
CHUNKS = N_IMAGES // CHUNK
OPTIONS = {"shard_samples": CHUNK, "verify": "decode"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """(scheduler address, [worker processes]); the last test kills a worker."""
    with cli_cluster(tmp_path_factory.mktemp("cluster")) as running:
        yield running


@pytest.fixture(scope="module")
def numbered(tmp_path_factory) -> tuple[Path, Path]:
    """(a raw folder, its local ingest): the input of the kill tests and what they must give."""
    root = tmp_path_factory.mktemp("numbered")
    src = write_numbered_folder(root / "raw", N_IMAGES)
    ingest_paths(root / "local", src, **OPTIONS)
    return src, root / "local"


def _markers(out: Path) -> list[Path]:
    return sorted((out / WORK_DIR / "chunks").glob("*.json"))


def test_same_dataset_as_the_local_ingest(cluster, raw, tmp_path):
    address, _ = cluster
    inputs = list(raw.values())  # every format: records with paths and with inline bytes
    local = ingest_paths(tmp_path / "local", *inputs, shard_samples=3)
    remote = ingest_paths(tmp_path / "remote", *inputs, shard_samples=3, scheduler=address)
    assert remote == local
    assert remote.kept + remote.rejected == remote.read == 21
    assert_same_dataset(tmp_path / "local", tmp_path / "remote")


def test_sigkill_of_the_whole_run_resumes_to_the_same_dataset(cluster, numbered, tmp_path):
    address, _ = cluster
    src, local = numbered
    out = tmp_path / "killed_run"
    cmd = [sys.executable, "-m", "corpus", "ingest", str(src), "--out", str(out),
           "--scheduler", address, "--shard-samples", str(CHUNK), "--verify", "decode",
           "--no-progress"]  # fmt: skip
    final = out / "dataset.json"
    kill_then_rerun(cmd, lambda: _markers(out), CHUNKS, final, tmp_path / "run.log", min_done=3)
    assert_same_dataset(local, out)


def test_a_worker_killed_mid_run_changes_nothing(cluster, numbered, tmp_path):
    address, workers = cluster
    src, local = numbered
    out = tmp_path / "killed_worker"
    done_at_kill = kill_a_worker_mid_run(
        lambda: ingest_paths(out, src, scheduler=address, **OPTIONS),
        lambda: len(_markers(out)),
        workers[0],
    )
    assert 0 < done_at_kill < CHUNKS
    assert_same_dataset(local, out)
