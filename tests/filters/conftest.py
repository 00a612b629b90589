"""Fixtures: the shapes world ingested once per session, small operators' samples, a runner."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import PIL.Image
import pytest

from corpus import Dataset
from corpus.ingest import IngestConfig, SourceSpec, ingest
from corpus.schema import Image, Pair, Sample
from corpus.shapes import generate

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "recipes"
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


def encode(size: tuple[int, int], color=(200, 30, 30), fmt="PNG", **kw) -> bytes:
    out = io.BytesIO()
    PIL.Image.new("RGB", size, color).save(out, format=fmt, **kw)
    return out.getvalue()


def image(role: str, size=(96, 64), fmt="PNG", orientation=1, data=None, **kw) -> Image:
    data = data if data is not None else encode(size, fmt=fmt, **kw)
    ext = {"PNG": "png", "JPEG": "jpg"}[fmt]
    return Image(role, ext, size[0], size[1], data, orientation=orientation)


def t2i(key: str, *images: Image, prompt="a red square") -> Sample:
    return Sample(key, "t2i", list(images), prompt=prompt)


def edit(key: str, source: Image, target: Image, edit_type="recolour") -> Sample:
    return Sample(
        key,
        "it2i",
        [source, target],
        instruction="make it blue",
        inverse_instruction="make it red",
        pair=Pair(key, edit_type=edit_type),
    )


def copy_dataset(ds: Dataset, dest: Path) -> Dataset:
    shutil.copytree(ds.root, dest)
    return Dataset.open(dest)


def run_recipe(recipe: str | Path, dataset: Dataset, out: Path, **kw) -> dict:
    from filters.recipe import load_recipe
    from filters.runner import RunConfig, run

    kw.setdefault("progress", False)
    return run(RunConfig(load_recipe(recipe), dataset.root, out, **kw))


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


def outputs(out: Path) -> dict:
    """Everything a run decides (not timings): the tables and the funnel counts."""
    import json

    import polars as pl

    report = json.loads((out / "report.json").read_text())
    funnel = [{k: v for k, v in s.items() if k != "time_s"} for s in report["funnel"]]
    return {
        "manifest": pl.read_parquet(out / "manifest.parquet").drop("dataset"),
        "rejects": pl.read_parquet(out / "rejects.parquet"),
        "stats": pl.read_parquet(out / "stats.parquet"),
        "funnel": funnel,
        "totals": report["totals"],
    }


def assert_same_outputs(a: Path, b: Path) -> None:
    x, y = outputs(a), outputs(b)
    for key in ("manifest", "rejects", "stats"):
        assert x[key].equals(y[key]), f"{key} differs between {a} and {b}"
    assert x["funnel"] == y["funnel"] and x["totals"] == y["totals"]
