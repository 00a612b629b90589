"""Golden tests of MathVista's `official` profile (understanding_suites.md 3.9): extraction
(exact choice, direct parse, else the judge), normalisation (choice letter or smallest edit
distance, int(float(x)), round to the stated precision, str for lists), string equality."""

from __future__ import annotations

import pytest
from scripted_judge import ScriptedBackend

from evaluation.understanding import SUITES
from evaluation.understanding.base import Context
from evaluation.understanding.extract import closest_text, edit_distance
from evaluation.understanding.judge import Judge
from evaluation.understanding.mathvista import normalize_official

CHOICES = "['cat', 'dog', 'bird']"


def row(i, qtype, atype, answer, prediction, **kw):
    return {"index": str(i), "question_type": qtype, "answer_type": atype, "answer": answer,
            "prediction": prediction, "question": f"q{i}", "task": "t", "skills": "['s']",
            **kw}  # fmt: skip


def mc(i, prediction):
    return row(i, "multi_choice", "text", "dog", prediction, choices=CHOICES, answer_option="B")


def score(rows, judge=None, profile="official"):
    return SUITES.get("mathvista").score(rows, Context(judge or Judge(), profile))


def test_edit_distance_and_closest_choice():
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "dog") == 3
    assert closest_text("dgo", ["cat", "dog"]) == "dog"
    assert closest_text("", ["bird", "dog", "cat"]) == "dog"  # ties: the first shortest


@pytest.mark.parametrize(
    ("extraction", "expected"),
    [
        ("B", "dog"),  # a letter indexes the choices
        ("(B) cat", "dog"),  # the "(X)" letter wins over the text
        ("(b)", "dog"),  # upper-cased
        ("b", "cat"),  # a bare lower-case letter is text: distance 3 to cat, dog (first wins)
        ("dgo", "dog"),  # smallest edit distance
        ("", "cat"),  # empty: the first shortest choice
        ("E", "cat"),  # not a choice letter: nearest text
    ],
)
def test_multi_choice_normalisation(extraction, expected):
    assert normalize_official(extraction, mc(0, "")) == expected


@pytest.mark.parametrize(
    ("atype", "extraction", "precision", "expected"),
    [
        ("integer", "3.0", "", "3"),
        ("integer", "3.9", "", "3"),  # int(float(x)) truncates
        ("integer", "three", "", None),
        ("float", "0.64", "1.0", "0.6"),  # rounded to the item's precision
        ("float", "1.456", "2", "1.46"),
        ("float", "1.50", "2.0", "1.5"),  # str() of the rounded float
        ("float", "1.5", "", None),  # no precision: the official int(precision) fails
        ("list", "[1, 2]", "", "[1, 2]"),
    ],
)
def test_number_and_list_normalisation(atype, extraction, precision, expected):
    item = row(0, "free_form", atype, "", "", precision=precision)
    assert normalize_official(extraction, item) == expected


def test_rule_only_direct_extraction_then_string_equality():
    rows = [
        row(1, "free_form", "integer", "3", "3"),
        row(2, "free_form", "integer", "3", "3.0"),  # int() fails, no judge: "" -> wrong
        row(3, "free_form", "float", "0.6", "0.64", precision="1.0"),  # rounds to 0.6
        row(4, "free_form", "float", "1.5", "1.50", precision="1.0"),
        row(5, "free_form", "list", "[1, 2]", "[1, 2]"),  # no direct parse for lists: "" != [1, 2]
        mc(6, "dog"),  # equals a choice
        mc(7, "(B) dog"),  # not a choice, no judge: "" -> the shortest choice, cat
    ]
    records, scores = score(rows)
    assert [r["hit"] for r in records] == [True, False, True, True, False, True, False]
    assert [r["extracted"] for r in records] == ["3", None, "0.6", "1.5", "", "dog", "cat"]
    assert [r["decided_by"] for r in records] == ["rule", "none", "rule", "rule", "none",
                                                  "rule", "none"]  # fmt: skip
    assert scores["overall"] == pytest.approx(400 / 7)
    assert "precheck_hits" not in scores
    # VLMEvalKit: 0.64 != 0.6 without rounding and "(B) dog" counts through can_infer.
    vlmevalkit, _ = score(rows, profile="vlmevalkit")
    assert [r["hit"] for r in vlmevalkit] == [True, False, False, True, False, True, True]


def test_judge_extraction_is_normalised():
    replies = {"3.0": "3.0", "(B) dog": "(B)", "It is a dgo": "dgo", "[1,2]": "[1, 2]"}

    def reply(prompt):
        return next(v for k, v in replies.items() if f"Model response: {k}\n" in prompt)

    rows = [
        row(1, "free_form", "integer", "3", "3.0"),
        mc(2, "(B) dog"),
        mc(3, "It is a dgo"),
        row(4, "free_form", "list", "[1, 2]", "[1,2]"),
    ]
    backend = ScriptedBackend(reply)
    records, scores = score(rows, Judge(backend))
    assert len(backend.prompts) == 4
    assert all(r["hit"] and r["decided_by"] == "judge" for r in records)
    assert scores["decided_by"] == {"judge": 1.0}


def test_failed_judge_calls_extract_nothing():
    records, _ = score([mc(1, "It is a dgo")], Judge(ScriptedBackend(lambda prompt: None)))
    assert records[0]["extracted"] == "cat" and records[0]["decided_by"] == "none"
