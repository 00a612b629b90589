"""HallusionBench (951 image questions in VLMEvalKit) with aAcc, fAcc, qAcc (understanding_suites.md
3.7). The string index is ``category_subcategory_visualInput_setId_figureId_questionId``:
fAcc groups by (l2-category, set, figure), qAcc by (l2-category, set, question). The reported
single number is the mean of the three.

``vlmevalkit``: Yes/No extraction as MME, then the judge, compared with the Yes/No answer.
``official`` (the HallusionBench code, as lmms-eval): the judge compares every response with
``gt_answer_details`` (the ``answer`` column where that is absent, counted) and replies correct,
incorrect or unclear ("incorrect" anywhere wins; a failed call is unclear). Only "correct"
scores, except that "unclear" also scores for a visual-supplement question asked without its
figure (figure 0); fAcc leaves those no-figure questions out. Under ``rule_only`` the official
profile produces no score (null, never zero).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

from evaluation.errors import BadInput
from evaluation.understanding.base import (
    Context,
    Record,
    Row,
    Suite,
    decided_share,
    judge_map,
    percent,
    yes_no_records,
)

METRICS = ("aAcc", "fAcc", "qAcc")
KEEP = ("category", "l2-category", "question")
# Official correctness codes of the grader's reply (understanding_suites.md 3.7).
INCORRECT, CORRECT, UNCLEAR = 0, 1, 2
VERDICTS = {INCORRECT: "incorrect", CORRECT: "correct", UNCLEAR: "unclear"}
VISUAL_SUPPLEMENT = "VS"
NO_FIGURE = "0"  # figure id of a visual-supplement question asked without its figure


def _ids(record: Record) -> tuple[str, str, str]:
    parts = str(record["index"]).rsplit("_", 3)
    if len(parts) != 4:
        raise BadInput("HallusionBench", record["index"], "index is not cat_sub_vi_set_fig_q")
    return parts[1], parts[2], parts[3]


def without_figure(record: Record) -> bool:
    """A visual-supplement question asked without its figure."""
    return record.get("category") == VISUAL_SUPPLEMENT and _ids(record)[1] == NO_FIGURE


def _group_acc(records: list[Record], key: Callable[[Record], tuple]) -> float:
    groups: dict[tuple, list[bool]] = defaultdict(list)
    for r in records:
        groups[key(r)].append(r["hit"])
    return percent(all(v) for v in groups.values())


def metrics(records: list[Record], official: bool = False) -> dict[str, float]:
    """aAcc, fAcc and qAcc; the official fAcc leaves out questions asked without a figure."""

    def figure(r: Record) -> tuple:
        s, f, _ = _ids(r)
        return r.get("l2-category"), s, f

    def question(r: Record) -> tuple:
        s, _, q = _ids(r)
        return r.get("l2-category"), s, q

    with_figure = [r for r in records if not (official and without_figure(r))]
    return {
        "aAcc": percent(r["hit"] for r in records),
        "fAcc": _group_acc(with_figure, figure),
        "qAcc": _group_acc(records, question),
    }


def verdict(reply: str | None) -> int:
    """The official reading of a grader reply; a failed call counts as unclear."""
    text = (reply or VERDICTS[UNCLEAR]).lower()
    if VERDICTS[INCORRECT] in text:
        return INCORRECT
    return CORRECT if VERDICTS[CORRECT] in text else UNCLEAR


def official_records(rows: list[Row], ctx: Context) -> list[Record]:
    """One record per row: the grader's verdict and the official correctness."""

    def grade(row: Row) -> str | None:
        reference = row.get("gt_answer_details") or row.get("answer", "")
        return ctx.judge.hallusion_grade(
            row.get("question", ""), reference, row.get("prediction", "")
        )

    records = []
    for row, reply in zip(rows, judge_map(grade, rows, ctx), strict=True):
        record = {k: row.get(k) for k in ("index", *KEEP)}
        code = verdict(reply)
        record.update(
            prediction=row.get("prediction", ""),
            answer=row.get("gt_answer_details") or row.get("answer"),
            extracted=VERDICTS[code],
            decided_by="judge" if reply is not None else "none",
        )
        record["hit"] = code == CORRECT or (code == UNCLEAR and without_figure(record))
        records.append(record)
    return records


def summarize(records: list[Record], official: bool) -> dict[str, Any]:
    overall = metrics(records, official)
    parts = defaultdict(list)
    for r in records:
        parts[str(r.get("category"))].append(r)
        parts[str(r.get("l2-category"))].append(r)
    return {
        "overall": sum(overall.values()) / len(METRICS),
        **overall,
        "categories": {k: metrics(v, official) for k, v in sorted(parts.items())},
        "decided_by": decided_share(records),
    }


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    if ctx.profile != "official":
        records = yes_no_records(rows, ctx, KEEP, official=False)
        return records, summarize(records, official=False)
    if not ctx.judge.active:
        records = [{k: row.get(k) for k in ("index", *KEEP)} | {"hit": None, "decided_by": "none"}
                   for row in rows]  # fmt: skip
        note = "HallusionBench official needs a judge for every item"
        return records, {"overall": None, "categories": {}, "note": note}
    records = official_records(rows, ctx)
    missing = sum(not row.get("gt_answer_details") for row in rows)
    return records, {**summarize(records, official=True), "reference_from_answer": missing}


SUITE = Suite(
    "hallusionbench",
    {"HallusionBench": "0c23ac0dc9ef46832d7a24504f2a0c7c"},
    "yes_no",
    score,
    profiles=("vlmevalkit", "official"),
    scale="mean of aAcc, fAcc, qAcc, %",
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="hallusionbench"))
