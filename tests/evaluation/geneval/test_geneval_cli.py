"""The GenEval command end to end: recorded detections, and shapes-world images through the
shapes detector into the results store."""

from __future__ import annotations

import json

import polars as pl
import pytest

from corpus.shapes import render_scene
from evaluation.benchmark_data import BENCHMARKS_ENV
from evaluation.geneval.__main__ import main
from evaluation.geneval.layout import sample_path, write_prompt_metadata
from evaluation.geneval.metadata import METADATA_FILE, TAGS, load_metadata
from evaluation.geneval.shapes_world import reference_scene, shapes_metadata


def test_records_only_scoring_writes_the_results_store(tmp_path, capsys, monkeypatch):
    """No --data and no $MAMMOTH2_BENCHMARKS: the bundled official metadata is used."""
    monkeypatch.delenv(BENCHMARKS_ENV, raising=False)
    records = tmp_path / "detections.jsonl"
    with records.open("w") as f:  # image 0 of prompt 0 (a bench) found, the rest empty
        for i in range(3):
            dets = (
                [{"label": "bench", "score": 0.9, "box": [0, 0, 5, 5], "color": None}]
                if i == 0
                else []
            )
            f.write(
                json.dumps({"index": i, "image": f"{i:05d}/samples/00000.png", "detections": dets})
                + "\n"
            )
    argv = ["--stage", "score", "--records", str(records)]
    assert main([*argv, "--out", str(tmp_path / "results"), "--run", "r1"]) == 0
    run_dir = tmp_path / "results" / "r1" / "geneval"
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["overall"] == pytest.approx(1 / 3) and scores["categories"] == {
        "single_object": 1 / 3
    }
    records_table = pl.read_parquet(run_dir / "records.parquet")
    assert records_table.height == 3 and records_table["correct"].to_list() == [True, False, False]
    run = json.loads((run_dir / "run.json").read_text())
    assert run["benchmark"] == "geneval" and run["judge"] == {"records": str(records)}
    assert run["data"]["sha256"].startswith("5c48e081")
    assert run["data"]["path"] == str(METADATA_FILE.bundled)
    assert "overall" in capsys.readouterr().out


def test_bad_records_exit_2_with_one_line_naming_file_and_item(tmp_path, capsys):
    records = tmp_path / "detections.jsonl"
    records.write_text('{"index": 0, "image": "a.png", "detections": [{"label": "x"}]}\n')
    assert main(["--stage", "score", "--records", str(records), "--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "detections.jsonl: item line 1 (a.png): missing field" in err
    assert main(["--detector", "shapez", "--out", str(tmp_path)]) == 2
    assert "did you mean 'shapes'" in capsys.readouterr().err


def test_generate_with_a_missing_checkpoint_is_a_clear_error(tmp_path, capsys):
    code = main([str(tmp_path / "ckpt"), "--detector", "shapes", "--out", str(tmp_path / "res")])
    assert code == 2 and "ckpt: checkpoint not found" in capsys.readouterr().err


def fill_outputs(run_dir, metas, n, draw):
    for meta in metas:
        write_prompt_metadata(run_dir / "outputs", meta)
        for k in range(n):
            draw(meta, k).save(sample_path(run_dir / "outputs", meta.index, k))


def test_shapes_world_reference_images_score_one_and_blank_images_zero(tmp_path):
    lines = shapes_metadata(per_tag=3)
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    metas = load_metadata(tmp_path / "m.jsonl")
    good = tmp_path / "results" / "good" / "geneval"
    fill_outputs(good, metas, 2, lambda m, k: render_scene(reference_scene(m)))
    argv = ["--detector", "shapes", "--stage", "score", "--out", str(tmp_path / "results")]
    assert main([*argv, "--run", "good", "--no-progress"]) == 0
    scores = json.loads((good / "scores.json").read_text())
    assert scores["categories"] == {t: 1.0 for t in TAGS} and scores["n_images"] == 36
    # Resume: a second score run detects nothing new and gives the same numbers.
    detections = (good / "detections.jsonl").read_text()
    assert main([*argv, "--run", "good", "--no-progress"]) == 0
    assert (good / "detections.jsonl").read_text() == detections
    blank = tmp_path / "results" / "blank" / "geneval"
    blank_scene = lambda m, k: render_scene(reference_scene(m).with_objects([]))  # noqa: E731
    fill_outputs(blank, metas, 1, blank_scene)
    assert main([*argv, "--run", "blank", "--no-progress"]) == 0
    assert json.loads((blank / "scores.json").read_text())["overall"] == 0.0


def test_resumed_detection_refuses_records_of_another_detector(tmp_path, capsys):
    """A detector that changed since the records were written must not be mixed with them."""
    lines = shapes_metadata(per_tag=1)
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    run = tmp_path / "results" / "r" / "geneval"
    metas = load_metadata(tmp_path / "m.jsonl")
    fill_outputs(run, metas, 1, lambda m, k: render_scene(reference_scene(m)))
    argv = ["--detector", "shapes", "--stage", "score", "--out", str(tmp_path / "results"),
            "--run", "r", "--no-progress"]  # fmt: skip
    assert main(argv) == 0
    sidecar = run / "detections.detector.json"
    identity = json.loads(sidecar.read_text())
    assert identity["detector"] == "shapes" and identity["settings"]["min_object_share"] == 0.5
    identity["settings"].pop("min_object_share")  # as an older shapes detector recorded it
    sidecar.write_text(json.dumps(identity))
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "detections.jsonl" in err and "recorded by detector" in err and "--run" in err
    (run / "detections.jsonl").unlink()
    sidecar.unlink()
    assert main(argv) == 0  # detected again with this detector
    assert json.loads((run / "scores.json").read_text())["overall"] == 1.0


def test_shapes_metadata_is_official_format_and_deterministic():
    lines = shapes_metadata()
    assert lines == shapes_metadata() and len(lines) == 96
    assert [x["tag"] for x in lines[::16]] == list(TAGS)
    counting = next(x for x in lines if x["tag"] == "counting")
    n = counting["include"][0]["count"]
    assert counting["exclude"] == [{"class": counting["include"][0]["class"], "count": n + 1}]
    assert all(x["prompt"].startswith("a photo of ") for x in lines)
