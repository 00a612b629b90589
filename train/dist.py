"""Process-group set-up: the same code runs as one plain process or under torchrun."""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.distributed.device_mesh import DeviceMesh, init_device_mesh


@dataclass
class DistInfo:
    rank: int
    world: int
    device: torch.device
    mesh: DeviceMesh | None  # None in a plain single process

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def sum(self, values: list[float]) -> list[float]:
        """Element-wise sum over ranks (float64, so token counts stay exact)."""
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        if self.mesh is not None:
            dist.all_reduce(tensor)
        return tensor.tolist()

    def barrier(self) -> None:
        if self.mesh is not None:
            dist.barrier()


def init_distributed() -> DistInfo:
    """torchrun (``WORLD_SIZE`` set): gloo on CPU, NCCL on GPU; otherwise a single process.

    The mesh is created explicitly on the device type, so a GPU machine with a gloo default group
    cannot move parameters to CUDA behind our back (pytorch#132471).
    """
    cuda = torch.cuda.is_available()
    if "WORLD_SIZE" not in os.environ:
        return DistInfo(0, 1, torch.device("cuda" if cuda else "cpu"), None)
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if cuda:
        torch.cuda.set_device(local_rank)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if cuda else "gloo")
    device_type = "cuda" if cuda else "cpu"
    mesh = init_device_mesh(device_type, (dist.get_world_size(),))
    device = torch.device(device_type, local_rank) if cuda else torch.device("cpu")
    return DistInfo(dist.get_rank(), dist.get_world_size(), device, mesh)


def shutdown() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()
