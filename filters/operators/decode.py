"""`decode`: full-decode integrity check (truncated or corrupt streams that headers hide)."""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Any

import PIL.Image

from corpus.schema import Image
from filters.operator import ImageOperator, Verdict, image_stat, param, register

ERROR_CHARS = 160


@dataclass
class DecodeParams:
    any_or_all: str = param("all", "multi-image samples: every image must decode, or any one")
    roles: list[str] | None = param(None, "image roles to check (default: all)")


@register
class Decode(ImageOperator):
    name = "decode"
    doc = "decodes every pixel; drops truncated/corrupt images and header/pixel size mismatches"
    Params = DecodeParams
    requires = ("PIL",)
    batch_size = 64
    STATS = {
        "ok": image_stat("bool", "the image decoded completely with the header's size", "bool"),
        "message": image_stat("text", "the decoder's message when it failed", "str"),
    }

    def measure_image(self, image: Image) -> dict[str, Any]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                with PIL.Image.open(io.BytesIO(image.data)) as img:
                    img.load()
                    size = img.size
            except Exception as e:  # Pillow raises many types for corrupt streams
                return {"ok": False, "message": f"{type(e).__name__}: {e}"[:ERROR_CHARS]}
        if size != (image.width, image.height):
            detail = f"decoded size {size} differs from header {image.width}x{image.height}"
            return {"ok": False, "message": detail}
        return {"ok": True, "message": None}

    def decide_image(self, s: dict[str, Any]) -> Verdict:
        return None if s["ok"] else ("corrupt", s["message"] or "does not decode")
