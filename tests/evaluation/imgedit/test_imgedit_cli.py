"""ImgEdit end to end: judge over loopback HTTP with the official request layout, resume, replay."""

from __future__ import annotations

import hashlib
import json

import polars as pl
from fake_openai_server import FakeOpenAI
from imgedit_layout import assert_official_request, request_content, write_edits, write_sources

from evaluation.imgedit.__main__ import main
from evaluation.imgedit.data import BASIC_PROMPTS

REPLY = (
    "Brief reasoning: fine.\nPrompt Compliance: 4\nVisual Naturalness: 3\n"
    "Physical & Detail Integrity: 3"
)
ITEMS = {
    "1": {"id": "animal/a.jpg", "prompt": "Add a hat.", "edit_type": "add"},
    "2": {"id": "animal/b.jpg", "prompt": "Remove the cup.", "edit_type": "remove"},
    "3": {"id": "animal/c.jpg", "prompt": "Make it blue.", "edit_type": "adjust"},
}


def setup(tmp_path):
    (tmp_path / "basic_edit.json").write_text(json.dumps(ITEMS))
    write_sources(tmp_path / "src", ITEMS)
    outputs = tmp_path / "results" / "run" / "imgedit" / "outputs"
    write_edits(outputs, ("1", "2"))  # item 3 has no edited image
    return [
        "--stage", "score", "--data", str(tmp_path / "basic_edit.json"),
        "--images", str(tmp_path / "src"), "--out", str(tmp_path / "results"), "--run", "run",
        "--no-progress",
    ]  # fmt: skip


def test_judge_score_resume_and_replay(tmp_path):
    argv = setup(tmp_path)
    with FakeOpenAI(lambda body: REPLY) as server:
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        assert len(server.requests) == 2
        content = request_content(server.requests, "Add a hat.")
        assert "<edit_prompt>" not in content[0]["text"]
        original = (tmp_path / "src" / "animal" / "a.jpg").read_bytes()
        edited = (tmp_path / "results" / "run" / "imgedit" / "outputs" / "1.png").read_bytes()
        assert_official_request(content, original, edited)
        # Rerun: every item is recorded, nothing is asked again.
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        assert len(server.requests) == 2
    run_dir = tmp_path / "results" / "run" / "imgedit"
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["categories"] == {"Add": 3.33, "Remove": 3.33}
    assert scores["counts"] == {"scored": 2, "judge_error": 1}
    judge = json.loads((run_dir / "run.json").read_text())["judge"]
    assert judge["model"] == "gpt-4.1"
    official = BASIC_PROMPTS.bundled
    assert judge["prompts"]["sha256"] == hashlib.sha256(official.read_bytes()).hexdigest()
    assert judge["prompts"]["wording"].startswith("official")
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
