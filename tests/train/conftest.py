"""Fixtures: a small shapes-world dataset, a curated manifest of it, and the tiny model."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from corpus.ingest import IngestConfig, SourceSpec, ingest
from corpus.select import select
from corpus.shapes import generate
from models.mammoth2 import Mammoth2
from train.model import model_config

RAW_SOURCES = ("t2i", "t2i_jsonl/metadata.jsonl", "edits/edits.jsonl", "vqa/conversations.json")


@pytest.fixture(scope="session")
def shapes(tmp_path_factory) -> Path:
    """The small shapes world, ingested (t2i, it2i and it2t samples)."""
    base = tmp_path_factory.mktemp("shapes")
    generate(base / "raw", size="small", seed=0, progress=False)
    sources = [SourceSpec(base / "raw" / s) for s in RAW_SOURCES]
    ingest(sources, IngestConfig(out=base / "ds", workers=1, verify="decode", progress=False))
    return base / "ds"


@pytest.fixture(scope="session")
def curated(shapes: Path) -> Path:
    """A curated manifest (``corpus select``) of the generation and understanding samples."""
    out = shapes.parent / "curated.parquet"
    select([shapes], "task IN ('t2i', 'it2i', 'it2t')", out)
    return out


@pytest.fixture(scope="session")
def tiny() -> Mammoth2:
    torch.manual_seed(0)
    return Mammoth2(model_config("tiny")).eval()
