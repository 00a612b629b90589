"""Evaluation performance: GenEval scoring of the full record set, detector and generation speed.

Prints a table of timings and ratios against a baseline measured in the same run (parsing the
records file), since absolute numbers on shared machines are not comparable.
"""

from __future__ import annotations

import json
import random
import tempfile
import time
from pathlib import Path

from corpus.shapes import render_scene, sample_scene
from evaluation.detectors.shapes import detect_shapes
from evaluation.geneval.detections import read_detections
from evaluation.geneval.metadata import METADATA_FILE, load_metadata
from evaluation.geneval.scorer import score_records

SAMPLES_PER_PROMPT = 4
CLASSES = ["person", "dog", "cat", "car", "clock", "bench"]
COLORS = ["red", "blue", "green", "black", "white"]


def best_of(fn, repeats: int = 5) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def write_records(path: Path, metadata, rng: random.Random) -> None:
    """2,212 images with 0-8 random detections each, including every prompt's own classes."""
    with path.open("w") as f:
        for meta in metadata:
            names = [c.cls for c in meta.include] + CLASSES
            for k in range(SAMPLES_PER_PROMPT):
                dets = [
                    {
                        "label": rng.choice(names),
                        "score": rng.random(),
                        "box": sorted(rng.sample(range(512), 2))
                        + sorted(rng.sample(range(512), 2)),
                        "color": rng.choice(COLORS),
                    }
                    for _ in range(rng.randint(0, 8))
                ]
                for d in dets:
                    x1, x2, y1, y2 = d["box"]
                    d["box"] = [x1, y1, x2, y2]
                row = {"index": meta.index, "image": f"{meta.index:05d}/{k:05d}.png"}
                f.write(json.dumps({**row, "detections": dets}) + "\n")


GEN_BATCH = 4
GEN_STEPS = 10  # DiT steps for the throughput probe (the preset default is 50)


def generation_throughput() -> str:
    """Images/s of the untrained ``tiny`` preset through the generate stage's call."""
    from evaluation.generation import generate_images
    from models.mammoth2 import Mammoth2

    model = Mammoth2.from_preset("tiny")
    prompts = ["a photo of a red circle"] * GEN_BATCH
    generate_images(model, prompts[:1], None, 0, steps=1)  # warm-up
    t = time.perf_counter()
    images = generate_images(model, prompts, None, 0, steps=GEN_STEPS)
    seconds = time.perf_counter() - t
    size = f"{images[0].width}x{images[0].height}"
    return (
        f"{len(images) / seconds:.3f} (tiny preset, batch {GEN_BATCH}, {GEN_STEPS} steps, {size})"
    )


def main() -> None:
    metadata = load_metadata(METADATA_FILE.locate())
    rng = random.Random(0)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "detections.jsonl"
        write_records(path, metadata, rng)
        parse = best_of(lambda: [json.loads(line) for line in path.open()])
        read = best_of(lambda: read_detections(path))
        records = read_detections(path)
        score = best_of(lambda: score_records(metadata, records))
    scenes = [render_scene(sample_scene(rng, 256, 256)) for _ in range(20)]
    detect = best_of(lambda: [detect_shapes(im) for im in scenes], repeats=2) / len(scenes)
    print(f"GenEval full record set: {len(records)} images, {len(metadata)} prompts")
    print(f"{'step':<40}{'seconds':>10}{'x baseline':>12}")
    rows = [
        ("json.loads of detections.jsonl (baseline)", parse),
        ("read_detections (parse + validate)", read),
        ("score_records (official rules)", score),
        ("read + score", read + score),
        ("shapes detector, per 256x256 image", detect),
    ]
    for name, seconds in rows:
        print(f"{name:<40}{seconds:>10.4f}{seconds / parse:>12.2f}")
    print(f"generation throughput (images/s): {generation_throughput()}")


if __name__ == "__main__":
    main()
