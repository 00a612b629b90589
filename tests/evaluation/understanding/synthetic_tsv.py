"""Synthetic VLMEvalKit-format TSVs for all ten suites (base64 PNGs made here), with answers."""

from __future__ import annotations

import base64
import io
from pathlib import Path

from PIL import Image

from evaluation.understanding.tsv import write_tsv


def png_b64(color) -> str:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


IMG = png_b64((200, 30, 30))
OPTS = {"A": "cat", "B": "dog", "C": "bird", "D": "fish"}


def mcq_rows(n: int, **extra) -> list[dict]:
    return [{"index": i, "image": IMG, "question": f"Which animal {i}?", **OPTS,
             "answer": "ABCD"[i % 4], "category": f"cat{i % 2}", "l2-category": "L", **extra}
            for i in range(n)]  # fmt: skip


def circular_rows() -> list[dict]:
    rows = []
    for q in range(2):
        labels = "ABCD"
        for j in range(4):
            rotated = {labels[(k + j) % 4]: OPTS[labels[k]] for k in range(4)}
            answer = labels[(q + j) % 4]  # original answer of question q is labels[q]
            image = IMG if j == 0 else str(q)  # passes reference the original row's image
            rows.append({"index": q + j * 1_000_000, "image": image, "question": f"Q{q}?",
                         **rotated, "answer": answer, "category": "c", "l2-category": "CP",
                         "split": "dev"})  # fmt: skip
    return rows


def suite_rows() -> dict[str, list[dict]]:
    yn = [{"index": i, "image": IMG, "question": f"Is it red {i}? Please answer yes or no.",
           "answer": "Yes" if i % 2 == 0 else "No", "category": "existence",
           "image_path": f"{i // 2}.jpg"} for i in range(4)]  # fmt: skip
    hall = [{**r, "index": f"VD_ocr_1_0_{i // 2}_{i % 2}", "category": "VD",
             "l2-category": "VD_ocr"} for i, r in enumerate(yn)]  # fmt: skip
    return {
        "mmbench": circular_rows(),
        "mmstar": mcq_rows(4),
        "ai2d": mcq_rows(4),
        "mmvp": [
            {**r, "question": f"Pair {i // 2}?", "C": "", "D": "", "answer": "A"}
            for i, r in enumerate(mcq_rows(4))
        ],  # fmt: skip
        "mmmu": [
            {
                "index": 0,
                "image": str([IMG, png_b64((0, 0, 255))]),
                "question": "<image 1> <image 2> open?",
                "answer": "42",
                "split": "validation",
                "category": "Math",
            },
            {**mcq_rows(1)[0], "index": 1, "split": "validation", "category": "Art"},
        ],  # fmt: skip
        "mme": yn,
        "hallusionbench": hall,
        "ocrbench": [
            {
                "index": 0,
                "image": IMG,
                "question": "What does it say?",
                "answer": "['STOP']",
                "category": "Regular Text Recognition",
            }
        ],  # fmt: skip
        "mathvista": [
            {
                "index": 0,
                "image": IMG,
                "question": "How many?",
                "answer": "3",
                "question_type": "free_form",
                "answer_type": "integer",
                "task": "t",
                "skills": "['s']",
            }
        ],  # fmt: skip
        "mmvet": [
            {
                "index": 0,
                "image": IMG,
                "question": "Describe it.",
                "answer": "red <OR> crimson",
                "category": "rec",
            }
        ],  # fmt: skip
    }


def correct_answer(row: dict) -> str:
    """The text a perfect model would reply (MCQ: the option text, the same in every pass)."""
    if "A" in row and row.get("A"):
        return row[row["answer"]]
    return {"['STOP']": "STOP"}.get(row["answer"], row["answer"]).replace(" <OR> crimson", "")


def write_all(folder: Path) -> dict[str, list[dict]]:
    folder.mkdir(parents=True, exist_ok=True)
    suites = suite_rows()
    for name, rows in suites.items():
        columns = list(dict.fromkeys(k for r in rows for k in r))
        write_tsv(folder / f"{name}.tsv", rows, columns)
    return suites
