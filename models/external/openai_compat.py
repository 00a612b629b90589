"""A judge on any OpenAI-compatible chat-completions server (vLLM, SGLang, hosted APIs).

Requests run in a thread pool bounded by ``concurrency``; transport errors, 429 and 5xx are
retried with exponential back-off (``Retry-After`` honoured); other 4xx fail at once. A request
that fails every attempt comes back as a ``ChatReply`` with ``error`` set, never as an exception,
so one bad item does not lose a batch.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx
from tqdm import tqdm

from models.external.chat import ChatReply, ChatRequest, data_url

RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}
API_KEY_ENV = "OPENAI_API_KEY"


@dataclass
class OpenAICompatConfig:
    base_url: str
    model: str
    api_key: str | None = None  # default: $OPENAI_API_KEY, else no Authorization header
    concurrency: int = 8
    max_retries: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 30.0
    timeout_s: float = 120.0


def to_openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our image parts become ``image_url`` data URLs; everything else passes through."""
    out = []
    for m in messages:
        content = m["content"]
        if not isinstance(content, str):
            content = [
                {"type": "image_url", "image_url": {"url": data_url(p)}}
                if p.get("type") == "image"
                else p
                for p in content
            ]
        out.append({**m, "content": content})
    return out


def _parse_logprobs(choice: dict[str, Any]) -> list[dict[str, float]] | None:
    content = (choice.get("logprobs") or {}).get("content")
    if not content:
        return None
    return [
        {t["token"]: float(t["logprob"]) for t in tok.get("top_logprobs", [])} for tok in content
    ]


class OpenAICompatBackend:
    """Chat completions over HTTP; thread-safe, one pooled client."""

    def __init__(self, config: OpenAICompatConfig) -> None:
        self.config = config
        key = config.api_key or os.environ.get(API_KEY_ENV)
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        limits = httpx.Limits(max_connections=config.concurrency)
        self._client = httpx.Client(headers=headers, timeout=config.timeout_s, limits=limits)
        self._url = config.base_url.rstrip("/") + "/chat/completions"

    def describe(self) -> dict[str, Any]:
        return {"backend": "openai", "base_url": self.config.base_url, "model": self.config.model}

    def _body(self, request: ChatRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": to_openai_messages(request.messages),
            "max_tokens": request.max_tokens,
            "stream": False,
        }
        if request.temperature is not None:
            body["temperature"] = request.temperature
        if request.top_logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = request.top_logprobs
        return body

    def _delay(self, attempt: int, response: httpx.Response | None) -> float:
        retry_after = response.headers.get("retry-after") if response is not None else None
        if retry_after is not None:
            try:
                return min(float(retry_after), self.config.max_backoff_s)
            except ValueError:
                pass
        return min(self.config.backoff_s * 2**attempt, self.config.max_backoff_s)

    def complete_one(self, request: ChatRequest) -> ChatReply:
        body, error = self._body(request), "no attempt made"
        for attempt in range(self.config.max_retries + 1):
            response = None
            try:
                response = self._client.post(self._url, json=body)
                if response.status_code == 200:
                    choice = response.json()["choices"][0]
                    text = choice["message"].get("content") or ""
                    return ChatReply(text, _parse_logprobs(choice))
                error = f"HTTP {response.status_code}: {response.text[:200]}"
                if response.status_code not in RETRY_STATUS:
                    break
            except (httpx.TransportError, ValueError, KeyError, IndexError) as e:
                error = f"{type(e).__name__}: {e}"
            if attempt < self.config.max_retries:
                time.sleep(self._delay(attempt, response))
        return ChatReply(None, error=error)

    def complete(self, requests: list[ChatRequest], progress: bool = False) -> list[ChatReply]:
        """All replies in request order, at most ``concurrency`` in flight."""
        with ThreadPoolExecutor(max_workers=self.config.concurrency) as pool:
            results = pool.map(self.complete_one, requests)
            return list(tqdm(results, total=len(requests), desc="judge", disable=not progress))

    def close(self) -> None:
        self._client.close()
