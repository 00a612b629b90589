"""ImgEdit UGE through the CLI: one fixed judge prompt (our wording, recorded in run.json), the
official request layout over loopback HTTP, one suite-wide score (spec 3.5), resume, recorded
replies, and the generate stage into the suite's own results folder."""

from __future__ import annotations

import hashlib
import json

from fake_openai_server import FakeOpenAI, last_text
from imgedit_layout import assert_official_request, official_subset, request_content, write_edits

from evaluation.imgedit.__main__ import main
from evaluation.imgedit.data import UGE_ITEMS, UGE_PROMPT
from evaluation.imgedit.scorer import parse_reply

KEYS = ("1", "2", "3", "5", "6")  # items of the official UGE_edit.json
# Item 5's "4." is not parsed (spec 3.5); item 6 has no edited image.
SCORES = {"1": "5", "2": "4", "3": "4", "5": "4."}


def uge_subset(tmp_path, keys=KEYS):
    return official_subset(tmp_path, UGE_ITEMS.bundled, keys)


def uge_argv(tmp_path):
    return [
        "--suite", "uge", "--data", str(tmp_path / "items.json"), "--images",
        str(tmp_path / "Benchmark"), "--out", str(tmp_path / "res"), "--run", "r", "--no-progress",
    ]  # fmt: skip


def judge_by_instruction(replies: dict[str, str]):
    """A fake judge's reply function: the reply of the instruction the prompt holds."""
    return lambda body: next(r for p, r in replies.items() if p in last_text(body))


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_our_prompt_asks_for_a_line_the_official_parser_reads():
    template = json.loads(UGE_PROMPT.read_text())["prompt"]
    assert template.count("<edit_prompt>") == 1
    assert "\nBrief reasoning: <" in template and "\nOverall Score: <" in template
    assert parse_reply("Brief reasoning: the hat fits.\nOverall Score: 3") == ([3], [])


def test_uge_judge_score_and_resume(tmp_path):
    subset = uge_subset(tmp_path)
    run_dir = tmp_path / "res" / "r" / "imgedit_uge"
    write_edits(run_dir / "outputs", KEYS[:-1])
    replies = {
        subset[k]["prompt"]: f"Brief reasoning: looks right.\nOverall Score: {s}"
        for k, s in SCORES.items()
    }
    argv = [*uge_argv(tmp_path), "--stage", "score"]
    with FakeOpenAI(judge_by_instruction(replies)) as server:
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        assert len(server.requests) == 4  # no request for the item without an edited image
        template = json.loads(UGE_PROMPT.read_text())["prompt"]
        for key in SCORES:
            instruction = subset[key]["prompt"]
            content = request_content(server.requests, instruction)
            assert content[0]["text"] == template.replace("<edit_prompt>", instruction)
            source = (tmp_path / "Benchmark" / subset[key]["id"]).read_bytes()
            edited = (run_dir / "outputs" / f"{key}.png").read_bytes()
            assert_official_request(content, source, edited)
        # Rerun: every item is recorded, nothing is asked again.
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        assert len(server.requests) == 4
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["overall"] == 4.33  # round((5 + 4 + 4) / 3, 2); item 5 omitted, not zero
    assert scores["categories"] == {}
    assert scores["counts"] == {"scored": 3, "unparsed": 1, "judge_error": 1}
    run = json.loads((run_dir / "run.json").read_text())
    assert run["benchmark"] == "imgedit_uge" and run["settings"]["suite"] == "uge"
    prompts = run["judge"]["prompts"]
    assert prompts["path"] == str(UGE_PROMPT) and prompts["sha256"] == sha256(UGE_PROMPT)
    assert prompts["wording"].startswith("ours") and "not the official" in prompts["wording"]
    assert not (tmp_path / "res" / "r" / "imgedit").exists()  # the basic suite's folder


def test_uge_prompt_given_with_prompts_option(tmp_path, capsys):
    subset = uge_subset(tmp_path, keys=("2",))
    write_edits(tmp_path / "res" / "r" / "imgedit_uge" / "outputs", ["2"])
    custom = tmp_path / "my_uge_prompt.json"
    custom.write_text(json.dumps({"note": "mine", "prompt": "Rate this edit: <edit_prompt>"}))
    argv = [*uge_argv(tmp_path), "--stage", "score", "--prompts", str(custom)]
    with FakeOpenAI(lambda body: "Overall Score: 2") as server:
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        [request] = server.requests
    assert last_text(request) == "Rate this edit: " + subset["2"]["prompt"]
    run_dir = tmp_path / "res" / "r" / "imgedit_uge"
    run = json.loads((run_dir / "run.json").read_text())
    assert run["judge"]["prompts"] == {
        "path": str(custom),
        "sha256": sha256(custom),
        "wording": "given with --prompts",
    }
    assert json.loads((run_dir / "scores.json").read_text())["overall"] == 2.0
    custom.write_text(json.dumps({"prompt": "Rate this edit."}))
    assert main([*argv, "--judge", "replay:none.jsonl"]) == 2
    assert "lacks <edit_prompt>" in capsys.readouterr().err


def test_uge_records_only_with_the_official_items(tmp_path):
    records = tmp_path / "judgements.jsonl"
    lines = [
        {"key": "1", "reply": "Brief reasoning: fine.\nOverall Score: 3"},
        {"key": "47", "reply": "Overall Score: 2"},
        {"key": "2", "reply": "Brief reasoning: fine. Score: 2."},  # not parsed (spec 3.5)
    ]
    records.write_text("".join(json.dumps(line) + "\n" for line in lines))
    argv = ["--suite", "uge", "--stage", "score", "--records", str(records), "--out", str(tmp_path)]
    assert main(argv) == 0
    run_dir = tmp_path / "records" / "imgedit_uge"
    scores = json.loads((run_dir / "scores.json").read_text())
    assert scores["overall"] == 2.5  # round((3 + 2) / 2, 2)
    assert scores["counts"] == {"scored": 2, "unparsed": 1, "missing": 44}  # 47 official items
    run = json.loads((run_dir / "run.json").read_text())
    official = UGE_ITEMS.bundled
    assert run["data"]["sha256"] == sha256(official)
    assert run["judge"] == {"records": str(records)}


def test_uge_generate_then_judge(tiny_ckpt, tmp_path):
    subset = uge_subset(tmp_path, keys=("3", "6"))
    argv = [str(tiny_ckpt), *uge_argv(tmp_path), "--steps", "1", "--resolution", "16"]
    replies = {subset["3"]["prompt"]: "Overall Score: 3", subset["6"]["prompt"]: "Overall Score: 4"}
    with FakeOpenAI(judge_by_instruction(replies)) as server:
        assert main([*argv, "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        requests = server.requests
    outputs = tmp_path / "res" / "r" / "imgedit_uge" / "outputs"
    assert sorted(p.name for p in outputs.iterdir()) == ["3.png", "6.png"]
    for key in ("3", "6"):
        source = (tmp_path / "Benchmark" / subset[key]["id"]).read_bytes()
        edited = (outputs / f"{key}.png").read_bytes()
        assert_official_request(request_content(requests, subset[key]["prompt"]), source, edited)
    scores = json.loads((outputs.parent / "scores.json").read_text())
    assert scores["overall"] == 3.5 and scores["counts"] == {"scored": 2}
