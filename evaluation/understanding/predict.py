"""The predict stage: prompts, model adapters and per-item prediction files (VLMEvalKit layout).

An adapter is anything with ``generate(messages, gen_kwargs) -> str`` where messages interleave
image and text parts (``{"type": "image", "image": PIL}`` / ``{"type": "text", "text": ...}``).
Predictions are appended as they are produced to a TSV holding the data columns (without the
image) plus ``prediction``; a rerun skips indices already there. Under torchrun each rank writes
its own part file and scoring reads them all.
"""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any, Protocol

from PIL import Image
from tqdm import tqdm

from evaluation.distributed import rank_world, shard
from evaluation.understanding.tsv import append_tsv, options, read_rows, read_tsv, row_images
from models.external.chat import ChatRequest

PROMPT_TEMPLATE = "vlmevalkit-default"  # recorded with every run (understanding_suites.md 2.1)
MCQ_CLOSING = "Please select the correct answer from the options above."
PREDICTIONS = "predictions"
CHUNK = 16  # predictions per append


class ModelAdapter(Protocol):
    def generate(self, messages: list[dict[str, Any]], gen_kwargs: dict[str, Any]) -> str: ...

    def describe(self) -> dict[str, Any]: ...


class OpenAIAdapter:
    """A model served by any OpenAI-compatible server (e.g. vLLM), through the judge client."""

    def __init__(self, spec: str) -> None:
        from models.external.backends import make_backend

        self.backend = make_backend(spec)

    def describe(self) -> dict[str, Any]:
        return self.backend.describe()

    def generate(self, messages: list[dict[str, Any]], gen_kwargs: dict[str, Any]) -> str:
        request = ChatRequest(
            messages,
            max_tokens=gen_kwargs.get("max_new_tokens", 512),
            temperature=gen_kwargs.get("temperature", 0.0),
        )
        reply = self.backend.complete([request])[0]
        return (
            reply.text
            if reply.text is not None
            else f"Failed to obtain answer via API ({reply.error})"
        )


class Mammoth2Adapter:
    """Our checkpoints, through ``Mammoth2.chat``."""

    def __init__(self, ckpt: str, device: str | None = None) -> None:
        from evaluation.generation import load_model

        self.ckpt, self.model = ckpt, load_model(ckpt)

    def describe(self) -> dict[str, Any]:
        return {"backend": "mammoth2", "checkpoint": self.ckpt}

    def generate(self, messages: list[dict[str, Any]], gen_kwargs: dict[str, Any]) -> str:
        return self.model.chat(messages, max_new_tokens=gen_kwargs.get("max_new_tokens", 128))


def build_prompt(row: dict[str, str], kind: str) -> str:
    """VLMEvalKit's default prompts: Hint/Question/Options for MCQ, the raw question otherwise."""
    if kind != "mcq":
        return row.get("question", "")
    lines = [f"Hint: {row['hint']}"] if row.get("hint") else []
    lines.append(f"Question: {row.get('question', '')}")
    opts = options(row)
    if opts:
        lines.append("Options:")
        lines += [f"{k}. {v}" for k, v in opts.items()]
    lines.append(MCQ_CLOSING)
    return "\n".join(lines)


def messages_for(row: dict[str, str], images: list[str], kind: str) -> list[dict[str, Any]]:
    """Images first, then the prompt text (the default interleaving of both toolkits)."""
    parts: list[dict[str, Any]] = [
        {"type": "image", "image": Image.open(io.BytesIO(base64.b64decode(b))).convert("RGB")}
        for b in images
    ]
    parts.append({"type": "text", "text": build_prompt(row, kind)})
    return [{"role": "user", "content": parts}]


def part_path(folder: Path, stem: str = PREDICTIONS, suffix: str = ".tsv") -> Path:
    """This rank's file: ``<stem><suffix>`` alone, ``<stem>.rank<r><suffix>`` under torchrun."""
    rank, world = rank_world()
    return folder / (f"{stem}{suffix}" if world == 1 else f"{stem}.rank{rank}{suffix}")


def read_predictions(folder: Path) -> list[dict[str, str]]:
    """All prediction rows of every part file, by first appearance of each index."""
    rows: dict[str, dict[str, str]] = {}
    for path in sorted(folder.glob(f"{PREDICTIONS}*.tsv")):
        for row in read_tsv(path):
            rows.setdefault(row["index"], row)
    return list(rows.values())


def predict(
    data: Path, folder: Path, model: ModelAdapter, kind: str, gen_kwargs: dict, progress: bool
) -> Path:
    """Write this rank's predictions for rows not yet predicted; returns the part file."""
    rows = read_rows(data)
    by_index = {r["index"]: r for r in rows}
    columns = [c for c in rows[0] if c != "image"] + ["prediction"] if rows else ["prediction"]
    done = {r["index"] for r in read_predictions(folder)}
    todo = [r for r in shard(rows) if r["index"] not in done]
    out, pending = part_path(folder), []
    for row in tqdm(todo, desc=f"predict {data.stem}", disable=not progress):
        messages = messages_for(row, row_images(row, by_index, data), kind)
        pending.append({**row, "prediction": model.generate(messages, gen_kwargs)})
        if len(pending) >= CHUNK:
            append_tsv(out, pending, columns)
            pending = []
    append_tsv(out, pending, columns)
    return out
