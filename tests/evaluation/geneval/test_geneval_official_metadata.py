"""The official 553-prompt metadata loads and runs through the whole scorer on synthetic records."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from evaluation.errors import BadInput
from evaluation.geneval.detections import Detection, ImageDetections, read_detections
from evaluation.geneval.metadata import METADATA_FILE, TAGS, PromptMeta, load_metadata
from evaluation.geneval.scorer import score_records

# Where an object is drawn relative to its target so the official rule holds (far, small boxes).
OFFSETS = {"left of": (-300, 0), "right of": (300, 0), "above": (0, -300), "below": (0, 300)}


def perfect(meta: PromptMeta) -> list[Detection]:
    """Detections that satisfy every include clause and no exclude clause."""
    dets, centres = [], []
    for clause in meta.include:
        cx, cy = 500, 500
        if clause.position is not None:
            dx, dy = OFFSETS[clause.position[0]]
            cx, cy = centres[clause.position[1]][0] + dx, centres[clause.position[1]][1] + dy
        centres.append((cx, cy))
        for _ in range(clause.count):
            box = (cx - 10, cy - 10, cx + 10, cy + 10)
            dets.append(Detection(clause.cls, 0.95, box, clause.color or "red"))
    return dets


@pytest.fixture(scope="module")
def metadata():
    return load_metadata(METADATA_FILE.bundled)


def test_official_metadata_counts(metadata):
    assert len(metadata) == 553
    counts = Counter(m.tag for m in metadata)
    assert counts == {
        "single_object": 80,
        "two_object": 99,
        "counting": 80,
        "colors": 94,
        "position": 100,
        "color_attr": 100,
    }
    assert [m.index for m in metadata if m.tag == "counting"][0] == 179
    assert metadata[0].prompt == "a photo of a bench"


def test_official_metadata_through_scorer(metadata, tmp_path):
    path = tmp_path / "detections.jsonl"
    with path.open("w") as f:
        for m in metadata:
            for k in range(4):
                dets = perfect(m) if (m.index + k) % 4 else []  # one of 4 images empty
                rec = ImageDetections(m.index, f"{m.index:05d}/samples/{k:05d}.png", tuple(dets))
                f.write(json.dumps(rec.to_dict()) + "\n")
    records = read_detections(path)
    rows, scores = score_records(metadata, records)
    assert len(rows) == 2212 and scores["n_images"] == 2212 and scores["n_prompts"] == 553
    assert scores["categories"] == {t: 0.75 for t in TAGS}
    assert scores["overall"] == pytest.approx(0.75)
    assert scores["correct_prompts"] == 1.0
    assert all(r["correct"] == bool((r["index"] + int(r["image"][-9:-4])) % 4) for r in rows)


def test_perfect_detections_fail_when_a_colour_or_place_is_wrong(metadata):
    colour_prompt = next(m for m in metadata if m.tag == "colors")
    dets = [
        Detection(d.label, d.score, d.box, "white" if d.color != "white" else "black")
        for d in perfect(colour_prompt)
    ]
    _, scores = score_records(
        metadata, [ImageDetections(colour_prompt.index, "a.png", tuple(dets))]
    )
    assert scores["categories"] == {"colors": 0.0}


def test_malformed_record_names_file_and_line(tmp_path):
    path = tmp_path / "detections.jsonl"
    path.write_text(
        '{"index": 0, "image": "0.png", "detections": []}\n{"index": 1, "image": "1.png"}\n'
    )
    with pytest.raises(
        BadInput, match=r"detections.jsonl: item line 2 \(1.png\): missing field 'detections'"
    ):
        read_detections(path)
    path.write_text("{not json\n")
    with pytest.raises(BadInput, match="line 1: invalid JSON"):
        read_detections(path)
