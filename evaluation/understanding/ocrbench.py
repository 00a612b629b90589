"""OCRBench v1: 1,000 questions, one point each for a substring match (understanding_suites.md
3.8). HMER answers: all whitespace removed, case-sensitive; others: lower-cased, stripped,
newlines as spaces. ``overall`` is points (out of 1000 on the full set)."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from typing import Any

from evaluation.understanding.base import Context, Record, Row, Suite

HMER = "Handwritten Mathematical Expression Recognition"
TEXT_RECOGNITION = (
    "Regular Text Recognition", "Irregular Text Recognition", "Artistic Text Recognition",
    "Handwriting Recognition", "Digit String Recognition", "Non-Semantic Text Recognition",
)  # fmt: skip
WHITESPACE = re.compile(r"\s+")


def answers(cell: str) -> list[str]:
    """The list of acceptable answers (a Python list literal, or one plain string)."""
    try:
        value = ast.literal_eval(cell)
    except (ValueError, SyntaxError):
        return [cell]
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def matches(prediction: str, gold: list[str], category: str) -> bool:
    if category == HMER:
        pred = WHITESPACE.sub("", prediction)
        return any(WHITESPACE.sub("", g) in pred for g in gold)
    pred = prediction.lower().strip().replace("\n", " ")
    return any(g.lower().strip().replace("\n", " ") in pred for g in gold)


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    records, groups = [], defaultdict(int)
    for row in rows:
        category = row.get("category", "")
        hit = matches(row.get("prediction", ""), answers(row.get("answer", "")), category)
        record = {k: row.get(k) for k in ("index", "question", "prediction", "answer")}
        records.append({**record, "category": category, "decided_by": "rule", "hit": hit})
        group = "Text Recognition" if category in TEXT_RECOGNITION else category
        groups[group] += hit
    points = sum(r["hit"] for r in records)
    return records, {
        "overall": points,
        "final_score_norm": points / 10,
        "categories": dict(sorted(groups.items())),
        "n_items": len(records),
    }


SUITE = Suite(
    "ocrbench",
    {"OCRBench": "e953d98a987cc6e26ef717b61260b778"},
    "vqa",
    score,
    scale="points out of 1000",
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="ocrbench"))
