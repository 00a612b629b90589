"""Helpers of the filters tests: small hand-made samples, running a recipe, comparing runs."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import PIL.Image
import polars as pl

from corpus import Dataset
from corpus.schema import Image, Pair, Sample
from filters.recipe import load_recipe
from filters.runner import RunConfig, run

REPO = Path(__file__).resolve().parents[2]
RECIPES = REPO / "recipes"


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
    kw.setdefault("progress", False)
    return run(RunConfig(load_recipe(recipe), dataset.root, out, **kw))


def outputs(out: Path) -> dict:
    """Everything a run decides (not timings): the tables and the funnel counts."""
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
