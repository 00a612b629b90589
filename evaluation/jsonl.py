"""Reading JSON files and reading / appending JSON Lines files (data, oracle outputs, caches)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput


def read_json(path: str | Path, kind: type, what: str) -> Any:
    """The JSON value of a whole file, which must be a ``kind`` (``what`` names it in errors)."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(path, None, "file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise BadInput(path, None, f"invalid JSON ({e.msg})") from None
    if not isinstance(data, kind):
        raise BadInput(path, None, f"expected {what}")
    return data


def iter_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for every non-blank line; a bad line raises ``BadInput``."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(path, None, "file not found")
    with path.open(encoding="utf-8") as f:
        for lineno, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                raise BadInput(path, f"line {lineno}", f"invalid JSON ({e.msg})") from None
            if not isinstance(obj, dict):
                raise BadInput(path, f"line {lineno}", "expected a JSON object")
            yield lineno, obj


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    """All objects of a JSON Lines file, in order."""
    return [obj for _, obj in iter_jsonl(path)]


def append_jsonl(path: str | Path, rows: Iterable[dict[str, Any]]) -> None:
    """Append rows and flush to disk, so an interrupted run keeps every finished row."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
        f.flush()
        os.fsync(f.fileno())


def require(obj: dict[str, Any], key: str, path: object, item: object) -> Any:
    """``obj[key]`` or a ``BadInput`` naming the missing field."""
    if key not in obj:
        raise BadInput(path, item, f"missing field {key!r}")
    return obj[key]
