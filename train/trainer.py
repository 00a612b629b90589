"""The training loop: build (model, optimiser, data), restore, step, log, checkpoint, export.

One code path for a plain process and for torchrun. With FSDP2 the module is built on the meta
device on every rank, parallelised (``train/parallelize.py``), materialised with ``to_empty`` and
filled from rank 0's reference weights (``broadcast_from_rank0``), so only rank 0 ever holds a
full copy. Without FSDP the reference model itself is trained.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    set_model_state_dict,
)
from tqdm import tqdm

from models.checkpoint import read_config
from models.config import Mammoth2Config
from train import config as config_io
from train.checkpoint import Checkpointer, latest_complete
from train.config import TrainConfig
from train.dist import DistInfo, init_distributed, shutdown
from train.loader import Loader, StepData
from train.metrics import LOSS_PNG, METRICS, MetricsLog, plot_losses
from train.model import model_config
from train.objectives import JointObjective, TokenizerObjective, objective_for
from train.optim import build_optimizer, build_scheduler, freeze
from train.parallelize import apply_activation_checkpointing, apply_fsdp

MODEL_CONFIG = "model_config.json"
RUN_CONFIG = "config.json"
FINAL = "final"


@dataclass
class Run:
    cfg: TrainConfig
    dist: DistInfo
    objective: JointObjective | TokenizerObjective
    model_cfg: Mammoth2Config
    module: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    loader: Loader
    checkpointer: Checkpointer
    log: MetricsLog
    start_step: int = 0

    @property
    def out(self) -> Path:
        return Path(self.cfg.out)


def resolve_model_config(cfg: TrainConfig) -> Mammoth2Config:
    """Architecture: the run's own (resume), else the init checkpoint's, else the preset."""
    saved = Path(cfg.out) / MODEL_CONFIG
    if saved.exists():
        return Mammoth2Config.from_dict(config_io.load_json(saved))
    if cfg.model.init:
        return read_config(Path(cfg.model.init))
    return model_config(cfg.model.preset)


def use_fsdp(cfg: TrainConfig, dist: DistInfo) -> bool:
    mode = cfg.parallel.fsdp
    if mode not in ("auto", "on", "off"):
        raise ValueError(f"parallel.fsdp must be auto, on or off, not {mode!r}")
    if mode == "on" and dist.mesh is None:
        raise ValueError("parallel.fsdp=on needs a process group: launch with torchrun")
    if mode == "off" and dist.world > 1:
        raise ValueError("more than one rank needs FSDP (parallel.fsdp=auto or on)")
    return dist.mesh is not None and mode != "off"


def use_bf16(cfg: TrainConfig, dist: DistInfo) -> bool:
    return cfg.parallel.bf16 == "on" or (cfg.parallel.bf16 == "auto" and dist.device.type == "cuda")


def build_model(run_cfg: TrainConfig, dist: DistInfo, objective, model_cfg) -> nn.Module:
    """The module to train, frozen groups set, parallelised, holding the reference weights."""
    if not use_fsdp(run_cfg, dist):
        module = objective.reference(model_cfg, run_cfg)
        freeze(module, run_cfg.optim.lr)
        if run_cfg.parallel.activation_checkpointing:
            apply_activation_checkpointing(module)
        return module.to(dist.device)
    reference = objective.reference(model_cfg, run_cfg).state_dict() if dist.is_main else {}
    with torch.device("meta"):
        module = objective.build(model_cfg)
    freeze(module, run_cfg.optim.lr)
    if run_cfg.parallel.activation_checkpointing:
        apply_activation_checkpointing(module)
    param_dtype = torch.bfloat16 if use_bf16(run_cfg, dist) else None
    apply_fsdp(module, dist.mesh, param_dtype, run_cfg.parallel.reshard_after_forward)
    module.to_empty(device=dist.device)
    objective.reset_buffers(module)
    options = StateDictOptions(full_state_dict=True, broadcast_from_rank0=True, strict=True)
    set_model_state_dict(module, reference, options=options)
    return module


def build_optim(cfg: TrainConfig, module: nn.Module) -> tuple:
    optimizer = build_optimizer(module, cfg.optim)
    return optimizer, build_scheduler(optimizer, cfg.steps, cfg.schedule)


def build_data(cfg: TrainConfig, objective, module: nn.Module, dist: DistInfo) -> Loader:
    return objective.data(cfg, module, dist.rank, dist.world)


def setup(cfg: TrainConfig, dist: DistInfo) -> Run:
    out = Path(cfg.out)
    objective = objective_for(cfg.stage)
    model_cfg = resolve_model_config(cfg)
    if dist.is_main:
        out.mkdir(parents=True, exist_ok=True)
        config_io.save(cfg, out / RUN_CONFIG)
        config_io.save_json(model_cfg.to_dict(), out / MODEL_CONFIG)
    module = build_model(cfg, dist, objective, model_cfg)
    optimizer, scheduler = build_optim(cfg, module)
    loader = build_data(cfg, objective, module, dist)
    checkpointer = Checkpointer(out, dist, cfg.checkpoint)
    log = MetricsLog(out, dist.is_main, cfg.log.tensorboard)
    run = Run(
        cfg, dist, objective, model_cfg, module, optimizer, scheduler, loader, checkpointer, log
    )
    run.start_step = restore(run)
    return run


def restore(run: Run) -> int:
    """Resume from the newest complete checkpoint of the run folder; returns the start step."""
    path = latest_complete(run.out)
    if path is None:
        return 0
    state = run.checkpointer.load(path, run.module, run.optimizer)
    run.scheduler.load_state_dict(state["scheduler"])
    run.loader.load_state_dict(state["loader"])
    run.log.truncate_after(state["step"])
    return state["step"]


def autocast(run: Run):
    if not use_bf16(run.cfg, run.dist):
        return contextlib.nullcontext()
    return torch.autocast(run.dist.device.type, dtype=torch.bfloat16)


def backward_step(run: Run, data: StepData) -> Counter:
    """Forward and backward of every micro-batch of the step; gradients accumulate."""
    totals = run.dist.sum(run.objective.counts(data.micro))
    sums: Counter = Counter()
    for micro in data.micro:
        with autocast(run):
            loss, metrics = run.objective.loss(run.module, micro, totals, run.cfg, data.step)
        loss.backward()
        sums["loss"] += float(loss.detach())
        for key, value in metrics.items():
            sums[key] += float(value)
        sums["planned_tokens"] += micro.planned_tokens
        sums["samples"] += len(micro.samples)
        sums.update(f"task_{task}" for task in micro.tasks)
    return sums


def optimizer_step(run: Run) -> dict[str, float]:
    """Clip, AdamW step, LR step; returns the pre-clip gradient norm and the lrs used."""
    trained = [p for p in run.module.parameters() if p.requires_grad]
    grad_norm = torch.nn.utils.clip_grad_norm_(trained, run.cfg.optim.clip_grad_norm)
    grad_norm = grad_norm.full_tensor() if hasattr(grad_norm, "full_tensor") else grad_norm
    run.optimizer.step()
    run.optimizer.zero_grad(set_to_none=True)
    lrs = {f"lr_{g['name']}": g["lr"] for g in run.optimizer.param_groups}
    run.scheduler.step()
    return lrs | {"grad_norm": float(grad_norm)}


def train_step(run: Run, data: StepData) -> dict[str, Any]:
    """One optimiser step; metrics summed over micro-batches and ranks."""
    sums = backward_step(run, data)
    update = optimizer_step(run)
    keys = sorted(sums)
    summed = dict(zip(keys, run.dist.sum([sums[k] for k in keys]), strict=True))
    return summed | update | {"data_digest": data.digest}


def step_record(run: Run, step: int, metrics: dict, wait_s: float, step_s: float) -> dict:
    """The logged line of one step: metrics, fill, throughput."""
    record = {"step": step + 1, **metrics, "data_wait_s": wait_s, "step_s": step_s}
    for key in ("samples", "tokens", "planned_tokens"):
        if key in record:
            record[key] = int(record[key])
    record["samples_per_s"] = record["samples"] / step_s
    record["tokens_per_s"] = record["tokens"] / step_s
    if isinstance(run.objective, JointObjective):
        budget = run.cfg.data.token_budget * run.cfg.data.micro_batches * run.dist.world
        record["fill"] = record["tokens"] / budget
    return record


def checkpoint_state(run: Run, step: int) -> dict[str, Any]:
    return {
        "step": step,
        "scheduler": run.scheduler.state_dict(),
        "loader": run.loader.state_dict(),
        "config": run.cfg.to_dict(),
    }


def export_final(run: Run) -> Path | None:
    """``final/``: a ``save_pretrained`` folder of the trained model (rank 0 writes it)."""
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    state = get_model_state_dict(run.module, options=options)
    path = run.out / FINAL
    if run.dist.is_main:
        run.objective.export(state, run.model_cfg, run.cfg, path)
    run.dist.barrier()
    return path


def loop(run: Run) -> None:
    cfg = run.cfg
    show = run.dist.is_main and cfg.log.progress
    # a log file (no terminal) gets a progress line every 30 s instead of one per step
    refresh_s = 0.1 if sys.stderr.isatty() else 30.0
    bar = tqdm(
        total=cfg.steps,
        initial=run.start_step,
        disable=not show,
        desc=cfg.stage,
        mininterval=refresh_s,
    )
    for step in range(run.start_step, cfg.steps):
        t0 = time.perf_counter()
        data = run.loader.next()
        t1 = time.perf_counter()
        metrics = train_step(run, data)
        record = step_record(run, step, metrics, t1 - t0, time.perf_counter() - t0)
        if (step + 1) % cfg.log.every == 0 or step + 1 == cfg.steps:
            run.log.write(record)
        bar.set_postfix(loss=f"{record['loss']:.4f}", refresh=False)
        bar.update(1)
        done = step + 1
        if done % cfg.checkpoint.interval == 0 or done == cfg.steps:
            run.checkpointer.save(done, run.module, run.optimizer, checkpoint_state(run, done))
    bar.close()


def train(cfg: TrainConfig) -> Path:
    """Run (or resume) a stage; returns the run folder."""
    dist = init_distributed()
    run = None
    try:
        run = setup(cfg, dist)
        loop(run)
        run.checkpointer.wait()
        if cfg.checkpoint.export_final:
            export_final(run)
        if dist.is_main and (run.out / METRICS).exists():
            plot_losses(run.out / METRICS, run.out / LOSS_PNG)
        return run.out
    finally:
        if run is not None:
            run.loader.close()
            run.log.close()
        shutdown()
