"""Append-only on-disk judge cache (JSONL keyed by a content hash) and replay from it.

Every successful reply is appended with the backend identity and the request parameters, so a
rerun replays instead of re-asking and every judgement stays auditable. Failed calls and empty
replies are not cached: a rerun asks again. ``ReplayBackend`` answers from a cache file only
(no network).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from models.external.chat import ChatBackend, ChatReply, ChatRequest, JudgeError, request_key


def load_cache(path: str | Path) -> dict[str, dict[str, Any]]:
    """key -> stored entry; a torn last line (killed run) is ignored."""
    entries: dict[str, dict[str, Any]] = {}
    path = Path(path)
    if not path.exists():
        return entries
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            continue
        entries[entry["key"]] = entry
    return entries


def _reply(entry: dict[str, Any]) -> ChatReply:
    return ChatReply(entry["text"], entry.get("top_logprobs"), cached=True)


class CachedBackend:
    """Wrap a backend: hits come from the file, misses are asked and appended."""

    def __init__(self, inner: ChatBackend, path: str | Path) -> None:
        self.inner, self.path = inner, Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._entries = load_cache(self.path)
        self._lock = threading.Lock()
        self.identity = inner.describe()

    def describe(self) -> dict[str, Any]:
        return {**self.identity, "cache": str(self.path)}

    def complete(self, requests: list[ChatRequest], progress: bool = False) -> list[ChatReply]:
        keys = [request_key(self.identity, r) for r in requests]
        replies: list[ChatReply | None] = [
            _reply(self._entries[k]) if k in self._entries else None for k in keys
        ]
        todo = [i for i, r in enumerate(replies) if r is None]
        fresh = self.inner.complete([requests[i] for i in todo], progress=progress)
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            for i, reply in zip(todo, fresh, strict=True):
                replies[i] = reply
                if reply.error is None and reply.text:  # empty replies are asked again
                    entry = self._entry(keys[i], requests[i], reply)
                    self._entries[keys[i]] = entry
                    f.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return [r for r in replies if r is not None]

    def _entry(self, key: str, request: ChatRequest, reply: ChatReply) -> dict[str, Any]:
        return {
            "key": key,
            "backend": self.identity,
            "max_tokens": request.max_tokens,
            "temperature": request.temperature,
            "prompt": _prompt_text(request),
            "text": reply.text,
            "top_logprobs": reply.top_logprobs,
        }


def _prompt_text(request: ChatRequest) -> str:
    """The text parts of a request (images are represented by their hash in the key)."""
    parts = []
    for m in request.messages:
        content = m["content"]
        if isinstance(content, str):
            parts.append(content)
        else:
            parts.extend(p["text"] for p in content if p.get("type") == "text")
    return "\n".join(parts)


class ReplayBackend:
    """Answers only from a cache file written by ``CachedBackend`` for ``identity``."""

    def __init__(self, path: str | Path, identity: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise JudgeError(f"{self.path}: replay cache not found")
        self._entries = load_cache(self.path)
        identities = {json.dumps(e["backend"], sort_keys=True) for e in self._entries.values()}
        if identity is None and len(identities) > 1:
            raise JudgeError(f"{self.path}: holds several judges; name the one to replay")
        self.identity = identity or (json.loads(identities.pop()) if identities else {})

    def describe(self) -> dict[str, Any]:
        return {**self.identity, "replay": str(self.path)}

    def complete(self, requests: list[ChatRequest], progress: bool = False) -> list[ChatReply]:
        out = []
        for request in requests:
            key = request_key(self.identity, request)
            if key not in self._entries:
                text = _prompt_text(request)[:80]
                raise JudgeError(
                    f"{self.path}: no recorded reply for request {key[:12]} ({text!r})"
                )
            out.append(_reply(self._entries[key]))
        return out
