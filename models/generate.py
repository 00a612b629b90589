"""Autoregressive decoding with the backbone's KV cache: visual-token grids and chat text.

Visual tokens: ``h x (w + 1)`` steps, the last column of every row forced to ``<|endofline|>``;
logits restricted to the visual-token range (the reference implementation's scope bound was
wrong, issue #29); logit CFG ``u + s (c - u)`` with the unconditional rows fed the tokens sampled
for their conditional rows. Rows are left-padded; positions count only real tokens.

Legend: B prompts, R = B (no CFG) or 2B rows, L prompt length, V visual vocabulary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from transformers import DynamicCache

from models.batch import Mammoth2Sample

if TYPE_CHECKING:
    from models.mammoth2 import Mammoth2


def left_pad(rows: list[list[int]], pad_id: int) -> tuple[torch.Tensor, torch.Tensor]:
    """(R, L) ids and attention mask, real tokens at the right end."""
    width = max(len(r) for r in rows)
    ids = torch.full((len(rows), width), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, width - len(row) :] = torch.tensor(row, dtype=torch.long)
        mask[i, width - len(row) :] = 1
    return ids, mask


def sample_logits(
    logits_RV: torch.Tensor,
    temperature: float,
    top_k: int,
    top_p: float,
    generator: torch.Generator | None,
) -> torch.Tensor:
    """Greedy when temperature == 0; else temperature, top-k, top-p, multinomial."""
    if temperature == 0:
        return logits_RV.argmax(-1)
    logits_RV = logits_RV.float() / temperature
    if 0 < top_k < logits_RV.shape[-1]:
        kth = logits_RV.topk(top_k, dim=-1).values[:, -1:]
        logits_RV = logits_RV.masked_fill(logits_RV < kth, -float("inf"))
    if top_p < 1.0:
        sorted_logits, order = logits_RV.sort(-1, descending=True)
        probs = sorted_logits.softmax(-1)
        drop = probs.cumsum(-1) - probs > top_p  # keep the smallest prefix reaching top_p
        logits_RV = logits_RV.scatter(-1, order, sorted_logits.masked_fill(drop, -float("inf")))
    probs = logits_RV.softmax(-1)
    return torch.multinomial(probs.cpu(), 1, generator=generator)[:, 0].to(logits_RV.device)


@torch.no_grad()
def generate_visual_tokens(
    model: Mammoth2,
    prompts: list[list[int]],
    negatives: list[list[int]] | None,
    guidance: float,
    temperature: float = 1.0,
    top_k: int = 0,
    top_p: float = 1.0,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Grids (B, h * (w + 1)) of visual ids incl. the EOL column; prompts end in the image
    scaffold ``<|image start|>{h}*{w}<|image token|>``."""
    h, w = model.config.generation.ar_grid
    use_cfg = negatives is not None and guidance != 1.0
    rows = prompts + (negatives if use_cfg else [])
    ids, mask = left_pad(rows, model.text_tokenizer.special_id("<|endoftext|>"))
    ids, mask = ids.to(model.device), mask.to(model.device)
    positions = (mask.cumsum(-1) - 1).clamp_min(0)
    cache = DynamicCache(config=model.backbone.qwen.config.text_config)
    hidden = _step(model, ids, mask, positions, cache)
    lo, hi = model.layout.visual_start - model.layout.gen_start, model.layout.codebook_size
    eol = model.layout.special("endofline")
    out = []
    for step in range(h * (w + 1)):
        if step % (w + 1) == w:
            token = torch.full((len(prompts),), eol, dtype=torch.long, device=model.device)
        else:
            logits = model.backbone.gen_logits(hidden)[:, lo : lo + hi]
            if use_cfg:
                cond, uncond = logits.chunk(2)
                logits = uncond + guidance * (cond - uncond)
            token = (
                sample_logits(logits, temperature, top_k, top_p, generator)
                + model.layout.visual_start
            )
        out.append(token)
        if step + 1 < h * (w + 1):
            feed = torch.cat([token, token]) if use_cfg else token
            mask = torch.cat([mask, mask.new_ones(len(rows), 1)], 1)
            positions = positions[:, -1:] + 1
            hidden = _step(model, feed[:, None], mask, positions, cache)
    return torch.stack(out, 1)


def _step(model: Mammoth2, ids, mask, positions, cache) -> torch.Tensor:
    out = model.backbone(
        ids, attention_mask=mask, position_ids=positions, cache=cache, use_cache=True
    )
    return out.last_hidden_state[:, -1]


@torch.no_grad()
def generate_text(model: Mammoth2, sample: Mammoth2Sample, max_new_tokens: int) -> list[int]:
    """Greedy chat answer ids (stops at ``<|im_end|>``); ``sample`` holds the prompt."""
    batch = model.collate([sample])
    tok = model.text_tokenizer
    stops = {tok.special_id("<|im_end|>"), tok.special_id("<|endoftext|>")}
    cache = DynamicCache(config=model.backbone.qwen.config.text_config)
    vision = {k: v.to(model.device) for k, v in batch.vision.items()}
    positions = batch.position_ids.to(model.device)
    out = model.backbone(
        batch.input_ids.to(model.device),
        position_ids=positions,
        cache=cache,
        use_cache=True,
        **vision,
    )
    text_pos, mrope_pos = positions.shape[-1], int(positions[1:].max()) + 1
    vocab = getattr(tok, "vocab_size", None) or model.backbone.qwen.config.text_config.vocab_size
    answer: list[int] = []
    for k in range(max_new_tokens):
        token = model.backbone.text_logits(out.last_hidden_state[:, -1])[:, :vocab].argmax(-1)
        if int(token) in stops:
            break
        answer.append(int(token))
        step_pos = torch.tensor([text_pos + k, *[mrope_pos + k] * 3], device=model.device)
        out = model.backbone(
            token[:, None], position_ids=step_pos.view(4, 1, 1), cache=cache, use_cache=True
        )
    return answer
