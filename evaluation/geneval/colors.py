"""GenEval's colour classifier: CLIP zero-shot over the 10 colours, as the official one does it.

Per class name a text classifier: for each colour the three templates ``a photo of a {c} {cls}``,
``a photo of a {c}-colored {cls}``, ``a photo of a {c} object`` (always "a"), each embedding
L2-normalised, averaged, normalised again. Per object: the image inside the mask over a #999
canvas, cropped to the box (coordinates rounded half-to-even, as PIL's crop of float boxes),
CLIP's eval transform, logits = 100 x feature . classifier, first index wins ties (spec 1.5).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import numpy as np
import torch
from PIL import Image
from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

from evaluation.geneval.metadata import COLORS

BACKGROUND = (153, 153, 153)  # "#999" outside the mask (spec 1.4)
LOGIT_SCALE = 100.0
TEMPLATES = ("a photo of a {c} {cls}", "a photo of a {c}-colored {cls}", "a photo of a {c} object")
DEFAULT_CLIP = "openai/clip-vit-large-patch14"  # ViT-L/14, OpenAI weights


def color_prompts(classname: str) -> list[list[str]]:
    """Per colour (official order), the three template texts."""
    return [[t.format(c=c, cls=classname) for t in TEMPLATES] for c in COLORS]


def color_crop(image: Image.Image, box: tuple[float, ...], mask: np.ndarray | None) -> Image.Image:
    """The object on a #999 background (if masked), cropped to its box."""
    image = image.convert("RGB")
    if mask is not None:
        canvas = Image.new("RGB", image.size, BACKGROUND)
        image = Image.composite(image, canvas, Image.fromarray(mask.astype(np.uint8) * 255))
    return image.crop(tuple(round(v) for v in box[:4]))


def _normalise(x: torch.Tensor) -> torch.Tensor:
    return x / x.norm(dim=-1, keepdim=True)


def _features(out: Any) -> torch.Tensor:
    return out if isinstance(out, torch.Tensor) else out.pooler_output


class ClipColorClassifier:
    def __init__(self, path: str = DEFAULT_CLIP, device: str | None = None) -> None:
        self.path = path
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.model = CLIPModel.from_pretrained(path).to(self.device).eval()
        self.processor = CLIPImageProcessor.from_pretrained(path)
        self.tokenizer = AutoTokenizer.from_pretrained(path)
        self._classifier = lru_cache(maxsize=None)(self._build)

    @torch.inference_mode()
    def _build(self, classname: str) -> torch.Tensor:
        rows = []
        for texts in color_prompts(classname):
            tokens = self.tokenizer(texts, padding=True, return_tensors="pt").to(self.device)
            emb = _normalise(_features(self.model.get_text_features(**tokens)).float())
            rows.append(_normalise(emb.mean(dim=0)))
        return torch.stack(rows)  # (10, D)

    @torch.inference_mode()
    def classify(
        self, image: Image.Image, classname: str, box: tuple[float, ...], mask: np.ndarray | None
    ) -> str:
        crop = color_crop(image, box, mask)
        pixels = self.processor(images=crop, return_tensors="pt")["pixel_values"].to(self.device)
        feature = _normalise(_features(self.model.get_image_features(pixel_values=pixels)).float())
        logits = LOGIT_SCALE * feature @ self._classifier(classname).T
        return COLORS[int(logits[0].argmax())]
