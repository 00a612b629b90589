"""AI2D (test, 3,088 four-option diagram MCQs) (understanding_suites.md 3.3).

``vlmevalkit``: plain MCQ with VLMEvalKit's choice extraction. ``lmms_eval``: a leading ``X.``
is taken if present, then the response must equal the answer letter up to case and
punctuation, so a verbose answer that does not start with the letter scores 0 there.
Report which TSV was used: ``AI2D_TEST`` (masked) or ``AI2D_TEST_NO_MASK``."""

from __future__ import annotations

import re
import string
from typing import Any

from evaluation.understanding.base import (
    Context,
    Record,
    Row,
    Suite,
    breakdown,
    extracted_records,
    percent,
    score_plain_mcq,
)

LEADING_LETTER = re.compile(r"^([A-Za-z])\.")
PUNCTUATION = str.maketrans("", "", string.punctuation)


def lmms_eval_answer(prediction: str) -> str:
    """The response as lmms-eval's AI2D compares it: leading letter, no case, no punctuation."""
    text = prediction.strip()
    match = LEADING_LETTER.match(text)
    text = match.group(1) if match else text
    return text.translate(PUNCTUATION).strip().upper()


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    if ctx.profile != "lmms_eval":
        return score_plain_mcq(rows, ctx)

    def resolve(row: Row) -> tuple[str, str]:
        return lmms_eval_answer(row.get("prediction", "")), "rule"

    records = extracted_records(rows, ctx, ("category", "question"), resolve)
    return records, {
        "overall": percent(r["hit"] for r in records),
        "categories": breakdown(records, "category"),
    }


SUITE = Suite(
    "ai2d",
    {"AI2D_TEST": "0f593e0d1c7df9a3d69bf1f947e71975", "AI2D_TEST_NO_MASK": ""},
    "mcq",
    score,
    profiles=("vlmevalkit", "lmms_eval"),
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="ai2d"))
