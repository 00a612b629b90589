"""Training logs (DESIGN.md section 6): ``*.jsonl`` files, one JSON object per logged step.

Each line holds ``step`` and numbers such as ``loss``, ``ntp``, ``fm``, per-task losses, ``lr`` and
throughput; nested objects are flattened to dotted names (``{"loss": {"fm": 0.3}}`` becomes
``loss.fm``). A metric is a loss term when a part of its name (split on ``.``, ``/``, ``_``) is
``loss``, ``ntp`` or ``fm`` (``loss.t2i``, ``loss_task/it2i``), a learning rate when a part is
``lr``, throughput when its name says per second. Lines without a step or that are not JSON
(a run killed mid-write) are skipped and counted.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import streamlit as st

from dashboards.lib.roots import inside

LOG_GLOB = "*.jsonl"
SEARCH_DEPTH = 3
STEP = "step"
LOSS_WORDS = ("loss", "ntp", "fm")
THROUGHPUT_WORDS = ("throughput", "per_s", "per_sec", "tok_s", "samples_s")


@dataclass(frozen=True)
class Log:
    """One log file and the name it is shown under (its path below the logs root)."""

    name: str
    path: Path


def find_logs(roots: tuple[Path, ...]) -> list[Log]:
    """``*.jsonl`` files at most three levels under each logs root."""
    logs = []
    for root in roots:
        for depth in range(SEARCH_DEPTH + 1):
            for p in sorted(root.glob("/".join(["*"] * depth + [LOG_GLOB]))):
                logs.append(Log(f"{root.name}/{p.relative_to(root)}", p))
    kept = set(inside([log.path for log in logs], roots))
    return list({log.path: log for log in logs if log.path in kept}.values())


def _flatten(obj: dict[str, Any], prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in obj.items():
        name = f"{prefix}{k}"
        if isinstance(v, dict):
            out |= _flatten(v, f"{name}.")
        elif isinstance(v, int | float) and not isinstance(v, bool):
            out[name] = float(v)
    return out


@st.cache_data(show_spinner=False)
def read_log(path: str, stamp: float) -> tuple[pl.DataFrame, int]:
    """(one row per logged step with every numeric field, number of skipped lines)."""
    rows, skipped = [], 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError:
                skipped += 1
                continue
            flat = _flatten(obj) if isinstance(obj, dict) else {}
            if STEP not in flat:
                skipped += 1
                continue
            rows.append(flat)
    frame = pl.DataFrame(rows, infer_schema_length=None) if rows else pl.DataFrame()
    return frame, skipped


def metric_groups(columns: list[str]) -> dict[str, list[str]]:
    """Metrics split by name into loss terms, learning rates, throughput and everything else."""
    metrics = [c for c in columns if c != STEP]
    parts = {c: set(c.lower().replace("/", ".").replace("_", ".").split(".")) for c in metrics}
    lr = [c for c in metrics if "lr" in parts[c]]
    speed = [c for c in metrics if any(w in c.lower() for w in THROUGHPUT_WORDS)]
    loss = [c for c in metrics if parts[c] & set(LOSS_WORDS) and c not in lr + speed]
    other = [c for c in metrics if c not in lr + speed + loss]
    return {"loss": loss, "lr": lr, "throughput": speed, "other": other}


def overlay(logs: dict[str, pl.DataFrame], metrics: list[str]) -> pl.DataFrame:
    """Long table (run, metric, step, value) of the chosen metrics of several runs."""
    parts = [
        frame.select(
            pl.lit(name).alias("run"),
            pl.lit(m).alias("metric"),
            pl.col(STEP),
            pl.col(m).alias("value"),
        ).drop_nulls("value")
        for name, frame in logs.items()
        for m in metrics
        if m in frame.columns
    ]
    schema = {"run": pl.String, "metric": pl.String, STEP: pl.Float64, "value": pl.Float64}
    return pl.concat(parts) if parts else pl.DataFrame(schema=schema)
