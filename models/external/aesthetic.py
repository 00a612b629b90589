"""The LAION improved aesthetic predictor v2 head (`sac+logos+ava1-l14-linearMSE.pth`).

The file holds Linear 768-1024-128-64-16-1 layers (`layers.{0,2,4,6,7}`) with dropout between
them and no activation, so in eval mode the network is one affine map 768 -> 1; it is collapsed
to (w, b) in float64 once at load. Input: CLIP ViT-L/14 projected image embeddings,
L2-normalised. Output: the AVA-style ~1-10 rating (LAION-Aesthetics V2 used 4.5 / 5 / 6 / 6.5 as
thresholds). The file is read with `torch.load(weights_only=True)`: tensors only, no code.
The released file is bundled with the project (``DEFAULT_HEAD``).
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

LINEAR_LAYERS = ("layers.0", "layers.2", "layers.4", "layers.6", "layers.7")
EMBED_DIM = 768  # CLIP ViT-L/14 projection size
# The released weights, bundled unmodified (Apache-2.0; weights/aesthetic/ATTRIBUTION.md).
DEFAULT_HEAD = str(Path(__file__).parent / "weights/aesthetic/sac+logos+ava1-l14-linearMSE.pth")


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """The head's tensors as float64 numpy arrays."""
    import torch

    state = torch.load(Path(path), map_location="cpu", weights_only=True)
    return {k: v.double().numpy() for k, v in state.items()}


@dataclass(frozen=True)
class AestheticHead:
    weight: np.ndarray  # [768]
    bias: float
    sha256: str
    path: str

    @classmethod
    def load(cls, path: str | Path) -> AestheticHead:
        state = load_state_dict(path)
        expected = {f"{layer}.{p}" for layer in LINEAR_LAYERS for p in ("weight", "bias")}
        if set(state) != expected:
            raise ValueError(
                f"{path}: not the linearMSE aesthetic head (keys {sorted(state)}); "
                "variants with activations cannot be collapsed to an affine map"
            )
        weight, bias = np.eye(EMBED_DIM), np.zeros(EMBED_DIM)
        for layer in LINEAR_LAYERS:  # y = W x + b, composed layer by layer
            w, b = state[f"{layer}.weight"], state[f"{layer}.bias"]
            weight, bias = w @ weight, w @ bias + b
        digest = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        return cls(weight[0], float(bias[0]), digest, str(path))

    def score(self, embeddings: np.ndarray) -> np.ndarray:
        """[N] scores of [N, 768] embeddings that are already L2-normalised."""
        return embeddings.astype(np.float64) @ self.weight + self.bias

    def describe(self) -> dict[str, Any]:
        return {"head": Path(self.path).name, "head_sha256": self.sha256, "scale": "1-10 (AVA)"}


@functools.lru_cache(maxsize=2)
def aesthetic_head(path: str) -> AestheticHead:
    return AestheticHead.load(path)
