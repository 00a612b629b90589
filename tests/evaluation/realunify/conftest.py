"""One torch thread per test: on a shared 2-core machine, two threads contend with other
processes and the tiny model's edits slow down by ~50x (as tests/models/conftest.py does)."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
