"""DPG-Bench's recorded oracle output: ``answers.jsonl``, one line per question per tile.

``{"item_id", "image", "tile", "proposition_id", "answer"}``; ``answer`` is the VQA model's raw
text. Tiles are numbered in the official crop order TL=0, TR=1, BL=2, BR=3 (spec 2.2).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput
from evaluation.jsonl import append_jsonl, iter_jsonl, require


@dataclass
class ImageAnswers:
    """All answers for one image: tile -> proposition id -> answer text."""

    item_id: str
    image: str
    tiles: dict[int, dict[int, str]] = field(default_factory=dict)


def read_answers(path: str | Path) -> list[ImageAnswers]:
    """Group ``answers.jsonl`` by image, in order of first appearance."""
    path = Path(path)
    images: dict[str, ImageAnswers] = {}
    for lineno, obj in iter_jsonl(path):
        item = f"line {lineno}"
        image = str(require(obj, "image", path, item))
        item_id = str(require(obj, "item_id", path, item))
        try:
            tile = int(require(obj, "tile", path, item))
            qid = int(require(obj, "proposition_id", path, item))
        except (TypeError, ValueError):
            raise BadInput(path, item, "tile and proposition_id must be integers") from None
        answer = require(obj, "answer", path, item)
        entry = images.setdefault(image, ImageAnswers(item_id, image, defaultdict(dict)))
        if entry.item_id != item_id:
            raise BadInput(path, item, f"image {image} has two item ids")
        entry.tiles[tile][qid] = "" if answer is None else str(answer)
    for entry in images.values():
        entry.tiles = dict(entry.tiles)
    return list(images.values())


def append_answers(path: str | Path, rows: list[dict[str, Any]]) -> None:
    append_jsonl(path, rows)
