"""An ingest killed with SIGKILL part way resumes to exactly the uninterrupted result."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest
from raw_inputs import encode

from corpus.shards import complete_shards, data_path, iter_shard

pytestmark = pytest.mark.slow  # SIGKILL

N_IMAGES = 600
CHUNK = 10


def _raw_folder(root: Path) -> Path:
    root.mkdir()
    for i in range(N_IMAGES):
        (root / f"{i:04d}.png").write_bytes(encode((i % 256, 80, 160), size=(96, 96), seed=i))
        (root / f"{i:04d}.txt").write_text(f"image {i}")
    (root / "0007.png").write_bytes(b"")  # a rejection too, so rejects must resume as well
    return root


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


def _snapshot(out: Path) -> dict:
    shards = out / "shards"
    return {
        "files": {p.name: p.read_bytes() for p in sorted(shards.iterdir())},
        "manifest": pl.read_parquet(out / "manifest.parquet"),
        "rejects": pl.read_parquet(out / "rejects.parquet"),
    }


@pytest.mark.parametrize("whole_group", [True, False], ids=["group", "main-only"])
def test_sigkill_then_rerun_equals_uninterrupted_run(tmp_path, whole_group):
    src = _raw_folder(tmp_path / "raw")
    reference, resumed = tmp_path / "reference", tmp_path / "resumed"
    subprocess.run(_command(src, reference), check=True, stdout=subprocess.DEVNULL)

    _kill_part_way(src, resumed, whole_group)
    shards = resumed / "shards"
    for name in complete_shards(shards):  # partial shards never appear as complete
        rows = pl.read_parquet(shards / f"{name}.parquet")
        assert [s.id for s in iter_shard(data_path(shards, name))] == rows["id"].to_list()

    subprocess.run(_command(src, resumed), check=True, stdout=subprocess.DEVNULL)
    a, b = _snapshot(reference), _snapshot(resumed)
    assert a["files"].keys() == b["files"].keys()
    assert a["files"] == b["files"]
    assert a["manifest"].equals(b["manifest"])
    assert a["rejects"].equals(b["rejects"])
    assert a["manifest"].height == N_IMAGES - 1 and a["rejects"].height == 1
