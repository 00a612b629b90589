"""``judgements.jsonl``: a judge's raw reply per item (ImgEdit) or per question (RealUnify).

One line: ``{"key": item key, "question": question index or null, "reply": text or null,
"error": message or null}``. A failed judge call is recorded with ``reply: null`` and the error,
so scoring can count it instead of crashing as the official scripts do.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput
from evaluation.jsonl import append_jsonl, iter_jsonl, require


@dataclass(frozen=True)
class Judgement:
    key: str
    reply: str | None
    question: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "question": self.question,
            "reply": self.reply,
            "error": self.error,
        }


def read_judgements(path: str | Path) -> list[Judgement]:
    """All judgements in file order; a later line for the same (key, question) replaces it."""
    path = Path(path)
    latest: dict[tuple[str, int | None], Judgement] = {}
    for lineno, obj in iter_jsonl(path):
        key = str(require(obj, "key", path, f"line {lineno}"))
        reply, question = obj.get("reply"), obj.get("question")
        if reply is not None and not isinstance(reply, str):
            raise BadInput(path, f"line {lineno} ({key})", "reply must be text or null")
        if question is not None and not isinstance(question, int):
            raise BadInput(path, f"line {lineno} ({key})", "question must be an integer or null")
        latest[(key, question)] = Judgement(key, reply, question, obj.get("error"))
    return list(latest.values())


def append_judgements(path: str | Path, rows: list[Judgement]) -> None:
    append_jsonl(path, (r.to_dict() for r in rows))
