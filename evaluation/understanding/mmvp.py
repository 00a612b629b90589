"""MMVP: 150 pairs of two-option questions (understanding_suites.md 3.4).

Reports both statistics papers mix up: ``overall`` is the pair accuracy (rows 2i and 2i+1, in
index order, must both be right and ask the same question) and ``per_question`` the plain
accuracy (VLMEvalKit's "Average", the only number it reported before 2025-12-20).

Ground-truth corrections (``--mmvp-gt corrected``): MMVP Index 99/100 (elephant tusks) and
279/280 (standing vs sitting), 1-based, have swapped labels (tsb0601/MMVP#14, #30; lmms-eval#1018);
the lmms-lab-eval/MMVP data swap both pairs. Rows are taken in index order, so the switch works
whether a TSV numbers from 0 or 1. Off by default: VLMEvalKit keeps the original labels.
"""

from __future__ import annotations

from typing import Any

from evaluation.errors import BadInput
from evaluation.understanding.base import (
    Context,
    Record,
    Row,
    Suite,
    decided_share,
    mcq_records,
    percent,
)

DISPUTED_PAIRS = ((99, 100), (279, 280))  # MMVP's 1-based Index of the mislabelled pairs


def corrected(rows: list[Row]) -> list[Row]:
    """Rows (in index order) with the answers of each disputed pair swapped."""
    rows = list(rows)
    for first, second in DISPUTED_PAIRS:
        a, b = first - 1, second - 1
        if b < len(rows):
            rows[a], rows[b] = (
                {**rows[a], "answer": rows[b]["answer"]},
                {**rows[b], "answer": rows[a]["answer"]},
            )
    return rows


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    rows = sorted(rows, key=lambda r: int(r["index"]))
    if ctx.mmvp_corrected:
        rows = corrected(rows)
    if len(rows) % 2:
        raise BadInput("MMVP", rows[-1]["index"], "an odd number of rows cannot form pairs")
    records = mcq_records(rows, ctx, ("question", "category"))
    pairs = []
    for a, b in zip(records[::2], records[1::2], strict=True):
        if a["question"] != b["question"]:
            raise BadInput(
                "MMVP", f"{a['index']}/{b['index']}", "paired rows ask different questions"
            )
        a["pair_hit"] = b["pair_hit"] = a["hit"] and b["hit"]
        pairs.append(a["pair_hit"])
    return records, {
        "overall": percent(pairs),
        "per_question": percent(r["hit"] for r in records),
        "gt_corrected": ctx.mmvp_corrected,
        "categories": {},
        "decided_by": decided_share(records),
    }


SUITE = Suite(
    "mmvp", {"MMVP": "8cb732b141a0cba5b42159df2839e557"}, "mcq", score, scale="pair accuracy, %"
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mmvp"))
