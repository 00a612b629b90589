"""`aesthetic`: the LAION improved aesthetic predictor v2 on CLIP ViT-L/14 image embeddings.

Scores are stored on the predictor's native ~1-10 scale (not divided by 10 as Data-Juicer does).
The CLIP model is loaded with transformers from a local folder or hub id (`embedder`), once per
worker, and runs batched on GPU when there is one. Point `embedder` at a local copy of
`openai/clip-vit-large-patch14` on machines without hub access; `head` defaults to the released
weights, bundled with the project (`models/external/weights/aesthetic/`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from corpus.schema import Sample
from filters.imageio import decode_rgb
from filters.operator import ImageOperator, Verdict, image_stat, measure_param, param, register
from models.external.aesthetic import DEFAULT_HEAD

DEFAULT_MIN_SCORE = 5.0  # LAION-Aesthetics V2 "5+" subset; SD v1.2+ trained on > 5.0
CLIP_DECODE_SIDE = 448  # CLIP resizes to 224 px; decoding (JPEG draft) at 2x keeps quality


@dataclass
class AestheticParams:
    min_score: float | None = param(DEFAULT_MIN_SCORE, "LAION 1-10 scale; drop below")
    max_score: float | None = param(None, "LAION 1-10 scale; drop above")
    embedder: str = measure_param("openai/clip-vit-large-patch14", "CLIP folder or hub id")
    head: str = measure_param(DEFAULT_HEAD, "path of the .pth head weights (default: bundled)")
    device: str | None = measure_param(None, "torch device (default: cuda when available)")
    any_or_all: str = param("all", "multi-image samples: every image must pass, or any one")
    roles: list[str] | None = param(None, "image roles to score (default: all)")


@register
class Aesthetic(ImageOperator):
    name = "aesthetic"
    doc = "LAION aesthetic predictor v2 (linearMSE head) on L2-normalised CLIP ViT-L/14 embeddings"
    Params = AestheticParams
    requires = ("torch", "transformers")
    batch_size = 32
    STATS = {"score": image_stat("LAION 1-10", "aesthetic_laion_v2 on its native scale")}

    def setup(self) -> None:
        from models.external.aesthetic import aesthetic_head
        from models.external.clip import clip_embedder

        self.clip = clip_embedder(self.params.embedder, self.params.device)
        self.head = aesthetic_head(str(self.params.head))
        if self.clip.dim != self.head.weight.shape[0]:
            raise ValueError(
                f"embedder {self.params.embedder} gives {self.clip.dim}-d embeddings; "
                f"the aesthetic head needs {self.head.weight.shape[0]} (CLIP ViT-L/14)"
            )

    def measure_batch(self, samples: Sequence[Sample]) -> list[dict[str, Any]]:
        images = [self.images(s) for s in samples]
        flat = [decode_rgb(img, CLIP_DECODE_SIDE) for imgs in images for img in imgs]
        scores = iter(self.head.score(self.clip.embed_images(flat)).tolist())
        return [{"score": [next(scores) for _ in imgs]} for imgs in images]

    def decide_image(self, s: dict[str, Any]) -> Verdict:
        p: AestheticParams = self.params
        if p.min_score is not None and s["score"] < p.min_score:
            return "low_aesthetic", f"aesthetic {s['score']:.2f} < {p.min_score}"
        if p.max_score is not None and s["score"] > p.max_score:
            return "high_aesthetic", f"aesthetic {s['score']:.2f} > {p.max_score}"
        return None

    def describe(self) -> dict[str, Any]:
        out = super().describe()
        if hasattr(self, "clip"):
            out.update(embedder=self.clip.describe(), head=self.head.describe())
        return out
