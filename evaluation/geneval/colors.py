"""GenEval's colour classifier: CLIP zero-shot over the 10 colours, as the official one does it.

Per class name a text classifier: for each colour the three templates ``a photo of a {c} {cls}``,
``a photo of a {c}-colored {cls}``, ``a photo of a {c} object`` (always "a"), each embedding
L2-normalised, averaged, normalised again. Per object: the image inside the mask over a #999
canvas, cropped to the box (coordinates rounded half-to-even, as PIL's crop of float boxes),
CLIP's eval transform, logits = 100 x feature . classifier, first index wins ties (spec 1.5).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from PIL import Image

from evaluation.geneval.metadata import COLORS
from models.external.clip import DEFAULT_CLIP, CLIPEmbedder, clip_embedder, l2_normalise

BACKGROUND = (153, 153, 153)  # "#999" outside the mask (spec 1.4)
LOGIT_SCALE = 100.0
TEMPLATES = ("a photo of a {c} {cls}", "a photo of a {c}-colored {cls}", "a photo of a {c} object")


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


class ClipColorClassifier:
    """Zero-shot colours over the shared CLIP embedder (``models.external.clip``: projected,
    L2-normalised features; one loaded model per process, path and device)."""

    def __init__(self, path: str = DEFAULT_CLIP, device: str | None = None) -> None:
        self.embedder: CLIPEmbedder = clip_embedder(path, device)
        self.classifier = lru_cache(maxsize=None)(self._build)

    def _build(self, classname: str) -> np.ndarray:
        """(10, D): per colour, the normalised mean of its three normalised template embeddings."""
        rows = [self.embedder.embed_texts(texts).mean(axis=0) for texts in color_prompts(classname)]
        return l2_normalise(np.stack(rows))

    def classify(
        self, image: Image.Image, classname: str, box: tuple[float, ...], mask: np.ndarray | None
    ) -> str:
        feature = self.embedder.embed_images([color_crop(image, box, mask)])  # (1, D)
        logits = LOGIT_SCALE * feature @ self.classifier(classname).T
        return COLORS[int(logits[0].argmax())]
