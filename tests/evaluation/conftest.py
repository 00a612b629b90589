"""Fixtures of the evaluation tests: the loopback judge server's path and a tiny checkpoint."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

# The loopback OpenAI-compatible server lives with the judge client's tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "models" / "external"))


@pytest.fixture(scope="session")
def tiny_ckpt(tmp_path_factory) -> Path:
    """An untrained tiny-preset Mammoth2 checkpoint folder (save_pretrained), shared by tests;
    seeded, so a failure reproduces."""
    import torch

    from models.mammoth2 import Mammoth2

    path = tmp_path_factory.mktemp("tiny") / "ckpt"
    torch.manual_seed(0)
    Mammoth2.from_preset("tiny").save_pretrained(path)
    return path
