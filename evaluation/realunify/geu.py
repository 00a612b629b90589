"""RealUnify GEU (generation enhances understanding): multiple-choice answers scored as the
official ``eval_understanding.py`` does (gen_edit_benchmarks.md 4.5).

Input: the GEU JSON (a list, or JSON Lines) whose items carry the model's reply in ``response``
(a string, or a list whose first element is used), the letter ``answer`` and ``task_type``.
Extraction: strip; remove every occurrence of each answer prefix, in the listed order (plain
substring removal, so "Answer is" can never match after "Answer"); then the first capital A,
B, C or D anywhere in the remainder, or no answer. (The official rule that a remainder of more
than 10 words without a capital A-D has no answer is implied: without a letter there is none.)
Per task accuracy = correct / 100; total = correct / (100 x task types seen); reported in %.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput
from evaluation.realunify.data import read_records
from evaluation.realunify.scorer import accuracies, status_counts

PREFIXES = (
    "The best answer is",
    "The correct answer is",
    "The answer is",
    "The answer",
    "The best option is",
    "The correct option is",
    "Best answer:",
    "Best option:",
    "Answer",
    "Answer is",
)
LETTER = re.compile(r"[ABCD]")


@dataclass(frozen=True)
class GEUItem:
    key: str
    task_type: str
    answer: str
    response: str | None


def extract_choice(response: str | None) -> str:
    """The answer letter of a reply, or "" when it has none."""
    if response is None:
        return ""
    text = response.strip()
    for prefix in PREFIXES:
        text = text.replace(prefix, "")
    match = LETTER.search(text)
    return match.group(0) if match else ""


def _response(value: Any) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value is None else str(value)


def load_geu(path: str | Path) -> list[GEUItem]:
    """GEU items with responses, in file order; a key is the ``index`` field or the position."""
    path = Path(path)
    items = []
    for i, record in enumerate(read_records(path)):
        key = str(record.get("index", i))
        try:
            items.append(
                GEUItem(key, record["task_type"], record["answer"], _response(record["response"]))
            )
        except KeyError as e:
            raise BadInput(path, key, f"missing field {e} (GEU items need a response)") from None
    return items


def score_geu(
    items: list[GEUItem], profile: str = "official"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-item records and the GEU accuracies (%) per task type and in total."""
    rows, correct, present = [], defaultdict(int), defaultdict(int)
    for item in items:
        choice = extract_choice(item.response)
        hit = int(choice == item.answer)
        correct[item.task_type] += hit
        present[item.task_type] += 1
        status = "correct" if hit else ("no_answer" if not choice else "wrong")
        rows.append({"key": item.key, "category": item.task_type, "response": item.response,
                     "answer": item.answer, "extracted": choice, "status": status,
                     "score": hit})  # fmt: skip
    seen = tuple(dict.fromkeys(item.task_type for item in items))
    overall, categories = accuracies(correct, present, seen, profile)
    scores = {"overall": overall, "categories": categories, "counts": status_counts(rows),
              "profile": profile, "suite": "geu"}  # fmt: skip
    return rows, scores
