"""OCR with rapidocr-onnxruntime: the PP-OCRv4 detector and recogniser that ship in the package.

No download and no GPU needed. The detector works on the image scaled so its longer side is at
most `det_limit_side` px (rapidocr's default scales the *shorter* side up to 736 px, which makes
small images about 10x slower for no gain on printed text). The angle classifier is off by
default: it only matters for upside-down text.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

DEFAULT_DET_LIMIT_SIDE = 736  # px; PP-OCR's usual detector input size
DEFAULT_THREADS = 1  # onnxruntime threads per engine: one per worker process scales best


@dataclass(frozen=True)
class TextBox:
    """One recognised line: its text, recogniser confidence (0-1) and axis-aligned box in px."""

    text: str
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2


class OCREngine:
    """`read(image)` -> the text lines found in a PIL image, in the detector's order."""

    def __init__(
        self,
        det_limit_side: int = DEFAULT_DET_LIMIT_SIDE,
        threads: int = DEFAULT_THREADS,
        use_angle_cls: bool = False,
    ) -> None:
        from rapidocr_onnxruntime import RapidOCR

        self.config = {
            "det_limit_side_len": det_limit_side,
            "det_limit_type": "max",
            "use_cls": use_angle_cls,
            "intra_op_num_threads": threads,
            "inter_op_num_threads": threads,
        }
        self._engine = RapidOCR(**self.config)

    def describe(self) -> dict[str, Any]:
        import rapidocr_onnxruntime

        version = getattr(rapidocr_onnxruntime, "__version__", "unknown")
        return {"engine": "rapidocr-onnxruntime", "version": version, **self.config}

    def read(self, image: Image.Image) -> list[TextBox]:
        result, _ = self._engine(np.asarray(image.convert("RGB")))
        boxes = []
        for points, text, score in result or []:
            xs, ys = [p[0] for p in points], [p[1] for p in points]
            boxes.append(TextBox(text, float(score), (min(xs), min(ys), max(xs), max(ys))))
        return boxes


@functools.lru_cache(maxsize=4)
def ocr_engine(
    det_limit_side: int = DEFAULT_DET_LIMIT_SIDE, threads: int = DEFAULT_THREADS
) -> OCREngine:
    """One engine per process and configuration (loading the ONNX models takes ~1 s)."""
    return OCREngine(det_limit_side, threads)
