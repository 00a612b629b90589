"""GenEval prompt metadata (``evaluation_metadata.jsonl``): tags, include/exclude clauses, prompt.

Line order is the prompt index; the generated folder ``00000`` belongs to line 0
(gen_edit_benchmarks.md 1.1).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.benchmark_data import BenchmarkFile
from evaluation.errors import BadInput
from evaluation.jsonl import iter_jsonl, require

# The six tags in the order of the official file; the overall score is their unweighted mean.
TAGS: tuple[str, ...] = (
    "single_object",
    "two_object",
    "counting",
    "colors",
    "position",
    "color_attr",
)
# Official colour list; the order decides argmax ties of the colour classifier (spec 1.1).
COLORS: tuple[str, ...] = (
    "red",
    "orange",
    "yellow",
    "green",
    "blue",
    "purple",
    "pink",
    "brown",
    "black",
    "white",
)
RELATIONS: tuple[str, ...] = ("left of", "right of", "above", "below")
# The official files, bundled (MIT; data/ATTRIBUTION.md).
DATA = Path(__file__).with_name("data")
METADATA_FILE = BenchmarkFile(
    "GenEval evaluation_metadata.jsonl",
    "geneval/prompts/evaluation_metadata.jsonl",
    DATA / "evaluation_metadata.jsonl",
)
OBJECT_NAMES_FILE = BenchmarkFile(
    "GenEval object_names.txt", "geneval/prompts/object_names.txt", DATA / "object_names.txt"
)


@dataclass(frozen=True)
class Clause:
    cls: str
    count: int
    color: str | None = None
    position: tuple[str, int] | None = None


@dataclass(frozen=True)
class PromptMeta:
    index: int
    tag: str
    prompt: str
    include: tuple[Clause, ...]
    exclude: tuple[Clause, ...]
    raw: dict[str, Any]

    @property
    def key(self) -> str:
        """The official per-prompt identity: ``json.dumps`` of the metadata dict."""
        return json.dumps(self.raw)


def _clause(obj: Any, path: Path, item: str) -> Clause:
    if not isinstance(obj, dict):
        raise BadInput(path, item, "a clause must be an object")
    count = require(obj, "count", path, item)
    color = obj.get("color")
    if color is not None and color not in COLORS:
        raise BadInput(path, item, f"unknown colour {color!r}")
    position = obj.get("position")
    if position is not None:
        if len(position) != 2 or position[0] not in RELATIONS:
            raise BadInput(path, item, f"bad position clause {position!r}")
        position = (str(position[0]), int(position[1]))
    return Clause(str(require(obj, "class", path, item)), int(count), color, position)


def parse_meta(obj: dict[str, Any], index: int, path: Path, item: str) -> PromptMeta:
    """One metadata object as a ``PromptMeta``; ``BadInput`` names the item on a bad field."""
    tag = require(obj, "tag", path, item)
    if tag not in TAGS:
        raise BadInput(path, item, f"unknown tag {tag!r}")
    include = tuple(_clause(c, path, item) for c in require(obj, "include", path, item))
    exclude = tuple(_clause(c, path, item) for c in obj.get("exclude", []))
    for c in include:
        if c.position is not None and not 0 <= c.position[1] < len(include):
            raise BadInput(path, item, f"position refers to clause {c.position[1]}")
    prompt = str(require(obj, "prompt", path, item))
    return PromptMeta(index, tag, prompt, include, exclude, obj)


def load_metadata(path: str | Path) -> list[PromptMeta]:
    """All prompts of an ``evaluation_metadata.jsonl``, index = line order."""
    path = Path(path)
    rows = [obj for _, obj in iter_jsonl(path)]
    return [parse_meta(obj, i, path, f"prompt {i}") for i, obj in enumerate(rows)]
