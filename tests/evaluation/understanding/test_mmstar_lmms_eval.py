"""Golden tests of lmms-eval's `mcq_extract` and the MMStar `lmms_eval` profile
(understanding_suites.md 2.3, 3.2): format priority start > end > phrase > parentheses >
period > colon > right-paren > space, the last occurrence winning; macro mean over l2
categories."""

from __future__ import annotations

import pytest

from evaluation.understanding import SUITES
from evaluation.understanding.base import Context
from evaluation.understanding.extract import mcq_extract
from evaluation.understanding.judge import Judge

OPTS = {"A": "cat", "B": "dog", "C": "bird", "D": "fish"}


@pytest.mark.parametrize(
    ("response", "letter", "form"),
    [
        ("B", "B", "start"),
        ("A. cat", "A", "start"),
        ("The answer is C.", "C", "end"),
        ("Option C is better than B.", "B", "end"),  # end outranks the earlier letter
        ("the answer is (C) because", "C", "phrase"),
        ("(D) rabbit", "D", "parentheses"),
        ("I choose (B), not (C) or D:", "C", "parentheses"),  # last occurrence wins
        ("Pick C. or maybe D. here", "D", "period"),
        ("so C: fish, yes", "C", "colon"),
        ("so C) fish, yes", "C", "right_paren"),
        ("so C fish, yes", "C", "space"),
        ("E. none of these", "", "none"),  # not an option letter
        ("no idea", "", "none"),
    ],
)
def test_mcq_extract_priorities(response, letter, form):
    assert mcq_extract(response, "ABCD") == (letter, form)


def row(i, answer, prediction, l2):
    return {"index": str(i), "question": "What?", **OPTS, "answer": answer,
            "prediction": prediction, "category": "perception", "l2-category": l2}  # fmt: skip


def test_mmstar_lmms_eval_macro_mean_over_l2_categories():
    rows = [
        row(1, "A", "A", "p"),
        row(2, "B", "The answer is B", "p"),
        row(3, "C", "C", "p"),
        row(4, "D", "A or D? I think D is right", "q"),  # the leading A outranks everything
        row(5, "B", "it is a dog", "q"),  # no letter format: wrong (no text rule, no judge)
    ]
    records, scores = SUITES.get("mmstar").score(rows, Context(Judge(), "lmms_eval"))
    assert [r["extracted"] for r in records] == ["A", "B", "C", "A", ""]
    assert [r["hit"] for r in records] == [True, True, True, False, False]
    assert scores["l2_categories"] == {"p": 100.0, "q": 0.0}
    assert scores["overall"] == 50.0  # macro: (100 + 0) / 2
    assert scores["micro_average"] == 60.0
    assert scores["decided_by"] == {"none": 0.2, "rule": 0.8}
    _, vlmevalkit = SUITES.get("mmstar").score(rows, Context(Judge()))
    # VLMEvalKit: micro average; item 4 has two letters (no answer), item 5 counts by text.
    assert vlmevalkit["overall"] == 80.0 and "micro_average" not in vlmevalkit
