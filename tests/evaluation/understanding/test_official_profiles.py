"""Golden tests of the `official` / lmms-eval profiles and switches (understanding_suites.md 3),
and of the judge loop's concurrency limit."""

from __future__ import annotations

import pytest
from fake_openai_server import FakeOpenAI, last_text

from evaluation.understanding import SUITES
from evaluation.understanding.base import Context
from evaluation.understanding.judge import MMVET_RETRY_SUFFIX, Judge
from models.external.openai_compat import OpenAICompatBackend, OpenAICompatConfig

OPTS = {"A": "cat", "B": "dog", "C": "bird", "D": "fish"}


def http_judge(server, concurrency: int = 8) -> Judge:
    config = OpenAICompatConfig(server.url, "judge", backoff_s=0.001, concurrency=concurrency)
    return Judge(OpenAICompatBackend(config))


def score(suite, rows, judge=None, profile="vlmevalkit", concurrency=1, **options):
    ctx = Context(judge or Judge(), profile, concurrency, **options)
    return SUITES.get(suite).score(rows, ctx)


def test_mmvet_official_averages_five_runs_on_the_first_token():
    rows = [{"index": "1", "question": "q1", "answer": "cat", "prediction": "a cat",
             "category": "rec"},
            {"index": "2", "question": "q2", "answer": "7", "prediction": "8",
             "category": "math"}]  # fmt: skip
    per_run = {"q1": ["1.0 yes", "0.8", "1.0", "0.6", "1.0"], "q2": ["0.0", "0.0", "0.0", "0.2"]}
    retried = []

    def reply(body):
        text = last_text(body)
        key = "q1" if "| q1 |" in text else "q2"
        if key == "q2" and not text.endswith(MMVET_RETRY_SUFFIX) and len(per_run["q2"]) == 2:
            retried.append(body["temperature"])
            return "zero"  # unparsable: the official retry appends the digit request
        return per_run[key].pop(0)

    with FakeOpenAI(reply) as server:
        records, scores = score("mmvet", rows, http_judge(server), "official")
    assert retried == [0.0]
    assert records[0]["runs"] == [1.0, 0.8, 1.0, 0.6, 1.0]  # "1.0 yes": first token parses
    assert records[1]["runs"] == [0.0, 0.0, 0.0, 0.2, 0.0]  # q2 run 4: retry, then empty -> 0
    totals = [50.0, 40.0, 50.0, 40.0, 50.0]
    assert scores["runs"] == pytest.approx(totals)
    assert scores["overall"] == pytest.approx(46.0)
    assert scores["std"] == pytest.approx((sum((t - 46) ** 2 for t in totals) / 5) ** 0.5)
    assert scores["categories"] == pytest.approx({"math": 4.0, "rec": 88.0})


def test_judge_loop_runs_items_concurrently_within_the_limit():
    rows = [{"index": str(i), "question": "What?", **OPTS, "answer": "A",
             "prediction": "no idea at all"} for i in range(8)]  # fmt: skip
    with FakeOpenAI(lambda body: "A", delay_s=0.2) as server:
        records, _ = score("mmstar", rows, http_judge(server, concurrency=8), concurrency=4)
    assert all(r["decided_by"] == "judge" and r["hit"] for r in records)
    assert 1 < server.max_in_flight <= 4


def mmvp_rows(n_pairs: int) -> list[dict]:
    rows = []
    for i in range(2 * n_pairs):
        answer = "A" if i % 2 == 0 else "B"
        rows.append({"index": str(i + 1), "question": f"q{i // 2}", "A": "yes", "B": "no",
                     "answer": answer, "prediction": answer})  # fmt: skip
    return rows


def test_mmvp_ground_truth_corrections_swap_the_two_disputed_pairs():
    rows = mmvp_rows(150)  # the model agrees with the original labels everywhere
    _, original = score("mmvp", rows)
    assert original["overall"] == 100.0 and original["gt_corrected"] is False
    _, corrected = score("mmvp", rows, mmvp_corrected=True)
    # MMVP Index 99/100 and 279/280 (1-based) swap their answers: 2 pairs, 4 questions now wrong.
    assert corrected["overall"] == pytest.approx(100 * 148 / 150)
    assert corrected["per_question"] == pytest.approx(100 * 296 / 300)
    assert corrected["gt_corrected"] is True


def test_ai2d_lmms_eval_takes_a_leading_letter_and_exact_match():
    predictions = ["B", "b.", "B. dog", "The answer is B", "dog", " (B)"]
    rows = [{"index": str(i), "question": "What?", **OPTS, "answer": "B", "prediction": p}
            for i, p in enumerate(predictions)]  # fmt: skip
    records, scores = score("ai2d", rows, profile="lmms_eval")
    assert [r["hit"] for r in records] == [True, True, True, False, False, True]
    assert scores["overall"] == pytest.approx(400 / 6)
    _, vlmevalkit = score("ai2d", rows)
    # VLMEvalKit: "dog" counts through the option text, "The answer is B" through the letter;
    # the lower-case "b." is no option letter there.
    assert vlmevalkit["overall"] == pytest.approx(500 / 6)
