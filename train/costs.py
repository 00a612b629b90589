"""Per-sample token costs from manifest columns, without reading a shard.

The packer, the task mixer and the rank balancer plan on these numbers, identically on every
rank, so a rank only ever reads the samples it trains on. For ``t2i`` and ``it2i`` the cost is the
exact backbone sequence length that ``train/sequences.py`` builds (the chat template is tokenised
with the model's own tokenizer; visual answers have a fixed grid). For ``it2t`` the manifest
keeps only the first user turn, so later turns are estimated (``ANSWER_TOKENS_ESTIMATE``; user
turns as long as the first) -- an honest estimate, reported as such by the fill statistics.

DiT tokens (latent patches of the FM target) are returned separately: they do not occupy the
backbone sequence but they do cost compute, so they enter the rank balance.

Caption dropout makes a t2i sample shorter (the empty prompt). Whether a sample is dropped is
decided here, by :func:`drops_caption` on the seed the mixer gave the sample when it drew it; the
sequence builder asks the same function, so planned and built lengths stay equal.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import smart_resize

from models.samples import image_string_length, t2i_prompt_ids
from models.text import chat_ids

ANSWER_TOKENS_ESTIMATE = 8  # assistant turns of it2t conversations not seen in the manifest
IMAGE_PLACEHOLDER = "<image>"  # LLaVA-style marker of the understanding image in a user turn
SQUARED_LENGTH_WEIGHT = 1.0 / 4096  # attention term of the balance cost, per token^2
EMPTY_PROMPT = ""  # the unconditional prompt of classifier-free guidance (inference's default)


def drops_caption(task: str, seed: int, caption_dropout: float) -> bool:
    """Whether a sample trains as the unconditional branch of CFG: a t2i sample, by its seed."""
    return task == "t2i" and random.Random(seed).random() < caption_dropout


def fit_size(width: int, height: int, resolution: int, unit: int) -> tuple[int, int]:
    """(width, height) scaled so the longest side is at most ``resolution``, floored to ``unit``."""
    scale = min(1.0, resolution / max(width, height))
    w = max(unit, int(width * scale) // unit * unit)
    h = max(unit, int(height * scale) // unit * unit)
    return w, h


@dataclass(frozen=True)
class Cost:
    tokens: int  # backbone sequence length
    dit_tokens: int  # latent patches of the FM target (0 for understanding)

    def attention(self) -> float:
        """Balance cost: tokens + len^2 term (attention) + DiT tokens."""
        return self.tokens + SQUARED_LENGTH_WEIGHT * self.tokens**2 + self.dit_tokens


class CostModel:
    """Sequence geometry of one model preset at one training resolution."""

    def __init__(self, model: Any, resolution: int) -> None:
        cfg = model.config
        self.tok = model.text_tokenizer
        self.resolution = resolution
        self.unit = cfg.dit.patch_size * model.vae.downsample
        self.model = model
        self.image_answer = image_string_length(model, cfg.generation.ar_grid)
        vision = model.backbone.qwen.config.vision_config
        self.vit_unit = vision.patch_size * vision.spatial_merge_size
        self.merge = vision.spatial_merge_size
        self.vit_max_pixels = cfg.generation.image_max_pixels

    def cost(self, row: dict[str, Any], caption_dropped: bool = False) -> Cost:
        """Cost of a manifest row; ``caption_dropped``: built with the empty prompt (t2i)."""
        task = row["task"]
        if task == "t2i":
            prompt = EMPTY_PROMPT if caption_dropped else row["text"]
            return Cost(self._t2i(prompt), self._dit(row, "target"))
        if task == "it2i":
            return Cost(self._it2i(row["text"]), self._dit(row, "target"))
        if task == "it2t":
            return Cost(self._it2t(row), 0)
        raise ValueError(f"sample {row['id']}: task {task!r} is not trainable here")

    def _t2i(self, prompt: str) -> int:
        return len(t2i_prompt_ids(self.model, prompt)) + self.image_answer

    def _it2i(self, instruction: str) -> int:
        content = [
            {"type": "ids", "ids": [0] * self.image_answer},
            {"type": "text", "text": instruction},
        ]
        return len(chat_ids(self.tok, [{"role": "user", "content": content}])) + self.image_answer

    def _it2t(self, row: dict[str, Any]) -> int:
        question = row["text"].replace(IMAGE_PLACEHOLDER, "", 1).lstrip("\n")
        sizes = list(zip(row["image_widths"], row["image_heights"], strict=True))
        parts = [{"type": "image"} for _ in sizes] + [{"type": "text", "text": question}]
        first = chat_ids(self.tok, [{"role": "user", "content": parts}], self.vit_tokens(sizes))
        turn = len(chat_ids(self.tok, [{"role": "user", "content": question}])) + 1
        pairs = max(1, row["n_turns"] // 2)
        answer = ANSWER_TOKENS_ESTIMATE + 1  # answer, <|im_end|>
        return len(first) + answer + (pairs - 1) * (turn + answer)

    def vit_tokens(self, sizes: list[tuple[int, int]]) -> list[int]:
        """``<|image_pad|>`` count per understanding image (Qwen-VL smart resize, merged)."""
        counts = []
        for w, h in sizes:
            rh, rw = smart_resize(
                h, w, factor=self.vit_unit, min_pixels=self.vit_unit**2,
                max_pixels=self.vit_max_pixels,
            )  # fmt: skip
            counts.append((rh // self.vit_unit) * (rw // self.vit_unit))
        return counts

    def _dit(self, row: dict[str, Any], role: str) -> int:
        i = list(row["image_roles"]).index(role)
        w, h = fit_size(row["image_widths"][i], row["image_heights"][i], self.resolution, self.unit)
        return (w // self.unit) * (h // self.unit)
