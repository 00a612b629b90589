"""ImgEdit end to end: judge over loopback HTTP with the official request layout, resume, replay."""

from __future__ import annotations

import base64
import json

import polars as pl
from fake_openai_server import FakeOpenAI
from PIL import Image

from evaluation.imgedit.__main__ import main

REPLY = (
    "Brief reasoning: fine.\nPrompt Compliance: 4\nVisual Naturalness: 3\n"
    "Physical & Detail Integrity: 3"
)


def setup(tmp_path, benchmarks):
    items = {
        "1": {"id": "animal/a.jpg", "prompt": "Add a hat.", "edit_type": "add"},
        "2": {"id": "animal/b.jpg", "prompt": "Remove the cup.", "edit_type": "remove"},
        "3": {"id": "animal/c.jpg", "prompt": "Make it blue.", "edit_type": "adjust"},
    }
    (tmp_path / "basic_edit.json").write_text(json.dumps(items))
    (tmp_path / "src" / "animal").mkdir(parents=True)
    for name in "abc":
        Image.new("RGB", (8, 8), (10, 20, 30)).save(tmp_path / "src" / "animal" / f"{name}.jpg")
    outputs = tmp_path / "results" / "run" / "imgedit" / "outputs"
    outputs.mkdir(parents=True)
    for key in ("1", "2"):  # item 3 has no edited image
        Image.new("RGB", (8, 8), (200, 0, 0)).save(outputs / f"{key}.png")
    return [
        "--stage", "score", "--data", str(tmp_path / "basic_edit.json"),
        "--images", str(tmp_path / "src"), "--out", str(tmp_path / "results"), "--run", "run",
        "--no-progress",
    ]  # fmt: skip


def test_judge_score_resume_and_replay(tmp_path, benchmarks):
    argv = setup(tmp_path, benchmarks)
    with FakeOpenAI(lambda body: REPLY) as server:
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        assert len(server.requests) == 2
        [content] = [
            r["messages"][0]["content"]
            for r in server.requests
            if "Add a hat." in r["messages"][0]["content"][0]["text"]
        ]
        assert [p["type"] for p in content] == ["text", "image_url", "image_url"]
        assert "Add a hat." in content[0]["text"] and "<edit_prompt>" not in content[0]["text"]
        original = (tmp_path / "src" / "animal" / "a.jpg").read_bytes()
        assert (
            content[1]["image_url"]["url"]
            == "data:image/png;base64," + base64.b64encode(original).decode()
        )
        # Rerun: every item is recorded, nothing is asked again.
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        assert len(server.requests) == 2
    run_dir = tmp_path / "results" / "run" / "imgedit"
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["categories"] == {"Add": 3.33, "Remove": 3.33}
    assert scores["counts"] == {"scored": 2, "judge_error": 1}
    assert json.loads((run_dir / "run.json").read_text())["judge"]["model"] == "gpt-4.1"
    assert pl.read_parquet(run_dir / "records.parquet")["status"].to_list()[2] == "judge_error"
    # Replay from the judge cache alone reproduces the replies with no server.
    (run_dir / "judgements.jsonl").unlink()
    assert main([*argv, "--judge", f"replay:{run_dir / 'judge_cache.jsonl'}"]) == 0
    assert json.loads((run_dir / "scores.json").read_text())["categories"]["Add"] == 3.33


def test_records_only_and_generate_needs_source_images(tmp_path, capsys):
    records = tmp_path / "judgements.jsonl"
    records.write_text(json.dumps({"key": "1082", "reply": REPLY}) + "\n")
    assert main(["--stage", "score", "--records", str(records), "--out", str(tmp_path)]) == 0
    scores = json.loads((tmp_path / "records" / "imgedit" / "scores.json").read_text())
    assert scores["categories"] == {"Adjust": 3.33} and scores["counts"]["missing"] == 736
    assert main(["ckpt", "--out", str(tmp_path)]) == 2
    assert "needs --images" in capsys.readouterr().err
