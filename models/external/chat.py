"""Generic chat requests for judges: interleaved text and images in, text (+ logprobs) out.

Messages follow the OpenAI layout, with one addition for images: a content part
``{"type": "image", "image": PIL.Image | bytes | path, "mime": "image/png"}``. Bytes are sent
unchanged (ImgEdit's judge protocol sends the raw file bytes labelled as PNG); PIL images are
encoded as PNG. Backends convert these parts to their own format.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from PIL import Image

DEFAULT_MIME = "image/png"


@dataclass(frozen=True)
class ChatRequest:
    """One judge call. ``temperature=None`` leaves the server default (as the official calls do)."""

    messages: list[dict[str, Any]]
    max_tokens: int = 512
    temperature: float | None = None
    top_logprobs: int = 0  # > 0: return that many alternatives per generated token
    # Repeat index of an identical request (e.g. MM-Vet's five grading runs): part of the cache
    # key, so each run is asked and cached on its own; never sent to the server.
    run: int = 0


@dataclass(frozen=True)
class ChatReply:
    """Text of the reply, or ``error`` when every attempt failed (``text`` is then None)."""

    text: str | None
    top_logprobs: list[dict[str, float]] | None = None
    error: str | None = None
    cached: bool = False


class ChatBackend(Protocol):
    """Anything that answers chat requests; ``describe()`` is recorded with every result."""

    def describe(self) -> dict[str, Any]: ...

    def complete(self, requests: list[ChatRequest], progress: bool = False) -> list[ChatReply]: ...


@dataclass
class JudgeError(RuntimeError):
    message: str
    details: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.message


def user_message(*parts: str | Image.Image | bytes | Path) -> dict[str, Any]:
    """A user message from text and image parts, in order."""
    content = []
    for part in parts:
        if isinstance(part, str):
            content.append({"type": "text", "text": part})
        else:
            content.append({"type": "image", "image": part})
    return {"role": "user", "content": content}


def image_bytes(image: Image.Image | bytes | str | Path) -> bytes:
    """Raw bytes of an image part: bytes unchanged, files read, PIL images encoded as PNG."""
    if isinstance(image, bytes):
        return image
    if isinstance(image, str | Path):
        return Path(image).read_bytes()
    buf = io.BytesIO()
    image.save(buf, format="PNG")
    return buf.getvalue()


def image_pil(image: Image.Image | bytes | str | Path) -> Image.Image:
    """An image part as an RGB PIL image (for local models)."""
    if isinstance(image, Image.Image):
        return image.convert("RGB")
    return Image.open(io.BytesIO(image_bytes(image))).convert("RGB")


def data_url(part: dict[str, Any]) -> str:
    payload = base64.b64encode(image_bytes(part["image"])).decode("ascii")
    return f"data:{part.get('mime', DEFAULT_MIME)};base64,{payload}"


def _content_for_key(content: Any) -> Any:
    if isinstance(content, str):
        return content
    out = []
    for part in content:
        if part.get("type") == "image":
            digest = hashlib.sha256(image_bytes(part["image"])).hexdigest()
            out.append({"type": "image", "sha256": digest, "mime": part.get("mime", DEFAULT_MIME)})
        else:
            out.append(part)
    return out


def request_key(backend: dict[str, Any], request: ChatRequest) -> str:
    """Content hash of (backend identity, messages with images hashed, parameters)."""
    messages = [{**m, "content": _content_for_key(m["content"])} for m in request.messages]
    payload = {
        "backend": backend,
        "messages": messages,
        "max_tokens": request.max_tokens,
        "temperature": request.temperature,
        "top_logprobs": request.top_logprobs,
    }
    if request.run:  # run 0 keeps the keys of caches written before runs existed
        payload["run"] = request.run
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
