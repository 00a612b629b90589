"""COCO instance detection with transformers' Mask2Former (local folder or hub id).

Returns, per image, instances with the class index of the checkpoint, score, binary mask and the
box derived from the mask (exclusive corners), the arrays GenEval's evaluator records. The model
keeps the top (query, class) pairs by class probability times mask score, as mmdetection 2.x
does; scores come from transformers' post-processing (rounded there to 6 decimals).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from PIL import Image
from transformers import AutoImageProcessor, Mask2FormerForUniversalSegmentation

DEFAULT_MASK2FORMER = "facebook/mask2former-swin-small-coco-instance"  # Swin-S, COCO instances


@dataclass(frozen=True)
class Instance:
    label_id: int
    score: float
    box: tuple[float, float, float, float]  # x1, y1, x2, y2 (exclusive), from the mask
    mask: np.ndarray  # (H, W) bool


def mask_box(mask: np.ndarray) -> tuple[float, float, float, float]:
    """Tight exclusive box of a boolean mask; an empty mask gives a zero box."""
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if rows.size == 0:
        return (0.0, 0.0, 0.0, 0.0)
    return (float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1))


class Mask2FormerDetector:
    """Batched one image at a time (sizes differ); runs on GPU when there is one."""

    def __init__(self, path: str = DEFAULT_MASK2FORMER, device: str | None = None) -> None:
        self.path = path
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.processor = AutoImageProcessor.from_pretrained(path)
        self.model = Mask2FormerForUniversalSegmentation.from_pretrained(path)
        self.model.to(self.device).eval()

    def describe(self) -> dict[str, Any]:
        return {"detector": "mask2former", "model": self.path}

    @property
    def labels(self) -> dict[int, str]:
        return {int(k): v for k, v in self.model.config.id2label.items()}

    @torch.inference_mode()
    def detect(self, image: Image.Image) -> list[Instance]:
        """All instances the post-processing keeps (no score threshold: the scorer applies it)."""
        inputs = self.processor(images=image.convert("RGB"), return_tensors="pt").to(self.device)
        outputs = self.model(**inputs)
        [result] = self.processor.post_process_instance_segmentation(
            outputs,
            threshold=0.0,
            target_sizes=[(image.height, image.width)],
            return_binary_maps=True,
        )
        if result["segmentation"] is None:
            return []
        masks = result["segmentation"].bool().cpu().numpy()
        out = []
        for info, mask in zip(result["segments_info"], masks, strict=True):
            out.append(Instance(int(info["label_id"]), float(info["score"]), mask_box(mask), mask))
        return out
