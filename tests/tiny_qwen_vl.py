"""A tiny random Qwen2.5-VL or Qwen3-VL (real transformers classes) saved to a folder, loadable
offline by the transformers judge backend: the default judge's own model and processor classes.

The processor is the model's own without its video processor (`image_only_processor`: transformers
builds Qwen-VL video processors only with torchvision) and with the PIL image processor.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import torch
from tiny_llava import character_tokenizer
from transformers import (
    PreTrainedConfig,
    PreTrainedModel,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen2_5_VLProcessor,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
    Qwen3VLProcessor,
)
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

from models.external.transformers_vlm import image_only_processor

PAD, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"
VISION_START, VISION_END = "<|vision_start|>", "<|vision_end|>"
IMAGE_PAD, VIDEO_PAD = "<|image_pad|>", "<|video_pad|>"
SPECIALS = (PAD, IM_START, IM_END, VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD)
TOKENIZER_SPECIALS = {"pad_token": PAD, "eos_token": IM_END, "additional_special_tokens": SPECIALS}
KINDS = {
    "qwen2_5_vl": (Qwen2_5_VLConfig, Qwen2_5_VLForConditionalGeneration, Qwen2_5_VLProcessor),
    "qwen3_vl": (Qwen3VLConfig, Qwen3VLForConditionalGeneration, Qwen3VLProcessor),
}
# Qwen's chat layout; the processor repeats each image's pad token once per merged patch.
TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{% if m['content'] is string %}"
    "{{ m['content'] }}{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}"
    "<|vision_start|><|image_pad|><|vision_end|>{% else %}{{ c['text'] }}{% endif %}{% endfor %}"
    "{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n"
    "{% endif %}"
)
WIDTH = 16  # hidden size of both towers; 2 heads of 8
# Weights 15 times wider than transformers' default: the digits' distribution is far from uniform
# and another image moves it by about 3e-3 (2e-4 at the default).
INIT_STD = 0.3
PATCH, MERGE = 4, 2  # pixels per ViT patch side; patches per merged image token side
MAX_TOKENS = 4  # merged image tokens per image at most (images shrink to 16 x 16 pixels or less)


def qwen_config(kind: str, vocab: dict[str, int]) -> PreTrainedConfig:
    """Two vision blocks (window then full attention; Qwen3-VL's deepstack from the first) and one
    text layer, whose multimodal RoPE gives time, height and width 2, 1 and 1 of 4 frequencies."""
    rope = {"rope_type": "default", "rope_theta": 10000.0, "mrope_section": [2, 1, 1]}
    text = dict(
        vocab_size=len(vocab),
        hidden_size=WIDTH,
        intermediate_size=2 * WIDTH,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        rope_parameters=rope,
        pad_token_id=vocab[PAD],
        eos_token_id=vocab[IM_END],
        bos_token_id=None,
    )
    vision = dict(
        depth=2,
        hidden_size=WIDTH,
        intermediate_size=2 * WIDTH,
        num_heads=2,
        patch_size=PATCH,
        spatial_merge_size=MERGE,
        temporal_patch_size=2,
        out_hidden_size=WIDTH,
    )
    if kind == "qwen2_5_vl":
        vision |= dict(window_size=PATCH * MERGE, fullatt_block_indexes=[1])
    else:
        text |= dict(head_dim=WIDTH // 2, rope_parameters=rope | {"mrope_interleaved": True})
        vision |= dict(num_position_embeddings=16, deepstack_visual_indexes=[0])
    config_class = KINDS[kind][0]
    return config_class(
        text_config=text,
        vision_config=vision,
        image_token_id=vocab[IMAGE_PAD],
        video_token_id=vocab[VIDEO_PAD],
        vision_start_token_id=vocab[VISION_START],
        vision_end_token_id=vocab[VISION_END],
        tie_word_embeddings=False,
        initializer_range=INIT_STD,
    )


def save_tiny_qwen_vl(
    folder: Path,
    kind: str,
    vocab: dict[str, int],
    unknown: str,
    seed: int = 0,
    adjust: Callable[[PreTrainedModel], None] | None = None,
) -> Path:
    """Write processor and a seeded random `kind` model (changed by `adjust`) into `folder`."""
    _, model_class, processor_class = KINDS[kind]
    unit = PATCH * MERGE
    images = Qwen2VLImageProcessorPil(
        patch_size=PATCH,
        merge_size=MERGE,
        temporal_patch_size=2,
        min_pixels=unit * unit,
        max_pixels=MAX_TOKENS * unit * unit,
    )
    image_only_processor(processor_class)(
        image_processor=images,
        tokenizer=character_tokenizer(vocab, unknown, specials=TOKENIZER_SPECIALS),
        chat_template=TEMPLATE,
    ).save_pretrained(folder)
    torch.manual_seed(seed)
    model = model_class(qwen_config(kind, vocab))
    if adjust is not None:
        with torch.no_grad():
            adjust(model)
    model.save_pretrained(folder)
    return folder
