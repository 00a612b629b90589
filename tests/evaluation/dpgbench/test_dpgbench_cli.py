"""DPG-Bench end to end: tiles of a grid asked over a loopback VQA judge, then scored."""

from __future__ import annotations

import base64
import io
import json

from dpg_tables import write_dpg_table
from fake_openai_server import FakeOpenAI, last_text
from PIL import Image

from evaluation.dpgbench.__main__ import main
from evaluation.dpgbench.answers import read_answers
from evaluation.dpgbench.tiles import cut_tiles, make_grid

ROWS = [
    ("skipped", 1, "0", "entity - whole (x)"),
    ("dog", 1, "0", "entity - whole (dog)"),
    ("dog", 2, "1", "attribute - color (dog, brown)"),
]


def test_grid_round_trip():
    colors = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (9, 9, 9)]
    grid = make_grid([Image.new("RGB", (5, 5), c) for c in colors], 16)
    assert grid.size == (32, 32)
    assert [t.getpixel((3, 3)) for t in cut_tiles(grid, 16)] == colors  # TL, TR, BL, BR


def test_vqa_per_tile_and_score(tmp_path):
    data = write_dpg_table(tmp_path / "dpg_bench.csv", ROWS)
    outputs = tmp_path / "res" / "r" / "dpgbench" / "outputs"
    outputs.mkdir(parents=True)
    colors = [(200, 0, 0), (200, 0, 0), (200, 0, 0), (0, 0, 200)]  # last tile blue
    make_grid([Image.new("RGB", (4, 4), c) for c in colors], 16).save(outputs / "dog.png")

    def reply(body):  # "is the dog brown?" is answered no on the blue tile only
        url = body["messages"][0]["content"][0]["image_url"]["url"]
        tile = Image.open(io.BytesIO(base64.b64decode(url.split(",")[1])))
        blue = tile.getpixel((0, 0)) == (0, 0, 200)
        return "no" if blue and "question dog 2?" in last_text(body) else "yes"

    argv = ["--stage", "score", "--data", str(data), "--resolution", "16"]
    argv += ["--out", str(tmp_path / "res"), "--run", "r", "--no-progress"]
    with FakeOpenAI(reply) as server:
        assert main([*argv, "--judge", f"openai:{server.url}:mplug"]) == 0
        assert len(server.requests) == 8  # 4 tiles x 2 questions
        assert main([*argv, "--judge", f"openai:{server.url}:mplug"]) == 0
        assert len(server.requests) == 8  # resumed: nothing asked again
    [answers] = read_answers(tmp_path / "res" / "r" / "dpgbench" / "answers.jsonl")
    assert sorted(answers.tiles) == [0, 1, 2, 3]
    scores = json.loads((tmp_path / "res" / "r" / "dpgbench" / "scores.json").read_text())
    assert scores["overall"] == 100 * (3 + 0.5) / 4 and scores["n_scored"] == 1
    assert scores["categories"] == {"attribute": 0.0, "entity": 100.0}  # last tile, raw
