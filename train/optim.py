"""AdamW with per-group learning rates, frozen groups, and warm-up + constant/cosine schedules.

Groups are named (``train/model.py``); a stage lists the groups it trains in ``[optim.lr]``.
Everything else is frozen *before* the model is sharded (``requires_grad=False``), so frozen
parameters get no gradient, no optimiser state and stay bitwise unchanged. FSDP2 keeps original
parameter names, so the same grouping works on a sharded model (training_reference.md 4.3).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from train.config import OptimConfig, ScheduleConfig
from train.model import GROUPS, grouped_parameters

ALWAYS_FROZEN = ("vae",)


def check_groups(lr: dict[str, float]) -> None:
    unknown = sorted(set(lr) - set(GROUPS))
    if unknown:
        raise ValueError(f"optim.lr names unknown groups {unknown}; groups are {list(GROUPS)}")
    trained_frozen = [g for g in ALWAYS_FROZEN if lr.get(g, 0) > 0]
    if trained_frozen:
        raise ValueError(f"groups {trained_frozen} are always frozen")
    if not any(v > 0 for v in lr.values()):
        raise ValueError("optim.lr trains no group")


def freeze(model: nn.Module, lr: dict[str, float]) -> dict[str, int]:
    """Set ``requires_grad`` from the stage's groups; returns trainable parameter counts."""
    check_groups(lr)
    trainable = {}
    for group, params in grouped_parameters(model).items():
        train = lr.get(group, 0.0) > 0
        for _, param in params:
            param.requires_grad_(train)
        if train:
            trainable[group] = sum(p.numel() for _, p in params)
    return trainable


def build_optimizer(model: nn.Module, cfg: OptimConfig) -> torch.optim.AdamW:
    """One AdamW param group per trained group (``name`` and ``lr`` from the config)."""
    groups = []
    for group, params in grouped_parameters(model).items():
        trained = [p for _, p in params if p.requires_grad]
        if trained:
            groups.append({"params": trained, "lr": cfg.lr[group], "name": group})
    return torch.optim.AdamW(
        groups, betas=cfg.betas, eps=cfg.eps, weight_decay=cfg.weight_decay, foreach=True
    )


def lr_factor(step: int, total: int, cfg: ScheduleConfig) -> float:
    """Multiplier of every base lr at ``step`` (0-based): linear warm-up, then the decay."""
    if step < cfg.warmup_steps:
        return (step + 1) / cfg.warmup_steps
    if cfg.kind == "constant":
        return 1.0
    if cfg.kind == "cosine":
        span = max(total - cfg.warmup_steps, 1)
        progress = min((step - cfg.warmup_steps) / span, 1.0)
        cosine = 0.5 * (1 + math.cos(math.pi * progress))
        return cfg.min_lr_ratio + (1 - cfg.min_lr_ratio) * cosine
    raise ValueError(f"unknown schedule kind {cfg.kind!r}; use 'constant' or 'cosine'")


def build_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, cfg: ScheduleConfig
) -> torch.optim.lr_scheduler.LambdaLR:
    lr_factor(cfg.warmup_steps, total_steps, cfg)  # fail now on a bad kind, not at warm-up's end
    return torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: lr_factor(step, total_steps, cfg)
    )
