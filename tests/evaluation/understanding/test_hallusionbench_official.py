"""Golden tests of HallusionBench's `official` profile (understanding_suites.md 3.7): the judge
grades each response against gt_answer_details; "unclear" scores only for visual-supplement
questions without a figure, which fAcc leaves out; replayed from the judge cache."""

from __future__ import annotations

import pytest
from scripted_judge import ScriptedBackend

from evaluation.understanding import SUITES
from evaluation.understanding.base import Context
from evaluation.understanding.hallusionbench import CORRECT, INCORRECT, UNCLEAR, verdict
from evaluation.understanding.judge import Judge
from models.external.backends import make_backend
from models.external.cache import CachedBackend

# index (category_subcategory_visualInput_setId_figureId_questionId) -> the grader's reply
REPLIES = {
    "VD_ocr_1_1_0_0": "correct",
    "VD_ocr_1_1_0_1": "Incorrect.",  # "incorrect" wins although it contains "correct"
    "VD_ocr_2_1_1_0": "Correct",
    "VD_ocr_2_1_1_1": "unclear",  # unclear with a figure: wrong
    "VS_chart_0_0_0_0": "I am unsure",  # no figure, unclear: counts as correct
    "VS_chart_0_0_0_1": "incorrect",
    "VS_chart_1_0_1_0": "correct",
    "VS_chart_1_0_1_1": "correct",
}


def rows() -> list[dict]:
    out = []
    for i, index in enumerate(REPLIES):
        category, sub = index.split("_")[:2]
        out.append({"index": index, "category": category, "l2-category": f"{category}_{sub}",
                    "question": f"Is it so {i}?", "answer": "Yes", "prediction": f"response {i}",
                    "gt_answer_details": "" if i == 0 else f"details {i}"})  # fmt: skip
    return out


def reply(prompt: str) -> str:
    i = int(prompt.split("Predicted answer: response ")[1].split("\n")[0])
    return list(REPLIES.values())[i]


def score(judge: Judge, profile: str = "official"):
    return SUITES.get("hallusionbench").score(rows(), Context(judge, profile))


@pytest.mark.parametrize(
    ("reply", "code"),
    [
        ("correct", CORRECT),
        ("Incorrect", INCORRECT),
        ("not correct, incorrect", INCORRECT),
        ("unclear", UNCLEAR),
        ("wrong", UNCLEAR),
        (None, UNCLEAR),
    ],  # fmt: skip
)
def test_verdict_reading(reply, code):
    assert verdict(reply) == code


def test_official_metrics_from_the_grader():
    backend = ScriptedBackend(reply)
    records, scores = score(Judge(backend))
    assert [r["hit"] for r in records] == [True, False, True, False, True, False, True, True]
    assert "Reference answer: details 3\n" in backend.prompts[3]
    assert "Reference answer: Yes\n" in backend.prompts[0]  # no gt_answer_details: the answer
    assert scores["reference_from_answer"] == 1
    assert scores["aAcc"] == 62.5
    # Figures: VD fig 0 and fig 1 each have a miss; VS fig 1 is right; VS fig 0 is left out.
    assert scores["fAcc"] == pytest.approx(100 / 3)
    # Questions: VD q0 right on both figures, q1 not; VS q0 right, q1 wrong without the figure.
    assert scores["qAcc"] == 50.0
    assert scores["overall"] == pytest.approx((62.5 + 100 / 3 + 50) / 3)
    assert scores["categories"]["VS"] == {"aAcc": 75.0, "fAcc": 100.0, "qAcc": 50.0}
    assert scores["decided_by"] == {"judge": 1.0}


def test_vlmevalkit_profile_keeps_yes_no_matching():
    _, scores = score(Judge(), "vlmevalkit")  # "response i" is neither yes nor no
    assert scores["aAcc"] == 0.0 and scores["decided_by"] == {"none": 1.0}


def test_official_replays_from_the_judge_cache(tmp_path):
    cache = tmp_path / "judge.jsonl"
    live, live_scores = score(Judge(CachedBackend(ScriptedBackend(reply), cache)))
    replayed, replay_scores = score(Judge(make_backend(f"replay:{cache}")))
    assert [r["hit"] for r in replayed] == [r["hit"] for r in live]
    assert replay_scores["overall"] == live_scores["overall"]


def test_failed_calls_are_unclear_and_rule_only_gives_no_score():
    records, _ = score(Judge(ScriptedBackend(lambda prompt: None)))
    assert [r["hit"] for r in records] == [False] * 4 + [True, True, False, False]
    assert {r["decided_by"] for r in records} == {"none"}
    _, scores = score(Judge())
    assert scores["overall"] is None and "judge" in scores["note"]
