"""Single-process training: frozen groups, exact resume after SIGKILL, the recorded losses."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from runs import REPO, cli_args, env, run_cli, tiny_config

from models.mammoth2 import Mammoth2
from train.checkpoint import is_complete
from train.metrics import METRICS, read_metrics
from train.model import group_of, model_config
from train.trainer import train

BASELINE = Path(__file__).parent / "baselines" / "pre2_tiny_recorded_losses.json"
RESUME_STEPS = 6
PRE2_EXTRA = ("checkpoint.interval=2", "loss.similarity_noise=0.1")
KILL_AFTER_STEP = 3


def test_pre1_changes_only_its_trainable_groups(curated, tmp_path):
    # zero-initialised DiT output and gates: gradients reach the alignment module from step 3
    cfg = tiny_config("pre1", curated, tmp_path / "run", 4, "checkpoint.interval=4")
    out = train(cfg)
    torch.manual_seed(cfg.seed)
    start = Mammoth2(model_config("tiny")).state_dict()
    trained = Mammoth2.from_pretrained(out / "final").state_dict()
    changed = {group_of(k) for k in start if not torch.equal(start[k], trained[k])}
    assert changed == {"experts", "alignment", "dit"}
    frozen = [k for k in start if group_of(k) in ("backbone", "mammothtok")]
    assert frozen and all(torch.equal(start[k], trained[k]) for k in frozen)
    assert (out / "loss.png").stat().st_size > 0


def test_pre1_resumes_with_parameters_that_never_had_a_gradient(curated, tmp_path):
    # pre1 is t2i only: the DiT's reference-image embedding is trainable but never gets a
    # gradient, so the checkpoint has no optimizer state for it.
    cfg = tiny_config("pre1", curated, tmp_path / "run", 2, "checkpoint.interval=2")
    train(cfg)
    cfg.steps = 3
    out = train(cfg)
    assert [r["step"] for r in read_metrics(out / METRICS)] == [1, 2, 3]


def _losses(run: Path) -> list[tuple[int, float, str]]:
    return [(r["step"], r["loss"], r["data_digest"]) for r in read_metrics(run / METRICS)]


def _kill_after(args: list[str], run: Path, step: int) -> None:
    """Start training, SIGKILL it once ``step`` is logged and a checkpoint is complete."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "train", *args], cwd=REPO, env=env(),
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        logged = (run / METRICS).exists() and len(read_metrics(run / METRICS)) >= step
        if logged and is_complete(run / "step-2"):
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read()[-2000:]


@pytest.fixture(scope="module")
def straight_pre2(curated, tmp_path_factory) -> Path:
    """An uninterrupted tiny pre2 run of ``RESUME_STEPS`` steps (the CLI)."""
    run = tmp_path_factory.mktemp("pre2") / "straight"
    done = run_cli(cli_args("pre2", curated, run, RESUME_STEPS, *PRE2_EXTRA))
    assert done.returncode == 0, done.stderr[-2000:]
    return run


@pytest.mark.slow  # SIGKILL
def test_sigkill_then_resume_reproduces_the_uninterrupted_losses_bit_for_bit(
    curated, straight_pre2, tmp_path
):
    killed = tmp_path / "killed"
    args = cli_args("pre2", curated, killed, RESUME_STEPS, *PRE2_EXTRA)
    _kill_after(args, killed, KILL_AFTER_STEP)
    assert not (killed / "final").exists()
    resumed = run_cli(args)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert _losses(killed) == _losses(straight_pre2)
    assert [s for s, _, _ in _losses(killed)] == list(range(1, RESUME_STEPS + 1))


@pytest.mark.slow  # the uninterrupted run of the SIGKILL test
def test_pre2_losses_unchanged_from_recorded_baseline(straight_pre2):
    """A change detector, not a correctness check: the baseline was recorded from this code
    (``UPDATE_LOSS_BASELINE=1`` rewrites it after an intended change). The loss itself is checked
    against a hand computation in ``test_objectives.py``."""
    losses = [loss for _, loss, _ in _losses(straight_pre2)]
    if os.environ.get("UPDATE_LOSS_BASELINE"):
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text(json.dumps(losses, indent=1))
    assert losses == pytest.approx(json.loads(BASELINE.read_text()), rel=1e-5)


def test_tok_stage_output_seeds_pre1(curated, tmp_path):
    tok = train(
        tiny_config("tok", curated, tmp_path / "tok", 2, "data.images_per_micro_batch=8")
    )  # fmt: skip
    rows = read_metrics(tok / METRICS)
    assert [r["step"] for r in rows] == [1, 2] and all(r["samples"] == 8 for r in rows)
    pre1 = train(tiny_config("pre1", curated, tmp_path / "pre1", 1, f"model.init={tok}/final"))
    tokenizer = Mammoth2.from_pretrained(tok / "final").mammothtok.state_dict()
    after = Mammoth2.from_pretrained(pre1 / "final").mammothtok.state_dict()
    torch.manual_seed(0)
    fresh = Mammoth2(model_config("tiny")).mammothtok.state_dict()
    assert all(torch.equal(tokenizer[k], after[k]) for k in tokenizer)
    assert any(not torch.equal(tokenizer[k], fresh[k]) for k in tokenizer)


def test_sft_trains_understanding_with_the_backbone_unfrozen(curated, tmp_path):
    extra = ("data.token_budget=1024", "data.max_sample_tokens=1024", "data.max_pack_tokens=1280")
    out = train(tiny_config("sft", curated, tmp_path / "sft", 2, *extra))
    rows = read_metrics(out / METRICS)
    assert all(r["task_it2t"] >= 1 and r["task_it2i"] >= 1 and r["task_t2i"] >= 1 for r in rows)
    torch.manual_seed(0)
    start = Mammoth2(model_config("tiny")).state_dict()
    trained = Mammoth2.from_pretrained(out / "final").state_dict()
    changed = {group_of(k) for k in start if not torch.equal(start[k], trained[k])}
    assert "backbone" in changed and "mammothtok" not in changed
