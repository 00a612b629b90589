"""Shared settings of the tests' tiny training runs (32 px images, 512-token packs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from train.config import TrainConfig, apply_override, stage_config

REPO = Path(__file__).resolve().parents[2]
TINY = (
    "data.resolution=32",
    "data.token_budget=512",
    "data.max_pack_tokens=512",
    "data.max_sample_tokens=512",
    "data.buffer_size=16",
    "schedule.warmup_steps=2",
    "log.progress=false",
)
CAPTION_DROPOUT = "loss.caption_dropout=0.25"  # more drops than the default: plans must know them


def tiny_config(stage: str, manifest: Path, out: Path, steps: int, *extra: str) -> TrainConfig:
    cfg = stage_config(stage)
    cfg.data.manifests, cfg.out, cfg.steps = [str(manifest)], str(out), steps
    for assignment in (*TINY, *extra):
        apply_override(cfg, assignment)
    return cfg


def cli_args(stage: str, manifest: Path, out: Path, steps: int, *extra: str) -> list[str]:
    args = ["--stage", stage, "--manifest", str(manifest), "--out", str(out)]
    args += ["--steps", str(steps)]
    for assignment in (*TINY, *extra):
        args += ["--set", assignment]
    return args


def env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"}


def run_cli(args: list[str], timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "train", *args],
        cwd=REPO, env=env(), capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip
