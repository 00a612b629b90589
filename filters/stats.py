"""Mergeable per-step counters: totals, kept, dropped by reason, errors and time.

Every shard task returns one `StepStats` per step; the run's funnel is their `sum()`, so the
runner never counts anything itself (STYLE habit 7).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

ERROR_REASON = "error"  # the reason of a sample whose measurement raised


@dataclass
class StepStats:
    """What one step did to the samples that reached it."""

    step: str
    op: str = ""
    total: int = 0  # samples that reached the step
    kept: int = 0
    dropped: Counter[str] = field(default_factory=Counter)  # reason -> samples
    measured: int = 0  # samples whose stats were computed (all of them with --measure-all)
    emitted: int = 0  # samples the step created (edit_pairing's backward pairs)
    time_s: float = 0.0  # wall time spent measuring, summed over tasks

    def count(self, reason: str | None) -> None:
        """Record one decision: None keeps the sample, a string drops it for that reason."""
        self.total += 1
        if reason is None:
            self.kept += 1
        else:
            self.dropped[reason] += 1

    @property
    def dropped_total(self) -> int:
        return sum(self.dropped.values())

    def __add__(self, other: StepStats) -> StepStats:
        if other.step != self.step:
            raise ValueError(f"cannot add stats of step {other.step!r} to {self.step!r}")
        return StepStats(
            self.step,
            self.op or other.op,
            self.total + other.total,
            self.kept + other.kept,
            self.dropped + other.dropped,
            self.measured + other.measured,
            self.emitted + other.emitted,
            self.time_s + other.time_s,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "op": self.op,
            "total": self.total,
            "kept": self.kept,
            "dropped": self.dropped_total,
            **{f"dropped_{r}": n for r, n in sorted(self.dropped.items())},
            "measured": self.measured,
            "emitted": self.emitted,
            "time_s": round(self.time_s, 4),
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> StepStats:
        reasons = {k.removeprefix("dropped_"): v for k, v in d.items() if k.startswith("dropped_")}
        return cls(
            d["step"],
            d.get("op", ""),
            d["total"],
            d["kept"],
            Counter(reasons),
            d.get("measured", 0),
            d.get("emitted", 0),
            d.get("time_s", 0.0),
        )


@dataclass
class RunStats:
    """All steps of one task, stage or run; `sum()` of them is the funnel."""

    steps: dict[str, StepStats] = field(default_factory=dict)

    def __add__(self, other: RunStats | int) -> RunStats:
        if isinstance(other, int):  # sum() starts from 0
            return self
        merged = dict(self.steps)
        for name, s in other.steps.items():
            merged[name] = merged[name] + s if name in merged else s
        return RunStats(merged)

    __radd__ = __add__

    def to_dict(self) -> dict[str, Any]:
        return {name: s.to_dict() for name, s in self.steps.items()}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunStats:
        return cls({name: StepStats.from_dict(s) for name, s in d.items()})
