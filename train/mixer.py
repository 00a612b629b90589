"""Task mixing whose realised proportions follow the configured weights.

Each draw picks the task with the largest deficit ``w_k * (n + 1) - c_k`` (weights normalised,
``c_k`` samples of task k drawn so far, ``n`` all draws). Unlike independent random draws this
keeps every prefix of the stream within one sample per task of its target mix, so small packs are
task-balanced and the proportions hold exactly over any window (OmniGen2's silently ignored ratios
are the failure this avoids; ``tests/train/test_mixer.py`` checks the realised mix). Within a task,
rows come from a seeded permutation per epoch.

Every draw also fixes the sample's seed, from the run seed and the draw number: all randomness of
the sample (caption dropout, similarity noise) derives from it, so it is known when the sample is
planned (the caption-dropout decision changes its cost), the same on every rank, independent of
the rank layout, and the same after a resume.

The whole state is a few integers (counts, epoch and position per task), saved in checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


class Draw(NamedTuple):
    task: str
    row: int  # manifest row index
    seed: int  # the sample's seed (:func:`sample_seed` of its draw number)


def sample_seed(seed: int, draw: int) -> int:
    """Seed of the ``draw``-th sample of a run (0-based, over all tasks)."""
    return int(np.random.SeedSequence([seed, draw]).generate_state(1)[0])


@dataclass
class TaskStream:
    """Rows of one task in a fresh seeded order every epoch."""

    rows: np.ndarray  # manifest row indices of this task
    seed: int
    epoch: int = 0
    position: int = 0
    _order: np.ndarray | None = field(default=None, repr=False)

    def next(self) -> int:
        if self.position == len(self.rows):
            self.epoch, self.position, self._order = self.epoch + 1, 0, None
        if self._order is None:
            rng = np.random.default_rng([self.seed, self.epoch])
            self._order = self.rows[rng.permutation(len(self.rows))]
        row = int(self._order[self.position])
        self.position += 1
        return row


class TaskMixer:
    """Deterministic weighted interleaving of per-task row streams."""

    def __init__(self, rows_by_task: dict[str, np.ndarray], weights: dict[str, float], seed: int):
        active = {t: w for t, w in weights.items() if w > 0}
        missing = [t for t in active if len(rows_by_task.get(t, [])) == 0]
        if missing:
            raise ValueError(f"task weights name tasks with no samples: {missing}")
        if not active:
            raise ValueError("no task has a positive weight")
        self.tasks = sorted(active)
        self.seed = seed
        total = sum(active.values())
        self.weights = np.array([active[t] / total for t in self.tasks])
        self.counts = np.zeros(len(self.tasks), dtype=np.int64)
        self.streams = {
            t: TaskStream(np.asarray(rows_by_task[t]), seed * 1000 + i)
            for i, t in enumerate(self.tasks)
        }

    def next_task(self) -> str:
        deficit = self.weights * (self.counts.sum() + 1) - self.counts
        return self.tasks[int(np.argmax(deficit))]

    def draw(self, task: str | None = None) -> Draw:
        """A row of the most under-served task, or of ``task`` when the caller needs one."""
        task = task if task is not None else self.next_task()
        seed = sample_seed(self.seed, int(self.counts.sum()))
        self.counts[self.tasks.index(task)] += 1
        return Draw(task, self.streams[task].next(), seed)

    def state_dict(self) -> dict[str, Any]:
        return {
            "counts": self.counts.tolist(),
            "streams": {t: [s.epoch, s.position] for t, s in self.streams.items()},
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.counts = np.array(state["counts"], dtype=np.int64)
        for task, (epoch, position) in state["streams"].items():
            stream = self.streams[task]
            stream.epoch, stream.position, stream._order = epoch, position, None
