"""Judge backends from one spec string, as every command line takes them.

``openai:URL:MODEL`` (any OpenAI-compatible server; the model is after the last colon),
``transformers:PATH_OR_HUB_ID`` (local VLM), ``replay:FILE`` (answers from a cache only).
With ``cache=PATH`` a live backend is wrapped in the append-only cache.
"""

from __future__ import annotations

from pathlib import Path

from models.external.cache import CachedBackend, ReplayBackend
from models.external.chat import ChatBackend, JudgeError
from models.external.openai_compat import OpenAICompatBackend, OpenAICompatConfig

KINDS = ("openai", "transformers", "replay")


def make_backend(
    spec: str, cache: str | Path | None = None, concurrency: int = 8, device: str | None = None
) -> ChatBackend:
    """Build the backend named by ``spec``; unknown kinds raise ``JudgeError`` listing the known."""
    kind, _, rest = spec.partition(":")
    if kind == "replay":
        return ReplayBackend(rest)
    if kind == "openai":
        url, sep, model = rest.rpartition(":")
        if not sep or not url.startswith(("http://", "https://")) or not model:
            raise JudgeError(f"judge spec {spec!r}: expected openai:http(s)://HOST[:PORT]/v1:MODEL")
        backend: ChatBackend = OpenAICompatBackend(
            OpenAICompatConfig(base_url=url, model=model, concurrency=concurrency)
        )
    elif kind == "transformers":
        from models.external.transformers_vlm import TransformersVLM

        backend = TransformersVLM(rest, device=device)
    else:
        raise JudgeError(f"judge spec {spec!r}: unknown kind {kind!r} (known: {', '.join(KINDS)})")
    return CachedBackend(backend, cache) if cache is not None else backend
