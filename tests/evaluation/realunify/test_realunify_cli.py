"""RealUnify end to end over a loopback judge: official question text, re-asking empty replies;
the stepwise variant with a tiny checkpoint; GEU scoring of recorded responses."""

from __future__ import annotations

import json

import polars as pl
from fake_openai_server import FakeOpenAI, last_text
from PIL import Image

from evaluation.realunify.__main__ import main
from models.mammoth2 import Mammoth2


def ueg(task, prompt, *qa):
    return {"task_type": task, "prompt": prompt,
            "question_list": [{"question": q, "answer": a} for q, a in qa]}  # fmt: skip


def test_judge_and_score(tmp_path):
    items = [
        ueg("world_knowledge", "p0", ("Is there a red apple?", "yes"), ("Is it a pear?", "no")),
        ueg("code_to_image", "p1", ("Is there a plot?", "yes")),
        ueg("code_to_image", "p2", ("Is there a bar?", "yes")),  # no image generated
    ]
    data = tmp_path / "UEG_direct.json"
    data.write_text(json.dumps(items))
    outputs = tmp_path / "res" / "r" / "realunify" / "outputs"
    outputs.mkdir(parents=True)
    for key in ("0", "1"):
        Image.new("RGB", (8, 8)).save(outputs / f"{key}.png")
    empty_once = {"Is there a plot?": 1}

    def reply(body):
        text = last_text(body)
        for q, n in empty_once.items():
            if q in text and n:
                empty_once[q] -= 1
                return ""
        return "Yes." if "apple" in text or "plot" in text else "I do not think so"

    argv = ["--stage", "score", "--data", str(data), "--out", str(tmp_path / "res"), "--run", "r"]
    with FakeOpenAI(reply) as server:
        assert main([*argv, "--judge", f"openai:{server.url}:judge", "--no-progress"]) == 0
        texts = [last_text(r) for r in server.requests]
    assert (
        texts.count(
            "Please answer the following question based on the image:\nQuestion: Is there a plot?"
            "\n\nYou should only reply yes or no, and do not provide any other extra content."
        )
        == 2
    )  # the empty reply was asked again
    scores = json.loads((tmp_path / "res" / "r" / "realunify" / "scores.json").read_text())
    assert scores["categories"] == {"world_knowledge": 1.0, "code_to_image": 1.0}  # %
    assert scores["overall"] == 100 * 2 / 600 and scores["counts"] == {"correct": 2, "no_image": 1}
    assert scores["variant"] == "direct"


def test_stepwise_variant_draws_from_the_models_own_answer(tiny_ckpt, tmp_path):
    item = ueg("logical_reasoning", "p", ("Is there a cat?", "yes"))
    item["new_prompt"] = "Rewrite as a drawing prompt: a cat"
    data = tmp_path / "UEG_step.json"
    data.write_text(json.dumps([item]))
    argv = [str(tiny_ckpt), "--data", str(data), "--out", str(tmp_path / "res"), "--run", "r",
            "--steps", "1", "--resolution", "16", "--max-new-tokens", "6", "--seed", "3",
            "--no-progress"]  # fmt: skip
    with FakeOpenAI(lambda body: "yes") as server:
        assert main([*argv, "--judge", f"openai:{server.url}:judge"]) == 0
    run_dir = tmp_path / "res" / "r" / "realunify_step"
    model = Mammoth2.from_pretrained(tiny_ckpt)
    message = {"role": "user", "content": [{"type": "text", "text": item["new_prompt"]}]}
    response = model.chat([message], max_new_tokens=6)
    assert (run_dir / "responses" / "0.txt").read_text() == response
    [expected] = model.generate_images([response], height=16, width=16, num_steps=1, seed=3)
    drawn = Image.open(run_dir / "outputs" / "0.png")
    assert drawn.convert("RGB").tobytes() == expected.convert("RGB").tobytes()
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["variant"] == "step" and scores["overall"] == 100 / 600
    assert pl.read_parquet(run_dir / "records.parquet")["response"].to_list() == [response]

    kept = "a cat\r\non a mat\r"  # byte tokenizers answer any bytes; none may be translated
    (run_dir / "responses" / "0.txt").write_bytes(kept.encode("utf-8"))
    with FakeOpenAI(lambda body: "yes") as server:
        assert main([*argv, "--stage", "score", "--judge", f"openai:{server.url}:judge"]) == 0
    assert pl.read_parquet(run_dir / "records.parquet")["response"].to_list() == [kept]


def test_geu_scores_recorded_responses(tmp_path):
    records = [{"task_type": "mental_reconstruction", "answer": "B", "response": "Answer: B"},
               {"task_type": "mental_reconstruction", "answer": "A", "response": "C"}]  # fmt: skip
    data = tmp_path / "GEU_direct.json"
    data.write_text(json.dumps(records))
    assert main(["--suite", "geu", "--data", str(data), "--out", str(tmp_path), "--run", "r"]) == 0
    scores = json.loads((tmp_path / "r" / "realunify_geu" / "scores.json").read_text())
    assert scores["categories"] == {"mental_reconstruction": 1.0} and scores["overall"] == 1.0
    assert main(["--suite", "geu", "--stage", "generate", "--data", str(data)]) == 2
