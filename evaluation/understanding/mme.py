"""MME: 14 subtasks of paired yes/no questions (understanding_suites.md 3.6).

Per subtask: acc (% of questions right) + acc+ (% of images with both questions right), max 200.
Perception = sum of the 10 perception subtasks (max 2000), cognition = sum of 4 (max 800),
``overall`` = both (max 2800). Profile ``vlmevalkit``: word-based Yes/No then the judge;
``official``: the MME tool's exact/first-four-characters rule, no judge.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evaluation.understanding.base import (
    Context,
    Record,
    Row,
    Suite,
    decided_share,
    percent,
    yes_no_records,
)

PERCEPTION = (
    "existence", "count", "position", "color", "posters",
    "celebrity", "scene", "landmark", "artwork", "ocr",
)  # fmt: skip
COGNITION = ("commonsense_reasoning", "numerical_calculation", "text_translation", "code_reasoning")


def subtask_scores(records: list[Record]) -> dict[str, float]:
    """acc + acc+ per subtask; images are paired through ``image_path`` (or the image index)."""
    by_task: dict[str, list[Record]] = defaultdict(list)
    for r in records:
        by_task[str(r["category"])].append(r)
    out = {}
    for task, rs in sorted(by_task.items()):
        images: dict[str, list[bool]] = defaultdict(list)
        for r in rs:
            images[str(r.get("image_path") or r["index"])].append(r["hit"])
        out[task] = percent(r["hit"] for r in rs) + percent(all(v) for v in images.values())
    return out


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    official = ctx.profile == "official"
    records = yes_no_records(rows, ctx, ("category", "image_path", "question"), official)
    tasks = subtask_scores(records)
    perception = sum(v for k, v in tasks.items() if k.lower() in PERCEPTION)
    cognition = sum(v for k, v in tasks.items() if k.lower() in COGNITION)
    return records, {
        "overall": perception + cognition,
        "perception": perception,
        "cognition": cognition,
        "categories": tasks,
        "decided_by": decided_share(records),
    }


SUITE = Suite(
    "mme",
    {"MME": "b36b43c3f09801f5d368627fb92187c3"},
    "yes_no",
    score,
    profiles=("vlmevalkit", "official"),
    scale="perception + cognition, max 2800",
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mme"))
