"""What we write is read by standard tools with no code of ours, and read back by offset."""

from __future__ import annotations

import io
import json
import tarfile

import datasets
import polars as pl
import pyarrow.parquet as pq
import pytest
import webdataset as wds
from raw_inputs import ingest_paths

from corpus import Dataset
from corpus.shards import MEMBER_MODE, MEMBER_MTIME, member_header
from corpus.validate import validate


@pytest.fixture
def dataset(raw, tmp_path):
    out = tmp_path / "ds"
    ingest_paths(out, raw["folder"], raw["edits"], raw["llava"])
    return out


def _edit_shard(root):
    manifest = pl.read_parquet(root / "manifest.parquet")
    return manifest.filter(pl.col("task") == "it2i")["shard"][0]


def test_webdataset_reads_edit_samples_with_two_images(dataset):
    tar = dataset / "shards" / f"{_edit_shard(dataset)}.tar"
    samples = list(wds.WebDataset(str(tar), shardshuffle=False).decode("pil"))
    assert len(samples) == 4
    for s in samples:
        assert {"json", "source.png", "target.png"} <= set(s)
        assert s["source.png"].size == (48, 32)
        assert s["json"]["instruction"] == "make the square blue"
        assert s["json"]["id"] == s["__key__"]


def test_hf_datasets_reads_every_webdataset_shard(dataset):
    manifest = pl.read_parquet(dataset / "manifest.parquet")
    for shard, rows in manifest.group_by("shard", maintain_order=True):
        tar = str(dataset / "shards" / f"{shard[0]}.tar")
        ds = datasets.load_dataset("webdataset", data_files={"train": tar}, split="train")
        assert ds.num_rows == rows.height
        assert ds["__key__"] == rows["id"].to_list()
        image_columns = [c for c in ds.column_names if c.split(".")[-1] in ("png", "jpg", "webp")]
        assert len(image_columns) == rows["n_images"][0]
        first = ds[0]
        for column in image_columns:
            assert first[column].size == (rows["image_widths"][0][0], rows["image_heights"][0][0])


def test_hf_datasets_and_pyarrow_read_arrow_shards(raw, tmp_path):
    out = tmp_path / "arrow"
    ingest_paths(out, raw["edits"], shard_format="arrow")
    assert validate(out) == []
    (shard,) = pl.read_parquet(out / "manifest.parquet")["shard"].unique().to_list()
    path = str(out / "shards" / f"{shard}.arrow")
    ds = datasets.Dataset.from_file(path)
    assert isinstance(ds.features["source"], datasets.Image)
    assert ds[0]["source"].size == (48, 32) and ds[0]["target"].size == (48, 32)
    assert json.loads(ds[0]["json"])["task"] == "it2i"
    loaded = datasets.load_dataset("arrow", data_files=path, split="train")
    assert loaded.num_rows == 4
    # Every command works on both shard formats.
    keys = pl.read_parquet(out / "manifest.parquet")["id"].to_list()
    assert [s.id for s in Dataset.open(out)] == keys
    assert Dataset.open(out).get(keys[2]).id == keys[2]


def test_polars_and_pyarrow_read_sidecars_and_manifest(dataset):
    manifest = pq.read_table(dataset / "manifest.parquet")
    lazy = pl.scan_parquet(dataset / "shards" / "*.parquet").collect()
    assert manifest.num_rows == lazy.height == 4 + 3 + 6
    assert set(manifest.column_names) >= {"id", "task", "shard", "offset", "size", "text"}


def test_tar_members_are_adjacent_sorted_and_keys_have_no_dots(dataset):
    for tar_path in sorted((dataset / "shards").glob("*.tar")):
        with tarfile.open(tar_path) as tar:
            names = tar.getnames()
        keys = [n.split(".", 1)[0] for n in names]
        groups = [k for i, k in enumerate(keys) if i == 0 or keys[i - 1] != k]
        assert len(groups) == len(set(groups)), f"{tar_path}: members not adjacent"
        fields = {}
        for name in names:
            key, field = name.split(".", 1)
            fields.setdefault(key, []).append(field)
        assert len({tuple(f) for f in fields.values()}) == 1, "field sets differ in a shard"


def test_get_by_key_reads_only_that_samples_bytes(dataset):
    ds = Dataset.open(dataset)
    target = ds.manifest().filter(pl.col("task") == "it2i").collect().row(1, named=True)
    path = dataset / "shards" / f"{target['shard']}.tar"
    data = bytearray(path.read_bytes())
    start, end = target["offset"], target["offset"] + target["size"]
    data[:start] = b"\xff" * start  # destroy everything outside the sample's byte range
    data[end:] = b"\xff" * (len(data) - end)
    path.write_bytes(bytes(data))
    sample = ds.get(target["id"])
    assert sample.id == target["id"]
    assert [i.role for i in sample.images] == ["source", "target"]


def test_same_input_gives_byte_identical_shards(raw, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    ingest_paths(a, *raw.values())
    ingest_paths(b, *raw.values(), workers=2, shard_samples=3)
    keys_a = [s.id for s in Dataset.open(a)]
    keys_b = [s.id for s in Dataset.open(b)]
    assert sorted(keys_a) == sorted(keys_b)  # keys depend on content, not on chunking
    ingest_paths(c := tmp_path / "c", *raw.values())
    for p in (a / "shards").iterdir():
        assert (c / "shards" / p.name).read_bytes() == p.read_bytes()


def test_validate_names_shard_and_key_of_a_broken_sample(dataset):
    manifest = pl.read_parquet(dataset / "manifest.parquet")
    row = manifest.row(0, named=True)
    path = dataset / "shards" / f"{row['shard']}.tar"
    with tarfile.open(path) as tar:
        members = [(m.name, tar.extractfile(m).read()) for m in tar.getmembers()]
    members = members[1:] + members[:1]  # first sample's JSON moved to the end
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w") as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    path.write_bytes(buf.getvalue())
    problems = validate(dataset)
    assert problems and row["shard"] in problems[0] and row["id"] in problems[0]


def test_incomplete_shard_is_invisible_and_reported(dataset):
    shards = dataset / "shards"
    name = sorted(p.stem for p in shards.glob("*.done"))[0]
    (shards / f"{name}.done").unlink()
    assert name not in Dataset.open(dataset).shards()
    problems = validate(dataset)
    assert any(name in p and "without a .done marker" in p for p in problems)


@pytest.mark.parametrize("name_bytes", [12, 100, 101, 300])
def test_member_headers_equal_tarfiles_own_encoding(name_bytes):
    name = "k" * (name_bytes - 4) + ".png"
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = 123_456, MEMBER_MTIME, MEMBER_MODE
    fmt = tarfile.USTAR_FORMAT if name_bytes <= 100 else tarfile.GNU_FORMAT
    assert member_header(name, 123_456) == info.tobuf(fmt, "utf-8", "surrogateescape")
