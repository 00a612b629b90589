"""Padding-free attention for the transformers backbone (registered as an attention backend).

transformers' SDPA path runs a packed row of T tokens as one dense (T, T) block-diagonal mask,
which costs T^2 on a CPU. The ``mammoth_packed`` backend instead receives the packed layout
through the ``PACKED_KWARG`` keyword of the backbone call and runs causal attention per segment
(:func:`models.attention.attend`: flash-attn varlen on a GPU when installed, an exact SDPA loop
otherwise). Calls without the keyword (padded batches, KV-cached decoding) fall through to
transformers' SDPA with its usual masks.

Legend: B rows, H heads, K key/value heads, T tokens, E head dim.
"""

from __future__ import annotations

import torch
from transformers import AttentionInterface
from transformers.integrations.sdpa_attention import sdpa_attention_forward
from transformers.masking_utils import AttentionMaskInterface, sdpa_mask

from models.attention import Packed, attend

PACKED_ATTENTION = "mammoth_packed"
PACKED_KWARG = "mammoth_packed_layout"


def packed_attention_forward(
    module: torch.nn.Module,
    query: torch.Tensor,
    key: torch.Tensor,
    value: torch.Tensor,
    attention_mask: torch.Tensor | None,
    dropout: float = 0.0,
    scaling: float | None = None,
    **kwargs,
) -> tuple[torch.Tensor, None]:
    """(1, H, T, E) q with (1, K, T, E) k/v and a Packed layout -> (1, T, H, E)."""
    layout: Packed | None = kwargs.get(PACKED_KWARG)
    if layout is None:
        return sdpa_attention_forward(
            module, query, key, value, attention_mask, dropout=dropout, scaling=scaling, **kwargs
        )
    if query.shape[0] != 1 or scaling not in (None, query.shape[-1] ** -0.5):
        raise ValueError("packed attention expects one packed row and the default 1/sqrt(E) scale")
    out_THE = attend(
        query[0].transpose(0, 1),
        key[0].transpose(0, 1),
        value[0].transpose(0, 1),
        layout,
        causal=True,
    )
    return out_THE.unsqueeze(0), None


AttentionInterface.register(PACKED_ATTENTION, packed_attention_forward)
AttentionMaskInterface.register(PACKED_ATTENTION, sdpa_mask)
