"""ImgEdit generate stage with a tiny Mammoth2 checkpoint on official items: edits in the official
result layout, resumed per item (deterministic seeds), then judged and scored end to end."""

from __future__ import annotations

import json

from fake_openai_server import FakeOpenAI
from imgedit_layout import assert_official_request, official_subset, request_content
from PIL import Image

from evaluation.imgedit.__main__ import main
from evaluation.imgedit.data import BASIC_ITEMS

KEYS = ("1082", "97")  # an `adjust` and an `add` item of the official basic_edit.json
REPLY = "Brief reasoning: ok.\nPrompt Compliance: 4\nVisual Naturalness: 3\nPhysical: 2"
SIZES = {"1082": (24, 20), "97": (12, 12)}


def basic_subset(tmp_path):
    official = BASIC_ITEMS.bundled
    return official_subset(tmp_path, official, KEYS, SIZES)


def test_generate_resume_then_judge_and_score(tiny_ckpt, tmp_path):
    subset = basic_subset(tmp_path)
    argv = [str(tiny_ckpt), "--data", str(tmp_path / "items.json"), "--images",
            str(tmp_path / "Benchmark"), "--out", str(tmp_path / "res"), "--run", "r",
            "--steps", "1", "--resolution", "16", "--no-progress"]  # fmt: skip
    assert main([*argv, "--stage", "generate"]) == 0
    outputs = tmp_path / "res" / "r" / "imgedit" / "outputs"
    assert sorted(p.name for p in outputs.iterdir()) == ["1082.png", "97.png"]
    # 24x20 scaled to <= 16x16 pixels (17x14), floored to the DiT's 8-pixel unit; 12x12 fits
    # the pixel budget and is only floored.
    assert Image.open(outputs / "1082.png").size == (16, 8)
    assert Image.open(outputs / "97.png").size == (8, 8)
    first = {k: (outputs / f"{k}.png").read_bytes() for k in KEYS}
    kept_mtime = (outputs / "1082.png").stat().st_mtime_ns

    (outputs / "97.png").unlink()  # an interrupted run: one item left to make
    with FakeOpenAI(lambda body: REPLY) as server:
        assert main([*argv, "--stage", "all", "--judge", f"openai:{server.url}:gpt-4.1"]) == 0
        requests = server.requests
    assert (outputs / "1082.png").stat().st_mtime_ns == kept_mtime  # not redone
    assert (outputs / "97.png").read_bytes() == first["97"]  # same per-item seed, same edit
    assert len(requests) == 2
    for key in KEYS:
        source = (tmp_path / "Benchmark" / subset[key]["id"]).read_bytes()
        assert_official_request(
            request_content(requests, subset[key]["prompt"]), source, first[key]
        )
    scores = json.loads((tmp_path / "res" / "r" / "imgedit" / "scores.json").read_text())
    assert scores["categories"] == {"Add": 3.0, "Adjust": 3.0} and scores["overall"] == 3.0
    run = json.loads((tmp_path / "res" / "r" / "imgedit" / "run.json").read_text())
    assert run["checkpoint_hash"] and run["settings"]["steps"] == 1


def test_missing_source_image_is_a_one_line_error(tiny_ckpt, tmp_path, capsys):
    subset = basic_subset(tmp_path)
    (tmp_path / "items.json").write_text(json.dumps({"97": subset["97"]}))
    (tmp_path / "Benchmark" / "for_add" / "000236569.jpg").unlink()
    argv = [str(tiny_ckpt), "--stage", "generate", "--data", str(tmp_path / "items.json"),
            "--images", str(tmp_path / "Benchmark"), "--out", str(tmp_path / "res"),
            "--steps", "1", "--resolution", "16", "--no-progress"]  # fmt: skip
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err.endswith("000236569.jpg: item 97: source image not found")
    assert "\n" not in err
