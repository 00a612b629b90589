"""Golden tests of MMBench's `lmms_eval` profile (understanding_suites.md 2.3, 3.1): the older
letter rule (bare letter A-E, affix patterns, no "near the end" rule), option text without the
length guard, and a judge whose no-match letter is E; circular groups as in VLMEvalKit."""

from __future__ import annotations

import pytest
from scripted_judge import ScriptedBackend

from evaluation.understanding import SUITES
from evaluation.understanding.base import Context
from evaluation.understanding.extract import can_infer, can_infer_legacy
from evaluation.understanding.judge import Judge

OPTS = {"A": "cat", "B": "dog", "C": "teddy bear", "D": "rabbit"}


@pytest.mark.parametrize(
    ("response", "legacy", "vlmevalkit"),
    [
        # The spec's golden cases agree.
        ("B", "B", "B"),
        ("The answer is C.", "C", "C"),
        ("(D) rabbit", "D", "D"),
        ("I think it is a dog", "B", "B"),
        ("A cat and a dog", None, None),
        ("Answer: A. cat. Reasoning: ...", "A", "A"),
        # Where they differ.
        ("B is what I would say here", "B", None),  # no "last four tokens" rule
        ("Between A and B, B.", "B", None),  # "A" may be an article; then the "X." affix
        ("the correct answer is **B**", None, "B"),  # no "answer is X" regex, no stripping
        ("E", "E", None),  # E is a letter there (the judge's no-match)
        ("It is a dog " + "for sure " * 10, "B", None),  # no length guard on the text rule
    ],
)
def test_legacy_extraction_against_vlmevalkit(response, legacy, vlmevalkit):
    assert can_infer_legacy(response, OPTS) == legacy
    assert can_infer(response, OPTS) == vlmevalkit


def circular(i, answers, predictions):
    return [{"index": str(i + j * 1_000_000), "question": "What?", **OPTS, "answer": a,
             "prediction": p, "category": "c", "l2-category": "L"}
            for j, (a, p) in enumerate(zip(answers, predictions, strict=True))]  # fmt: skip


def score(rows, judge=None, profile="lmms_eval"):
    return SUITES.get("mmbench").score(rows, Context(judge or Judge(), profile))


def test_circular_groups_with_the_legacy_rule_and_an_e_judge():
    rows = circular(1, "BCDA", ["B is what I would say here", "C", "D", "A"])
    rows += circular(2, "ABCD", ["A", "B", "C", "E"])  # E: confidently wrong, no judge call
    rows += circular(3, "ABCD", ["A", "B", "C", "no idea at all"])
    records, scores = score(rows)
    assert [r["hit"] for r in records] == [True, False, False]
    assert scores["vanilla_pass0"] == 100.0
    _, vlmevalkit = score(rows, profile="vlmevalkit")  # pass 0 of group 1 is unresolved there
    assert vlmevalkit["overall"] == 0.0
    backend = ScriptedBackend(lambda prompt: "E")
    records, _ = score(rows, Judge(backend))
    assert len(backend.prompts) == 1 and "output E." in backend.prompts[0]
    assert records[2]["extracted"][3] == "E" and not records[2]["hit"]


def test_failed_judge_falls_back_to_the_options_and_e():
    rows = circular(1, "A", ["no idea at all"])
    picks = set()
    for seed in range(40):
        records, _ = score(rows, Judge(ScriptedBackend(lambda prompt: "hmm"), seed=seed))
        assert records[0]["decided_by"] == "random"
        picks.add(records[0]["extracted"][0])
    assert picks == {"A", "B", "C", "D", "E"}
