"""Asynchronous DCP checkpoints: ``step-N/`` folders, complete only with ``.metadata``, keep k.

Each checkpoint holds the sharded model and optimiser state (``torch.distributed.checkpoint``,
one file per rank, no rank ever gathers the full model) plus ``train_state.json`` written by
rank 0 *before* the tensors: step, scheduler, data-loader position and the resolved config.
DCP writes ``.metadata`` last, after every rank has finished, so a folder counts only when that
file exists; a run killed mid-save leaves an incomplete folder that resume ignores and the next
purge deletes. ``dcp.async_save`` stages the tensors and returns, the write overlaps the next
steps; the previous save is awaited before a new one starts (training_reference.md 4.1, 9.14).
"""

from __future__ import annotations

import json
import re
import shutil
import warnings
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import torch.distributed
import torch.distributed.checkpoint as dcp
from torch import nn
from torch.distributed.checkpoint.state_dict import (
    StateDictOptions,
    get_model_state_dict,
    get_optimizer_state_dict,
    set_model_state_dict,
    set_optimizer_state_dict,
)
from torch.optim import Optimizer

from train.config import CheckpointConfig
from train.dist import DistInfo

STEP_DIR = re.compile(r"^step-(\d+)$")
METADATA = ".metadata"
TRAIN_STATE = "train_state.json"
NO_DIST_WARNING = "torch.distributed is disabled"


def step_dirs(root: Path) -> list[tuple[int, Path]]:
    """``(step, path)`` of every ``step-N`` folder, oldest first."""
    if not root.exists():
        return []
    found = [(int(m.group(1)), p) for p in root.iterdir() if (m := STEP_DIR.match(p.name))]
    return sorted(found)


def is_complete(path: Path) -> bool:
    return (path / METADATA).exists() and (path / TRAIN_STATE).exists()


def latest_complete(root: Path) -> Path | None:
    complete = [p for _, p in step_dirs(root) if is_complete(p)]
    return complete[-1] if complete else None


class Checkpointer:
    def __init__(self, root: Path, dist: DistInfo, cfg: CheckpointConfig) -> None:
        self.root, self.dist, self.cfg = root, dist, cfg
        self.future: Future | None = None
        # the background save's collectives get their own group, or they would interleave with
        # the training step's collectives on the default group (a mismatch on gloo)
        self.group = None
        if dist.mesh is None:  # DCP warns on every single-process save (also from its thread)
            warnings.filterwarnings("ignore", message=NO_DIST_WARNING)
        elif cfg.async_save:
            self.group = torch.distributed.new_group(backend="gloo")

    def _state(self, model: nn.Module, optimizer: Optimizer) -> dict[str, Any]:
        return {
            "model": get_model_state_dict(model),
            "optim": get_optimizer_state_dict(model, optimizer),
        }

    def save(self, step: int, model: nn.Module, optimizer: Optimizer, train_state: dict) -> None:
        """Start saving ``step-<step>`` (waits for the previous save first)."""
        self.wait()
        path = self.root / f"step-{step}"
        if self.dist.is_main:
            path.mkdir(parents=True, exist_ok=True)
            (path / TRAIN_STATE).write_text(json.dumps(train_state))
        self.dist.barrier()
        state = self._state(model, optimizer)
        no_dist = self.dist.mesh is None
        if self.cfg.async_save:
            self.future = dcp.async_save(
                state, checkpoint_id=str(path), process_group=self.group, no_dist=no_dist
            )
        else:
            dcp.save(state, checkpoint_id=str(path), no_dist=no_dist)
        if self.future is None:
            self._purge()

    def wait(self) -> None:
        """Block until the pending save (if any) is on disk, then purge old checkpoints."""
        if self.future is not None:
            self.future.result()
            self.future = None
            self._purge()

    def _purge(self) -> None:
        self.dist.barrier()
        if not self.dist.is_main:
            return
        dirs = step_dirs(self.root)
        complete = [(s, p) for s, p in dirs if is_complete(p)]
        keep = {p for _, p in complete[-self.cfg.keep :]} if self.cfg.keep > 0 else set()
        newest = complete[-1][0] if complete else -1
        for step, path in dirs:
            if path not in keep and (is_complete(path) or step < newest):
                shutil.rmtree(path, ignore_errors=True)

    def load(self, path: Path, model: nn.Module, optimizer: Optimizer) -> dict[str, Any]:
        """Restore model and optimiser in place from ``path``; returns its train state."""
        state = self._state(model, optimizer)
        _drop_unsaved_optimizer_state(state["optim"], path)
        dcp.load(state, checkpoint_id=str(path), no_dist=self.dist.mesh is None)
        set_model_state_dict(model, state["model"])
        # not strict: the parameters dropped above have no state to set (see that function)
        set_optimizer_state_dict(
            model, optimizer, state["optim"], options=StateDictOptions(strict=False)
        )
        return json.loads((path / TRAIN_STATE).read_text())


def _drop_unsaved_optimizer_state(optim_state: dict[str, Any], path: Path) -> None:
    """Parameters that never received a gradient (e.g. the reference-image embedding in a t2i-only
    stage) have no optimizer state in the checkpoint, while a fresh optimizer's state dict lists
    them all; they are left without state, exactly as they were when the checkpoint was saved."""
    saved = dcp.FileSystemReader(str(path)).read_metadata().state_dict_metadata
    for fqn in list(optim_state["state"]):
        if not any(f"optim.state.{fqn}.{k}" in saved for k in optim_state["state"][fqn]):
            del optim_state["state"][fqn]
