"""The `python -m corpus` commands as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys

import polars as pl
import pytest

from corpus import Dataset
from corpus.__main__ import main
from corpus.dataset import read_manifest_row_sample


@pytest.fixture
def dataset(raw, tmp_path):
    out = tmp_path / "ds"
    args = [str(p) for p in raw.values()]
    assert main(["ingest", *args, "--out", str(out), "--no-progress", "--workers", "2"]) == 0
    return out


def test_help_explains_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "corpus", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for command in ("sample", "ingest", "validate", "stats", "show", "select"):
        assert command in out


def test_validate_and_stats(dataset, capsys):
    assert main(["validate", str(dataset)]) == 0
    assert "valid (16 samples)" in capsys.readouterr().out
    assert main(["stats", str(dataset), "--json"]) == 0
    stats = json.loads(capsys.readouterr().out)
    assert stats["by_task"] == {"it2i": 4, "it2t": 3, "t2i": 9}
    assert stats["by_lang"] == {"en": 13, "zh": 3}
    assert stats["rejected"] == 5
    assert sum(stats["max_side_hist"].values()) == stats["images"] == 4 * 2 + 3 + 9
    assert main(["stats", str(dataset)]) == 0
    assert "by task" in capsys.readouterr().out


def test_show_prints_one_sample(dataset, capsys):
    key = Dataset.open(dataset).manifest().filter(pl.col("task") == "it2i").collect()["id"][0]
    assert main(["show", str(dataset), key]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["id"] == key and shown["instruction"] == "make the square blue"
    assert shown["location"]["shard"]


def test_select_writes_a_launchable_curated_manifest(dataset, tmp_path, capsys):
    out = tmp_path / "curated.parquet"
    where = "task = 'it2i' OR (task = 't2i' AND lang = 'zh')"
    assert main(["select", str(dataset), "--where", where, "--out", str(out)]) == 0
    curated = pl.read_parquet(out)
    assert curated.height == 4 + 3
    assert {"id", "shard", "offset", "size", "dataset"} <= set(curated.columns)
    for row in curated.iter_rows(named=True):
        assert read_manifest_row_sample(row["dataset"], row).id == row["id"]


def test_bad_input_exits_nonzero_with_one_line(dataset, tmp_path, capsys):
    assert main(["show", str(dataset), "no-such-key"]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and "no-such-key" in err and "\n" not in err
    assert main(["select", str(dataset), "--where", "no_column > 1", "--out", "x.parquet"]) == 1
    err = capsys.readouterr().err.strip()
    assert "no_column" in err and "\n" not in err
    assert main(["validate", str(tmp_path)]) == 1
    assert main(["ingest", str(tmp_path / "missing"), "--out", str(tmp_path / "o")]) == 1
    assert "missing: no such file" in capsys.readouterr().err
