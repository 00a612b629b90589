"""Ranks under torchrun: which items this rank makes, which device it uses, and the barrier
that lets rank 0 merge and score only after every rank has written its share.

torchrun sets RANK / WORLD_SIZE / LOCAL_RANK but does not create a process group. The barrier
uses the group the caller (or the model code) initialised; otherwise it creates a gloo group for
the barrier alone (gloo works with and without GPUs) and tears it down afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")
# One rank's share of a benchmark can take hours on a large model: the barrier must outwait it.
BARRIER_TIMEOUT = dt.timedelta(hours=48)


def rank_world() -> tuple[int, int]:
    """(rank, world size) under torchrun (RANK/WORLD_SIZE), else (0, 1)."""
    return int(os.environ.get("RANK", 0)), int(os.environ.get("WORLD_SIZE", 1))


def is_main_rank() -> bool:
    return rank_world()[0] == 0


def shard(items: Sequence[T]) -> list[T]:
    """This rank's share (every world-th item): ranks write disjoint files, merged by reading."""
    rank, world = rank_world()
    return list(items[rank::world])


def local_device() -> str:
    """``cuda:LOCAL_RANK`` when GPUs exist (one per rank under torchrun), else ``cpu``."""
    import torch

    if not torch.cuda.is_available():
        return "cpu"
    local = int(os.environ.get("LOCAL_RANK", 0))
    return f"cuda:{local % torch.cuda.device_count()}"


def wait_for_all_ranks() -> None:
    """Block until every rank reaches this point; a no-op outside torchrun."""
    if rank_world()[1] == 1:
        return
    import torch.distributed as dist

    created = not dist.is_initialized()
    if created:
        dist.init_process_group("gloo", timeout=BARRIER_TIMEOUT)
    try:
        dist.barrier()
    finally:
        if created:
            dist.destroy_process_group()
