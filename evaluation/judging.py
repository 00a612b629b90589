"""Asking a judge for many items, resumably: the oracle stage of ImgEdit, RealUnify, DPG-Bench.

Requests go out in chunks; each chunk's replies are appended to the output file at once, so a
killed run loses at most one chunk and a rerun asks only what is missing (the judge's own on-disk
cache makes even that chunk free). Failed calls are recorded with their error.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from tqdm import tqdm

from models.external.backends import make_backend
from models.external.chat import ChatBackend, ChatReply, ChatRequest

CHUNK = 64  # requests per append to disk
JUDGE_CACHE = "judge_cache.jsonl"


@dataclass(frozen=True)
class JudgeOptions:
    spec: str  # openai:URL:MODEL | transformers:PATH | replay:FILE
    concurrency: int = 8
    device: str | None = None
    max_tokens: int = 512
    extra: dict[str, Any] = field(default_factory=dict)


def open_judge(options: JudgeOptions, run_root: Path) -> ChatBackend:
    """The judge of ``options``; live judges are cached in the run folder."""
    cache = None if options.spec.startswith("replay:") else run_root / JUDGE_CACHE
    return make_backend(options.spec, cache, options.concurrency, options.device)


def ask_all(
    backend: ChatBackend,
    todo: list[tuple[Hashable, ChatRequest]],
    write: Callable[[list[tuple[Hashable, ChatReply]]], None],
    progress: bool = True,
) -> None:
    """Ask every request and hand (id, reply) pairs to ``write`` chunk by chunk."""
    with tqdm(total=len(todo), desc="judge", disable=not progress) as bar:
        for start in range(0, len(todo), CHUNK):
            chunk = todo[start : start + CHUNK]
            replies = backend.complete([r for _, r in chunk])
            write([(ident, reply) for (ident, _), reply in zip(chunk, replies, strict=True)])
            bar.update(len(chunk))


def open_image_bytes(path: Path) -> bytes | None:
    """Raw bytes of an image file, or None when it is missing (recorded as a failure)."""
    return path.read_bytes() if path.is_file() else None


def load_rgb(path: Path) -> Image.Image:
    return Image.open(path).convert("RGB")
