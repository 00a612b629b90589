"""Ingest: every input accounted for, every raw format, hostile and broken inputs."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import polars as pl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from raw_inputs import ODD_IMAGES, encode, ingest_paths

from corpus import Dataset
from corpus.validate import validate


def _accounted(out: Path, summary) -> tuple[pl.DataFrame, pl.DataFrame]:
    manifest = pl.read_parquet(out / "manifest.parquet")
    rejects = pl.read_parquet(out / "rejects.parquet")
    assert manifest.height == summary.kept
    assert rejects.height == summary.rejected
    assert summary.kept + summary.rejected == summary.read
    assert validate(out) == []
    return manifest, rejects


def test_every_format_ingests_and_every_input_is_accounted_for(raw, tmp_path):
    out = tmp_path / "ds"
    summary = ingest_paths(out, *raw.values())
    manifest, rejects = _accounted(out, summary)
    # folder: 6 images + broken.jpg + orphan.txt; edits: 4 + 1 bad line;
    # llava: 3 + 1 missing image; img2dataset: 3 + the hostile member.
    assert summary.read == 8 + 5 + 4 + 4
    assert manifest.group_by("task").len().sort("task").rows() == [
        ("it2i", 4),
        ("it2t", 3),
        ("t2i", 9),
    ]
    reasons = dict(zip(rejects["origin"], rejects["reason"], strict=True))
    assert "not an image" in reasons["broken.jpg"]
    assert "caption without an image" in reasons["orphan.txt"]
    assert "edits.jsonl:5" in reasons and "unreadable row" in reasons["edits.jsonl:5"]
    assert "images/nope.jpg" in reasons["conversations.json#3"]
    assert all(r["source"] and r["reason"] for r in rejects.iter_rows(named=True))


def test_sample_fields_per_task(raw, tmp_path):
    out = tmp_path / "ds"
    ingest_paths(out, *raw.values())
    ds = Dataset.open(out)
    by_task = {s.task: s for s in ds}
    edit = by_task["it2i"]
    assert [i.role for i in edit.images] == ["source", "target"]
    assert edit.instruction == "make the square blue"
    assert edit.inverse_instruction == "make the square green"
    assert edit.pair.group_id == edit.id and edit.pair.direction == "forward"
    assert edit.pair.edit_type == "recolour"
    vqa = by_task["it2t"]
    assert vqa.messages[0] == {"role": "user", "content": "<image>\nHow many squares?"}
    assert vqa.messages[1]["role"] == "assistant"
    zh = [s for s in ds if s.lang == "zh"]
    assert zh and all(s.extra["scene"]["objects"] for s in zh)
    assert {s.lang for s in ds if s.task == "t2i" and s.source == "folder"} == {"en", "zh"}


def test_original_bytes_are_kept(raw, tmp_path):
    out = tmp_path / "ds"
    ingest_paths(out, raw["folder"])
    for sample in Dataset.open(out):
        original = (raw["folder"] / sample.origin).read_bytes()
        assert sample.images[0].data == original
        assert sample.images[0].format == sample.origin.rsplit(".", 1)[1]


def test_odd_and_broken_files_never_crash_ingest(tmp_path):
    folder = tmp_path / "odd"
    folder.mkdir()
    images = [p for p in sorted(ODD_IMAGES.iterdir()) if p.name != "INDEX.md"]
    for p in images:
        shutil.copy(p, folder / p.name)
        (folder / f"{p.name.rsplit('.', 1)[0]}.txt").write_text(f"caption of {p.name}")
    out = tmp_path / "ds"
    summary = ingest_paths(out, folder, verify="decode")
    manifest, rejects = _accounted(out, summary)
    kept = set(manifest["origin"])
    reasons = dict(zip(rejects["origin"], rejects["reason"], strict=True))
    assert "decompression bomb" in reasons["decompression_bomb.gif"]
    assert "does not decode" in reasons["truncated_jpeg.jpg"]
    assert "does not decode" in reasons["truncated_image.png"]
    assert "not an image" in reasons["broken.png"]
    assert "hopper_png_bytes_named.jpg" in kept  # wrong extension: kept under its real format
    row = manifest.filter(pl.col("origin") == "hopper_png_bytes_named.jpg").row(0, named=True)
    assert row["image_formats"] == ["png"]
    orientation = {s.origin: s.images[0].orientation for s in Dataset.open(out)}
    assert orientation["hopper_orientation_6.jpg"] == 6
    # Every image file of the folder is either kept or rejected with its name in the reason.
    for p in images:
        assert p.name in kept or p.name in reasons.get(p.name, "")


def test_pixel_limit_rejects_without_decoding(tmp_path):
    folder = tmp_path / "big"
    folder.mkdir()
    (folder / "big.png").write_bytes(encode((5, 5, 5), size=(400, 300)))
    (folder / "big.txt").write_text("a big image")
    (folder / "small.png").write_bytes(encode((5, 5, 5), size=(100, 100)))
    (folder / "small.txt").write_text("a small image")
    out = tmp_path / "ds"
    summary = ingest_paths(out, folder, max_pixels=100 * 100)
    _, rejects = _accounted(out, summary)
    assert summary.kept == 1
    assert "too many pixels: 400x300" in rejects["reason"][0]


def test_tar_member_names_cannot_escape(raw, tmp_path):
    work = tmp_path / "deep" / "a" / "b"
    out = work / "ds"
    summary = ingest_paths(out, raw["img2dataset"])
    _accounted(out, summary)
    assert not list(tmp_path.rglob("escape*"))
    for sample in Dataset.open(out):
        assert "/" not in sample.id and "." not in sample.id


def test_tables_csv_parquet_bytes_and_hf_on_disk(tmp_path):
    import datasets

    img_dir = tmp_path / "t"
    img_dir.mkdir()
    rows = []
    for i in range(3):
        (img_dir / f"{i}.png").write_bytes(encode((9, 9, 9), seed=i))
        rows.append({"image": f"{i}.png", "caption": f"caption {i}", "aesthetic": 5.0 + i})
    with open(img_dir / "list.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    table = pa.table(
        {
            "jpg": [encode((1, 1, 1), fmt="JPEG", seed=i) for i in range(2)] + [b"junk"],
            "text": ["one", "two", "three"],
        }
    )
    pq.write_table(table, img_dir / "bytes.parquet")
    hf = datasets.Dataset.from_dict(
        {"image": [{"bytes": encode((7, 7, 7)), "path": None}], "text": ["hf caption"]},
        features=datasets.Features({"image": datasets.Image(), "text": datasets.Value("string")}),
    )
    hf.save_to_disk(str(tmp_path / "hf"))
    out = tmp_path / "ds"
    paths = (img_dir / "list.csv", img_dir / "bytes.parquet", tmp_path / "hf")
    summary = ingest_paths(out, *paths)
    manifest, rejects = _accounted(out, summary)
    assert summary.kept == 3 + 2 + 1
    assert rejects["origin"].to_list() == ["bytes.parquet#2"]
    csv_sample = next(s for s in Dataset.open(out) if s.origin == "list.csv:2")
    assert csv_sample.extra == {"aesthetic": "5.0"}  # unmapped columns are kept, not lost


def test_reencode_unsupported_formats(tmp_path):
    folder = tmp_path / "ico"
    folder.mkdir()
    shutil.copy(ODD_IMAGES / "python.ico", folder / "python.ico")
    (folder / "python.txt").write_text("the python logo")
    summary = ingest_paths(tmp_path / "never", folder)
    assert summary.rejected == 1
    summary = ingest_paths(tmp_path / "png", folder, reencode="unsupported")
    assert summary.kept == 1
    (sample,) = Dataset.open(tmp_path / "png")
    assert sample.images[0].format == "png" and sample.images[0].data[:4] == b"\x89PNG"


def test_rerun_with_other_options_is_refused(raw, tmp_path):
    out = tmp_path / "ds"
    ingest_paths(out, raw["folder"])
    with pytest.raises(RuntimeError, match="other inputs or options"):
        ingest_paths(out, raw["folder"], shard_format="arrow")


def test_rerun_of_a_finished_ingest_changes_nothing(raw, tmp_path):
    out = tmp_path / "ds"
    ingest_paths(out, *raw.values())
    before = {p.name: p.read_bytes() for p in (out / "shards").iterdir()}
    summary = ingest_paths(out, *raw.values(), workers=2)
    assert summary.skipped_chunks == summary.chunks
    assert {p.name: p.read_bytes() for p in (out / "shards").iterdir()} == before
    assert json.loads((out / "dataset.json").read_text())["inputs"]["read"] == summary.read
