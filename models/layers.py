"""Building blocks shared by the DiT, the Q-Former and MammothTok's ViTs.

Legend: T tokens, D model width, H query heads, K key/value heads, E head dim.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.attention import Layout, attend
from models.rope import apply_rope

FFN_MULTIPLE = 256  # Lumina rounds the SwiGLU width up to a multiple of this (4*2304 -> 9216)
INIT_STD = 0.02


def swiglu_width(dim: int, mult: float = 4.0, multiple_of: int = FFN_MULTIPLE) -> int:
    """Inner SwiGLU width: ``mult * dim`` rounded up to ``multiple_of`` (not the 2/3 rule)."""
    width = int(mult * dim)
    return multiple_of * ((width + multiple_of - 1) // multiple_of)


class SwiGLU(nn.Module):
    """Bias-free gated FFN: w2(silu(w1 x) * w3 x)."""

    def __init__(self, dim: int, hidden: int) -> None:
        super().__init__()
        self.w1 = nn.Linear(dim, hidden, bias=False)
        self.w3 = nn.Linear(dim, hidden, bias=False)
        self.w2 = nn.Linear(hidden, dim, bias=False)

    def forward(self, x_TD: torch.Tensor) -> torch.Tensor:
        return self.w2(F.silu(self.w1(x_TD)) * self.w3(x_TD))


class Attention(nn.Module):
    """Bias-free GQA attention with QK-RMSNorm; self- or cross-attention over a token layout."""

    def __init__(
        self,
        dim: int,
        heads: int,
        kv_heads: int | None = None,
        kv_dim: int | None = None,
        qk_norm: bool = True,
        eps: float = 1e-6,
    ) -> None:
        super().__init__()
        kv_heads = heads if kv_heads is None else kv_heads
        if dim % heads or heads % kv_heads:
            raise ValueError(f"dim {dim} / heads {heads} / kv_heads {kv_heads} do not divide")
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, dim // heads
        kv_dim = dim if kv_dim is None else kv_dim
        self.q = nn.Linear(dim, heads * self.head_dim, bias=False)
        self.kv = nn.Linear(kv_dim, 2 * kv_heads * self.head_dim, bias=False)
        self.out = nn.Linear(heads * self.head_dim, dim, bias=False)
        self.q_norm = nn.RMSNorm(self.head_dim, eps=eps) if qk_norm else nn.Identity()
        self.k_norm = nn.RMSNorm(self.head_dim, eps=eps) if qk_norm else nn.Identity()

    def forward(
        self,
        x_TD: torch.Tensor,
        layout: Layout,
        rope_TE2: torch.Tensor | None = None,
        context_SD: torch.Tensor | None = None,
        context_layout: Layout | None = None,
    ) -> torch.Tensor:
        """Attend within ``layout``; with ``context_SD`` keys/values come from it (no RoPE)."""
        kv_src = x_TD if context_SD is None else context_SD
        q_THE = self.q_norm(self.q(x_TD).unflatten(-1, (self.heads, self.head_dim)))
        k_SKE, v_SKE = self.kv(kv_src).unflatten(-1, (2, self.kv_heads, self.head_dim)).unbind(-3)
        k_SKE = self.k_norm(k_SKE)
        if rope_TE2 is not None:
            q_THE, k_SKE = apply_rope(q_THE, rope_TE2), apply_rope(k_SKE, rope_TE2)
        o_THE = attend(q_THE, k_SKE.to(q_THE.dtype), v_SKE.to(q_THE.dtype), layout, context_layout)
        return self.out(o_THE.flatten(-2))
