"""The model-facing stages with a real tiny Mammoth2 checkpoint: GenEval generation in the
official layout, then detection and scoring; understanding prediction through ``chat``."""

from __future__ import annotations

import base64
import io
import json
import sys
from pathlib import Path

import polars as pl
import torch
from model_chat import ask
from PIL import Image

from corpus.shapes.scene import COLORS
from evaluation.detectors.shapes import detect_shapes
from evaluation.geneval.__main__ import main as geneval_main
from evaluation.geneval.detections import Detection, read_detections
from evaluation.understanding.__main__ import main as understanding_main
from evaluation.understanding.tsv import read_tsv
from models.mammoth2 import Mammoth2

sys.path.insert(0, str(Path(__file__).parent / "understanding"))
from synthetic_tsv import write_all  # noqa: E402


def painting_checkpoint(tiny_ckpt: Path, folder: Path, color: str) -> Path:
    """The tiny checkpoint with its DiT's output bias set to ``color``. The untrained model paints
    flat grey, where the shapes detector finds nothing and any detect or score defect reads
    0 == 0; the tiny preset's DiT predicts data with a zero output weight, so every image is now
    flat ``color`` (the bias holds each patch pixel's RGB, channels last)."""
    model = Mammoth2.from_pretrained(tiny_ckpt)
    proj = model.dit.final.proj
    with torch.no_grad():
        rgb = torch.tensor(COLORS[color]) / 127.5 - 1
        proj.bias.copy_(rgb.repeat(proj.out_features // 3))
    return model.save_pretrained(folder / "ckpt")


def test_geneval_generate_then_score(tiny_ckpt, tmp_path):
    """Every image is one red square filling the 64 px frame: the shapes detector's output on each
    saved image is exactly that, and it is what was recorded; so the 'square' prompt is right, the
    'blue square' prompt wrong, and the overall (mean of the two tags) is 0.5."""
    lines = [
        {"tag": "single_object", "include": [{"class": "square", "count": 1}],
         "prompt": "a photo of a square"},
        {"tag": "colors", "include": [{"class": "square", "count": 1, "color": "blue"}],
         "prompt": "a photo of a blue square"},
    ]  # fmt: skip
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    ckpt = painting_checkpoint(tiny_ckpt, tmp_path / "red", "red")
    argv = [str(ckpt), "--detector", "shapes", "--data", str(tmp_path / "m.jsonl"),
            "--steps", "1", "--n-samples", "2", "--out", str(tmp_path / "res"),
            "--no-progress"]  # fmt: skip
    assert geneval_main(argv) == 0
    run_dir = tmp_path / "res" / "ckpt" / "geneval"
    images = [f"{i:05d}/samples/{k:05d}.png" for i in range(2) for k in range(2)]
    outputs = run_dir / "outputs"
    assert sorted(str(p.relative_to(outputs)) for p in outputs.rglob("*.png")) == images
    for i, line in enumerate(lines):
        assert json.loads((outputs / f"{i:05d}" / "metadata.jsonl").read_text()) == line
    frame = Detection("square", 1.0, (0.0, 0.0, 64.0, 64.0), "red")
    records = read_detections(run_dir / "detections.jsonl")
    assert [(r.index, r.image) for r in records] == [(int(x[:5]), x) for x in images]
    for r in records:
        assert list(r.detections) == detect_shapes(Image.open(outputs / r.image))
        assert list(r.detections) == [frame]
    table = pl.read_parquet(run_dir / "records.parquet")
    assert table["image"].to_list() == images
    assert table["correct"].to_list() == [True, True, False, False]
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["categories"] == {"single_object": 1.0, "colors": 0.0}
    assert scores["overall"] == 0.5 and scores["n_images"] == 4
    run = json.loads((run_dir / "run.json").read_text())
    assert run["checkpoint_hash"] and run["settings"]["steps"] == 1


def test_understanding_predict_with_the_model(tiny_ckpt, tmp_path):
    """Each prediction is the model's own greedy ``chat`` answer to the item as the predict stage
    documents it: MME (a yes/no suite) asks the raw question, after the item's image."""
    rows = write_all(tmp_path / "data")["mme"]
    argv = [str(tiny_ckpt), "--suite", "mme", "--data", str(tmp_path / "data"),
            "--max-new-tokens", "4", "--out", str(tmp_path / "res"), "--no-progress"]  # fmt: skip
    assert understanding_main(argv) == 0
    model = Mammoth2.from_pretrained(tiny_ckpt)
    image = Image.open(io.BytesIO(base64.b64decode(rows[0]["image"]))).convert("RGB")
    assert all(r["image"] == rows[0]["image"] for r in rows)  # one image for every item
    expected = {str(r["index"]): ask(model, [image], r["question"], 4) for r in rows}
    # The check can fail: the tiny model's answer depends on the image it is shown.
    assert expected["0"] != ask(model, [], rows[0]["question"], 4)
    predictions = read_tsv(tmp_path / "res" / "ckpt" / "mme" / "predictions.tsv")
    assert {p["index"]: p["prediction"] for p in predictions} == expected
    scores = json.loads((tmp_path / "res" / "ckpt" / "mme" / "scores.json").read_text())
    assert scores["n_items"] == 4 and scores["judge"] == {"backend": "rule_only"}
