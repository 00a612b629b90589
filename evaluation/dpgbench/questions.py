"""DPG-Bench question table (``dpg_bench.csv``) and prompt files, read as the official script does.

The official preparation skips the CSV row with index 0 (a bug: it is the first question of
``partiprompts97``, ELLA issue #61) and starts a new item whenever ``item_id`` differs from the
previous row's, so a later non-adjacent block of an item replaces the earlier one (spec 2.3).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

from evaluation.benchmark_data import BenchmarkFile
from evaluation.errors import BadInput
from evaluation.jsonl import read_json

CSV_COLUMNS = ("item_id", "proposition_id", "dependency", "tuple", "question_natural_language")
NO_PARENT = 0  # dependency id meaning "no parent" (spec 2.1)
# The official prompts are bundled as one JSON object, item_id -> the text of prompts/<item_id>.txt
# (Apache-2.0; data/ATTRIBUTION.md); the question table is not.
PROMPTS_FILE = BenchmarkFile(
    "DPG-Bench prompts",
    "dpg_bench/prompts",
    Path(__file__).with_name("data") / "prompts.json",
    flag="--prompts",
)
QUESTIONS_FILE = BenchmarkFile(
    "DPG-Bench question table dpg_bench.csv",
    "dpg_bench/dpg_bench.csv",
    obtain="the ELLA repository (TencentQQGYLab/ELLA on GitHub, dpg_bench/dpg_bench.csv)",
    unbundled="Apache-2.0, but no copy was available to the project",
)


@dataclass
class ItemQuestions:
    """One item's questions keyed by proposition id, in file order."""

    tuples: dict[int, str] = field(default_factory=dict)
    dependencies: dict[int, list[int]] = field(default_factory=dict)
    questions: dict[int, str] = field(default_factory=dict)


def _parse_row(row: dict[str, str], path: Path, rownum: int) -> tuple[str, int, list[int]]:
    item = f"row {rownum} ({row.get('item_id')})"
    try:
        qid = int(row["proposition_id"])
        deps = [int(x.strip()) for x in row["dependency"].split(",")]
    except (KeyError, ValueError, AttributeError) as e:
        raise BadInput(path, item, f"bad proposition_id/dependency ({e})") from None
    return row["item_id"], qid, deps


def load_questions(path: str | Path, skip_first_row: bool = True) -> dict[str, ItemQuestions]:
    """item_id -> questions; ``skip_first_row`` reproduces the official quirk."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(path, None, "file not found (dpg_bench.csv comes from the ELLA repository)")
    items: dict[str, ItemQuestions] = {}
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        missing = [c for c in CSV_COLUMNS if c not in (reader.fieldnames or [])]
        if missing:
            raise BadInput(path, None, f"missing columns {missing}")
        previous = None
        for index, row in enumerate(reader):
            if skip_first_row and index == 0:
                continue
            item_id, qid, deps = _parse_row(row, path, index)
            if item_id != previous:
                items[item_id] = ItemQuestions()
                previous = item_id
            q = items[item_id]
            q.tuples[qid] = row["tuple"]
            q.dependencies[qid] = deps
            q.questions[qid] = row["question_natural_language"]
    return items


def load_prompts(path: str | Path) -> dict[str, str]:
    """item_id -> prompt text, sorted by id, from the official folder of ``<item_id>.txt`` files
    or from one JSON object of the same texts (the bundled form)."""
    path = Path(path)
    if path.is_dir():
        texts = {p.stem: p.read_text(encoding="utf-8") for p in path.glob("*.txt")}
    else:
        texts = read_json(path, dict, "a JSON object item_id -> prompt")
    if not texts:
        raise BadInput(path, None, "no prompts (a folder of *.txt files or a JSON object)")
    return {item_id: texts[item_id].strip() for item_id in sorted(texts)}
