"""HallusionBench (951 image questions in VLMEvalKit) with aAcc, fAcc, qAcc (understanding_suites.md
3.7). The string index is ``category_subcategory_visualInput_setId_figureId_questionId``:
fAcc groups by (l2-category, set, figure), qAcc by (l2-category, set, question). The reported
single number is the mean of the three."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evaluation.errors import BadInput
from evaluation.understanding.base import (
    Context,
    Record,
    Row,
    Suite,
    decided_share,
    percent,
    yes_no_records,
)

METRICS = ("aAcc", "fAcc", "qAcc")


def _ids(record: Record) -> tuple[str, str, str]:
    parts = str(record["index"]).rsplit("_", 3)
    if len(parts) != 4:
        raise BadInput("HallusionBench", record["index"], "index is not cat_sub_vi_set_fig_q")
    return parts[1], parts[2], parts[3]


def _group_acc(records: list[Record], key) -> float:
    groups: dict[tuple, list[bool]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r["hit"])
    return percent(all(v) for v in groups.values())


def metrics(records: list[Record]) -> dict[str, float]:
    def figure(r: Record) -> tuple:
        s, f, _ = _ids(r)
        return r.get("l2-category"), s, f

    def question(r: Record) -> tuple:
        s, _, q = _ids(r)
        return r.get("l2-category"), s, q

    return {
        "aAcc": percent(r["hit"] for r in records),
        "fAcc": _group_acc(records, figure),
        "qAcc": _group_acc(records, question),
    }


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    records = yes_no_records(rows, ctx, ("category", "l2-category", "question"), official=False)
    overall = metrics(records)
    parts = defaultdict(list)
    for r in records:
        parts[str(r.get("category"))].append(r)
        parts[str(r.get("l2-category"))].append(r)
    return records, {
        "overall": sum(overall.values()) / len(METRICS),
        **overall,
        "categories": {k: metrics(v) for k, v in sorted(parts.items())},
        "decided_by": decided_share(records),
    }


SUITE = Suite(
    "hallusionbench",
    {"HallusionBench": "0c23ac0dc9ef46832d7a24504f2a0c7c"},
    "yes_no",
    score,
    scale="mean of aAcc, fAcc, qAcc, %",
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="hallusionbench"))
