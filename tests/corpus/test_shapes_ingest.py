"""The shapes world's raw files, mess included, go through ingest as a user's data would."""

from __future__ import annotations

import json

import polars as pl
import pytest
from raw_inputs import ingest_paths

from corpus import Dataset
from corpus.shapes import generate
from corpus.validate import validate

# What each broken kind of the shapes world must become (rejection kind, or kept).
EXPECTED = {
    "truncated_png": "corrupt_image",
    "truncated_jpeg": "corrupt_image",
    "zero_bytes": "empty_file",
    "not_an_image": "not_an_image",
    "decompression_bomb": "too_many_pixels",
    "wrong_extension": "kept",
}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("world") / "raw"
    generate(root, size="small", seed=0, progress=False)
    out = root.parent / "ds"
    sources = [
        root / "t2i",
        root / "t2i_jsonl" / "metadata.jsonl",
        root / "edits" / "edits.jsonl",
        root / "vqa" / "conversations.json",
    ]
    summary = ingest_paths(out, *sources, verify="decode", workers=2)
    return root, out, summary


def test_every_raw_file_is_kept_or_rejected_for_its_real_defect(world):
    root, out, summary = world
    assert validate(out) == []
    assert summary.kept + summary.rejected == summary.read
    rejects = pl.read_parquet(out / "rejects.parquet")
    kept = set(pl.read_parquet(out / "manifest.parquet")["origin"])
    seen = set()
    for sidecar in sorted((root / "t2i").glob("*.json")):
        meta = json.loads(sidecar.read_text())
        if "broken" not in meta:
            continue
        (image,) = [p for p in root.glob(f"t2i/{sidecar.stem}.*") if p.suffix != ".json"]
        expected = EXPECTED[meta["broken"]]
        if expected == "kept":
            assert image.name in kept
        else:
            row = rejects.filter(pl.col("origin") == image.name).row(0, named=True)
            assert row["kind"] == expected and image.name in row["reason"]
        seen.add(meta["broken"])
    assert seen == set(EXPECTED)
    assert rejects.height == len(EXPECTED) - 1


def test_world_counts_survive_ingest(world):
    root, out, _ = world
    counts = json.loads((root / "world.json").read_text())["counts"]
    manifest = pl.read_parquet(out / "manifest.parquet")
    by_task = dict(manifest.group_by("task").len().iter_rows())
    assert by_task["it2i"] == counts["edits"]["triplets"]
    assert by_task["it2t"] == counts["vqa"]["conversations"]
    broken_dropped = len(EXPECTED) - 1
    assert by_task["t2i"] == counts["t2i"]["images"] - broken_dropped + counts["t2i_jsonl"]
    assert set(manifest["lang"]) == {"en", "zh"}


def test_scene_graphs_and_orientation_are_carried_into_the_corpus(world):
    root, out, _ = world
    ds = Dataset.open(out)
    rotated = 0
    for sample in ds:
        if sample.task == "it2i":
            assert sample.extra["source_scene"] and sample.extra["target_scene"]
            assert sample.pair.edit_type in {"add", "remove", "recolour", "move", "replace"}
        if sample.extra.get("exif_orientation"):
            assert sample.images[0].orientation == sample.extra["exif_orientation"]
            rotated += 1
    assert rotated == json.loads((root / "world.json").read_text())["counts"]["t2i"]["exif_rotated"]
