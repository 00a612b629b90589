"""The model-facing stages with a real (tiny, untrained) Mammoth2 checkpoint: GenEval generation
in the official layout, then detection and scoring; understanding prediction through ``chat``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from evaluation.geneval.__main__ import main as geneval_main
from evaluation.understanding.__main__ import main as understanding_main
from evaluation.understanding.tsv import read_tsv

sys.path.insert(0, str(Path(__file__).parent / "understanding"))
from synthetic_tsv import write_all  # noqa: E402


def test_geneval_generate_then_score(tiny_ckpt, tmp_path):
    line = {"tag": "single_object", "include": [{"class": "circle", "count": 1}],
            "prompt": "a photo of a red circle"}  # fmt: skip
    (tmp_path / "m.jsonl").write_text(json.dumps(line) + "\n")
    argv = [str(tiny_ckpt), "--detector", "shapes", "--data", str(tmp_path / "m.jsonl"),
            "--steps", "1", "--n-samples", "2", "--out", str(tmp_path / "res"),
            "--no-progress"]  # fmt: skip
    assert geneval_main(argv) == 0
    run_dir = tmp_path / "res" / "ckpt" / "geneval"
    samples = sorted(p.name for p in (run_dir / "outputs" / "00000" / "samples").iterdir())
    assert samples == ["00000.png", "00001.png"]
    assert json.loads((run_dir / "outputs" / "00000" / "metadata.jsonl").read_text()) == line
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["n_images"] == 2 and 0.0 <= scores["overall"] <= 1.0
    run = json.loads((run_dir / "run.json").read_text())
    assert run["checkpoint_hash"] and run["settings"]["steps"] == 1


def test_understanding_predict_with_the_model(tiny_ckpt, tmp_path):
    write_all(tmp_path / "data")
    argv = [str(tiny_ckpt), "--suite", "mme", "--data", str(tmp_path / "data"),
            "--max-new-tokens", "4", "--out", str(tmp_path / "res"), "--no-progress"]  # fmt: skip
    assert understanding_main(argv) == 0
    predictions = read_tsv(tmp_path / "res" / "ckpt" / "mme" / "predictions.tsv")
    assert len(predictions) == 4 and all("prediction" in p for p in predictions)
    scores = json.loads((tmp_path / "res" / "ckpt" / "mme" / "scores.json").read_text())
    assert scores["n_items"] == 4 and scores["judge"] == {"backend": "rule_only"}
