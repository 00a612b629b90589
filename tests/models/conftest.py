"""Shared fixtures: one thread per test process (2-core CI machines are shared), fixed seeds."""

from __future__ import annotations

import pytest
import torch

from models.mammoth2 import Mammoth2
from models.presets import get_config


@pytest.fixture(autouse=True)
def _one_thread_and_seed():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def tiny() -> Mammoth2:
    torch.manual_seed(0)
    return Mammoth2(get_config("tiny")).eval()


def randomize_zero_init(module: torch.nn.Module, scale: float = 0.05) -> None:
    """Perturb every parameter so zero-initialised gates/outputs stop hiding bugs."""
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn_like(p) * scale)
