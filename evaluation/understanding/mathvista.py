"""MathVista testmini, VLMEvalKit semantics (understanding_suites.md 3.9).

A heuristic pre-check on the raw response (choice extraction for multi-choice, a direct
``int()``/``float()`` otherwise) accepts an item when it already equals the answer; otherwise the
judge extracts an answer, which is checked: multi-choice by choice extraction against
``answer_option``, integers by ``int()`` (so "3.0" fails), floats by ``float()`` without rounding.
``list`` answers never score in the pinned version (the ``str(None)`` typo fixed in PR #1680);
profile ``fixed`` compares them as strings.
"""

from __future__ import annotations

import ast
from typing import Any

from evaluation.understanding.base import Context, Record, Row, Suite, breakdown, percent
from evaluation.understanding.extract import can_infer

LETTERS = "ABCDEFGHIJ"


def choices(row: Row) -> dict[str, str]:
    try:
        values = ast.literal_eval(row.get("choices", "") or "[]")
    except (ValueError, SyntaxError):
        values = []
    return {LETTERS[i]: str(v) for i, v in enumerate(values or [])}


def check(text: str, row: Row, fixed_lists: bool) -> bool:
    """Whether ``text`` equals the answer under the item's type; parse failures are wrong."""
    kind = row.get("answer_type", "")
    try:
        if row.get("question_type") == "multi_choice":
            return can_infer(text, choices(row)) == row.get("answer_option")
        if kind == "integer":
            return int(text) == int(row["answer"])
        if kind == "float":
            return float(text) == float(row["answer"])
    except (ValueError, TypeError):
        return False
    return fixed_lists and kind == "list" and text.strip() == str(row.get("answer", "")).strip()


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    fixed = ctx.profile == "fixed"
    records = []
    for row in rows:
        prediction = row.get("prediction", "")
        hit, how, extracted = check(prediction, row, fixed), "precheck", prediction
        if not hit:
            query = row.get("query") or row.get("question", "")
            extracted = ctx.judge.mathvista_extract(query, prediction)
            how = "judge" if extracted is not None else "none"
            hit = extracted is not None and check(extracted, row, fixed)
        record = {k: row.get(k) for k in ("index", "question", "task", "skills", "answer")}
        records.append({**record, "prediction": prediction, "extracted": extracted,
                        "decided_by": how, "hit": hit})  # fmt: skip
    skills: list[Record] = []
    for r in records:
        try:
            names = ast.literal_eval(r.get("skills") or "[]")
        except (ValueError, SyntaxError):
            names = []
        skills += [{"skill": s, "hit": r["hit"]} for s in names]
    return records, {
        "overall": percent(r["hit"] for r in records),
        "categories": breakdown(records, "task"),
        "skills": breakdown(skills, "skill"),
        "precheck_hits": percent(r["decided_by"] == "precheck" for r in records),
    }


SUITE = Suite(
    "mathvista",
    {"MathVista_MINI": "f199b98e178e5a2a20e7048f5dcb0464"},
    "vqa",
    score,
    profiles=("vlmevalkit", "fixed"),
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mathvista"))
