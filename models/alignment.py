"""Feature alignment: backbone hidden states -> DiT condition sequence.

1. Multi-layer aggregation: the mean of the hidden states of ``condition_layers`` (indices into
   transformers' ``hidden_states`` tuple, which has num_layers+1 entries; -1 is the last layer).
2. Unified condition encoding: text-token states through RMSNorm + Linear; the states of the
   generated visual tokens through a 2-layer Q-Former with N learnable queries.
3. In-context conditioning: ``[text tokens ; N query tokens]`` per sample, prepended to the image
   tokens inside the DiT (after its context refiner).

Legend: T tokens, D_llm backbone width, D DiT width, N queries, B samples.
"""

from __future__ import annotations

import torch
from torch import nn

from models.config import AlignmentConfig
from models.layers import INIT_STD, Attention, SwiGLU
from models.streams import Stream, make_stream

QFORMER_FFN_MULT = 4


def aggregate_layers(
    hidden_states: tuple[torch.Tensor, ...], layers: tuple[int, ...]
) -> torch.Tensor:
    """Mean of the selected hidden-state layers (each (..., D_llm)), computed in fp32."""
    stacked = torch.stack([hidden_states[i].float() for i in layers], 0)
    return stacked.mean(0).to(hidden_states[-1].dtype)


class CaptionProjector(nn.Module):
    """RMSNorm(D_llm) then Linear(D_llm -> D) for text-condition tokens."""

    def __init__(self, llm_dim: int, dim: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.norm = nn.RMSNorm(llm_dim, eps=eps)
        self.proj = nn.Linear(llm_dim, dim)

    def forward(self, h_TDl: torch.Tensor) -> torch.Tensor:
        return self.proj(self.norm(h_TDl))

    def init_weights(self) -> None:
        nn.init.ones_(self.norm.weight)
        nn.init.trunc_normal_(self.proj.weight, std=INIT_STD)
        nn.init.zeros_(self.proj.bias)


class QFormerLayer(nn.Module):
    """Pre-RMSNorm self-attention over the queries, masked cross-attention, SwiGLU; residual."""

    def __init__(self, dim: int, heads: int, eps: float = 1e-6) -> None:
        super().__init__()
        self.self_norm, self.cross_norm = nn.RMSNorm(dim, eps=eps), nn.RMSNorm(dim, eps=eps)
        self.ffn_norm = nn.RMSNorm(dim, eps=eps)
        self.self_attn = Attention(dim, heads, qk_norm=False)
        self.cross_attn = Attention(dim, heads, qk_norm=False)
        self.ffn = SwiGLU(dim, QFORMER_FFN_MULT * dim)

    def forward(
        self, q_TD: torch.Tensor, q_stream: Stream, ctx_SD: torch.Tensor, ctx_stream: Stream
    ) -> torch.Tensor:
        q_TD = q_TD + self.self_attn(self.self_norm(q_TD), q_stream.layout)
        cross = self.cross_attn(
            self.cross_norm(q_TD),
            q_stream.layout,
            context_SD=ctx_SD,
            context_layout=ctx_stream.layout,
        )
        q_TD = q_TD + cross
        return q_TD + self.ffn(self.ffn_norm(q_TD))


class QFormer(nn.Module):
    """Compresses each sample's visual-token states into ``num_queries`` DiT-width tokens."""

    def __init__(self, llm_dim: int, dim: int, cfg: AlignmentConfig, eps: float = 1e-6) -> None:
        super().__init__()
        self.in_norm = nn.RMSNorm(llm_dim, eps=eps)
        self.in_proj = nn.Linear(llm_dim, dim)
        self.queries = nn.Parameter(torch.empty(cfg.num_queries, dim))
        self.layers = nn.ModuleList(
            QFormerLayer(dim, cfg.qformer_heads, eps) for _ in range(cfg.qformer_layers)
        )

    def forward(self, states: list[torch.Tensor]) -> list[torch.Tensor]:
        """``states``: per sample (L_b, D_llm) with L_b >= 1 -> per sample (N, D)."""
        if not states:
            return []
        n_q, device = self.queries.shape[0], self.queries.device
        owners = list(range(len(states)))
        q_stream = make_stream([n_q] * len(states), owners, padded=False, device=device)
        ctx_stream = make_stream([s.shape[0] for s in states], owners, padded=False, device=device)
        ctx_SD = self.in_proj(self.in_norm(torch.cat(states, 0)))
        q_TD = self.queries.repeat(len(states), 1)
        for layer in self.layers:
            q_TD = layer(q_TD, q_stream, ctx_SD, ctx_stream)
        return list(q_TD.split(n_q, 0))

    def init_weights(self) -> None:
        nn.init.normal_(self.queries, std=self.queries.shape[1] ** -0.5)
        for module in self.modules():
            if isinstance(module, nn.Linear):
                nn.init.trunc_normal_(module.weight, std=INIT_STD)
                if module.bias is not None:
                    nn.init.zeros_(module.bias)
            elif isinstance(module, nn.RMSNorm):
                nn.init.ones_(module.weight)


class Alignment(nn.Module):
    """Builds the DiT condition ``[text ; queries]`` of every sample."""

    def __init__(self, cfg: AlignmentConfig, llm_dim: int, dit_dim: int) -> None:
        super().__init__()
        self.cfg = cfg
        self.caption = CaptionProjector(llm_dim, dit_dim)
        self.qformer = QFormer(llm_dim, dit_dim, cfg)
        self.init_weights()

    def init_weights(self) -> None:
        self.caption.init_weights()
        self.qformer.init_weights()

    def forward(
        self, text_states: list[torch.Tensor], image_states: list[torch.Tensor | None]
    ) -> list[torch.Tensor]:
        """Per sample: text states (L_t, D_llm) and visual-token states (L_v, D_llm) or None.

        Samples without visual-token states (the "without AR" mode, negative prompts) get text
        tokens only, as in the reference implementation.
        """
        with_images = [b for b, s in enumerate(image_states) if s is not None and s.shape[0] > 0]
        queries = dict(
            zip(with_images, self.qformer([image_states[b] for b in with_images]), strict=True)
        )
        conds = []
        for b, text in enumerate(text_states):
            parts = [self.caption(text)]
            if b in queries:
                parts.append(queries[b])
            conds.append(torch.cat(parts, 0))
        return conds
