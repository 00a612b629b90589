"""`ocr`: text presence, recognised text and text area per image (rapidocr, PP-OCRv4)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from corpus.schema import Image
from filters.imageio import decode_rgb
from filters.operator import ImageOperator, Verdict, image_stat, measure_param, param, register
from models.external.ocr import DEFAULT_DET_LIMIT_SIDE, ocr_engine

# Lines without a letter or digit are the recogniser reading shapes as glyphs (a star as "★").
WORD_CHARS = re.compile(r"[^\W_]")
DEFAULT_MIN_CONFIDENCE = 0.5  # recogniser score below which a line is not counted as text


@dataclass
class OCRParams:
    max_text_area: float | None = param(None, "fraction of the image; drop above (text-heavy)")
    min_text_area: float | None = param(None, "fraction; drop below (e.g. text-rendering sets)")
    require_text: bool = param(False, "drop images where no text was found")
    min_confidence: float = measure_param(DEFAULT_MIN_CONFIDENCE, "0-1; lines below are ignored")
    det_limit_side: int = measure_param(DEFAULT_DET_LIMIT_SIDE, "px; detector input long side")
    any_or_all: str = param("all", "multi-image samples: every image must pass, or any one")
    roles: list[str] | None = param(None, "image roles to read (default: all)")


@register
class OCR(ImageOperator):
    name = "ocr"
    doc = "text presence, recognised text and text area (rapidocr-onnxruntime PP-OCRv4, CPU)"
    Params = OCRParams
    requires = ("rapidocr_onnxruntime",)
    batch_size = 16
    STATS = {
        "text": image_stat("text", "recognised lines joined by spaces", "str"),
        "lines": image_stat("count", "text lines with a letter or digit", "int"),
        "confidence": image_stat("0-1", "mean recogniser score of those lines"),
        "text_area": image_stat("fraction", "area of their boxes / image area"),
    }

    def setup(self) -> None:
        self.engine = ocr_engine(self.params.det_limit_side)

    def measure_image(self, image: Image) -> dict[str, Any]:
        pil = decode_rgb(image, self.params.det_limit_side)
        found = [b for b in self.engine.read(pil) if WORD_CHARS.search(b.text)]
        found = [b for b in found if b.score >= self.params.min_confidence]
        area = sum((b.box[2] - b.box[0]) * (b.box[3] - b.box[1]) for b in found)
        return {
            "text": " ".join(b.text for b in found),
            "lines": len(found),
            "confidence": sum(b.score for b in found) / len(found) if found else None,
            "text_area": min(1.0, area / (pil.width * pil.height)),
        }

    def decide_image(self, s: dict[str, Any]) -> Verdict:
        p: OCRParams = self.params
        if p.require_text and s["lines"] == 0:
            return "no_text", "no text found"
        if p.max_text_area is not None and s["text_area"] > p.max_text_area:
            return "too_much_text", f"text covers {s['text_area']:.2f} > {p.max_text_area}"
        if p.min_text_area is not None and s["text_area"] < p.min_text_area:
            return "too_little_text", f"text covers {s['text_area']:.2f} < {p.min_text_area}"
        return None
