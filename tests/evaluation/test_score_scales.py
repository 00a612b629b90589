"""A run's scores.json and the published reference rows share keys and scale, per benchmark.

Each benchmark with reference rows is scored from recorded oracle outputs twice: all items right
and all items wrong. The two runs must land exactly on the ends of the table's published range
(so a fraction written where the paper reports %, or the reverse, fails), and every key of the
reference rows (``overall``, category names) must be in scores.json.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from dpg_tables import write_dpg_table

from evaluation.dpgbench.__main__ import main as dpgbench_main
from evaluation.geneval.__main__ import main as geneval_main
from evaluation.geneval.metadata import METADATA_FILE
from evaluation.imgedit.__main__ import main as imgedit_main
from evaluation.imgedit.data import BASIC_ITEMS
from evaluation.realunify.__main__ import main as realunify_main
from evaluation.reference_scores import benchmarks, reference_table

ROW_LABELS = {"model", "paper_model", "variant"}  # row fields that are not scores


def _run(tmp_path: Path, main, argv: list[str], benchmark: str, run: str) -> dict:
    assert main([*argv, "--stage", "score", "--out", str(tmp_path), "--run", run]) == 0
    return json.loads((tmp_path / run / benchmark / "scores.json").read_text())


def geneval(tmp_path: Path, right: bool) -> dict:
    data = METADATA_FILE.bundled
    lines = [json.loads(x) for x in data.read_text().splitlines()]
    records = tmp_path / f"detections_{right}.jsonl"
    with records.open("w") as f:
        for index in (0, 80):  # a single_object and a two_object prompt
            dets = [{"label": c["class"], "score": 0.9, "box": [10 * k, 0, 10 * k + 5, 5],
                     "color": None} for k, c in enumerate(lines[index]["include"])]  # fmt: skip
            image = f"{index:05d}/samples/00000.png"
            f.write(json.dumps({"index": index, "image": image, "detections": dets * right}) + "\n")
    argv = ["--records", str(records), "--data", str(data)]
    return _run(tmp_path, geneval_main, argv, "geneval", f"g{right}")


def dpgbench(tmp_path: Path, right: bool) -> dict:
    rows = [("skipped", 1, "0", "entity - whole (x)"), ("dog", 1, "0", "entity - whole (dog)"),
            ("dog", 2, "1", "attribute - color (dog, b)")]  # fmt: skip
    table = write_dpg_table(tmp_path / "dpg_bench.csv", rows)
    records = tmp_path / f"answers_{right}.jsonl"
    with records.open("w") as f:
        for tile in range(4):
            for qid in (1, 2):
                f.write(
                    json.dumps(
                        {
                            "item_id": "dog",
                            "image": "dog.png",
                            "tile": tile,
                            "proposition_id": qid,
                            "answer": "yes" if right else "no",
                        }
                    )
                )
                f.write("\n")  # fmt: skip
    argv = ["--records", str(records), "--data", str(table)]
    return _run(tmp_path, dpgbench_main, argv, "dpgbench", f"d{right}")


def imgedit(tmp_path: Path, right: bool) -> dict:
    data = BASIC_ITEMS.bundled
    first_of_type: dict[str, str] = {}
    for key, item in json.loads(data.read_text()).items():
        first_of_type.setdefault(item["edit_type"], key)
    mark = 5 if right else 1
    reply = f"Brief reasoning: x.\nA: {mark}\nB: {mark}\nC: {mark}"
    records = tmp_path / f"judgements_{right}.jsonl"
    records.write_text("".join(json.dumps({"key": k, "reply": reply}) + "\n"
                               for k in first_of_type.values()))  # fmt: skip
    argv = ["--records", str(records), "--data", str(data)]
    return _run(tmp_path, imgedit_main, argv, "imgedit", f"i{right}")


def _realunify(tmp_path: Path, right: bool, stepwise: bool) -> dict:
    items = [{"task_type": t, "prompt": "p", "question_list": [{"question": "q", "answer": "yes"}]}
             for t in ("world_knowledge", "code_to_image")]  # fmt: skip
    for item in items if stepwise else []:
        item["new_prompt"] = "Refine this prompt: p"
    data = tmp_path / f"UEG_{stepwise}.json"
    data.write_text(json.dumps(items))
    records = tmp_path / f"ueg_judgements_{right}_{stepwise}.jsonl"
    reply = "Yes" if right else "No"
    records.write_text("".join(json.dumps({"key": str(i), "question": 0, "reply": reply}) + "\n"
                               for i in range(len(items))))  # fmt: skip
    # The fixed profile divides by the items present, so all-right reaches the top of the scale.
    argv = ["--records", str(records), "--data", str(data), "--profile", "fixed"]
    folder = "realunify_step" if stepwise else "realunify"
    return _run(tmp_path, realunify_main, argv, folder, f"u{right}{stepwise}")


def realunify(tmp_path: Path, right: bool) -> dict:
    return _realunify(tmp_path, right, stepwise=False)


def realunify_step(tmp_path: Path, right: bool) -> dict:
    return _realunify(tmp_path, right, stepwise=True)


RUNS = {f.__name__: f for f in (geneval, dpgbench, imgedit, realunify, realunify_step)}


def test_every_reference_table_is_checked():
    assert set(RUNS) == set(benchmarks())


def _score_values(scores: dict) -> list[float]:
    return [scores["overall"], *scores["categories"].values()]


@pytest.mark.parametrize("benchmark", sorted(RUNS))
def test_scores_share_keys_and_scale_with_reference_rows(benchmark, tmp_path):
    table = reference_table(benchmark)
    low, high = table["range"]
    best = RUNS[benchmark](tmp_path, True)
    worst = RUNS[benchmark](tmp_path, False)
    assert best["overall"] == pytest.approx(high) and worst["overall"] == pytest.approx(low)
    assert all(v == pytest.approx(high) for v in _score_values(best))
    assert all(v == pytest.approx(low) for v in _score_values(worst))
    for row in table["rows"]:
        assert set(row) - ROW_LABELS <= set(best), row["model"]
        assert set(row.get("categories", {})) <= set(best["categories"]), row["model"]
        assert all(low <= v <= high for v in _score_values({"categories": {}, **row}))
