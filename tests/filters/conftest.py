"""Fixtures: the shapes world ingested once per session, small operators' samples, a runner."""

from __future__ import annotations

from pathlib import Path

import pytest
from filter_helpers import run_recipe

from corpus import Dataset
from corpus.ingest import IngestConfig, SourceSpec, ingest
from corpus.schema import Sample
from corpus.shapes import generate

SHARD_SAMPLES = 12  # input records per ingest chunk: many shards, so runs have many tasks


@pytest.fixture(scope="session")
def shapes(tmp_path_factory) -> Dataset:
    """The small shapes world, ingested with header checks only, so that truncated files reach
    the decode operator, in about 20 shards."""
    root = tmp_path_factory.mktemp("shapes")
    generate(root / "raw", "small", seed=0, progress=False)
    raw = root / "raw"
    sources = [
        SourceSpec(raw / "t2i"),
        SourceSpec(raw / "t2i_jsonl" / "metadata.jsonl"),
        SourceSpec(raw / "edits" / "edits.jsonl"),
        SourceSpec(raw / "vqa" / "conversations.json"),
    ]
    cfg = IngestConfig(out=root / "ds", shard_samples=SHARD_SAMPLES, workers=2, progress=False)
    ingest(sources, cfg)
    return Dataset.open(root / "ds")


@pytest.fixture(scope="session")
def samples(shapes) -> list[Sample]:
    return list(shapes)


# The demo recipe without OCR (tested on its own in test_ocr.py; it costs ~0.1 s per image):
# two stages, split by dedup, so the alive hand-over between stages is exercised.
FAST_RECIPE = """
name: fast
steps:
  - op: resolution
    min_side: 64
  - op: decode
  - op: dedup
  - op: resolution
    name: resolution_max
    min_side: null
    max_side: 1024
"""


@pytest.fixture(scope="session")
def fast_recipe(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("recipes") / "fast.yaml"
    path.write_text(FAST_RECIPE)
    return path


@pytest.fixture(scope="session")
def demo_run(shapes, fast_recipe, tmp_path_factory) -> Path:
    """The fast recipe over the shapes world on a LocalCluster: the reference output."""
    out = tmp_path_factory.mktemp("demo") / "out"
    run_recipe(fast_recipe, shapes, out, workers=2)
    return out
