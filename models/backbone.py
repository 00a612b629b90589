"""Mammoth2 backbone: transformers' Qwen3-VL with generation experts, gen embedding and gen head.

Nothing of Qwen3-VL is vendored: the wrapper builds (or loads) a
``Qwen3VLForConditionalGeneration`` and then (1) replaces the text embedding with a
:class:`SplitEmbedding` (understanding table + gen table), (2) installs :class:`RoutedFFN`
experts in ``expert_layers`` and (3) adds a gen head. Text logits come from Qwen's ``lm_head``,
generation logits (index = id - gen_vocab_start) from ``gen_head``.

Packed (padding-free) sequences: one row of T tokens, ``position_ids`` of shape (4, 1, T) whose
row 0 restarts at 0 for every sample (rows 1-3 are the M-RoPE t/h/w positions),
``attention_mask=None``, ``use_cache=False`` and ``packed`` (the segment layout). The text model
runs the ``mammoth_packed`` attention backend (``models/packed_attention.py``: per-segment causal
attention, flash-attn varlen on a GPU); with ``attn_implementation="flash_attention_2"`` chosen
in the Qwen3-VL config, transformers' own varlen path is used instead.

Legend: B rows, L tokens, D width.
"""

from __future__ import annotations

import torch
from torch import nn
from transformers import Cache, Qwen3VLConfig, Qwen3VLForConditionalGeneration
from transformers.modeling_outputs import BaseModelOutputWithPast

from models.attention import Packed
from models.config import BackboneConfig
from models.experts import INIT_STD, RoutedFFN, SplitEmbedding, install_experts
from models.packed_attention import PACKED_ATTENTION, PACKED_KWARG

HF_INIT_FLAG = "_is_hf_initialized"


class Backbone(nn.Module):
    def __init__(self, cfg: BackboneConfig, qwen: Qwen3VLForConditionalGeneration | None = None):
        super().__init__()
        self.cfg = cfg
        self.qwen = qwen if qwen is not None else Qwen3VLForConditionalGeneration(qwen_config(cfg))
        text = self.qwen.config.text_config
        if cfg.gen_vocab_start < text.vocab_size:
            raise ValueError(f"gen_vocab_start {cfg.gen_vocab_start} overlaps the text vocabulary")
        self.hidden_size = text.hidden_size
        self.num_layers = text.num_hidden_layers
        lm = self.qwen.model.language_model
        lm.embed_tokens = SplitEmbedding(lm.embed_tokens, cfg.gen_vocab_size, cfg.gen_vocab_start)
        install_experts(lm.layers, *cfg.expert_layers, init=cfg.expert_init)
        self.gen_head = nn.Linear(self.hidden_size, cfg.gen_vocab_size, bias=False)
        if not lm.config._attn_implementation.startswith("flash_attention"):
            lm.config._attn_implementation = PACKED_ATTENTION  # per-segment packed attention
        self._init_gen_parts()

    @classmethod
    def from_qwen3vl(cls, path: str, cfg: BackboneConfig) -> Backbone:
        """Backbone seeded from a Qwen3-VL checkpoint folder (transformers ``save_pretrained``)."""
        qwen = Qwen3VLForConditionalGeneration.from_pretrained(path, dtype=torch.float32)
        cfg.qwen3vl = qwen.config.to_dict()
        return cls(cfg, qwen)

    @property
    def layers(self) -> nn.ModuleList:
        return self.qwen.model.language_model.layers

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Cache | None = None,
        use_cache: bool = False,
        output_hidden_states: bool = False,
        packed: Packed | None = None,
        **vision: torch.Tensor,
    ) -> BaseModelOutputWithPast:
        """Qwen3-VL forward with expert routing; ``vision``: pixel_values, image_grid_thw, ..."""
        if packed is not None and self.uses_packed_backend:
            # segments come from ``packed``; a plain row-0 arange stops transformers from also
            # building a dense (T, T) block mask that this backend would ignore
            position_ids = position_ids.clone()
            position_ids[0] = torch.arange(position_ids.shape[-1], device=position_ids.device)
        return self.qwen.model(
            input_ids=input_ids,
            attention_mask=attention_mask,
            position_ids=position_ids,
            cache=cache,
            use_cache=use_cache,
            output_hidden_states=output_hidden_states,
            gen_token_mask=input_ids >= self.cfg.gen_vocab_start,
            **({PACKED_KWARG: packed} if packed is not None else {}),
            **vision,
        )

    @property
    def uses_packed_backend(self) -> bool:
        return self.qwen.model.language_model.config._attn_implementation == PACKED_ATTENTION

    def text_logits(self, h_ND: torch.Tensor) -> torch.Tensor:
        return self.qwen.lm_head(h_ND)

    def gen_logits(self, h_ND: torch.Tensor) -> torch.Tensor:
        """Logits over the generation vocabulary; column j is token id gen_vocab_start + j."""
        return self.gen_head(h_ND)

    @torch.no_grad()
    def init_weights(self) -> None:
        """Re-initialise every parameter and buffer (after ``to_empty`` from the meta device)."""
        for tensor in (*self.parameters(), *self.buffers()):
            if hasattr(tensor, HF_INIT_FLAG):
                delattr(tensor, HF_INIT_FLAG)
        self.qwen.apply(self.qwen._init_weights)
        self._init_gen_parts()

    @torch.no_grad()
    def reset_buffers(self) -> None:
        """Recompute the non-persistent rotary tables (not stored in checkpoints)."""
        for module in self.qwen.modules():
            if "RotaryEmbedding" in type(module).__name__:
                for buffer in module.buffers():
                    if hasattr(buffer, HF_INIT_FLAG):
                        delattr(buffer, HF_INIT_FLAG)
                self.qwen._init_weights(module)

    @torch.no_grad()
    def _init_gen_parts(self) -> None:
        nn.init.normal_(self.gen_head.weight, std=INIT_STD)
        nn.init.normal_(self.qwen.model.language_model.embed_tokens.gen.weight, std=INIT_STD)
        for layer in self.layers:
            if isinstance(layer.mlp, RoutedFFN) and self.cfg.expert_init == "copy":
                layer.mlp.gen.load_state_dict(layer.mlp.und.state_dict())
            elif isinstance(layer.mlp, RoutedFFN):
                for p in layer.mlp.gen.parameters():
                    nn.init.normal_(p, std=INIT_STD)


def qwen_config(cfg: BackboneConfig) -> Qwen3VLConfig:
    return Qwen3VLConfig.from_dict(dict(cfg.qwen3vl))
