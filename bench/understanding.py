"""Scoring speed of the understanding suites: 10,000 recorded predictions, rule-only judge.

Prints timings and ratios against a baseline measured in the same run (reading the prediction
TSVs), and checks the issue's bound: scoring 10,000 predictions takes under 2 seconds.
"""

from __future__ import annotations

import random
import tempfile
import time
from pathlib import Path

from evaluation.understanding import SUITES
from evaluation.understanding.base import Context
from evaluation.understanding.tsv import read_tsv, write_tsv

N_TOTAL = 10_000
BOUND_S = 2.0
OPTS = {"A": "cat", "B": "dog", "C": "bird", "D": "fish"}
RESPONSES = ["A", "The answer is B.", "(C) bird", "I think it is a fish", "no idea", "D. fish"]
YES_NO = ["Yes", "No", "Yes, it is.", "I am not sure", "no."]


def mcq(i: int, rng: random.Random) -> dict:
    return {"index": i, "question": f"q{i}?", **OPTS, "answer": "ABCD"[i % 4],
            "category": f"c{i % 5}", "l2-category": f"l{i % 3}", "split": "dev",
            "prediction": rng.choice(RESPONSES)}  # fmt: skip


def yes_no(i: int, rng: random.Random) -> dict:
    return {"index": i, "question": f"q{i}?", "answer": "Yes" if i % 2 else "No",
            "category": "existence", "image_path": f"{i // 2}.jpg",
            "prediction": rng.choice(YES_NO)}  # fmt: skip


def datasets(rng: random.Random) -> dict[str, list[dict]]:
    """10,000 rows: MMBench circular (4,000), MMStar, AI2D, MME, OCRBench (1,500 each)."""
    circular = []
    for q in range(1000):
        for j in range(4):
            circular.append({**mcq(q, rng), "index": q + j * 1_000_000})
    ocr = [{"index": i, "question": "text?", "answer": "['STOP', 'stop sign']",
            "category": "Regular Text Recognition", "prediction": rng.choice(["STOP", "go"])}
           for i in range(1500)]  # fmt: skip
    return {
        "mmbench": circular,
        "mmstar": [mcq(i, rng) for i in range(1500)],
        "ai2d": [mcq(i, rng) for i in range(1500)],
        "mme": [yes_no(i, rng) for i in range(1500)],
        "ocrbench": ocr,
    }


def main() -> None:
    rng = random.Random(0)
    data = datasets(rng)
    assert sum(len(v) for v in data.values()) == N_TOTAL
    with tempfile.TemporaryDirectory() as tmp:
        paths = {}
        for name, rows in data.items():
            paths[name] = Path(tmp) / f"{name}.tsv"
            write_tsv(paths[name], rows, list(rows[0]))
        t = time.perf_counter()
        loaded = {name: read_tsv(p) for name, p in paths.items()}
        read_s = time.perf_counter() - t
    timings = {}
    for name, rows in loaded.items():
        t = time.perf_counter()
        SUITES.get(name).score(rows, Context())
        timings[name] = time.perf_counter() - t
    total = sum(timings.values())
    print(f"{'step':<34}{'rows':>8}{'seconds':>10}{'x baseline':>12}")
    print(f"{'read TSVs (baseline)':<34}{N_TOTAL:>8}{read_s:>10.4f}{1.0:>12.2f}")
    for name, seconds in timings.items():
        print(
            f"{'score ' + name:<34}{len(loaded[name]):>8}{seconds:>10.4f}{seconds / read_s:>12.2f}"
        )
    print(f"{'score all (rule_only)':<34}{N_TOTAL:>8}{total:>10.4f}{total / read_s:>12.2f}")
    verdict = "OK" if total < BOUND_S else "TOO SLOW"
    print(f"bound: scoring {N_TOTAL} predictions < {BOUND_S} s: {verdict}")


if __name__ == "__main__":
    main()
