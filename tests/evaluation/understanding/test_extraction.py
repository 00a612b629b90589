"""Choice and yes/no extraction: the golden cases of understanding_suites.md 2.2, 3.6 and more."""

from __future__ import annotations

import pytest

from evaluation.understanding.extract import (
    can_infer,
    can_infer_option,
    yes_no_official,
    yes_no_vlmevalkit,
)

OPTS = {"A": "cat", "B": "dog", "C": "teddy bear", "D": "rabbit"}


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        ("B", "B"),
        ("The answer is C.", "C"),
        ("(D) rabbit", "D"),
        ("I think it is a dog", "B"),  # via option text
        ("A cat and a dog", None),  # two text hits; the letter is too early
        ("Answer: A. cat. Reasoning: ...", "A"),
    ],
)
def test_spec_golden_cases(response, expected):
    assert can_infer(response, OPTS) == expected


def test_option_rules_in_order():
    assert can_infer_option("Failed to obtain answer via API. B", OPTS) is None
    assert can_infer_option("Cannot determine the answer", OPTS) == "Z"
    assert can_infer_option("I can't process this file.", OPTS) == "Z"
    assert can_infer_option("none fits, so Z", OPTS) == "Z"
    # One letter, but not among the last four tokens: rejected.
    assert can_infer_option("B is what I would say here", OPTS) is None
    assert can_infer_option("so I would say B", OPTS) == "B"
    # Two letters: only the "answer is X" rule (bold allowed, phrase case-insensitive) decides.
    assert can_infer_option("Between A and B, the correct answer is **B**", OPTS) == "B"
    assert can_infer_option("A or B? ANSWER IS (D)", OPTS) == "D"
    assert can_infer_option("A or B", OPTS) is None
    # Lower-case "a" is an article, not option A.
    assert can_infer_option("a", OPTS) is None


def test_text_rule_length_guard():
    long = "dog " * 23  # 92 characters > 2 x (3 + 3 + 10 + 6) = 44
    assert can_infer(long, OPTS) is None
    assert can_infer("the dog", OPTS) == "B"


def test_yes_no_rules():
    assert yes_no_vlmevalkit("Yes, it is.") == "Yes"
    assert yes_no_vlmevalkit("No.") == "No"
    assert yes_no_vlmevalkit("Yes and no") == "Unknown"
    assert yes_no_vlmevalkit("There is none") == "Unknown"  # "none" is not the word "no"
    assert yes_no_official("Yes.") == "Yes"
    assert yes_no_official("n") == "No"
    assert yes_no_official("No, there is not") == "No"
    assert yes_no_official("The answer is yes") == "Unknown"  # only the first 4 characters
    assert yes_no_vlmevalkit("The answer is yes") == "Yes"
