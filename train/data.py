"""Wiring of the data path for a run: manifest -> mixer -> packer -> planner -> loader."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from train.config import TrainConfig
from train.costs import CostModel
from train.loader import Loader
from train.manifest import ManifestTable
from train.mixer import TaskMixer
from train.packer import BestFitPacker
from train.planner import Planner
from train.sequences import SequenceBuilder, TokenizerImageBuilder

COST_CACHE = 1 << 20  # planned costs kept per run (rows are revisited every epoch)


def active_tasks(cfg: TrainConfig) -> list[str]:
    return sorted(t for t, w in cfg.data.task_weights.items() if w > 0)


def build_joint_data(cfg: TrainConfig, model: Any, rank: int, world: int) -> Loader:
    """Packed sequences for pre1 / pre2 / sft; costs are exact for generation samples."""
    data = cfg.data
    tasks = active_tasks(cfg)
    table = ManifestTable(data.manifests, tasks)
    costs = CostModel(model, data.resolution)
    cost = lru_cache(COST_CACHE)(lambda row: costs.cost(table.row(row)))
    mixer = TaskMixer(table.rows_by_task(), data.task_weights, cfg.seed)
    packer = BestFitPacker(
        mixer.draw,
        lambda row: cost(row).tokens,
        data.token_budget,
        data.max_sample_tokens,
        data.buffer_size,
        mandatory=mixer.tasks if data.mandatory_tasks else None,
    )
    planner = Planner(mixer, packer, lambda row: cost(row).attention(), world, data.micro_batches)
    builder = SequenceBuilder(
        model,
        data.resolution,
        cfg.loss.similarity_noise,
        cfg.loss.noise_neighbours,
        cfg.loss.caption_dropout,
    )
    return Loader(table, planner, builder, rank, cfg.seed, data.workers, data.prefetch_steps)


def build_tokenizer_data(cfg: TrainConfig, patch: int, rank: int, world: int) -> Loader:
    """Fixed-size image batches for the tok stage (one image per planned sample)."""
    data = cfg.data
    table = ManifestTable(data.manifests, active_tasks(cfg))
    mixer = TaskMixer(table.rows_by_task(), data.task_weights, cfg.seed)
    n = data.images_per_micro_batch
    packer = BestFitPacker(mixer.draw, lambda row: 1, n, 1, max(data.buffer_size, n))
    planner = Planner(mixer, packer, lambda row: 1.0, world, data.micro_batches)
    builder = TokenizerImageBuilder(data.resolution, patch)
    return Loader(table, planner, builder, rank, cfg.seed, data.workers, data.prefetch_steps)
