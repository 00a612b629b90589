"""The generate stage under torchrun (2 CPU processes, gloo): ranks split the prompts, and rank 0
scores only after every rank has finished, so the merged scores cover all outputs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from evaluation.geneval.layout import sample_path, write_prompt_metadata
from evaluation.geneval.metadata import load_metadata

pytestmark = pytest.mark.slow  # torchrun

REPO = Path(__file__).resolve().parents[2]
PROMPTS = ["a photo of a red circle", "a photo of a blue square", "a photo of a green triangle"]
TIMEOUT_S = 240


def test_rank0_scores_after_all_ranks_finish(tiny_ckpt, tmp_path):
    lines = [{"tag": "single_object", "include": [{"class": p.split()[-1], "count": 1}],
              "prompt": p} for p in PROMPTS]  # fmt: skip
    (tmp_path / "m.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    outputs = tmp_path / "res" / tiny_ckpt.name / "geneval" / "outputs"
    # Rank 0's share (prompts 0 and 2) is already made: rank 0 reaches the barrier at once while
    # rank 1 still loads the model and generates prompt 1; without the barrier rank 0 would
    # score two prompts only.
    for meta in load_metadata(tmp_path / "m.jsonl")[::2]:
        write_prompt_metadata(outputs, meta)
        Image.new("RGB", (64, 64), "white").save(sample_path(outputs, meta.index, 0))
    # No --run: torchrun's own parser would take it for its --run-path.
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "evaluation.geneval", str(tiny_ckpt), "--detector", "shapes", "--data",
           str(tmp_path / "m.jsonl"), "--n-samples", "1", "--steps", "1", "--out",
           str(tmp_path / "res"), "--no-progress"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sample_path(outputs, 1, 0).exists()
    scores = json.loads((outputs.parent / "scores.json").read_text())
    assert scores["n_images"] == len(PROMPTS)
