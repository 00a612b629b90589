"""All ten suites end to end: synthetic TSVs -> predict (served model over loopback) -> score,
then rescoring the prediction files alone with the rule-only judge."""

from __future__ import annotations

import json

import pytest
from fake_openai_server import FakeOpenAI, last_text
from synthetic_tsv import correct_answer, write_all

from evaluation.understanding import ALL_SUITES
from evaluation.understanding.__main__ import main
from evaluation.understanding.tsv import read_tsv

EXPECTED = {
    "mmbench": 100.0, "mmstar": 100.0, "ai2d": 100.0, "mmvp": 100.0, "mmmu": 100.0,
    "mme": 200.0, "hallusionbench": 100.0, "ocrbench": 1, "mathvista": 100.0, "mmvet": 100.0,
}  # fmt: skip


@pytest.fixture
def data(tmp_path):
    return tmp_path / "LMUData", write_all(tmp_path / "LMUData")


def perfect_model(suites):
    answers = {}
    for rows in suites.values():
        for row in rows:
            answers[row["question"]] = correct_answer(row)

    def reply(body):
        text = last_text(body)
        if "Just complete the last space" in text:  # the MM-Vet grader
            return "1.0"
        for question, answer in answers.items():
            if question in text:
                images = [p for p in body["messages"][0]["content"] if p["type"] == "image_url"]
                assert images, "every item is sent with its image(s)"
                return answer
        return "unknown question"

    return reply


def test_predict_and_score_all_suites(data, tmp_path):
    folder, suites = data
    out = tmp_path / "results"
    with FakeOpenAI(perfect_model(suites)) as server:
        argv = ["--model", f"openai:{server.url}:served", "--data", str(folder), "--out", str(out)]
        assert (
            main([*argv, "--run", "r", "--judge", f"openai:{server.url}:judge", "--no-progress"])
            == 0
        )
        n_requests = len(server.requests)
        # Resume: every prediction exists, only the MM-Vet grader would be asked (and it is cached).
        assert (
            main([*argv, "--run", "r", "--judge", f"openai:{server.url}:judge", "--no-progress"])
            == 0
        )
        assert len(server.requests) == n_requests
    for suite in ALL_SUITES:
        scores = json.loads((out / "r" / suite / "scores.json").read_text())
        assert scores["overall"] == EXPECTED[suite], suite
        run = json.loads((out / "r" / suite / "run.json").read_text())
        assert run["data"]["model"]["model"] == "served" and run["judge"]["model"] == "judge"
        assert run["settings"]["prompt_template"] == "vlmevalkit-default"
    predictions = read_tsv(out / "r" / "mmbench" / "predictions.tsv")
    assert (
        len(predictions) == 8 and "image" not in predictions[0] and "prediction" in predictions[0]
    )
    mmmu = [r for r in server.requests if "open?" in last_text(r)][0]
    assert sum(p["type"] == "image_url" for p in mmmu["messages"][0]["content"]) == 2


def test_rescore_prediction_files_alone(data, tmp_path):
    folder, suites = data
    out = tmp_path / "results"
    with FakeOpenAI(perfect_model(suites)) as server:
        argv = ["--model", f"openai:{server.url}:served", "--data", str(folder), "--out", str(out)]
        assert main([*argv, "--run", "r", "--stage", "predict", "--no-progress"]) == 0
    for suite in ALL_SUITES:
        preds = out / "r" / suite / "predictions.tsv"
        argv = [
            "--stage",
            "score",
            "--predictions",
            str(preds),
            "--out",
            str(out),
            "--run",
            "again",
        ]
        assert main([*argv, "--suite", suite]) == 0
        scores = json.loads((out / "again" / suite / "scores.json").read_text())
        expected = None if suite == "mmvet" else EXPECTED[suite]  # MM-Vet needs a judge
        assert scores["overall"] == expected, suite
        assert scores["judge"] == {"backend": "rule_only"} and scores["judge_share"] == 0.0


def test_one_suite_module_and_errors(data, tmp_path, capsys):
    folder, _ = data
    assert main(["--stage", "score", "--suite", "mmbnech", "--data", str(folder)]) == 2
    assert "did you mean 'mmbench'" in capsys.readouterr().err
    assert main(["--stage", "score", "--suite", "mme", "--data", str(tmp_path / "none")]) == 2
    assert "none: VLMEvalKit TSV files" in capsys.readouterr().err
    assert main(["--stage", "score", "--suite", "mme", "--data", str(tmp_path)]) == 2
    assert "no data file (looked for MME.tsv, mme.tsv)" in capsys.readouterr().err
    assert main(["--suite", "mme", "--data", str(folder), "--out", str(tmp_path / "o")]) == 2
    assert "needs CKPT or --model" in capsys.readouterr().err


def test_suite_module_entry_takes_its_profile(tmp_path):
    """``python -m evaluation.understanding.<suite>`` passes the suite through the error guard."""
    preds = tmp_path / "p.tsv"
    preds.write_text(
        "index\tquestion\tA\tB\tanswer\tl2-category\tprediction\n"
        "1\tWhat?\tcat\tdog\tA\tp\tA\n2\tWhat?\tcat\tdog\tB\tq\tA or B\n",
        encoding="utf-8",
    )
    argv = ["--stage", "score", "--predictions", str(preds), "--out", str(tmp_path / "o")]
    assert main([*argv, "--profile", "lmms_eval"], suite="mmstar") == 0
    scores = json.loads((tmp_path / "o" / "predictions" / "mmstar" / "scores.json").read_text())
    assert scores["profile"] == "lmms_eval" and scores["overall"] == 50.0
    assert main([*argv, "--judge", "bogus:x"], suite="mmstar") == 2  # one-line error, no trace
