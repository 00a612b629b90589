"""LLaVA-style conversation JSON: a list of {id, image, conversations: [{from, value}]}."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from corpus.ingest.records import RawRecord, record_from_row


def read(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    if (task or "it2t") != "it2t":
        raise ValueError(f"{src}: a LLaVA conversation file holds it2t samples, not {task}")
    # LLaVA files are one JSON array, so the list is loaded whole (they are at most a few GB).
    items = json.loads(src.read_text(encoding="utf-8"))
    if not isinstance(items, list):
        raise ValueError(f"{src}: expected a JSON list of conversations")
    for index, item in enumerate(items):
        origin = f"{src.name}#{index}"
        if not isinstance(item, dict):
            yield RawRecord(origin, "it2t", error=f"{origin}: item is {type(item).__name__}")
            continue
        yield record_from_row(item, "it2t", src.parent, origin)
