"""MathVista testmini (understanding_suites.md 3.9).

``vlmevalkit``: a heuristic pre-check on the raw response (choice extraction for multi-choice, a
direct ``int()``/``float()`` otherwise) accepts an item when it already equals the answer;
otherwise the judge extracts an answer, which is checked: multi-choice by choice extraction
against ``answer_option``, integers by ``int()`` (so "3.0" fails), floats by ``float()`` without
rounding. ``list`` answers never score in the pinned version (the ``str(None)`` typo fixed in
PR #1680); profile ``fixed`` compares them as strings.

``official`` (MathVista's own scorer, as lmms-eval): extraction takes a response that equals a
choice or parses directly as the answer type, else asks the judge (no judge or a failed call
gives "", as the official extractor returns on error); normalisation maps multi-choice to a
choice text ("(X)" letter, bare letter, else the smallest edit distance, so "" picks the shortest
choice), integers to ``str(int(float(x)))``, floats to ``str(round(float(x), precision))`` and
lists to ``str(x)``; the item scores when that string equals ``answer``. The optional "quick
extract" regex is off, as in the official default.
"""

from __future__ import annotations

import ast
import re
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
from evaluation.understanding.extract import can_infer, closest_text

LETTERS = "ABCDEFGHIJ"
PAREN_LETTER = re.compile(r"\(([a-zA-Z])\)")  # official: the letter of "(X) text" wins
KEEP = ("index", "question", "task", "skills", "answer")


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


def resolve_vlmevalkit(row: Row, ctx: Context) -> tuple[str | None, str, bool]:
    """(extracted, how, hit): the pre-check on the raw response, then the judge's extraction."""
    fixed = ctx.profile == "fixed"
    prediction = row.get("prediction", "")
    if check(prediction, row, fixed):
        return prediction, "precheck", True
    query = row.get("query") or row.get("question", "")
    extracted = ctx.judge.mathvista_extract(query, prediction)
    if extracted is None:
        return None, "none", False
    return extracted, "judge", check(extracted, row, fixed)


def direct_extraction(response: str, row: Row) -> str | None:
    """Official extraction without the judge: an exact choice text, or a direct parse."""
    if row.get("question_type") == "multi_choice":
        return response if response in choices(row).values() else None
    parse = {"integer": lambda x: str(int(x)), "float": lambda x: str(float(x))}
    try:
        return parse[row.get("answer_type", "")](response)
    except (KeyError, ValueError, OverflowError):
        return None


def extract_official(row: Row, ctx: Context) -> tuple[str, str]:
    """(extraction, how): "" for an empty response, or when the judge is off or fails."""
    response = row.get("prediction", "")
    if response == "":
        return "", "rule"
    direct = direct_extraction(response, row)
    if direct is not None:
        return direct, "rule"
    query = row.get("query") or row.get("question", "")
    extracted = ctx.judge.mathvista_extract(query, response)
    return ("", "none") if extracted is None else (extracted, "judge")


def normalize_official(extraction: str, row: Row) -> str | None:
    """The official normalisation; None where it fails (unparsable number, no choices)."""
    kind = row.get("answer_type", "")
    try:
        if row.get("question_type") == "multi_choice":
            return _normalize_choice(extraction.strip(), choices(row))
        if kind == "integer":
            return str(int(float(extraction)))
        if kind == "float":
            return str(round(float(extraction), int(float(row.get("precision", "")))))
    except (ValueError, OverflowError):
        return None
    return str(extraction) if kind == "list" else None


def _normalize_choice(text: str, options: dict[str, str]) -> str | None:
    letter = PAREN_LETTER.search(text)
    text = letter.group(1).upper() if letter else text
    if text in options:
        return options[text]
    return closest_text(text, list(options.values())) if options else None


def resolve_official(row: Row, ctx: Context) -> tuple[str | None, str, bool]:
    extraction, how = extract_official(row, ctx)
    normalized = normalize_official(extraction, row)
    return normalized, how, normalized is not None and normalized == row.get("answer")


def skill_records(records: list[Record]) -> list[Record]:
    """One (skill, hit) record per skill an item lists."""
    out: list[Record] = []
    for r in records:
        try:
            names = ast.literal_eval(r.get("skills") or "[]")
        except (ValueError, SyntaxError):
            names = []
        out += [{"skill": s, "hit": r["hit"]} for s in names]
    return out


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    resolve = resolve_official if ctx.profile == "official" else resolve_vlmevalkit
    records = []
    for row in rows:
        extracted, how, hit = resolve(row, ctx)
        records.append({**{k: row.get(k) for k in KEEP}, "prediction": row.get("prediction", ""),
                        "extracted": extracted, "decided_by": how, "hit": hit})  # fmt: skip
    scores = {
        "overall": percent(r["hit"] for r in records),
        "categories": breakdown(records, "task"),
        "skills": breakdown(skill_records(records), "skill"),
        "decided_by": decided_share(records),
    }
    if ctx.profile != "official":  # the official scorer has no pre-check
        scores["precheck_hits"] = percent(r["decided_by"] == "precheck" for r in records)
    return records, scores


SUITE = Suite(
    "mathvista",
    {"MathVista_MINI": "f199b98e178e5a2a20e7048f5dcb0464"},
    "vqa",
    score,
    profiles=("vlmevalkit", "fixed", "official"),
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mathvista"))
