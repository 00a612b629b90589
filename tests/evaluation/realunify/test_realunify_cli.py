"""RealUnify end to end over a loopback judge: official question text, re-asking empty replies."""

from __future__ import annotations

import json

from fake_openai_server import FakeOpenAI, last_text
from PIL import Image

from evaluation.realunify.__main__ import main


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
    assert scores["categories"] == {"world_knowledge": 0.01, "code_to_image": 0.01}
    assert scores["overall"] == 2 / 600 and scores["counts"] == {"correct": 2, "no_image": 1}
