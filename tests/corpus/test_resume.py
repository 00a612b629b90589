"""An ingest killed with SIGKILL part way resumes to exactly the uninterrupted result."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from raw_inputs import assert_same_dataset, write_numbered_folder

from corpus.shards import complete_shards, data_path, iter_shard

pytestmark = pytest.mark.slow  # SIGKILL

N_IMAGES = 600
CHUNK = 10


def _command(src: Path, out: Path) -> list[str]:
    return [
        sys.executable, "-m", "corpus", "ingest", str(src), "--out", str(out),
        "--workers", "2", "--shard-samples", str(CHUNK), "--verify", "decode", "--no-progress",
    ]  # fmt: skip


def _kill_part_way(src: Path, out: Path, whole_group: bool) -> None:
    proc = subprocess.Popen(_command(src, out), stdout=subprocess.DEVNULL, start_new_session=True)
    markers = out / ".ingest" / "chunks"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None:
        if markers.exists() and len(list(markers.glob("*.json"))) >= 3:
            break
        time.sleep(0.005)
    assert proc.poll() is None, "ingest finished before it could be killed"
    if whole_group:
        os.killpg(proc.pid, signal.SIGKILL)  # the ingest process and its workers
    else:
        proc.kill()  # only the ingest process: its workers must die with it
    proc.wait()
    assert not (out / "dataset.json").exists()


@pytest.mark.parametrize("whole_group", [True, False], ids=["group", "main-only"])
def test_sigkill_then_rerun_equals_uninterrupted_run(tmp_path, whole_group):
    src = write_numbered_folder(tmp_path / "raw", N_IMAGES)  # one rejection: rejects resume too
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    subprocess.run(_command(src, reference), check=True, stdout=subprocess.DEVNULL)

    _kill_part_way(src, resumed, whole_group)
    shards = resumed / "shards"
    for name in complete_shards(shards):  # partial shards never appear as complete
        rows = pl.read_parquet(shards / f"{name}.parquet")
        assert [s.id for s in iter_shard(data_path(shards, name))] == rows["id"].to_list()

    subprocess.run(_command(src, resumed), check=True, stdout=subprocess.DEVNULL)
    assert_same_dataset(reference, resumed)
    inputs = json.loads((reference / "dataset.json").read_text())["inputs"]
    assert inputs == {"read": N_IMAGES, "kept": N_IMAGES - 1, "rejected": 1}
