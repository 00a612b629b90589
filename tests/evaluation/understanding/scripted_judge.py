"""A judge backend that answers from a function of the prompt (no server, no network)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from models.external.chat import ChatReply, ChatRequest


class ScriptedBackend:
    """``reply(prompt_text)`` answers each request; None plays a failed call."""

    def __init__(self, reply: Callable[[str], str | None]) -> None:
        self.reply = reply
        self.prompts: list[str] = []

    def describe(self) -> dict[str, Any]:
        return {"backend": "scripted"}

    def complete(self, requests: list[ChatRequest], progress: bool = False) -> list[ChatReply]:
        out = []
        for request in requests:
            text = "\n".join(p["text"] for p in request.messages[-1]["content"])
            self.prompts.append(text)
            answer = self.reply(text)
            out.append(ChatReply(answer, error=None if answer is not None else "scripted failure"))
        return out
