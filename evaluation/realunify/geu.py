"""RealUnify GEU (generation enhances understanding): the items of ``GEU_direct.json`` /
``GEU_step.json`` and their multiple-choice scoring as the official ``eval_understanding.py``
does it (gen_edit_benchmarks.md 4.5).

Item fields (a JSON list, or JSON Lines). The spec names ``task_type``, ``answer`` and
``response``; the rest are from the official README (FrankYang-17/RealUnify: "the prompts for
visual understanding are stored in the ``evaluation_prompt`` field", stepwise "the prompts for
image manipulation (editing) are stored in the ``edit_prompt`` field ... use ``edit_image`` as
the input image for visual understanding") and from public loaders of the HF files
(``input_image``: a path such as ``./image/<task>/<subtask>/images/img_1.jpg`` relative to the
dataset root; ``index``; ``question`` and ``option``, which ``evaluation_prompt`` already holds):

- ``task_type`` (always), ``answer`` (the letter, always);
- ``evaluation_prompt``: the text the model is asked, verbatim (needed to generate);
- ``input_image``: one path, or a list of paths (needed to generate);
- ``edit_prompt``: present on every item of ``GEU_step.json`` and on none of ``GEU_direct.json``;
- ``response``: the model's reply (a string, or a list whose first element is used), carried by
  a file that the official evaluator would score; then nothing is generated;
- ``index``: the item's key (else its position). Where indices repeat in a file, the key is
  ``<task_type>_<index>``, so responses and edited images never collide.

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
NO_RESPONSE = "no_response"  # status of an item without a recorded response


@dataclass(frozen=True)
class GEUItem:
    """An item as the scorer sees it: its reply (None: none was recorded) and the answer."""

    key: str
    task_type: str
    answer: str
    response: str | None


@dataclass(frozen=True)
class GEUQuestion:
    """A GEU item as the data file gives it (see the module docstring for the fields)."""

    key: str
    task_type: str
    answer: str
    prompt: str | None  # evaluation_prompt
    images: tuple[str, ...]  # input_image path(s), relative to the images root
    edit_prompt: str | None = None  # GEU_step only
    carries_response: bool = False
    response: str | None = None

    def scored(self, response: str | None) -> GEUItem:
        return GEUItem(self.key, self.task_type, self.answer, response)


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


def _images(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def item_keys(records: list[dict], path: Path) -> list[str]:
    """One unique key per record: ``index`` (else the position), or ``<task_type>_<index>``
    where indices repeat in the file."""
    keys = [str(r.get("index", i)) for i, r in enumerate(records)]
    if len(set(keys)) < len(keys):
        keys = [f"{r.get('task_type')}_{k}" for r, k in zip(records, keys, strict=True)]
    seen: set[str] = set()
    for key in keys:
        if key in seen:
            raise BadInput(path, key, "duplicate key: index and task_type repeat together")
        seen.add(key)
    return keys


def _question(record: dict, key: str, path: Path) -> GEUQuestion:
    for name in ("task_type", "answer"):
        if name not in record:
            raise BadInput(path, key, f"missing field {name!r}")
    images = _images(record.get("input_image"))
    if not all(isinstance(p, str) for p in images):
        raise BadInput(path, key, "input_image must be a path or a list of paths")
    return GEUQuestion(
        key,
        record["task_type"],
        record["answer"],
        record.get("evaluation_prompt"),
        images,
        record.get("edit_prompt"),
        "response" in record,
        _response(record.get("response")),
    )


def load_questions(path: str | Path) -> list[GEUQuestion]:
    """GEU items in file order. A file is direct or stepwise (``edit_prompt``) throughout."""
    path = Path(path)
    records = read_records(path)
    for i, record in enumerate(records):
        if not isinstance(record, dict):
            raise BadInput(path, i, "expected a JSON object")
    items = [_question(r, k, path) for r, k in zip(records, item_keys(records, path), strict=True)]
    kinds = {item.edit_prompt is not None for item in items}
    if len(kinds) > 1:
        raise BadInput(path, None, "some items have edit_prompt and some not (direct or step?)")
    return items


def is_stepwise(items: list[GEUQuestion]) -> bool:
    """Whether the items are the stepwise variant (``GEU_step.json``: edit, then answer)."""
    return bool(items) and items[0].edit_prompt is not None


def carried_responses(items: list[GEUQuestion], path: Path) -> dict[str, str | None] | None:
    """The responses the data file itself carries (the official evaluator's input), or None
    when it carries none; a file where only some items carry one is refused."""
    carrying = [item.carries_response for item in items]
    if not any(carrying):
        return None
    if not all(carrying):
        key = items[carrying.index(False)].key
        raise BadInput(path, key, "missing field 'response' (other items carry one)")
    return {item.key: item.response for item in items}


def _status(item: GEUItem, choice: str, hit: int) -> str:
    if hit:
        return "correct"
    if item.response is None:
        return NO_RESPONSE
    return "wrong" if choice else "no_answer"


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
        rows.append({"key": item.key, "category": item.task_type, "response": item.response,
                     "answer": item.answer, "extracted": choice,
                     "status": _status(item, choice, hit), "score": hit})  # fmt: skip
    seen = tuple(dict.fromkeys(item.task_type for item in items))
    overall, categories = accuracies(correct, present, seen, profile)
    scores = {"overall": overall, "categories": categories, "counts": status_counts(rows),
              "profile": profile, "suite": "geu"}  # fmt: skip
    return rows, scores
