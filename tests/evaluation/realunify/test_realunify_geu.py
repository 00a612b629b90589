"""RealUnify GEU end to end with the tiny checkpoint: the model answers each evaluation_prompt
with its input image(s) (GEU_step: after editing the image), responses are recorded and resumed,
and a recorded responses file scores alone. The files imitate the official GEU_direct.json /
GEU_step.json layout (the real data are not redistributable)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from model_chat import ask
from PIL import Image

import evaluation.generation
from evaluation.generation import fit_pixels
from evaluation.realunify.__main__ import main
from evaluation.realunify.geu import extract_choice, load_questions
from evaluation.realunify.geu_run import merge_rank_parts, read_responses
from models.mammoth2 import Mammoth2

OPTIONS = ["left", "right", "up", "down"]
REPO = Path(__file__).resolve().parents[3]
TIMEOUT_S = 240


def geu_item(index: int, task: str, answer: str, image: str | list[str], **extra) -> dict:
    """One item with the fields of the official files."""
    question = f"Where does arrow {index} point after two turns?"
    prompt = question + "".join(f"\n{k}. {v}" for k, v in zip("ABCD", OPTIONS, strict=True))
    return {"index": index, "task_type": task, "question": question, "option": OPTIONS,
            "evaluation_prompt": prompt + "\nAnswer with the option's letter.",
            "input_image": image, "answer": answer, **extra}  # fmt: skip


def write_image(root: Path, rel: str, seed: int) -> Image.Image:
    """A noise image at ``root/rel`` (noise, so the tiny model's answer depends on it)."""
    pixels = np.random.default_rng(seed).integers(0, 256, (24, 24, 3), dtype=np.uint8)
    image = Image.fromarray(pixels)
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    image.save(path)
    return image


def dataset(tmp_path: Path, items: list[dict], name: str = "GEU_direct.json") -> Path:
    """The data file at the dataset root, beside its image/ tree, images written from the items."""
    root = tmp_path / "RealUnify"
    for i, item in enumerate(items):
        rels = item["input_image"]
        for j, rel in enumerate([rels] if isinstance(rels, str) else rels):
            write_image(root, rel, seed=10 * i + j)
    root.mkdir(exist_ok=True)
    (root / name).write_text(json.dumps(items))
    return root / name


def lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def rgb(path: Path) -> Image.Image:
    return Image.open(path).convert("RGB")


DIRECT = [
    geu_item(0, "mental_tracking", "B", "./image/mental_tracking/rotation/images/img_0.png"),
    geu_item(1, "mental_tracking", "C", "./image/mental_tracking/rotation/images/img_1.png"),
    geu_item(2, "attentional_focusing", "A", ["./image/attentional_focusing/a/images/img_2.png",
                                              "./image/attentional_focusing/a/images/img_3.png"]),
]  # fmt: skip


def argv(ckpt, data: Path, out: Path, *extra: str) -> list[str]:
    head = [str(ckpt)] if ckpt else []
    return [*head, "--suite", "geu", "--data", str(data), "--out", str(out), "--run", "r",
            "--max-new-tokens", "6", "--no-progress", *extra]  # fmt: skip


def test_direct_asks_each_question_with_its_images_and_scores(tiny_ckpt, tmp_path):
    data = dataset(tmp_path, DIRECT)
    assert main(argv(tiny_ckpt, data, tmp_path / "res")) == 0

    model = Mammoth2.from_pretrained(tiny_ckpt)
    root = data.parent
    expected = []
    for item in DIRECT:
        rels = item["input_image"]
        images = [rgb(root / r) for r in ([rels] if isinstance(rels, str) else rels)]
        expected.append(ask(model, images, item["evaluation_prompt"], 6))
    # The check can fail: the tiny model's answer depends on the image it is shown.
    assert expected[0] != ask(model, [], DIRECT[0]["evaluation_prompt"], 6)
    run_dir = tmp_path / "res" / "r" / "realunify_geu"
    assert lines(run_dir / "responses.jsonl") == [
        {"key": str(i), "response": r} for i, r in enumerate(expected)
    ]
    records = pl.read_parquet(run_dir / "records.parquet")
    assert records["response"].to_list() == expected
    assert records["question"].to_list() == [item["evaluation_prompt"] for item in DIRECT]
    hits = [extract_choice(r) == item["answer"] for r, item in zip(expected, DIRECT, strict=True)]
    assert records["score"].to_list() == [int(h) for h in hits]
    scores = json.loads((run_dir / "scores.json").read_text())
    assert list(scores["categories"]) == ["mental_tracking", "attentional_focusing"]
    assert scores["overall"] == pytest.approx(100 * sum(hits) / 200)
    assert scores["variant"] == "direct"
    run = json.loads((run_dir / "run.json").read_text())
    assert run["benchmark"] == "realunify_geu" and run["checkpoint"] == str(tiny_ckpt)


def test_rerun_asks_only_unanswered_items_and_a_finished_run_loads_no_model(
    tiny_ckpt, tmp_path, monkeypatch
):
    data = dataset(tmp_path, DIRECT[:2])
    run_dir = tmp_path / "res" / "r" / "realunify_geu"
    run_dir.mkdir(parents=True)
    # A killed run that had answered item 0 (an answer the model would never give).
    (run_dir / "responses.jsonl").write_text('{"key": "0", "response": "The answer is B"}\n')
    asked = []
    chat = Mammoth2.chat

    def counting_chat(self, messages, max_new_tokens=128):
        asked.append(messages[0]["content"][-1]["text"])
        return chat(self, messages, max_new_tokens)

    monkeypatch.setattr(Mammoth2, "chat", counting_chat)
    assert main(argv(tiny_ckpt, data, tmp_path / "res")) == 0
    assert asked == [DIRECT[1]["evaluation_prompt"]]
    recorded = lines(run_dir / "responses.jsonl")
    assert [r["key"] for r in recorded] == ["0", "1"]
    assert recorded[0]["response"] == "The answer is B"
    scores = json.loads((run_dir / "scores.json").read_text())
    hit = extract_choice(recorded[1]["response"]) == DIRECT[1]["answer"]
    assert scores["categories"] == {"mental_tracking": 1.0 + hit}  # item 0 kept its answer

    def no_model(*args, **kwargs):
        raise AssertionError("a finished run loaded the model")

    monkeypatch.setattr(evaluation.generation, "load_model", no_model)
    assert main(argv(tiny_ckpt, data, tmp_path / "res")) == 0
    assert len(asked) == 1 and len(lines(run_dir / "responses.jsonl")) == 2


def test_step_edits_the_input_image_then_answers_looking_at_the_edit(tiny_ckpt, tmp_path):
    items = [
        geu_item(0, "mental_reconstruction", "A", "./image/mr/images/img_0.png",
                 edit_prompt="Restore the image that has been shuffled by patches."),
        geu_item(1, "mental_tracking", "D", "./image/mt/images/img_1.png",
                 edit_prompt="Rotate the arrow by 90 degrees twice."),
    ]  # fmt: skip
    data = dataset(tmp_path, items, "GEU_step.json")
    extra = ("--steps", "1", "--resolution", "16", "--seed", "5")
    assert main(argv(tiny_ckpt, data, tmp_path / "res", *extra)) == 0

    model = Mammoth2.from_pretrained(tiny_ckpt)
    run_dir = tmp_path / "res" / "r" / "realunify_geu_step"
    expected = []
    for i, item in enumerate(items):
        source = fit_pixels(rgb(data.parent / item["input_image"]), 16 * 16)
        [edit] = model.edit([source], [item["edit_prompt"]], num_steps=1, seed=5 + i)
        kept = rgb(run_dir / "outputs" / f"{i}.png")
        assert kept.size == (16, 16) and kept.tobytes() == edit.convert("RGB").tobytes()
        expected.append(ask(model, [edit], item["evaluation_prompt"], 6))
        if i == 0:  # the check can fail: the answer depends on which image the model sees
            assert expected[0] != ask(model, [source], item["evaluation_prompt"], 6)
    assert [r["response"] for r in lines(run_dir / "responses.jsonl")] == expected
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["variant"] == "step"
    records = pl.read_parquet(run_dir / "records.parquet")
    edits = [str(run_dir / "outputs" / f"{i}.png") for i in (0, 1)]
    assert records["edit_image"].to_list() == edits


def test_score_only_from_recorded_responses(tmp_path):
    data = tmp_path / "GEU_direct.json"  # no images: scoring needs none
    data.write_text(json.dumps([geu_item(i, "mental_tracking", a, f"img_{i}.png")
                                for i, a in enumerate("BAC")]))  # fmt: skip
    records = tmp_path / "responses.jsonl"
    records.write_text(
        '{"key": "0", "response": "Answer: B"}\n'
        '{"key": "1", "response": "C"}\n'
        '{"key": "1", "response": "The answer is A"}\n'  # a later line replaces an earlier one
    )  # item 2 has no response
    for stage in ("score", "all"):  # no checkpoint: nothing is generated with --records
        out = tmp_path / stage
        assert main(argv(None, data, out, "--stage", stage, "--records", str(records))) == 0
        run_dir = out / "r" / "realunify_geu"
        scores = json.loads((run_dir / "scores.json").read_text())
        assert scores["categories"] == {"mental_tracking": 2.0} and scores["overall"] == 2.0
        assert scores["counts"] == {"correct": 2, "no_response": 1}
        rows = pl.read_parquet(run_dir / "records.parquet")
        assert rows["status"].to_list() == ["correct", "correct", "no_response"]
        assert rows["extracted"].to_list() == ["B", "A", ""]
        run = json.loads((run_dir / "run.json").read_text())
        assert run["judge"]["responses"] == str(records) and run["checkpoint"] is None


def test_rank_parts_merge_into_one_records_file(tmp_path):
    (tmp_path / "responses.jsonl").write_text('{"key": "0", "response": "A"}\n')
    (tmp_path / "responses.rank0.jsonl").write_text('{"key": "2", "response": "C"}\n')
    (tmp_path / "responses.rank1.jsonl").write_text(
        '{"key": "1", "response": null}\n{"key": "0", "response": "B"}\n'
    )
    merge_rank_parts(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["responses.jsonl"]
    assert read_responses([tmp_path / "responses.jsonl"]) == {"0": "B", "2": "C", "1": None}


def test_bad_input_names_the_file_and_item(tiny_ckpt, tmp_path, capsys):
    def error(data: Path, *extra: str) -> str:
        assert main(argv(tiny_ckpt, data, tmp_path / "res", *extra)) == 2
        return capsys.readouterr().err

    no_prompt = geu_item(7, "mental_tracking", "A", "./image/mt/img_7.png")
    del no_prompt["evaluation_prompt"]
    data = dataset(tmp_path, [DIRECT[0], no_prompt])
    assert f"{data}: item 7: missing field 'evaluation_prompt'" in error(data)
    (data.parent / no_prompt["input_image"]).unlink()
    no_prompt["evaluation_prompt"] = "Which?"
    data.write_text(json.dumps([DIRECT[0], no_prompt]))
    assert "item 7: input image not found" in error(data)
    data.write_text(json.dumps([DIRECT[0], {**DIRECT[1], "edit_prompt": "Rotate."}]))
    assert "some items have edit_prompt and some not" in error(data)
    data.write_text(json.dumps([{**DIRECT[0], "response": "A"}, DIRECT[1]]))
    assert f"{data}: item 1: missing field 'response' (other items carry one)" in error(data)
    data.write_text(json.dumps([{**item, "response": "A"} for item in DIRECT[:2]]))
    assert "already carry responses: nothing to generate" in error(data, "--stage", "generate")
    data.write_text(json.dumps([{"task_type": "mental_tracking", "answer": "A"}]))
    assert f"{data}: item 0: missing field 'evaluation_prompt'" in error(data)


def test_repeated_indices_key_items_by_task_type(tmp_path):
    data = tmp_path / "GEU_direct.json"
    data.write_text(json.dumps([geu_item(0, "mental_tracking", "A", "a.png"),
                                geu_item(0, "attentional_focusing", "B", "b.png"),
                                geu_item(1, "mental_tracking", "C", "c.png")]))  # fmt: skip
    items = load_questions(data)
    assert [i.key for i in items] == ["mental_tracking_0", "attentional_focusing_0",
                                      "mental_tracking_1"]  # fmt: skip
    assert items[1].images == ("b.png",) and items[1].prompt.startswith("Where does arrow 0")


@pytest.mark.slow  # torchrun
def test_torchrun_ranks_ask_their_share_and_rank0_merges_after_all(tiny_ckpt, tmp_path):
    data = dataset(tmp_path, DIRECT)
    run_dir = tmp_path / "res" / tiny_ckpt.name / "realunify_geu"
    run_dir.mkdir(parents=True)
    # Rank 0's share (items 0 and 2) is answered: it reaches the barrier at once while rank 1
    # loads the model and asks item 1; rank 0 must merge and score only after that.
    (run_dir / "responses.jsonl").write_text(
        '{"key": "0", "response": "B"}\n{"key": "2", "response": "A"}\n'
    )
    # No --run: torchrun's own parser would take it for its --run-path.
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
           "-m", "evaluation.realunify", str(tiny_ckpt), "--suite", "geu", "--data", str(data),
           "--out", str(tmp_path / "res"), "--max-new-tokens", "6", "--no-progress"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert done.returncode == 0, done.stderr[-2000:]
    assert sorted(p.name for p in run_dir.glob("responses*")) == ["responses.jsonl"]
    recorded = lines(run_dir / "responses.jsonl")
    assert [r["key"] for r in recorded] == ["0", "2", "1"]
    hit = extract_choice(recorded[2]["response"]) == DIRECT[1]["answer"]
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["categories"] == {"mental_tracking": 1.0 + hit, "attentional_focusing": 1.0}
