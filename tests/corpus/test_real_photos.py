"""Ingest of real photographs (tests/data/real_photos): camera JPEGs with EXIF orientation, grey
and 16-bit PNGs, 102 px to 3264 px, captions with their original spacing and licences."""

from __future__ import annotations

import json
import re
from collections import Counter

import polars as pl
from PIL import Image
from raw_inputs import REAL_PHOTOS, ingest_paths

from corpus.dataset import Dataset
from corpus.stats import SIDE_BINS, dataset_stats
from corpus.validate import validate

CAPTIONS = REAL_PHOTOS / "captions.jsonl"


def caption_rows() -> list[dict]:
    return [json.loads(line) for line in CAPTIONS.read_text(encoding="utf-8").splitlines()]


def test_captioned_photos_are_kept_verbatim_and_uncaptioned_ones_rejected(tmp_path):
    rows = caption_rows()
    summary = ingest_paths(tmp_path / "ds", CAPTIONS, verify="decode")
    assert validate(tmp_path / "ds") == []
    captioned = {f"captions.jsonl:{n}": r for n, r in enumerate(rows, 1) if r["caption"]}
    assert summary.kept == len(captioned) == 18 and summary.read == len(rows) == 32
    for sample in Dataset.open(tmp_path / "ds"):
        row = captioned[sample.origin]
        assert sample.prompt == row["caption"]  # trailing and double spaces kept
        assert sample.license == row["license"]
        assert sample.images[0].data == (REAL_PHOTOS / row["file"]).read_bytes()
    rejects = pl.read_parquet(tmp_path / "ds" / "rejects.parquet")
    assert set(rejects["origin"]) == {f"captions.jsonl:{n}" for n, r in enumerate(rows, 1)} - set(
        captioned
    )
    assert all("missing caption" in reason for reason in rejects["reason"])


def test_every_photo_decodes_and_keeps_its_stored_size_and_orientation(tmp_path):
    """Grey, 16-bit-per-channel and 3264 px photos all pass --verify decode."""
    table = tmp_path / "photos.jsonl"
    files = sorted(p for p in REAL_PHOTOS.iterdir() if p.suffix in (".jpg", ".png"))
    table.write_text("".join(json.dumps({"file": str(p), "caption": p.stem}) + "\n" for p in files))
    summary = ingest_paths(tmp_path / "ds", table, verify="decode")
    assert summary.kept == len(files) == 32
    by_name = {s.prompt: s.images[0] for s in Dataset.open(tmp_path / "ds")}
    for path in files:
        stored = by_name[path.stem]
        with Image.open(path) as img:
            assert (stored.width, stored.height) == img.size  # as stored, before EXIF rotation
        exif = re.fullmatch(r"exiforient_\w+_(\d)", path.stem)
        assert stored.orientation == (int(exif.group(1)) if exif else 1)
    manifest = pl.read_parquet(tmp_path / "ds" / "manifest.parquet")
    assert manifest["min_side"].min() == 102 and manifest["max_side"].max() == 3264


def test_stats_bin_every_photo_by_longest_side_and_aspect(tmp_path):
    """Bins are [lo, hi): a 2048 px side counts in 2048-4096, as a 3264 px one does."""
    table = tmp_path / "photos.jsonl"
    files = sorted(p for p in REAL_PHOTOS.iterdir() if p.suffix in (".jpg", ".png"))
    table.write_text("".join(json.dumps({"file": str(p), "caption": p.stem}) + "\n" for p in files))
    ingest_paths(tmp_path / "ds", table)
    stats = dataset_stats(Dataset.open(tmp_path / "ds"))
    sizes = [Image.open(p).size for p in files]
    expected = Counter(_bin(max(w, h), SIDE_BINS) for w, h in sizes)
    assert stats["max_side_hist"] == {k: expected.get(k, 0) for k in stats["max_side_hist"]}
    assert sum(stats["aspect_hist"].values()) == stats["images"] == 32
    assert stats["aspect_hist"]["0.9-1.1"] == sum(0.9 <= w / h < 1.1 for w, h in sizes)
    assert stats["max_side_hist"]["2048-4096"] == 2  # the 2048 and 3264 px camera-trap photos


def _bin(value: float, edges: tuple[float, ...]) -> str:
    for lo, hi in zip(edges, edges[1:], strict=False):
        if lo <= value < hi:
            return f"{lo:g}-{hi:g}"
    return f">={edges[-1]:g}"
