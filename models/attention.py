"""Attention over packed (padding-free) or right-padded token streams.

Every model in this package keeps its tokens as one flat stream ``x_TD`` (T tokens, D channels).
A *layout* says how the stream splits into independent sequences:

* :class:`Packed` -- sequences are concatenated; ``cu_seqlens`` marks their boundaries. On a GPU
  with flash-attn installed this runs ``flash_attn_varlen_func``; elsewhere an exact loop of SDPA
  calls, one per segment (memory sum(l_i^2) instead of T^2, and faster than a dense mask on CPU).
* :class:`Padded` -- B rows of equal length L (T = B*L) with a key mask; pad queries still produce
  outputs (ignored by callers) but pad keys are never attended.

Legend: T tokens, H query heads, K key/value heads, E head dim, S segments, B rows, L row length.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

try:  # flash-attn is a CUDA-only optional extra; never required.
    from flash_attn import flash_attn_varlen_func
except ImportError:  # pragma: no cover - depends on the machine
    flash_attn_varlen_func = None

FLASH_DTYPES = (torch.float16, torch.bfloat16)


@dataclass(frozen=True)
class Packed:
    """Concatenated sequences: segment s is tokens ``cu_seqlens[s]:cu_seqlens[s+1]``."""

    cu_seqlens: torch.Tensor  # (S+1,) int32
    max_len: int

    @classmethod
    def from_lengths(cls, lengths: list[int], device: torch.device | str = "cpu") -> Packed:
        cu = torch.zeros(len(lengths) + 1, dtype=torch.int32, device=device)
        if lengths:
            cu[1:] = torch.cumsum(torch.tensor(lengths, device=device), 0)
        return cls(cu, max(lengths, default=0))

    @property
    def lengths(self) -> list[int]:
        return (self.cu_seqlens[1:] - self.cu_seqlens[:-1]).tolist()


@dataclass(frozen=True)
class Padded:
    """B rows of length L, flattened to T = B*L tokens; ``key_mask_BL`` is True on real tokens."""

    key_mask_BL: torch.Tensor  # (B, L) bool

    @classmethod
    def from_lengths(cls, lengths: list[int], device: torch.device | str = "cpu") -> Padded:
        width = max(lengths, default=0)
        mask = (
            torch.arange(width, device=device)[None, :]
            < torch.tensor(lengths, device=device)[:, None]
        )
        return cls(mask)


Layout = Packed | Padded


def attend(
    q_THE: torch.Tensor,
    k_TKE: torch.Tensor,
    v_TKE: torch.Tensor,
    q_layout: Layout,
    kv_layout: Layout | None = None,
    causal: bool = False,
) -> torch.Tensor:
    """Scaled dot-product attention within each sequence of the layout; returns (T_q, H, E).

    ``kv_layout`` defaults to ``q_layout`` (self-attention); give it for cross-attention, where
    segment s of the queries attends segment s of the keys. GQA is native (H a multiple of K).
    """
    kv_layout = q_layout if kv_layout is None else kv_layout
    if isinstance(q_layout, Padded):
        return _attend_padded(q_THE, k_TKE, v_TKE, q_layout, kv_layout, causal)
    if _can_use_flash(q_THE):
        return flash_attn_varlen_func(
            q_THE,
            k_TKE,
            v_TKE,
            q_layout.cu_seqlens,
            kv_layout.cu_seqlens,
            q_layout.max_len,
            kv_layout.max_len,
            causal=causal,
        )
    return attend_per_segment(q_THE, k_TKE, v_TKE, q_layout, kv_layout, causal)


def _can_use_flash(q_THE: torch.Tensor) -> bool:
    return flash_attn_varlen_func is not None and q_THE.is_cuda and q_THE.dtype in FLASH_DTYPES


def attend_per_segment(
    q_THE: torch.Tensor,
    k_TKE: torch.Tensor,
    v_TKE: torch.Tensor,
    q_layout: Packed,
    kv_layout: Packed,
    causal: bool = False,
) -> torch.Tensor:
    """Exact varlen attention on any device: one SDPA call per segment."""
    out_THE = torch.empty_like(q_THE)
    q_cu, k_cu = q_layout.cu_seqlens.tolist(), kv_layout.cu_seqlens.tolist()
    for s in range(len(q_cu) - 1):
        qs, qe, ks, ke = q_cu[s], q_cu[s + 1], k_cu[s], k_cu[s + 1]
        if qe == qs:
            continue
        q_1HlE = q_THE[qs:qe].transpose(0, 1).unsqueeze(0)
        k_1KlE = k_TKE[ks:ke].transpose(0, 1).unsqueeze(0)
        v_1KlE = v_TKE[ks:ke].transpose(0, 1).unsqueeze(0)
        o_1HlE = F.scaled_dot_product_attention(
            q_1HlE, k_1KlE, v_1KlE, is_causal=causal, enable_gqa=True
        )
        out_THE[qs:qe] = o_1HlE[0].transpose(0, 1)
    return out_THE


def _attend_padded(
    q_THE: torch.Tensor,
    k_TKE: torch.Tensor,
    v_TKE: torch.Tensor,
    q_layout: Padded,
    kv_layout: Padded,
    causal: bool,
) -> torch.Tensor:
    rows, q_len = q_layout.key_mask_BL.shape
    k_len = kv_layout.key_mask_BL.shape[1]
    q_BHLE = q_THE.view(rows, q_len, *q_THE.shape[1:]).transpose(1, 2)
    k_BKLE = k_TKE.view(rows, k_len, *k_TKE.shape[1:]).transpose(1, 2)
    v_BKLE = v_TKE.view(rows, k_len, *v_TKE.shape[1:]).transpose(1, 2)
    mask_B11L = kv_layout.key_mask_BL[:, None, None, :]
    if causal:
        mask_B11L = (
            mask_B11L & torch.ones(q_len, k_len, dtype=torch.bool, device=q_THE.device).tril()
        )
    o_BHLE = F.scaled_dot_product_attention(
        q_BHLE, k_BKLE, v_BKLE, attn_mask=mask_B11L, enable_gqa=True
    )
    return o_BHLE.transpose(1, 2).reshape(q_THE.shape)


def attend_block_diagonal(
    q_THE: torch.Tensor, k_TKE: torch.Tensor, v_TKE: torch.Tensor, layout: Packed
) -> torch.Tensor:
    """Reference packed self-attention through one dense (T, T) block-diagonal mask."""
    lengths = torch.tensor(layout.lengths, device=q_THE.device)
    seg_T = torch.repeat_interleave(torch.arange(len(lengths), device=q_THE.device), lengths)
    mask_TT = seg_T[:, None] == seg_T[None, :]
    o_1HTE = F.scaled_dot_product_attention(
        q_THE.transpose(0, 1)[None],
        k_TKE.transpose(0, 1)[None],
        v_TKE.transpose(0, 1)[None],
        attn_mask=mask_TT,
        enable_gqa=True,
    )
    return o_1HTE[0].transpose(0, 1)
