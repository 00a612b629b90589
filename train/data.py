"""Wiring of the data path for a run: manifest -> mixer -> packer -> planner -> loader."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from train.config import TrainConfig
from train.costs import Cost, CostModel, drops_caption
from train.loader import Loader
from train.manifest import ManifestTable
from train.mixer import Draw, TaskMixer
from train.packer import BestFitPacker
from train.planner import Planner
from train.sequences import SequenceBuilder, TokenizerImageBuilder

COST_CACHE = 1 << 20  # planned (row, caption dropped) costs kept per run (rows recur by epoch)


def active_tasks(cfg: TrainConfig) -> list[str]:
    return sorted(t for t, w in cfg.data.task_weights.items() if w > 0)


def build_joint_data(cfg: TrainConfig, model: Any, rank: int, world: int) -> Loader:
    """Packed sequences for pre1 / pre2 / sft; costs are exact for generation samples."""
    data = cfg.data
    tasks = active_tasks(cfg)
    table = ManifestTable(data.manifests, tasks)
    costs = CostModel(model, data.resolution)
    row_cost = lru_cache(COST_CACHE)(lambda row, dropped: costs.cost(table.row(row), dropped))

    def cost(draw: Draw) -> Cost:
        return row_cost(draw.row, drops_caption(draw.task, draw.seed, cfg.loss.caption_dropout))

    mixer = TaskMixer(table.rows_by_task(), data.task_weights, cfg.seed)
    packer = BestFitPacker(
        mixer.draw,
        lambda draw: cost(draw).tokens,
        data.token_budget,
        data.max_sample_tokens,
        data.buffer_size,
        mandatory=mixer.tasks if data.mandatory_tasks else None,
    )
    planner = Planner(mixer, packer, lambda draw: cost(draw).attention(), world, data.micro_batches)
    builder = SequenceBuilder(
        model,
        data.resolution,
        cfg.loss.similarity_noise,
        cfg.loss.noise_neighbours,
        cfg.loss.caption_dropout,
    )
    return Loader(table, planner, builder, rank, data.workers, data.prefetch_steps)


def build_tokenizer_data(cfg: TrainConfig, patch: int, rank: int, world: int) -> Loader:
    """Fixed-size image batches for the tok stage (one image per planned sample)."""
    data = cfg.data
    table = ManifestTable(data.manifests, active_tasks(cfg))
    mixer = TaskMixer(table.rows_by_task(), data.task_weights, cfg.seed)
    n = data.images_per_micro_batch
    packer = BestFitPacker(mixer.draw, lambda draw: 1, n, 1, max(data.buffer_size, n))
    planner = Planner(mixer, packer, lambda draw: 1.0, world, data.micro_batches)
    builder = TokenizerImageBuilder(data.resolution, patch)
    return Loader(table, planner, builder, rank, data.workers, data.prefetch_steps)
