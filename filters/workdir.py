"""Where a run keeps its state: OUT/work/ (resumable task outputs) and OUT/derived/.

```
OUT/work/run.json                  recipe, input, options: a resume must match them
OUT/work/s{K}/{SHARD}.samples.parquet   samples that took part in stage K (base columns)
OUT/work/s{K}/{SHARD}.stats.parquet     their stats and in-task verdicts for the stage's steps
OUT/work/s{K}/{SHARD}.json              the task's counters (RunStats)
OUT/work/s{K}/{SHARD}.done              written last: the task is complete
OUT/work/s{K}/alive.parquet (+ .done)   after a dataset-level step: who is still in
OUT/derived/                       a corpus dataset of the samples operators created
```
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from corpus.atomic import write_text_atomic
from corpus.runs import same_run

WORK = "work"
DERIVED = "derived"


@dataclass(frozen=True)
class WorkDir:
    out: Path

    @property
    def root(self) -> Path:
        return self.out / WORK

    @property
    def derived(self) -> Path:
        return self.out / DERIVED

    @property
    def derived_shards(self) -> Path:
        return self.derived / "shards"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def stage(self, k: int) -> Path:
        return self.root / f"s{k}"

    def task_file(self, k: int, shard: str, suffix: str) -> Path:
        return self.stage(k) / f"{shard}.{suffix}"

    def task_done(self, k: int, shard: str) -> bool:
        return self.task_file(k, shard, "done").exists()

    def mark_done(self, k: int, shard: str, counters: dict[str, Any]) -> None:
        write_text_atomic(json.dumps(counters) + "\n", self.task_file(k, shard, "json"))
        write_text_atomic("done\n", self.task_file(k, shard, "done"))

    def counters(self, k: int, shard: str) -> dict[str, Any]:
        return json.loads(self.task_file(k, shard, "json").read_text())

    def alive_file(self, k: int) -> Path:
        return self.stage(k) / "alive.parquet"

    def alive_done(self, k: int) -> bool:
        return (self.stage(k) / "alive.done").exists()

    def make(self, n_stages: int) -> None:
        for k in range(n_stages):
            self.stage(k).mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.derived_shards.mkdir(parents=True, exist_ok=True)

    def check_same_run(self, run: dict[str, Any]) -> None:
        """Refuse to resume a run started with another recipe, input or options."""
        path = self.root / "run.json"
        if not same_run(path, run):
            raise RuntimeError(
                f"{self.out} holds a run started with another recipe, input or options "
                f"(see {path}); use a new --out, or `filters apply` to change thresholds"
            )
