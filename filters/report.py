"""The funnel report: per step in, kept, dropped by reason; stat percentiles; PNG histograms.

`OUT/report.json` (machine-readable), `OUT/report.md` (tables + images) and
`OUT/report/STEP.STAT.png`. Accounting is checked here: input + emitted = kept + dropped.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np

from corpus.atomic import write_text_atomic
from filters.operator import Stat, get_operator
from filters.recipe import Recipe
from filters.stats import RunStats
from filters.tables import col

PERCENTILES = (1, 5, 25, 50, 75, 95, 99)
HIST_BINS = 40
NUMERIC = ("float", "int", "bool")


def write_report(
    out: Path, recipe: Recipe, input_root: Path, rows: list[dict[str, Any]], funnel: RunStats,
    lineage: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    counted = [r for r in rows if r["reason"] != "parent_dropped"]
    inputs = sum(r["born"] is None for r in rows)
    emitted = sum(s.emitted for s in funnel.steps.values())
    kept = sum(r["kept"] for r in counted)
    dropped = sum(s.dropped_total for s in funnel.steps.values())
    if inputs + emitted != kept + dropped:
        raise RuntimeError(f"accounting: {inputs} in + {emitted} made != {kept} kept + {dropped}")
    (out / "report").mkdir(exist_ok=True)
    report = {
        "recipe": recipe.to_dict(),
        "input": str(Path(input_root).resolve()),
        "lineage": lineage,
        "totals": {"input": inputs, "emitted": emitted, "kept": kept, "dropped": dropped},
        "funnel": [funnel.steps[s.name].to_dict() for s in recipe.steps],
        "stats": _stat_summaries(out, recipe, rows),
    }
    write_text_atomic(json.dumps(report, indent=2, default=str) + "\n", out / "report.json")
    write_text_atomic(render_markdown(report), out / "report.md")
    return report


def _values(rows: list[dict[str, Any]], key: str, stat: Stat) -> np.ndarray:
    flat: list[float] = []
    for r in rows:
        v = r.get(key)
        for x in v if stat.per_image and v is not None else [v]:
            if x is not None and not (isinstance(x, float) and math.isnan(x)):
                flat.append(float(x))
    return np.asarray(flat, dtype=np.float64)


def _stat_summaries(out: Path, recipe: Recipe, rows: list[dict[str, Any]]) -> dict[str, Any]:
    summaries = {}
    for step in recipe.steps:
        for name, stat in get_operator(step.op).STATS.items():
            if stat.dtype not in NUMERIC:
                continue
            key = col(step.name, name)
            values = _values(rows, key, stat)
            entry: dict[str, Any] = {"unit": stat.unit, "doc": stat.doc, "count": int(values.size)}
            if values.size:
                pct = np.percentile(values, PERCENTILES)
                entry.update(mean=float(values.mean()), min=float(values.min()))
                entry.update(max=float(values.max()))
                entry["percentiles"] = {
                    f"p{p}": float(v) for p, v in zip(PERCENTILES, pct, strict=True)
                }
                entry["histogram"] = f"report/{key}.png"
                _histogram(values, f"{key} ({stat.unit})", out / entry["histogram"])
            summaries[key] = entry
    return summaries


def _histogram(values: np.ndarray, title: str, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(5, 3), dpi=100)
    ax.hist(values, bins=HIST_BINS, color="#4a7ab5")
    ax.set_title(title, fontsize=9)
    ax.set_ylabel("count")
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def funnel_table(report: dict[str, Any]) -> str:
    """The funnel as a Markdown table (also what the CLI prints)."""
    lines = [
        "| step | op | in | kept | dropped | reasons | time s |",
        "|---|---|---:|---:|---:|---|---:|",
    ]
    for s in report["funnel"]:
        reasons = ", ".join(
            f"{k.removeprefix('dropped_')} {v}" for k, v in s.items()
            if k.startswith("dropped_")
        )  # fmt: skip
        lines.append(
            f"| {s['step']} | {s['op']} | {s['total']} | {s['kept']} | {s['dropped']} | "
            f"{reasons or '-'} | {s['time_s']:.2f} |"
        )
    t = report["totals"]
    lines.append(
        f"\ninput {t['input']} + made {t['emitted']} = kept {t['kept']} + dropped {t['dropped']}"
    )
    return "\n".join(lines)


def render_markdown(report: dict[str, Any]) -> str:
    parts = [f"# Curation report: {report['recipe']['name']}", "", f"Input: `{report['input']}`"]
    parts += ["", "## Funnel", "", funnel_table(report), "", "## Stats", ""]
    parts += ["| stat | unit | n | p1 | p50 | p99 |", "|---|---|---:|---:|---:|---:|"]
    for key, s in report["stats"].items():
        p = s.get("percentiles", {})
        cells = [f"{p[k]:.4g}" if k in p else "-" for k in ("p1", "p50", "p99")]
        parts.append(f"| {key} | {s['unit']} | {s['count']} | " + " | ".join(cells) + " |")
    for key, s in report["stats"].items():
        if "histogram" in s:
            parts += ["", f"![{key}]({s['histogram']})"]
    return "\n".join(parts) + "\n"
