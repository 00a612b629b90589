"""Golden tests of ImgEdit reply parsing and aggregation (gen_edit_benchmarks.md section 3)."""

from __future__ import annotations

import pytest

from evaluation.imgedit.data import (
    BASIC_ITEMS,
    BASIC_PROMPTS,
    TYPE_COLUMNS,
    UGE_ITEMS,
    EditItem,
    judge_text,
    load_items,
    load_prompts,
)
from evaluation.imgedit.scorer import item_score, parse_reply, score_judgements
from evaluation.judgements import Judgement

REPLY = (
    "Brief reasoning: ok.\nPrompt Compliance: 4\nVisual Naturalness: 3\n"
    "Physical & Detail Integrity: 3"
)


def test_parse_reply_exact_rules():
    assert parse_reply(REPLY) == ([4, 3, 3], [])
    assert item_score(REPLY) == 3.33  # round(10 / 3, 2)
    not_parsed = [
        "**Prompt Compliance:** 4",
        "Prompt Compliance: 4/5",
        "Score: 4.",
        "Prompt Compliance - 4",
        "Prompt Compliance:4",
        "A: b: 4",
        "Prompt Compliance: -4",
    ]
    for line in not_parsed:
        assert parse_reply(line) == ([], []), line
    assert parse_reply("   Prompt Compliance: 5   ") == ([5], [])
    # A reasoning line with ": " and trailing digits is parsed too (official behaviour).
    assert parse_reply("Reasoning: 12\nPrompt Compliance: 4") == ([12, 4], [])
    # '²' passes isdigit() but int() rejects it: reported, not scored.
    assert parse_reply("Prompt Compliance: ²") == ([], ["Prompt Compliance: ²"])
    assert item_score("Prompt Compliance: ²\nVisual Naturalness: 4") is None
    # Other Unicode decimal digits are ints to Python and count.
    assert parse_reply("Prompt Compliance: ٣") == ([3], [])


def test_rounding_is_python_round_half_even_on_floats():
    assert item_score("A: 4\nB: 4\nC: 3\nD: 4\nE: 4\nF: 4\nG: 4\nH: 3") == 3.75
    assert item_score("A: 1\nB: 2") == 1.5
    assert item_score("A: 5\nB: 4\nC: 4") == 4.33
    assert item_score("A: 5\nB: 5\nC: 4") == 4.67
    assert round(2.675, 2) == 2.67  # the binary-float case the official rounding inherits
    assert item_score("no scores here") is None


def test_per_type_and_overall():
    items = [
        EditItem("1", "a.jpg", "add a cat", "add"),
        EditItem("2", "b.jpg", "add a dog", "add"),
        EditItem("3", "c.jpg", "remove x", "remove"),
        EditItem("4", "d.jpg", "remove y", "remove"),
        EditItem("5", "e.jpg", "compose", "compose"),
        EditItem("6", "f.jpg", "style", "style"),
    ]
    judgements = [
        Judgement("1", "A: 5\nB: 4\nC: 4"),  # 4.33
        Judgement("2", "A: 3\nB: 3\nC: 2"),  # 2.67
        Judgement("3", "A: 1\nB: 1\nC: 1"),  # 1.0
        Judgement("4", "Score: 4."),  # unparsed -> omitted, not zero
        Judgement("5", None, error="timeout"),  # judge failure -> omitted, counted
    ]
    rows, scores = score_judgements(items, judgements)
    # add: round((4.33 + 2.67) / 2, 2) = 3.5; remove: 1.0 (the unparsed item is omitted)
    assert scores["categories"] == {"Add": 3.5, "Remove": 1.0}
    assert scores["overall"] == pytest.approx(2.25)
    assert scores["item_weighted_mean"] == pytest.approx((4.33 + 2.67 + 1.0) / 3)
    assert scores["counts"] == {"scored": 3, "unparsed": 1, "judge_error": 1, "missing": 1}
    assert "Hybrid" in scores["missing_categories"] and "Style" in scores["missing_categories"]
    assert [r["status"] for r in rows] == [
        "scored",
        "scored",
        "scored",
        "unparsed",
        "judge_error",
        "missing",
    ]


def test_overall_matches_the_published_magicbrush_row():
    per_type = [2.84, 1.58, 1.51, 1.97, 1.58, 1.75, 2.38, 1.62, 1.22]
    items = [EditItem(str(i), "x.jpg", "p", t) for i, t in enumerate(TYPE_COLUMNS)]
    # one reply per type whose item score equals the published type score: "A: x" needs ints,
    # so use 100 lines averaging to the score (e.g. 2.84 = 284 / 100).
    judgements = []
    for i, target in enumerate(per_type):
        total = round(target * 100)
        ints = [total // 100 + (1 if k < total % 100 else 0) for k in range(100)]
        judgements.append(Judgement(str(i), "\n".join(f"S{k}: {v}" for k, v in enumerate(ints))))
    _, scores = score_judgements(items, judgements)
    assert list(scores["categories"].values()) == per_type
    assert round(scores["overall"], 2) == 1.83


def test_official_items_and_prompts_run_through_the_scorer():
    items = load_items(BASIC_ITEMS.bundled)
    prompts = load_prompts(BASIC_PROMPTS.bundled)
    assert len(items) == 737 and set(prompts) == set(TYPE_COLUMNS)
    counts = {t: sum(i.edit_type == t for i in items) for t in TYPE_COLUMNS}
    assert counts == {
        "add": 95,
        "adjust": 94,
        "extract": 117,
        "replace": 92,
        "remove": 86,
        "background": 94,
        "style": 100,
        "compose": 23,
        "action": 36,
    }
    item = items[0]
    text = judge_text(prompts[item.edit_type], item.instruction)
    assert item.instruction in text and "<edit_prompt>" not in text
    # Synthetic replies: item k gets all-equal scores (k % 5) + 1 on the template's three lines.
    judgements = [
        Judgement(it.key, "\n".join(f"L{n}: {k % 5 + 1}" for n in range(3)))
        for k, it in enumerate(items)
    ]
    rows, scores = score_judgements(items, judgements)
    assert scores["counts"] == {"scored": 737}
    for t, column in TYPE_COLUMNS.items():
        expected = [k % 5 + 1 for k, it in enumerate(items) if it.edit_type == t]
        assert scores["categories"][column] == round(sum(expected) / len(expected), 2)
    uge = load_items(UGE_ITEMS.bundled, with_type=False)
    assert len(uge) == 47
    _, uge_scores = score_judgements(uge, [Judgement(u.key, "Score: 4") for u in uge])
    assert uge_scores["overall"] == 4.0 and uge_scores["categories"] == {}
