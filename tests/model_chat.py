"""Asking a Mammoth2 model directly, as the evaluation stages document their messages: one user
turn with the images first, then the text (tests compare recorded answers with this)."""

from __future__ import annotations

from PIL import Image

from models.mammoth2 import Mammoth2


def ask(model: Mammoth2, images: list[Image.Image], text: str, tokens: int) -> str:
    """The model's greedy ``chat`` answer, at most ``tokens`` new tokens."""
    parts = [{"type": "image", "image": im} for im in images] + [{"type": "text", "text": text}]
    return model.chat([{"role": "user", "content": parts}], max_new_tokens=tokens)
