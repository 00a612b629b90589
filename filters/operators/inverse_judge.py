"""Asking a judge model for the inverse of an edit instruction that no rule inverts.

The judge sees the source and the target image and the forward instruction, and writes the
instruction that edits the target back into the source. Its reply counts only when it is one
non-empty line that differs from the forward instruction; otherwise, or when the judge fails,
`check` says why, and the edit gets no backward pair (its forward sample stays).
"""

from __future__ import annotations

from corpus.schema import Sample
from filters.imageio import judge_view
from models.external.chat import ChatBackend, ChatReply, ChatRequest, JudgeError, user_message

PROMPT = (
    "The first image was edited into the second image with this instruction:\n{instruction}\n"
    "Write the instruction that edits the second image back into the first. Reply with that "
    "instruction only, on one line."
)
MAX_TOKENS = 64


def request(sample: Sample) -> ChatRequest:
    """The fixed prompt with both images, answered greedily."""
    images = [judge_view(sample.image("source")), judge_view(sample.image("target"))]
    text = PROMPT.format(instruction=sample.instruction)
    return ChatRequest([user_message(*images, text)], max_tokens=MAX_TOKENS, temperature=0.0)


def ask(backend: ChatBackend, requests: list[ChatRequest]) -> list[ChatReply]:
    """The judge's replies; a request it cannot answer (a replay cache without it) gets an error
    reply instead of failing the others."""
    try:
        return backend.complete(requests)
    except JudgeError as e:
        if len(requests) == 1:
            return [ChatReply(None, error=str(e))]
        return [reply for r in requests for reply in ask(backend, [r])]


def check(reply: ChatReply, forward: str) -> tuple[str | None, str | None]:
    """(the inverse instruction, None) or (None, why the reply is not one)."""
    text = (reply.text or "").strip()
    if reply.error:
        return None, f"judge failed: {reply.error}"
    if not text or "\n" in text:
        return None, f"judge reply is not one non-empty line: {text[:80]!r}"
    if text.rstrip(".!").casefold() == forward.strip().rstrip(".!").casefold():
        return None, "judge reply repeats the forward instruction"
    return text, None
