"""CLIP image and text embeddings with transformers' `CLIPModel` (local folder or hub id).

Embeddings are the *projected* features (`get_image_features` / `get_text_features`, OpenAI's
`encode_image` / `encode_text`), L2-normalised with zero vectors left as they are, as float32
numpy arrays. Runs on GPU when one is available; batches are the caller's choice.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from PIL import Image
from transformers import AutoTokenizer, CLIPImageProcessor, CLIPModel

DEFAULT_CLIP = "openai/clip-vit-large-patch14"  # ViT-L/14 at 224 px, 768-d projections


def l2_normalise(x: np.ndarray) -> np.ndarray:
    """Rows divided by their L2 norm; all-zero rows stay zero."""
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


def _features(out: Any) -> torch.Tensor:
    """transformers < 5 returns the tensor, >= 5 an output whose pooler_output is it."""
    return out if isinstance(out, torch.Tensor) else out.pooler_output


class CLIPEmbedder:
    def __init__(self, path: str = DEFAULT_CLIP, device: str | None = None) -> None:
        self.path = path
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")
        dtype = torch.float16 if self.device.startswith("cuda") else torch.float32
        self.model = CLIPModel.from_pretrained(path, dtype=dtype).to(self.device).eval()
        self.image_processor = CLIPImageProcessor.from_pretrained(path)
        self._tokenizer = None
        self.dim = self.model.config.projection_dim

    def describe(self) -> dict[str, Any]:
        return {
            "model": self.path,
            "class": type(self.model).__name__,
            "revision": getattr(self.model.config, "_commit_hash", None),
            "projection_dim": self.dim,
            "normalised": "l2",
        }

    @torch.inference_mode()
    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """[N, projection_dim] L2-normalised image embeddings."""
        if not images:
            return np.zeros((0, self.dim), np.float32)
        pixels = self.image_processor(images=list(images), return_tensors="pt")["pixel_values"]
        pixels = pixels.to(self.device, self.model.dtype)
        feats = _features(self.model.get_image_features(pixel_values=pixels))
        return l2_normalise(feats.float().cpu().numpy())

    @torch.inference_mode()
    def embed_texts(self, texts: Sequence[str]) -> np.ndarray:
        """[N, projection_dim] L2-normalised text embeddings (truncated to the model's context)."""
        if self._tokenizer is None:
            self._tokenizer = AutoTokenizer.from_pretrained(self.path)
        tokens = self._tokenizer(list(texts), padding=True, truncation=True, return_tensors="pt")
        feats = _features(self.model.get_text_features(**tokens.to(self.device)))
        return l2_normalise(feats.float().cpu().numpy())


@functools.lru_cache(maxsize=2)
def clip_embedder(path: str = DEFAULT_CLIP, device: str | None = None) -> CLIPEmbedder:
    """One loaded model per process and (path, device)."""
    return CLIPEmbedder(path, device)
