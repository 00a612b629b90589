"""MMMU (validation is reported; 900 questions), two profiles (understanding_suites.md 3.5).

``vlmevalkit``: every open question becomes a two-option question (A = the reference answer,
B = "Other Answers", ground truth A) and everything is scored as MCQ. ``official``: the MMMU
parsers: multiple choice by "(X)", then " X ", then option text (responses over 5 words), the
last occurrence winning and a seeded random choice when nothing is found; open answers by key
phrases, numbers and normalisation, correct if any parsed string contains a normalised gold
string or a parsed number equals a gold number.
"""

from __future__ import annotations

import ast
import random
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
    resolve_mcq,
)
from evaluation.understanding.tsv import options

OTHER_ANSWERS = "Other Answers"
OFFICIAL_SEED = 42  # the official module seeds random with 42 at import
STRIP = " ,.!?;:'"
MIN_WORDS_FOR_TEXT = 5
INDICATORS = ("could be ", "so ", "is ", "thus ", "therefore ", "final ", "answer ", "result ")
NUMBER_RES = (
    re.compile(r"-?\b\d{1,3}(?:,\d{3})+\b"),
    re.compile(r"-?\d+(?:\.\d+)?[eE][+-]?\d+"),
    re.compile(r"-?(?:\d+\.\d+|\.\d+|\d+)(?![eE][+-]?\d+)(?![,\d])"),
)
SENTENCE_SPLIT = re.compile(r"\.\s(?=[A-Z])|\n")


def parse_multi_choice(response: str, opts: dict[str, str], rng: random.Random) -> str:
    padded = " " + response.strip(STRIP) + " "
    found = [k for k in opts if f"({k})" in padded]
    by_text = False
    if not found:
        found = [k for k in opts if f" {k} " in padded]
    if not found and len(padded.split()) > MIN_WORDS_FOR_TEXT:
        found = [k for k, v in opts.items() if v.lower() in padded.lower()]
        by_text = bool(found)
    if not found:
        return rng.choice(list(opts))
    if len(found) == 1:
        return found[0]

    def last(k: str) -> int:
        if by_text:
            return padded.lower().rfind(opts[k].lower())
        return max(padded.rfind(f"({k})"), padded.rfind(f" {k} "))

    return max(found, key=last)


def _is_number(s: str) -> bool:
    try:
        float(s.replace(",", ""))
    except ValueError:
        return False
    return True


def normalize(s: str) -> list[Any]:
    s = s.strip()
    if _is_number(s):
        return [round(float(s.replace(",", "")), 2)]
    s = s.lower()
    return [" " + s, s + " "] if len(s) == 1 else [s]


def parse_open(response: str) -> list[Any]:
    """Candidate answers of an open response (key-phrase tails, numbers), normalised."""
    text = response.strip().strip(".").lower()
    parts = SENTENCE_SPLIT.split(text)  # lower-cased first: only newlines split (official)
    keys = []
    for i, part in enumerate(parts):
        indicators = (*INDICATORS, "=") if i == len(parts) - 1 else INDICATORS
        tails = [part.split(ind)[-1].strip() for ind in indicators if ind in part]
        shortest = min(tails, key=len) if tails else None
        if shortest and shortest.strip() not in ":,.!?;'":
            keys.append(shortest)
    keys = keys or [text]
    candidates = list(keys)
    for key in keys:
        for pattern in NUMBER_RES:
            candidates += pattern.findall(key)
    return list({n for c in candidates for n in normalize(c)})


def eval_open(gold: str, predictions: list[Any]) -> bool:
    try:
        value = ast.literal_eval(gold) if gold.startswith("[") else gold
    except (ValueError, SyntaxError):
        value = gold
    golds = [n for g in (value if isinstance(value, list) else [value]) for n in normalize(str(g))]
    for p in predictions:
        if isinstance(p, str):
            if any(isinstance(g, str) and g in p for g in golds):
                return True
        elif p in golds:
            return True
    return False


def _vlmevalkit_row(row: Row) -> Row:
    """Open question -> two options; any non-letter ground truth becomes A."""
    if options(row):
        return row
    return {**row, "A": row.get("answer", ""), "B": OTHER_ANSWERS, "answer": "A"}


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    rng = random.Random(OFFICIAL_SEED)
    records = []
    for row in rows:
        opts = options(row)
        if ctx.profile == "official":
            if opts:
                extracted = parse_multi_choice(row.get("prediction", ""), opts, rng)
                hit, how = extracted == row.get("answer"), "rule"
            else:
                extracted = parse_open(row.get("prediction", ""))
                hit, how = eval_open(row.get("answer", ""), extracted), "rule"
        else:
            converted = _vlmevalkit_row(row)
            extracted, how = resolve_mcq(converted, ctx.judge)
            hit = extracted == converted["answer"]
        record = {k: row.get(k) for k in ("index", "question", "answer", "category", "split")}
        records.append({**record, "prediction": row.get("prediction", ""), "open": not opts,
                        "extracted": str(extracted), "decided_by": how, "hit": hit})  # fmt: skip
    splits = breakdown(records, "split")
    validation = [r for r in records if r.get("split") == "validation"] or records
    return records, {
        "overall": percent(r["hit"] for r in validation),
        "splits": splits,
        "categories": breakdown(validation, "category"),
        "decided_by": decided_share(records),
    }


SUITE = Suite(
    "mmmu",
    {"MMMU_DEV_VAL": "585e8ad75e73f75dcad265dfd0417d64"},
    "mcq",
    score,
    profiles=("vlmevalkit", "official"),
    scale="validation accuracy, %",
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mmmu"))
