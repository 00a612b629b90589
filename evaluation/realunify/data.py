"""RealUnify UEG items (``UEG_direct.json`` / ``UEG_step.json``, a JSON list or JSON Lines).

A stepwise (CoT) item also has ``new_prompt``: the model first answers it (a prompt-refinement
request) and then generates from its own answer; judging and scoring are the same (spec 4.2).

The data are not redistributable (academic-only licence): users pass their own copy with --data
(a JSON/JSONL file or a Hugging Face dataset folder) or place it under $MAMMOTH2_BENCHMARKS.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from evaluation.benchmark_data import BenchmarkFile
from evaluation.errors import BadInput
from evaluation.hf_data import is_hf_dataset, read_hf_rows
from evaluation.jsonl import read_json, read_jsonl

# The six UEG task types in the official print order; 100 items each (spec 4.1).
TASK_TYPES: tuple[str, ...] = (
    "world_knowledge",
    "commonsense_reasoning",
    "logical_reasoning",
    "mathematical_reasoning",
    "scientific_reasoning",
    "code_to_image",
)
ANSWERS = ("yes", "no")
OBTAIN = "the RealUnify authors (Hugging Face dataset DogNeverSleep/RealUnify; academic use only)"
UEG_FILE = BenchmarkFile(
    "RealUnify UEG items (UEG_direct.json or UEG_step.json)",
    "realunify/UEG_direct.json",
    None,
    OBTAIN,
)
GEU_FILE = BenchmarkFile(
    "RealUnify GEU items (GEU_direct.json or GEU_step.json)",
    "realunify/GEU_direct.json",
    None,
    OBTAIN,
)


@dataclass(frozen=True)
class UEGItem:
    key: str
    task_type: str
    prompt: str
    questions: tuple[tuple[str, str], ...]  # (question, "yes" | "no")
    new_prompt: str | None = None  # stepwise variant only


def read_records(path: Path) -> list[dict]:
    """The records of a RealUnify file: a JSON list, JSON Lines (``.jsonl``), or a Hugging Face
    dataset folder (``save_to_disk`` or the hub's parquet files)."""
    if is_hf_dataset(path):
        return read_hf_rows(path)
    if path.suffix == ".jsonl":
        return read_jsonl(path)
    return read_json(path, list, "a JSON list of items")


def _item(record: dict, position: int, path: Path) -> UEGItem:
    key = str(record.get("index", position))
    try:
        questions = tuple((q["question"], q["answer"]) for q in record["question_list"])
        new_prompt = record.get("new_prompt")
        item = UEGItem(key, record["task_type"], record["prompt"], questions, new_prompt)
    except (KeyError, TypeError) as e:
        raise BadInput(path, key, f"missing field {e}") from None
    bad = [a for _, a in questions if a not in ANSWERS]
    if bad or not questions:
        raise BadInput(path, key, f"question answers must be yes/no, got {bad or 'no questions'}")
    return item


def load_items(path: str | Path) -> list[UEGItem]:
    """UEG items in file order; an item's key is its ``index`` field or its position."""
    path = Path(path)
    items = [_item(r, i, path) for i, r in enumerate(read_records(path))]
    stepwise = {item.new_prompt is not None for item in items}
    if len(stepwise) > 1:
        raise BadInput(path, None, "some items have new_prompt and some not (direct or step?)")
    return items


def is_stepwise(items: list[UEGItem]) -> bool:
    """Whether the items are the stepwise (CoT) variant (``UEG_step.json``)."""
    return bool(items) and items[0].new_prompt is not None


def judge_question(question: str) -> str:
    """The official judge text for one yes/no question about the generated image (spec 4.3)."""
    return (
        "Please answer the following question based on the image:\nQuestion: "
        + question
        + "\n\nYou should only reply yes or no, and do not provide any other extra content."
    )
