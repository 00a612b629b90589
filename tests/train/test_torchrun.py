"""Real torchrun with 2 gloo processes on CPU: gradient invariance and an FSDP2 training run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch
from runs import CAPTION_DROPOUT, REPO, TINY, env
from safetensors.torch import load_file

from models.mammoth2 import Mammoth2
from train.checkpoint import is_complete
from train.metrics import METRICS, read_metrics
from train.model import group_of, model_config

pytestmark = pytest.mark.slow  # torchrun

GRAD_TOLERANCE = 1e-6
PROBE = Path(__file__).parent / "grad_probe.py"


def torchrun(nproc: int, *args: str) -> subprocess.CompletedProcess:
    cmd = [
        sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={nproc}",
        "--rdzv_backend=c10d", "--rdzv_endpoint=localhost:0", *args,
    ]  # fmt: skip
    probe_env = env() | {"PYTHONPATH": f"{REPO}:{PROBE.parent}"}
    done = subprocess.run(cmd, cwd=REPO, env=probe_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def test_gradient_of_1_rank_x_4_micro_equals_2_ranks_x_2_micro(curated, tmp_path):
    grads = {}
    for nproc, micro in ((1, 4), (2, 2)):
        path = tmp_path / f"grads_{nproc}.safetensors"
        torchrun(
            nproc, str(PROBE), str(curated), str(tmp_path / f"run{nproc}"), str(micro), str(path)
        )
        grads[nproc] = load_file(path)
    one, two = grads[1], grads[2]
    assert set(one) == set(two)
    assert {group_of(k) for k in one} == {"experts", "alignment", "dit"}
    nonzero = {group_of(k) for k in one if one[k].abs().sum() > 0}
    assert nonzero == {"experts", "alignment", "dit"}
    worst = max((one[k] - two[k]).abs().max().item() for k in one)
    assert worst <= GRAD_TOLERANCE


def test_fsdp2_training_under_torchrun_checkpoints_and_exports(curated, tmp_path):
    out = tmp_path / "run"
    args = ["-m", "train", "--stage", "pre1", "--manifest", str(curated), "--out", str(out)]
    args += ["--steps", "3"]
    # a budget of ~5 t2i samples (the packer's fill claim; at 512 the oldest-first rule and
    # ~200-token samples leave room for only one more)
    budget = ("data.token_budget=1024", "data.max_pack_tokens=1024")
    extra = ("checkpoint.interval=2", "checkpoint.keep=1", CAPTION_DROPOUT, *budget)
    for assignment in (*TINY, *extra):
        args += ["--set", assignment]
    torchrun(2, *args)
    rows = read_metrics(out / METRICS)
    assert [r["step"] for r in rows] == [1, 2, 3]
    assert all(r["tokens"] == r["planned_tokens"] and r["fill"] >= 0.98 for r in rows)
    checkpoint = out / "step-3"
    assert is_complete(checkpoint) and len(list(checkpoint.glob("*.distcp"))) == 2
    assert not (out / "step-2").exists()  # keep=1 purged it
    torch.manual_seed(0)
    start = Mammoth2(model_config("tiny")).state_dict()
    trained = Mammoth2.from_pretrained(out / "final").state_dict()
    frozen = [k for k in start if group_of(k) in ("backbone", "mammothtok")]
    assert all(torch.equal(start[k], trained[k]) for k in frozen)
    assert any(not torch.equal(start[k], trained[k]) for k in start if group_of(k) == "dit")
