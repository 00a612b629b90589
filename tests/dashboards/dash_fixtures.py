"""Fixture results store, reference tables, corpus, filter report and training logs.

Everything is written through the real writers (evaluation.store, corpus ingest) where one
exists, and per the documented contracts (report.json, jsonl logs, reference tables) otherwise.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import PIL.Image

from corpus.ingest import IngestConfig, SourceSpec, ingest
from evaluation.store import RunDir, write_records, write_run_info, write_scores

COLOURS = {"red": (220, 30, 30), "green": (30, 180, 60), "blue": (40, 60, 220)}
GENEVAL_PROMPTS = [
    ("single_object", "a photo of a red circle"),
    ("single_object", "a photo of a blue square"),
    ("two_object", "a photo of a green triangle and a red circle"),
]
# Per-image correctness of each fixture run on GenEval (prompt index, image index) -> correct.
GENEVAL_CORRECT = {
    "ckpt-a": [True, True, True, False, False, False],
    "ckpt-b": [True, False, True, True, True, True],
}
IMGEDIT_SCORES = {"ckpt-a": [5, 2, 4, 1], "ckpt-b": [3, 3, 5, 5]}
IMGEDIT_TYPES = ["add", "add", "remove", "replace"]
OUTSIDE_IMAGE = "../../../../outside.png"


def png(colour: tuple[int, int, int], size: int = 64) -> bytes:
    buf = io.BytesIO()
    PIL.Image.new("RGB", (size, size), colour).save(buf, format="PNG")
    return buf.getvalue()


def _geneval(out: Path, run: str) -> None:
    rd = RunDir.create(out, run, "geneval")
    rows, per_cat = [], {}
    for i, correct in enumerate(GENEVAL_CORRECT[run]):
        cat, prompt = GENEVAL_PROMPTS[i // 2]
        image = f"{i // 2:05d}/samples/{i % 2:04d}.png"
        (rd.outputs / image).parent.mkdir(parents=True, exist_ok=True)
        (rd.outputs / image).write_bytes(png(COLOURS["green" if correct else "red"]))
        if run == "ckpt-b" and i == 5:
            image = OUTSIDE_IMAGE  # a record pointing outside the results root
        rows.append(
            {
                "index": i // 2,
                "image": image,
                "category": cat,
                "prompt": prompt,
                "detections": [{"label": "circle", "score": 0.9, "box": [1, 2, 30, 40]}],
                "correct": correct,
                "reason": "" if correct else "expected 1 circle, found 0",
                "score": float(correct),
            }
        )
        per_cat.setdefault(cat, []).append(float(correct))
    write_records(rd, rows)
    cats = {c: sum(v) / len(v) for c, v in per_cat.items()}
    write_scores(rd, {"overall": sum(cats.values()) / len(cats), "categories": cats})
    write_run_info(
        rd, benchmark="geneval", checkpoint=None, data={}, judge=None, seeds=[0], settings={}
    )


def _imgedit(out: Path, run: str) -> None:
    rd = RunDir.create(out, run, "imgedit")
    rows = [
        {
            "key": f"e{i}",
            "category": t,
            "prompt": f"{t} a shape {i}",
            "reply": f"Score: {s}",
            "status": "scored",
            "score": float(s),
        }
        for i, (t, s) in enumerate(zip(IMGEDIT_TYPES, IMGEDIT_SCORES[run], strict=True))
    ]
    write_records(rd, rows)
    per_type: dict[str, list[float]] = {}
    for r in rows:
        per_type.setdefault(r["category"], []).append(r["score"])
    cats = {t: sum(v) / len(v) for t, v in per_type.items()}
    write_scores(rd, {"overall": sum(cats.values()) / len(cats), "categories": cats})


def write_results(root: Path) -> Path:
    """Two runs on GenEval and ImgEdit, and a third with an empty (NaN) DPG-Bench score."""
    out = root / "results"
    for run in GENEVAL_CORRECT:
        _geneval(out, run)
        _imgedit(out, run)
    rd = RunDir.create(out, "ckpt-c", "dpgbench")
    write_records(rd, [])
    write_scores(rd, {"overall": math.nan, "categories": {}})
    (root / "outside.png").write_bytes(png(COLOURS["blue"]))
    return out


REFERENCE_TABLES = {
    "tables": [
        {
            "benchmark": "geneval",
            "scale": "0-1",
            "source": "paper Table 2",
            "rows": [
                {
                    "model": "Mammoth2",
                    "overall": 0.87,
                    "paper_model": True,
                    "categories": {"single_object": 1.0, "two_object": 0.97},
                },
                {
                    "model": "BAGEL",
                    "overall": 0.88,
                    "categories": {"single_object": 0.99, "two_object": 0.94},
                },
            ],
        },
        {
            "benchmark": "imgedit",
            "scale": "1-5",
            "source": "paper Table 4",
            "rows": [
                {"model": "Mammoth2", "overall": 4.06, "categories": {"add": 4.3, "remove": 3.9}}
            ],
        },
    ]
}


def write_reference(root: Path) -> Path:
    out = root / "reference"
    out.mkdir(parents=True)
    (out / "paper_tables.json").write_text(json.dumps(REFERENCE_TABLES))
    return out


def write_corpus(root: Path) -> Path:
    """A real dataset ingested from a folder of 30 captioned images and 4 edit triplets."""
    raw = root / "raw" / "t2i"
    raw.mkdir(parents=True)
    names = list(COLOURS)
    for i in range(30):
        colour = names[i % 3]
        size = (64 + 16 * (i % 5), 48 + 8 * (i % 4))
        buf = io.BytesIO()
        PIL.Image.new("RGB", size, COLOURS[colour]).save(buf, format="PNG")
        (raw / f"img_{i:02d}.png").write_bytes(buf.getvalue())
        lang, caption = (
            ("zh", f"一个{colour}方块 {i}") if i % 5 == 0 else ("en", f"a {colour} square {i}")
        )
        (raw / f"img_{i:02d}.json").write_text(json.dumps({"caption": caption, "lang": lang}))
    (raw / "broken.png").write_bytes(b"not a png")
    (raw / "broken.txt").write_text("caption of a broken file")
    edits = _write_edits(root / "raw" / "edits")
    out = root / "corpus" / "shapes"
    ingest([SourceSpec(raw), SourceSpec(edits)], IngestConfig(out=out, progress=False))
    (out / "report.json").write_text(json.dumps(FILTER_REPORT))
    return out


def _write_edits(root: Path) -> Path:
    root.mkdir(parents=True)
    lines = []
    for i in range(4):
        (root / f"s{i}.png").write_bytes(png(COLOURS["red"], 40 + i))
        (root / f"t{i}.png").write_bytes(png(COLOURS["blue"], 40 + i))
        lines.append(
            {
                "source": f"s{i}.png",
                "target": f"t{i}.png",
                "edit_type": "recolour",
                "instruction": "make it blue",
                "inverse_instruction": "make it red",
            }
        )
    path = root / "edits.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    return path


# The shape filters/report.py writes (the parts the dashboard reads).
FILTER_REPORT = {
    "totals": {"input": 34, "emitted": 0, "kept": 20, "dropped": 14},
    "funnel": [
        {"step": "resolution", "op": "resolution", "total": 34, "kept": 28, "dropped": 6,
         "dropped_too_small": 6, "dropped_bad_aspect": 0},
        {"step": "aesthetic", "op": "aesthetic", "total": 28, "kept": 20, "dropped": 8,
         "dropped_low_aesthetic": 8},
    ],
    "stats": {
        "resolution.width": {"unit": "px", "percentiles": {"p5": 40, "p50": 60, "p95": 96}},
        "aesthetic.score": {"unit": "1-10", "percentiles": {"p5": 3.1, "p50": 5.0, "p95": 6.4}},
    },
}  # fmt: skip


def write_logs(root: Path) -> Path:
    """Two runs' jsonl logs (nested loss terms, per task, lr, throughput) and a torn last line."""
    out = root / "ckpt"
    for run, scale in (("tiny-a", 1.0), ("tiny-b", 0.7)):
        d = out / run
        d.mkdir(parents=True)
        lines = [
            json.dumps(
                {
                    "step": s,
                    "loss": {
                        "total": scale * 4 / (s + 1),
                        "ntp": scale * 2 / (s + 1),
                        "fm": scale * 2 / (s + 1),
                    },
                    "loss_task": {"t2i": scale * 3 / (s + 1), "it2i": scale * 5 / (s + 1)},
                    "lr": 1e-4 * min(1.0, (s + 1) / 5),
                    "throughput": {"tokens_per_s": 1000.0 + 10 * s},
                }
            )
            for s in range(20)
        ]
        (d / "log.jsonl").write_text("\n".join(lines) + "\n" + '{"step": 20, "loss": {"to')
    return out
