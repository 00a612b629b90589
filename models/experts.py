"""Generation experts: hard routing by token id between an understanding and a generation copy.

Mammoth2 adds, to a range of backbone layers, a second FFN (same SwiGLU shape) that processes
every token whose id is ``>= gen_vocab_start`` (visual tokens and the generation specials); all
other tokens keep the original FFN. There is no learned router and no auxiliary loss.

Both experts run on every call, on possibly empty slices: under FSDP2 a rank that skipped an
expert would issue a different set of collectives than its peers and hang or abort (the
reference code returns early when one side is empty; we never do).

The routing mask reaches the FFN as the ``gen_token_mask`` keyword of the decoder layer: a
forward pre-hook on the layer stores it on the :class:`RoutedFFN`. The hook fires again when
activation checkpointing recomputes the layer, so recomputation routes identically.

Legend: B rows, L tokens per row, N = B*L, D width.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

ROUTE_KWARG = "gen_token_mask"
INIT_STD = 0.02


class RoutedFFN(nn.Module):
    """``und`` for understanding tokens, ``gen`` for generation tokens, both always executed."""

    def __init__(self, und: nn.Module, gen: nn.Module) -> None:
        super().__init__()
        self.und = und
        self.gen = gen
        self.route_mask: torch.Tensor | None = None

    def forward(self, x_BLD: torch.Tensor) -> torch.Tensor:
        if self.route_mask is None:
            raise RuntimeError(f"RoutedFFN called without a routing mask; pass {ROUTE_KWARG}=")
        return route(x_BLD, self.route_mask, self.und, self.gen)


def route(
    x_BLD: torch.Tensor, gen_mask_BL: torch.Tensor, und: nn.Module, gen: nn.Module
) -> torch.Tensor:
    """Group tokens by expert with a stable permutation, run both experts, undo the permutation."""
    x_ND = x_BLD.reshape(-1, x_BLD.shape[-1])
    is_gen_N = gen_mask_BL.reshape(-1).to(x_ND.device)
    order_N = torch.argsort(is_gen_N.to(torch.int8), stable=True)  # understanding tokens first
    n_und = int(x_ND.shape[0] - is_gen_N.sum())
    x_sorted = x_ND[order_N]
    y_sorted = torch.cat([und(x_sorted[:n_und]), gen(x_sorted[n_und:])], 0)
    inverse_N = torch.empty_like(order_N)
    inverse_N[order_N] = torch.arange(order_N.numel(), device=order_N.device)
    return y_sorted[inverse_N].reshape(x_BLD.shape)


def _store_route_mask(layer: nn.Module, args: tuple, kwargs: dict) -> None:
    layer.mlp.route_mask = kwargs.get(ROUTE_KWARG)


def install_experts(layers: nn.ModuleList, start: int, end: int, init: str = "copy") -> None:
    """Replace ``layers[start:end].mlp`` by routed pairs; ``init`` is "copy" or "random".

    "random" draws the generation FFN from the understanding FFN's own initialiser family
    (normal, std 0.02) -- use it for from-scratch experts as the paper's summary describes.
    """
    if not 0 <= start <= end <= len(layers):
        raise ValueError(f"expert layer range [{start}, {end}) outside 0..{len(layers)}")
    for layer in layers[start:end]:
        und = layer.mlp
        gen = copy.deepcopy(und)
        if init == "random":
            reset_ffn(gen)
        elif init != "copy":
            raise ValueError(f"expert_init must be 'copy' or 'random', not {init!r}")
        layer.mlp = RoutedFFN(und, gen)
        layer.register_forward_pre_hook(_store_route_mask, with_kwargs=True)


@torch.no_grad()
def reset_ffn(ffn: nn.Module, std: float = INIT_STD) -> None:
    for module in ffn.modules():
        if isinstance(module, nn.Linear):
            nn.init.normal_(module.weight, std=std)
            if module.bias is not None:
                nn.init.zeros_(module.bias)


class SplitEmbedding(nn.Module):
    """Token embedding with a separate table for generation ids (``id >= gen_start``).

    Both tables are looked up on every call (FSDP2 needs every parameter used on every rank).
    """

    def __init__(self, und: nn.Embedding, gen_vocab_size: int, gen_start: int) -> None:
        super().__init__()
        self.und = und
        self.gen = nn.Embedding(gen_vocab_size, und.embedding_dim)
        self.gen_start = gen_start

    @property
    def weight(self) -> torch.Tensor:
        """The understanding table (what transformers code expects of an input embedding)."""
        return self.und.weight

    def forward(self, ids_BL: torch.Tensor) -> torch.Tensor:
        is_gen = ids_BL >= self.gen_start
        und_ids = torch.where(is_gen, 0, ids_BL)
        gen_ids = torch.where(is_gen, ids_BL - self.gen_start, 0)
        return torch.where(is_gen[..., None], self.gen(gen_ids), self.und(und_ids))
