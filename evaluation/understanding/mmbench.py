"""MMBench with CircularEval (understanding_suites.md 3.1).

Passes of one question share ``g_index = index mod 1e6``; a question counts only if every pass's
letter equals that pass's answer. Heuristic extraction runs on all passes first: a confidently
wrong pass fails the group without the judge; otherwise the judge resolves the open passes in
order and stops at the first mismatch. Without a judge an unresolved pass fails the group.

``lmms_eval``: the same grouping and order, with lmms-eval's older copy of the extraction (one
bare letter A-E, else the first affix pattern with one letter, no "near the end" rule, then
option text with no length guard) and a judge whose no-match letter is ``E``; its random
fallback is seeded per request here (lmms-eval seeds one global sequence with 2680).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evaluation.understanding.base import (
    Context,
    Record,
    Row,
    Suite,
    breakdown,
    decided_share,
    percent,
)
from evaluation.understanding.judge import LMMS_EVAL_MCQ, VLMEVALKIT_MCQ, McqStyle
from evaluation.understanding.tsv import options

CIRCULAR_STRIDE = 1_000_000  # pass j of question i has index i + j * 1e6


def mcq_style(ctx: Context) -> McqStyle:
    """The extraction and judge of the context's profile."""
    return LMMS_EVAL_MCQ if ctx.profile == "lmms_eval" else VLMEVALKIT_MCQ


def _group_hit(passes: list[Row], ctx: Context) -> tuple[bool, str, list[str | None]]:
    style = mcq_style(ctx)
    letters = [style.infer(p.get("prediction", ""), options(p)) for p in passes]
    if any(letter and letter != p["answer"] for letter, p in zip(letters, passes, strict=True)):
        return False, "rule", letters
    if all(letters):
        return True, "rule", letters
    if not ctx.judge.active:
        return False, "none", letters
    how = "judge"
    for i, p in enumerate(passes):
        if letters[i] is None:
            letters[i], how_i = ctx.judge.mcq(
                p.get("question", ""), options(p), p.get("prediction", ""), style
            )
            how = "random" if how_i == "random" else how
            if letters[i] != p["answer"]:
                return False, how, letters
    return True, how, letters


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    groups: dict[int, list[Row]] = defaultdict(list)
    for row in rows:
        groups[int(row["index"]) % CIRCULAR_STRIDE].append(row)
    records = []
    for g, passes in sorted(groups.items()):
        passes.sort(key=lambda r: int(r["index"]))
        hit, how, letters = _group_hit(passes, ctx)
        first = passes[0]
        records.append(
            {
                "index": g,
                "question": first.get("question"),
                "category": first.get("category"),
                "l2-category": first.get("l2-category"),
                "split": first.get("split"),
                "passes": len(passes),
                "predictions": [p.get("prediction", "") for p in passes],
                "answers": [p.get("answer") for p in passes],
                "extracted": letters,
                "decided_by": how,
                "hit": hit,
            }
        )
    return records, {
        "overall": percent(r["hit"] for r in records),
        "categories": breakdown(records, "l2-category"),
        "leaf_categories": breakdown(records, "category"),
        "splits": breakdown(records, "split"),
        "vanilla_pass0": percent(
            mcq_style(ctx).infer(p.get("prediction", ""), options(p)) == p["answer"]
            for p in rows
            if int(p["index"]) < CIRCULAR_STRIDE
        ),
        "decided_by": decided_share(records),
    }


SUITE = Suite(
    "mmbench",
    {
        "MMBench_DEV_EN": "b6caf1133a01c6bb705cf753bb527ed8",
        "MMBench_DEV_EN_V11": "30c05be8f2f347a50be25aa067248184",
    },
    "mcq",
    score,
    profiles=("vlmevalkit", "lmms_eval"),
    scale="circular accuracy, %",
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mmbench"))
