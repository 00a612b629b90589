"""Small ``dpg_bench.csv`` files in the official format (the real table is not redistributable)."""

from __future__ import annotations

import csv
from pathlib import Path

HEADER = [
    "item_id",
    "text",
    "keywords",
    "proposition_id",
    "dependency",
    "category_broad",
    "category_detailed",
    "tuple",
    "question_natural_language",
]


def write_dpg_table(path: Path, rows: list[tuple[str, int, str, str]]) -> Path:
    """One line per (item_id, proposition_id, dependency, tuple); the first row is the one the
    official script skips."""
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        for item, qid, dep, tup in rows:
            w.writerow([item, "text", "kw", qid, dep, "x", "y", tup, f"question {item} {qid}?"])
    return path
