"""A recipe end to end on a LocalCluster: accounting, planted defects found, outputs
readable by training, report files, and `apply` re-deciding from stored stats."""

from __future__ import annotations

import json

import polars as pl
import pytest
from filter_helpers import run_recipe

from corpus.dataset import Dataset, read_manifest_row_sample
from filters.__main__ import main


def test_every_input_is_accounted_for(demo_run, shapes):
    report = json.loads((demo_run / "report.json").read_text())
    totals = report["totals"]
    assert totals["input"] == len(shapes)
    assert totals["input"] + totals["emitted"] == totals["kept"] + totals["dropped"]
    kept = pl.read_parquet(demo_run / "manifest.parquet")
    rejects = pl.read_parquet(demo_run / "rejects.parquet")
    assert kept.height == totals["kept"] and rejects.height == totals["dropped"]
    assert set(kept["id"]) | set(rejects["id"]) == set(shapes.manifest().collect()["id"])
    by_reason = rejects.group_by("step", "kind").len()
    for step in report["funnel"]:
        for key, n in step.items():
            if key.startswith("dropped_"):
                got = by_reason.filter(
                    (pl.col("step") == step["step"]) & (pl.col("kind") == key[8:])
                )["len"]
                assert got.to_list() == [n]


def test_planted_defects_are_found_with_their_reasons(demo_run, samples):
    rejects = pl.read_parquet(demo_run / "rejects.parquet")
    reason = dict(zip(rejects["origin"], rejects["kind"], strict=True))
    by_origin = {s.origin: s for s in samples}
    broken = {s.extra["broken"]: s.origin for s in samples if "broken" in s.extra}
    truncated = ("truncated_png", "truncated_jpeg")  # planted by the shapes world, one of each
    assert set(truncated) <= broken.keys(), broken
    for kind in truncated:
        dropped = rejects.filter(pl.col("origin") == broken[kind]).select("step", "kind", "reason")
        assert dropped.height == 1, f"{kind} file {broken[kind]} is not among the rejects"
        [(step, why, message)] = dropped.rows()
        assert (step, why) == ("decode", "corrupt") and "truncated" in message, (kind, message)
    planted = [s for s in samples if "near_duplicate_of" in s.extra]
    assert planted
    for s in planted:  # one of each planted pair is dropped as a duplicate of the other
        other = by_origin[s.extra["near_duplicate_of"]]
        dropped = {o: reason.get(o) for o in (s.origin, other.origin)}
        assert sorted(map(str, dropped.values())) in (
            ["None", "duplicate"], ["None", "near_duplicate"], ["duplicate", "near_duplicate"],
        ), dropped  # fmt: skip
    dups = rejects.filter(pl.col("step") == "dedup")
    assert dups.height == len(planted)  # and no false positives
    tiny = [s.origin for s in samples if min(s.images[0].width, s.images[0].height) < 64]
    assert tiny and all(reason[o] == "too_small" for o in tiny)


def test_manifest_rows_read_back_the_samples_by_offset(demo_run):
    manifest = pl.read_parquet(demo_run / "manifest.parquet")
    for row in manifest.head(20).to_dicts():
        sample = read_manifest_row_sample(row["dataset"], row)
        assert sample.id == row["id"]


def test_report_has_histograms_and_percentiles(demo_run):
    report = json.loads((demo_run / "report.json").read_text())
    width = report["stats"]["resolution.width"]
    assert width["unit"] == "px" and width["percentiles"]["p50"] > 0
    assert (demo_run / width["histogram"]).read_bytes()[:4] == b"\x89PNG"
    md = (demo_run / "report.md").read_text()
    assert "| resolution | resolution |" in md and "report/dedup.distance.png" in md


def test_apply_redecides_from_stored_stats(demo_run, tmp_path, capsys):
    import shutil

    out = tmp_path / "applied"
    shutil.copytree(demo_run, out)
    stats = pl.read_parquet(out / "stats.parquet")
    before = {p: p.stat().st_mtime_ns for p in (out / "work").rglob("*.parquet")}
    assert main(["apply", str(out), "--set", "resolution.min_side=200"]) == 0
    assert "resolution" in capsys.readouterr().out
    report = json.loads((out / "report.json").read_text())
    widths = stats.filter(pl.col("born").is_null())
    small = sum(
        min(min(w), min(h)) < 200
        for w, h in zip(widths["resolution.width"], widths["resolution.height"], strict=True)
    )
    assert report["funnel"][0]["dropped_too_small"] == small
    assert report["recipe"]["steps"][0]["min_side"] == 200
    assert {p: p.stat().st_mtime_ns for p in (out / "work").rglob("*.parquet")} == before
    # Loosening back reproduces the original decisions exactly.
    assert main(["apply", str(out), "--set", "resolution.min_side=64"]) == 0
    assert pl.read_parquet(out / "manifest.parquet").equals(
        pl.read_parquet(demo_run / "manifest.parquet")
    )


def test_apply_refuses_measurement_params(demo_run, capsys):
    assert main(["apply", str(demo_run), "--set", "dedup.hash_size=16"]) == 1
    assert "rerun `filters run`" in capsys.readouterr().err


def test_materialize_writes_a_dataset_of_the_kept_samples(shapes, tmp_path):
    out = tmp_path / "mat"
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: small\nsteps:\n  - op: resolution\n    min_side: 100\n")
    report = run_recipe(recipe, shapes, out, workers=1, materialize=True)
    ds = Dataset.open(out)
    assert len(ds) == report["totals"]["kept"]
    sample = next(iter(ds))
    assert sample.verdicts["resolution"] == "kept"
    assert min(sample.stats["resolution"]["width"]) >= 100


@pytest.mark.slow  # two full runs
def test_apply_rematerializes_a_materialized_run(shapes, tmp_path):
    out = tmp_path / "mat"
    recipe = tmp_path / "r.yaml"
    recipe.write_text("name: small\nsteps:\n  - op: resolution\n    min_side: 100\n")
    run_recipe(recipe, shapes, out, workers=1, materialize=True)
    before = pl.read_parquet(out / "manifest.parquet")
    for side, kept in ((300, lambda n: n < len(before)), (100, lambda n: n == len(before))):
        sets = ["--set", f"resolution.min_side={side}", "--workers", "1"]
        assert main(["apply", str(out), *sets]) == 0
        manifest = pl.read_parquet(out / "manifest.parquet")
        assert kept(len(manifest)) and set(manifest["dataset"]) == {str(out.resolve())}
        samples = list(Dataset.open(out))
        assert sorted(s.id for s in samples) == sorted(manifest["id"])
        assert all(min(s.stats["resolution"]["width"]) >= side for s in samples)
    assert manifest.sort("id").drop("dataset").equals(before.sort("id").drop("dataset"))


def test_list_shows_operators_params_and_units(capsys):
    assert main(["list"]) == 0
    text = capsys.readouterr().out
    assert "stat resolution.width [px, per image]" in text
    assert "stat aesthetic.score [LAION 1-10, per image]" in text
    assert "param min_side = 64" in text
