"""Reads and builds this rank's samples ahead of the training step.

The planner decides *which* rows (cheap, from the manifest); a thread pool reads them from their
shards by offset and builds model inputs (decode, resize, tokenise) ``prefetch_steps`` steps
ahead, so the step rarely waits. Reading and building are pure functions of (row, seed), the seed
being the one the mixer fixed when it drew the sample, so the loader state is just the planner
state after the last step handed out: a resumed run plans and reads exactly the samples that
follow, none repeated, none skipped.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Protocol

from train.manifest import ManifestError, ManifestTable
from train.planner import PlannedPack, Planner

DIGEST_HEX = 16


class Builder(Protocol):
    def build(self, sample: Any, seed: int) -> Any: ...


@dataclass
class MicroBatch:
    index: int  # global pack number within the step (seeds the FM noise)
    rows: list[int]
    tasks: list[str]
    planned: list[int]  # planned tokens per sample (exact but for it2t estimates)
    samples: list[Any]

    @property
    def planned_tokens(self) -> int:
        return sum(self.planned)


@dataclass
class StepData:
    step: int  # 0-based index of the optimiser step these micro-batches are for
    micro: list[MicroBatch]  # this rank's, in global pack order
    digest: str  # of every rank's rows of the step: equal digests = the same samples trained


def rows_digest(packs: list[list[PlannedPack]]) -> str:
    ordered = sorted((p.index, [i.row for i in p.items]) for rank in packs for p in rank)
    return hashlib.sha1(json.dumps(ordered).encode()).hexdigest()[:DIGEST_HEX]


class Loader:
    def __init__(
        self,
        table: ManifestTable,
        planner: Planner,
        builder: Builder,
        rank: int,
        workers: int = 2,
        prefetch_steps: int = 2,
    ) -> None:
        self.table, self.planner, self.builder = table, planner, builder
        self.rank, self.prefetch = rank, max(prefetch_steps, 0)
        self.pool = ThreadPoolExecutor(workers, "loader") if workers > 0 else None
        self.pending: deque = deque()
        self._state = copy.deepcopy(planner.state_dict())

    def _load(self, row: int, seed: int) -> Any:
        sample = self.table.read(row)
        try:
            return self.builder.build(sample, seed)
        except ValueError as e:
            raise ManifestError(f"{self.table.where(row)}: {e}") from e

    def _submit(self, row: int, seed: int) -> Future:
        if self.pool is not None:
            return self.pool.submit(self._load, row, seed)
        future: Future = Future()
        future.set_result(self._load(row, seed))
        return future

    def _plan(self) -> None:
        step = self.planner.step
        all_packs = self.planner.next_step()
        packs: list[PlannedPack] = all_packs[self.rank]
        jobs = [(pack, [self._submit(i.row, i.seed) for i in pack.items]) for pack in packs]
        state = copy.deepcopy(self.planner.state_dict())
        self.pending.append((step, state, jobs, rows_digest(all_packs)))

    def next(self) -> StepData:
        """This rank's micro-batches of the next step (blocks until they are built)."""
        while len(self.pending) <= self.prefetch:
            self._plan()
        step, state, jobs, digest = self.pending.popleft()
        micro = [
            MicroBatch(
                pack.index,
                [item.row for item in pack.items],
                [item.task for item in pack.items],
                [item.tokens for item in pack.items],
                [f.result() for f in futures],
            )
            for pack, futures in jobs
        ]
        self._state = state
        return StepData(step, micro, digest)

    def state_dict(self) -> dict[str, Any]:
        """The planner state after the last step handed out by :meth:`next`."""
        return copy.deepcopy(self._state)

    def load_state_dict(self, state: dict[str, Any]) -> None:
        if self.pending:
            raise RuntimeError("restore the loader state before the first step is requested")
        self.planner.load_state_dict(copy.deepcopy(state))
        self._state = copy.deepcopy(state)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
